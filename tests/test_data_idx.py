"""IDX reader/writer: round trip (property) and every validation error."""

from __future__ import annotations

import gzip
import io
import struct
import tempfile
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_np.data import read_idx, write_idx
from minitorch_np.data.idx import decode_idx, encode_idx, idx_magic, read_payload

IDX_DTYPES = [np.uint8, np.int8, np.dtype(">i2"), np.dtype("<i2"), np.dtype(">i4"), np.int32,
              np.dtype(">f4"), np.float32, np.dtype(">f8"), np.float64]  # fmt: skip


def header(code: int, dims: tuple[int, ...]) -> bytes:
    return struct.pack(f">BBBB{len(dims)}I", 0, 0, code, len(dims), *dims)


@st.composite
def idx_arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = draw(st.sampled_from(IDX_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    return draw(hnp.arrays(dtype, shape))


@settings(max_examples=60, deadline=None)
@given(array=idx_arrays(), compress=st.booleans(), via_path=st.booleans())
def test_round_trip(array: np.ndarray, compress: bool, via_path: bool) -> None:
    if via_path:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("a.idx.gz" if compress else "a.idx")
            write_idx(path, array)
            assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
            back = read_idx(path)
    else:
        buf = io.BytesIO()
        write_idx(buf, array, compress=compress)
        buf.seek(0)
        back = read_idx(buf)
    assert back.shape == array.shape
    assert back.dtype == array.dtype.newbyteorder("=")
    assert back.dtype.isnative
    assert back.flags.writeable and back.flags.c_contiguous
    np.testing.assert_array_equal(back, array)  # NaNs compare equal here


def test_read_accepts_str_path_and_raw_file_named_gz(tmp_path: Path) -> None:
    path = tmp_path / "raw-but-named.gz"
    path.write_bytes(encode_idx(np.arange(6, dtype=np.uint8).reshape(2, 3)))
    np.testing.assert_array_equal(read_idx(str(path)), [[0, 1, 2], [3, 4, 5]])


def test_magic_of_mnist_files() -> None:
    assert idx_magic(np.uint8, 3) == 0x00000803
    assert idx_magic(np.uint8, 1) == 0x00000801
    assert idx_magic(np.float64, 2) == 0x00000E02


def test_expected_magic_mismatch_names_file_and_both_values(tmp_path: Path) -> None:
    path = tmp_path / "labels.idx"
    write_idx(path, np.zeros(3, np.uint8))
    with pytest.raises(
        ValueError, match=r"labels\.idx: bad magic 0x00000801, expected 0x00000803"
    ):
        read_idx(path, magic=0x00000803)
    with pytest.raises(ValueError, match=r"expected 0x00000803 for images"):
        decode_idx(path.read_bytes(), str(path), magic=0x803, what="images")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", r"too short for an IDX header: 2 bytes"),
        (
            b"\x01\x00\x08\x01" + b"\x00" * 8,
            r"bad magic 0x01000801: the first two bytes",
        ),
        (b"\x00\x02\x08\x01" + b"\x00" * 8, r"bad magic 0x00020801"),
        (header(0x07, (1,)) + b"\x00", r"unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", r"number of dimensions must be 1 to 4, got 0"),
        (
            header(0x08, (1, 1, 1, 1, 1)) + b"\x00",
            r"number of dimensions must be 1 to 4, got 5",
        ),
        (
            b"\x00\x00\x08\x03" + b"\x00" * 8,
            r"header truncated: 3 dimensions need 16 header bytes, got 12",
        ),
        (
            header(0x08, (2, 3)) + b"\x00" * 5,
            r"expected 6 payload bytes .* got 5 \(truncated\)",
        ),
        (
            header(0x0C, (2,)) + b"\x00" * 9,
            r"expected 8 payload bytes for a 2 int32 array, got 9 \(trailing bytes\)",
        ),
        (header(0x0D, (4,)), r"expected 16 payload bytes .* got 0"),
    ],
)
def test_validation_errors_name_the_file(
    tmp_path: Path, data: bytes, message: str
) -> None:
    for name, content in [("x.idx", data), ("x.idx.gz", gzip.compress(data))]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=message) as info:
            read_idx(path)
        assert str(info.value).startswith(str(path) + ":")


def test_corrupt_gzip_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    good = gzip.compress(encode_idx(np.arange(1000, dtype=np.int32)))
    cases = {
        "cut.gz": good[: len(good) // 2],
        "junk.gz": good + b"junk",
        "flipped.gz": good[:-8] + b"\xff" * 8,
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=rf"{name}: corrupt gzip data"):
            read_payload(path)


def test_file_object_errors_use_its_name(tmp_path: Path) -> None:
    path = tmp_path / "short.idx"
    path.write_bytes(b"\x00")
    with (
        open(path, "rb") as f,
        pytest.raises(ValueError, match=r"short\.idx: too short"),
    ):
        read_idx(f)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array(3, np.uint8), r"IDX stores 1 to 4 dimensions, got ndim=0"),
        (np.zeros((1,) * 5, np.uint8), r"got ndim=5"),
        (np.zeros(2, np.float16), r"dtype float16 cannot be stored in IDX"),
        (np.zeros(2, np.uint16), r"dtype uint16 cannot"),
        (np.zeros(2, np.int64), r"dtype int64 cannot"),
        (np.zeros(2, bool), r"dtype bool cannot"),
    ],
)
def test_write_rejects_what_idx_cannot_hold(
    tmp_path: Path, array: np.ndarray, message: str
) -> None:
    path = tmp_path / "out.idx"
    with pytest.raises(ValueError, match=message):
        write_idx(path, array)
    assert list(tmp_path.iterdir()) == []


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "a.idx.gz"
    write_idx(path, np.ones(4, np.uint8))
    with pytest.raises(ValueError):
        write_idx(path, np.ones(4, np.float16))  # fails before touching the file
    write_idx(path, np.full(2, 7, np.int16))
    np.testing.assert_array_equal(read_idx(path), [7, 7])
    assert [p.name for p in tmp_path.iterdir()] == ["a.idx.gz"]


def test_write_gzip_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    write_idx(a, np.arange(10, dtype=np.uint8))
    write_idx(b, np.arange(10, dtype=np.uint8))
    assert a.read_bytes() == b.read_bytes()


def test_decode_is_a_zero_copy_view() -> None:
    data = encode_idx(np.arange(12, dtype=np.uint8).reshape(3, 4))
    view = decode_idx(data)
    assert view.base is not None and not view.flags.writeable
    assert view.shape == (3, 4)
