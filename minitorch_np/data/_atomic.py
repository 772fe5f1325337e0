"""Atomic file creation: write to a temporary file, then rename into place."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "temp_name"]


def temp_name(dest: Path) -> Path:
    """A fresh hidden temporary name next to ``dest`` (same folder, same file system)."""
    return dest.with_name(f".{dest.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")


@contextmanager
def atomic_write(dest: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield ``(file, temp_path)``; on a clean exit the temp file becomes ``dest``.

    On any exception (``KeyboardInterrupt`` included) the temporary file is
    removed and ``dest`` is left untouched. The file gets the usual
    permissions (0o666 minus the umask).
    """
    tmp = temp_name(dest)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, tmp
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
