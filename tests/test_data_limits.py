"""Bounded reading of IDX files: decompression bombs, size bombs, overflowing
dimensions and text streams get a clear error before memory is spent."""

from __future__ import annotations

import contextlib
import gzip
import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from minitorch_np.data import read_idx
from minitorch_np.data.idx import encode_idx, read_payload

MB = 1 << 20


def header(code: int, shape: tuple[int, ...]) -> bytes:
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, code, len(shape), *shape)


def gzip_of_zeros_after(head: bytes, zeros: int) -> bytes:
    """A small gzip file whose content is ``head`` and then ``zeros`` zero bytes,
    compressed chunk by chunk (the test itself never holds the expanded bytes)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    parts = [compressor.compress(head)]
    chunk = bytes(MB)
    for _ in range(zeros // MB):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.flush())
    return b"".join(parts)


def peak_bytes(function, *args) -> int:
    tracemalloc.start()
    with contextlib.suppress(ValueError):
        function(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_a_gzip_bomb_behind_a_small_header_stops_at_the_first_bytes_past_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(gzip_of_zeros_after(header(0x08, (2,)) + b"\x01\x02", 64 * MB))
    assert path.stat().st_size < 200_000
    with pytest.raises(
        ValueError, match=r"bomb\.idx\.gz: expected 2 payload bytes .*trailing bytes"
    ):
        read_idx(path)
    assert peak_bytes(read_idx, path) < 4 * MB


def test_a_header_declaring_far_more_than_the_file_holds_allocates_only_what_is_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "liar.idx.gz"  # declares 10 x 10 x 10 bytes, holds 3
    path.write_bytes(gzip.compress(header(0x08, (10, 10, 10)) + b"abc"))
    assert 1032 * path.stat().st_size > 1000  # as much as gzip could hold
    with pytest.raises(
        ValueError, match=r"expected 1000 payload bytes .* got 3 \(truncated\)"
    ):
        read_idx(path)
    assert peak_bytes(read_idx, path) < 4 * MB


@pytest.mark.parametrize("as_file_object", [False, True])
def test_a_header_declaring_more_than_gzip_can_expand_to_is_refused_before_reading(
    tmp_path: Path, as_file_object: bool
) -> None:
    # 1024^4 bytes declared, 64 MiB of zeros behind it in a file of about 65 KB:
    # reading it all to find it truncated would cost the 64 MiB
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(gzip_of_zeros_after(header(0x08, (1024,) * 4), 64 * MB))
    stored = path.stat().st_size
    message = (
        rf"bomb\.idx\.gz: declares {1024**4} payload bytes for a 1024 x 1024 x 1024 x "
        rf"1024 uint8 array, but its {stored} bytes of gzip data expand to at most "
        rf"{1032 * stored} \(deflate's limit is 1032 to 1\)"
    )

    def read() -> np.ndarray:
        if not as_file_object:
            return read_idx(path)
        with open(path, "rb") as file:
            return read_idx(file)

    with pytest.raises(ValueError, match=message):
        read()
    assert peak_bytes(read) < 4 * MB


def test_a_known_file_size_bounds_reading_too(tmp_path: Path) -> None:
    path = tmp_path / "known.idx.gz"
    data = encode_idx(np.arange(100, dtype=np.uint8))
    path.write_bytes(gzip.compress(data))
    assert read_payload(path, max_bytes=len(data)) == data
    with pytest.raises(
        ValueError, match=r"known\.idx\.gz: declares 100 payload bytes .* at most 50"
    ):
        read_payload(path, max_bytes=58)


def test_dimensions_whose_product_overflows_name_the_file_and_the_dimensions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "huge.idx"
    dims = (2**32 - 1,) * 4
    path.write_bytes(header(0x0E, dims))
    with pytest.raises(
        ValueError,
        match=r"huge\.idx: dimensions 4294967295 x 4294967295 x 4294967295 x 4294967295 .*float64.*more than",
    ):
        read_idx(path)


def test_a_text_stream_is_refused_with_a_type_error(tmp_path: Path) -> None:
    path = tmp_path / "x.idx"
    path.write_bytes(encode_idx(np.arange(3, dtype=np.uint8)))
    with (
        open(path, encoding="latin-1") as text,
        pytest.raises(TypeError, match=r"x\.idx: .*binary file.*open\(path, 'rb'\)"),
    ):
        read_idx(text)
    with pytest.raises(TypeError, match="binary file"):
        read_idx(io.StringIO("\x00\x00\x08\x01"))
    with open(path, "rb") as binary:
        np.testing.assert_array_equal(read_idx(binary), np.arange(3))


def test_an_unseekable_gzip_stream_is_read_in_bounded_chunks() -> None:
    data = encode_idx(np.arange(12, dtype=np.int32).reshape(3, 4))
    stream = io.BufferedReader(io.BytesIO(gzip.compress(data)))  # type: ignore[arg-type]
    np.testing.assert_array_equal(read_idx(stream), np.arange(12).reshape(3, 4))
