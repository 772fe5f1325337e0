"""Atomic file creation, shared by checkpoints, IDX files and downloads.

The bytes go to a hidden temporary file in the destination's folder (same file
system, so the final rename is atomic), are flushed to disk with ``fsync``,
and only then is the file renamed over the destination with ``os.replace``
(atomic on POSIX and Windows). A failure at any point, Ctrl-C included,
leaves the destination as it was and removes the temporary file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "temporary_name"]


def temporary_name(destination: Path) -> Path:
    """A fresh hidden name next to ``destination``: ``.<name>.<pid>.<random>.tmp``."""
    return destination.with_name(
        f".{destination.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    )


@contextmanager
def atomic_write(destination: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield ``(file, temporary_path)``; on a clean exit the file becomes
    ``destination``.

    ``temporary_path`` lets the caller inspect what it wrote (e.g. verify a
    download) before the rename. The file gets the usual permissions (0o666
    minus the umask).
    """
    temporary = temporary_name(destination)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file, temporary
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, destination)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(destination.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be
    opened (Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
