"""Atomic file creation, shared by checkpoints, IDX files and downloads.

The bytes go to a hidden temporary file in the destination's folder (same file
system, so the final rename is atomic), are flushed to disk with ``fsync``,
and only then is the file renamed over the destination with ``os.replace``
(atomic on POSIX and Windows). A failure at any point, Ctrl-C included,
leaves the destination as it was and removes the temporary file.

A process killed outright (SIGKILL, power loss) cannot remove its temporary
file; the next atomic write into that folder does: it removes every
temporary of this module's naming pattern whose writing process is no longer
running (POSIX), or that is older than `STALE_AFTER_SECONDS` (elsewhere).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "STALE_AFTER_SECONDS",
    "atomic_write",
    "remove_stale_temporaries",
    "temporary_name",
]

#: Where the liveness of a writing process cannot be checked, its temporary
#: file counts as stale after this many seconds.
STALE_AFTER_SECONDS = 24 * 3600
_TEMPORARY = re.compile(r"^\..+\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


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
    if not destination.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(destination)!r}: the folder {str(destination.parent)!r} "
            "does not exist"
        )
    remove_stale_temporaries(destination.parent)
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


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporaries (`temporary_name`) in ``folder`` left by writers
    that died; returns the paths removed. Files of other names are never touched."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY.match(name)
        path = folder / name
        if match and _writer_is_gone(int(match["pid"]), path):
            with suppress(OSError):
                os.unlink(path)
                removed.append(path)
    return removed


def _writer_is_gone(pid: int, path: Path) -> bool:
    if os.name == "posix":
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except OSError:  # exists, owned by someone else
            return False
        return False
    try:
        return time.time() - path.stat().st_mtime > STALE_AFTER_SECONDS
    except OSError:
        return False


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
