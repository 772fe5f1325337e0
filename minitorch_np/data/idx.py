"""Reading and writing the IDX file format (the format of MNIST-style files).

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension and
the array data in C order, big-endian::

    magic = 0x00 0x00 <type code> <number of dimensions>

Files may be gzip-compressed; this is detected from the content (the gzip
signature ``1f 8b``), not from the file name.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import sys
import zlib
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np._atomic import atomic_write
from minitorch_np._typing import PathLike

__all__ = [
    "IDX_DTYPES",
    "decode_idx",
    "encode_idx",
    "idx_magic",
    "read_idx",
    "read_payload",
    "write_idx",
]

Source = Union[PathLike, BinaryIO]  # noqa: UP007 - runtime alias, Python 3.9 has no X | Y

#: IDX type code -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_DIMS = 4
#: Reading proceeds in chunks of this many (decompressed) bytes.
CHUNK_BYTES = 1 << 20
#: How far past the declared end a file is read to report its true size.
LOOKAHEAD_BYTES = 4096
#: The most that deflate (gzip) can expand: 1032 bytes out per byte in (zlib's
#: documented limit), so n stored bytes never hold more than 1032 n.
MAX_GZIP_EXPANSION = 1032
_GZIP_SIGNATURE = b"\x1f\x8b"


def idx_magic(dtype: DTypeLike, ndim: int) -> int:
    """The IDX magic number (as an int) of an array with this dtype and ndim."""
    return (_type_code(np.dtype(dtype)) << 8) | ndim


def read_idx(source: Source, *, magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a native-endian array.

    ``source`` is a path or a binary file object (a text stream raises
    TypeError). If ``magic`` is given, the file must have exactly that magic
    number (e.g. ``0x00000803`` for a 3-D uint8 array). The result has the
    shape stored in the file (1 to 4 dims) and is writable. Every problem
    raises ``ValueError`` naming the file. Memory is bounded: see `read_payload`.
    """
    name = _source_name(source)
    array = decode_idx(read_payload(source), name, magic=magic)
    return _writable_native(array)


def read_payload(source: Source, *, max_bytes: int | None = None) -> bytes:
    """The decompressed bytes of a file (gunzipped if gzip, else as stored),
    read in chunks of `CHUNK_BYTES` and never much past the size they declare.

    For IDX content the header declares the size; reading stops within
    `LOOKAHEAD_BYTES` past it and a longer file raises ValueError ("trailing
    bytes"), so a small gzip file cannot expand into unbounded memory, and a
    header declaring more than the file holds costs only what is there. A
    gzip file (a path or a seekable file object) whose header declares more
    than its stored bytes can expand to (`MAX_GZIP_EXPANSION`) is refused
    before its payload is read.
    ``max_bytes`` (the known size of the file, e.g. from a dataset spec) is a
    second bound: content past it raises ValueError. gzip content that is
    not IDX is refused unless ``max_bytes`` is given.
    """
    name = _source_name(source)
    with _opened(source, name) as raw:
        stored = _stored_bytes(raw)
        head = raw.read(2)
        if isinstance(head, str):
            raise _text_stream_error(name)
        compressed = head == _GZIP_SIGNATURE
        stream: BinaryIO = raw
        if compressed:
            stream = gzip.GzipFile(fileobj=_Rewound(head, raw), mode="rb")  # type: ignore[call-overload]
            head = b""
        try:
            expands_to = None
            if compressed and stored is not None:
                expands_to = MAX_GZIP_EXPANSION * stored
            return _read_bounded(stream, head, name, compressed, max_bytes, expands_to)
        except (OSError, EOFError, zlib.error) as err:
            if not compressed:
                raise
            raise ValueError(f"{name}: corrupt gzip data ({err})") from None


