"""Writing and reading ``.npz`` archives without trusting the file.

Writing is atomic (`minitorch_np._atomic`). Reading checks every entry before
any data is read: it must be stored uncompressed (as ``np.savez`` writes it),
its ``.npy`` header must parse (at most 10000 bytes), hold no Python objects,
and declare exactly as many data bytes as the entry holds. So the arrays read
never take more memory than the file's size, whatever its headers claim, and
a caller can compare shapes and dtypes (`NpzReader.entries`) before reading.
A damaged file (a flipped bit is caught by the entry's CRC-32) raises
ValueError.
"""

from __future__ import annotations

import tokenize
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import numpy as np
from numpy.lib import format as npy

from minitorch_np._atomic import atomic_write

__all__ = ["NpzReader", "write_npz"]

MAX_HEADER_BYTES = 10000
#: dtype kinds an entry may hold: booleans, numbers and unicode text (whose
#: elements all take at least one byte).
_KINDS = "biufcU"
_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    EOFError,
    OSError,
    KeyError,
    SyntaxError,  # a malformed .npy header (numpy parses it as a literal)
    tokenize.TokenError,
    TypeError,
    RuntimeError,  # e.g. an entry marked encrypted
)


def write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """``np.savez`` into ``path``, atomically."""
    with atomic_write(path) as (file, _):
        # (numpy's stubs read **arrays as if it could hold allow_pickle: bool)
        np.savez(file, **arrays)  # type: ignore[arg-type]


class NpzReader:
    """``with NpzReader(path) as archive``: ``archive.entries`` maps each entry
    name (without ``.npy``) to its declared ``(shape, dtype)``;
    ``archive.read(name)`` reads one array. Every problem is a ValueError
    whose message says what is wrong (the caller adds the file name)."""

    def __init__(self, path: Path) -> None:
        if path.is_dir():
            raise ValueError("is a folder, not a checkpoint file")
        if path.is_file() and not zipfile.is_zipfile(path):
            raise ValueError("not a checkpoint (not an .npz archive)")
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            raise ValueError(f"the file is corrupt ({error})") from None
        try:
            self._size = path.stat().st_size
            self.entries = {
                info.filename[: -len(".npy")]: self._check_entry(info)
                for info in self._zip.infolist()
            }
            stored = sum(info.file_size for info in self._zip.infolist())
            if stored > self._size:
                raise ValueError(
                    f"the file is corrupt: its entries claim {stored} bytes, more than "
                    f"the file's {self._size}"
                )
        except BaseException:
            self._zip.close()
            raise

    def read(self, name: str) -> np.ndarray:
        """The array stored as ``name`` (its size was checked on opening)."""
        try:
            with self._zip.open(name + ".npy") as file:
                return npy.read_array(
                    file, allow_pickle=False, max_header_size=MAX_HEADER_BYTES
                )
        except _ERRORS as error:
            raise ValueError(f"the file is corrupt: entry {name!r}: {error}") from None

    def _check_entry(self, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
        name = info.filename
        if not name.endswith(".npy"):
            raise ValueError(f"unexpected entry {name!r} (not an .npy array)")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(
                f"entry {name!r} is compressed; checkpoints store arrays uncompressed "
                "(np.savez), so a small file cannot expand into a large one"
            )
        if info.flag_bits & 0x1:
            raise ValueError(f"entry {name!r} is encrypted; checkpoints are not")
        if info.compress_size != info.file_size or info.file_size > self._size:
            raise ValueError(
                f"the file is corrupt: entry {name!r} claims {info.file_size} bytes "
                f"({info.compress_size} stored) in a file of {self._size}"
            )
        try:
            with self._zip.open(info) as file:
                version = npy.read_magic(file)
                reader = (
                    npy.read_array_header_1_0
                    if version == (1, 0)
                    else npy.read_array_header_2_0
                )
                shape, _, dtype = reader(file, max_header_size=MAX_HEADER_BYTES)
                header_bytes = file.tell()
        except _ERRORS as error:
            raise ValueError(f"the file is corrupt: entry {name!r}: {error}") from None
        if dtype.hasobject:
            raise ValueError(
                f"entry {name!r} holds Python objects, which are never loaded"
            )
        if dtype.kind not in _KINDS or dtype.itemsize == 0:
            raise ValueError(
                f"entry {name!r} has dtype {dtype}; checkpoints hold numbers and text only"
            )
        data_bytes = dtype.itemsize
        for dim in shape:
            data_bytes *= dim
        if header_bytes + data_bytes != info.file_size:
            raise ValueError(
                f"the file is corrupt: entry {name!r} declares a {shape} {dtype} array "
                f"({data_bytes} bytes) but holds {info.file_size - header_bytes} bytes"
            )
        return tuple(shape), dtype

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
