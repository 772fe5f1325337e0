"""Reading and writing the IDX file format (the format of MNIST-style files).

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension and
the array data in C order, big-endian::

    magic = 0x00 0x00 <type code> <number of dimensions>

Files may be gzip-compressed; this is detected from the content (the gzip
signature ``1f 8b``), not from the file name.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np._atomic import atomic_write

__all__ = [
    "IDX_DTYPES",
    "decode_idx",
    "encode_idx",
    "idx_magic",
    "read_idx",
    "read_payload",
    "write_idx",
]

PathLike = Union[str, "os.PathLike[str]"]
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
_GZIP_SIGNATURE = b"\x1f\x8b"


def idx_magic(dtype: DTypeLike, ndim: int) -> int:
    """The IDX magic number (as an int) of an array with this dtype and ndim."""
    return (_type_code(np.dtype(dtype)) << 8) | ndim


def read_idx(source: Source, *, magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a native-endian array.

    ``source`` is a path or a binary file object. If ``magic`` is given, the
    file must have exactly that magic number (e.g. ``0x00000803`` for a 3-D
    uint8 array). The result has the shape stored in the file (1 to 4 dims)
    and is writable. Every problem raises ``ValueError`` naming the file.
    """
    name = _source_name(source)
    array = decode_idx(read_payload(source), name, magic=magic)
    return _writable_native(array)


def read_payload(source: Source) -> bytes:
    """The decompressed bytes of a file: gunzipped if gzip, else as stored."""
    name = _source_name(source)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            data = f.read()
    else:
        data = source.read()
    if not data.startswith(_GZIP_SIGNATURE):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
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
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(data) - offset
    if got != expected:
        detail = "truncated" if got < expected else "trailing bytes"
        dims = " x ".join(map(str, shape))
        raise ValueError(
            f"{source}: expected {expected} payload bytes for a {dims} {dtype.name} array, "
            f"got {got} ({detail})"
        )
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
            "the first two bytes of an IDX file must be zero (not an IDX file?)"
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