def decode_idx(
    data: bytes, source: str = "<bytes>", *, magic: int | None = None, what: str = ""
) -> np.ndarray:
    """Parse IDX bytes into an array viewing ``data`` (big-endian, read-only).

    ``source`` names the data in error messages; ``what`` (e.g. "images")
    is added to the message of a wrong ``magic``. No copy is made.
    """
    dtype, shape, offset = _parse_header(data, source)
    found = struct.unpack_from(">I", data)[0]
    if magic is not None and found != magic:
        label = f" for {what}" if what else ""
        raise ValueError(
            f"{source}: bad magic 0x{found:08X}, expected 0x{magic:08X}{label}"
        )
    expected = _payload_bytes(dtype, shape, source)
    got = len(data) - offset
    if got != expected:
        raise _size_error(source, dtype, shape, expected, str(got))
    return np.frombuffer(
        data, dtype=dtype, count=expected // dtype.itemsize, offset=offset
    ).reshape(shape)


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes (header + big-endian C-order data) of an array with 1-4 dims."""
    array = np.asarray(array)
    if not 1 <= array.ndim <= MAX_DIMS:
        raise ValueError(
            f"array: IDX stores 1 to {MAX_DIMS} dimensions, got ndim={array.ndim}"
        )
    code = _type_code(array.dtype)
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(
            f"array: IDX dimensions must be < 2**32, got shape {array.shape}"
        )
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    return header + body


def write_idx(
    target: Source, array: np.ndarray, *, compress: bool | None = None
) -> None:
    """Write ``array`` (1-4 dims, dtype uint8/int8/int16/int32/float32/float64) as IDX.

    ``target`` is a path or a binary file object. ``compress=None`` gzips when
    a path ends in ``.gz`` (never for file objects). A path is written
    atomically: a temporary file in the same folder, then renamed into place.
    """
    data = encode_idx(array)
    is_path = isinstance(target, (str, os.PathLike))
    if compress is None:
        compress = is_path and str(target).endswith(".gz")
    if compress:
        data = gzip.compress(data, compresslevel=6, mtime=0)
    if not is_path:
        target.write(data)  # type: ignore[union-attr]
        return
    with atomic_write(Path(target)) as (f, _):  # type: ignore[arg-type]
        f.write(data)


def _parse_header(data: bytes, source: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """(big-endian dtype, shape, payload offset) from the IDX header in ``data``."""
    if len(data) < 4:
        raise ValueError(
            f"{source}: too short for an IDX header: {len(data)} bytes, need at least 4"
        )
    zero0, zero1, code, ndim = data[:4]
    if zero0 or zero1:
        raise ValueError(
            f"{source}: bad magic 0x{struct.unpack_from('>I', data)[0]:08X}: "
            "the first two bytes of an IDX file must be zero (expected "
            "0x0000TTDD: type code TT, DD dimensions; not an IDX file?)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} ({d.name})" for c, d in IDX_DTYPES.items())
        raise ValueError(
            f"{source}: unknown IDX type code 0x{code:02X}; known codes: {known}"
        )
    if not 1 <= ndim <= MAX_DIMS:
        raise ValueError(
            f"{source}: IDX number of dimensions must be 1 to {MAX_DIMS}, got {ndim}"
        )
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise ValueError(
            f"{source}: header truncated: {ndim} dimensions need {offset} header bytes, got {len(data)}"
        )
    shape = struct.unpack_from(f">{ndim}I", data, 4)
    return IDX_DTYPES[code], tuple(int(d) for d in shape), offset


def _payload_bytes(dtype: np.dtype, shape: tuple[int, ...], source: str) -> int:
    """prod(shape) * itemsize, exactly (Python ints); refused past what numpy
    can address."""
    total = dtype.itemsize
    for dim in shape:
        total *= dim
    if total > sys.maxsize:
        dims = " x ".join(map(str, shape))
        raise ValueError(
            f"{source}: dimensions {dims} of {dtype.name} declare {total} payload bytes, "
            f"more than an array can hold ({sys.maxsize}); the header is corrupt"
        )
    return total


def _size_error(
    source: str, dtype: np.dtype, shape: tuple[int, ...], expected: int, got: str
) -> ValueError:
    detail = "truncated" if got.isdigit() and int(got) < expected else "trailing bytes"
    dims = " x ".join(map(str, shape))
    return ValueError(
        f"{source}: expected {expected} payload bytes for a {dims} {dtype.name} array, "
        f"got {got} ({detail})"
    )


def _read_bounded(
    stream: BinaryIO,
    head: bytes,
    name: str,
    compressed: bool,
    max_bytes: int | None,
    expands_to: int | None = None,
) -> bytes:
    """The content of ``stream`` (``head`` already read from it), read no
    further than `LOOKAHEAD_BYTES` past the size its IDX header (or
    ``max_bytes``) declares. ``expands_to``: the most that compressed content
    can decompress to, when known; a header declaring more is refused before
    the payload is read."""
    data = bytearray(head)
    data += _read_up_to(stream, 4 - len(data))
    if len(data) == 4 and data[0] == data[1] == 0:
        data += _read_up_to(stream, 4 * data[3] if data[3] <= MAX_DIMS else 0)
    try:
        dtype, shape, offset = _parse_header(bytes(data), name)
    except ValueError:
        if max_bytes is None and compressed:
            raise
        limit = max_bytes  # a raw file is bounded by its size on disk
        declared = None
    else:
        declared = _payload_bytes(dtype, shape, name)
        limit = offset + declared
        array = f"{' x '.join(map(str, shape))} {dtype.name} array"
        if max_bytes is not None and limit > max_bytes:
            raise ValueError(
                f"{name}: declares {declared} payload bytes for a {array}, but the "
                f"file is known to hold at most {max_bytes - offset}"
            ) from None
        if expands_to is not None and limit > expands_to:
            raise ValueError(
                f"{name}: declares {declared} payload bytes for a {array}, but its "
                f"{expands_to // MAX_GZIP_EXPANSION} bytes of gzip data expand to at most "
                f"{expands_to} (deflate's limit is {MAX_GZIP_EXPANSION} to 1): the file is "
                "truncated or its header is corrupt"
            ) from None
    data += _read_up_to(stream, None if limit is None else limit - len(data))
    extra = _read_up_to(stream, LOOKAHEAD_BYTES) if limit is not None else b""
    if extra:
        more = "" if len(extra) < LOOKAHEAD_BYTES else "more than "
        if declared is None:
            raise ValueError(
                f"{name}: larger than the {max_bytes} bytes the file is known to hold"
            )
        raise _size_error(
            name, dtype, shape, declared, f"{more}{len(data) + len(extra) - offset}"
        )
    return bytes(data)


def _stored_bytes(raw: BinaryIO) -> int | None:
    """The bytes from the current position to the end of a seekable file
    object (None for a stream that cannot seek)."""
    try:
        if not raw.seekable():
            return None
        start = raw.tell()
        end = raw.seek(0, io.SEEK_END)
        raw.seek(start)
    except (OSError, AttributeError, ValueError):
        return None
    return max(0, end - start)


def _read_up_to(stream: BinaryIO, count: int | None) -> bytes:
    """Up to ``count`` bytes (all, if None), in chunks of `CHUNK_BYTES`."""
    parts = bytearray()
    while count is None or len(parts) < count:
        want = CHUNK_BYTES if count is None else min(CHUNK_BYTES, count - len(parts))
        chunk = stream.read(want)
        if isinstance(chunk, str):
            raise _text_stream_error(_source_name(stream))
        if not chunk:
            break
        parts += chunk
    return bytes(parts)


class _opened:
    """``with _opened(source, name) as f``: a path opened for binary reading
    (and closed after), or the caller's file object as is."""

    def __init__(self, source: Source, name: str) -> None:
        if isinstance(source, io.TextIOBase):
            raise _text_stream_error(name)
        self.source = source
        self.file: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        if isinstance(self.source, (str, os.PathLike)):
            self.file = open(self.source, "rb")  # noqa: SIM115 - closed in __exit__
            return self.file
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


class _Rewound:
    """A binary stream with bytes already read from it put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(size)
        if size is None or size < 0:
            data, self.head = self.head + self.rest.read(), b""
            return data
        data, self.head = self.head[:size], self.head[size:]
        return data + (self.rest.read(size - len(data)) if size > len(data) else b"")


def _text_stream_error(name: str) -> TypeError:
    return TypeError(
        f"{name}: IDX data is binary: a binary file is needed, got a text stream; "
        "open it with open(path, 'rb')"
    )


def _type_code(dtype: np.dtype) -> int:
    for code, idx_dtype in IDX_DTYPES.items():
        if dtype.kind == idx_dtype.kind and dtype.itemsize == idx_dtype.itemsize:
            return code
    supported = ", ".join(d.name for d in IDX_DTYPES.values())
    raise ValueError(
        f"array: dtype {dtype} cannot be stored in IDX; supported: {supported}"
    )


def _writable_native(array: np.ndarray) -> np.ndarray:
    """A writable native-endian copy of an array viewing read-only bytes."""
    return array.astype(array.dtype.newbyteorder("="), copy=True)


def _source_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", None) or repr(source))
