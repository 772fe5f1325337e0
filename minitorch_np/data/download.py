"""Downloading a file from a list of mirrors, verified, atomically.

A download streams into a hidden temporary file next to the destination,
checks it with a caller-supplied ``verify`` function and only then renames it
into place. On any failure (``KeyboardInterrupt`` included) the temporary
file is removed and nothing appears at the destination.

Every download is bounded: it stops with an error at the first chunk past
``max_bytes`` (or as soon as the server announces a longer body), every
network operation waits at most ``timeout`` seconds, and the whole file must
arrive within ``deadline`` seconds (checked after every read, so a server
trickling bytes cannot hold it forever).
"""

from __future__ import annotations

import os
import re
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from minitorch_np._atomic import atomic_write

__all__ = [
    "MIRRORS_ENV",
    "DownloadError",
    "download_file",
    "mirror_urls",
    "resolve_mirrors",
]

#: Environment variable overriding the default mirrors: base URLs separated by
#: commas and/or whitespace. ``{name}`` in a URL is replaced by the dataset name.
MIRRORS_ENV = "MINITORCH_NP_MIRRORS"
DEFAULT_TIMEOUT = 30.0
#: Seconds a whole file may take to arrive (on top of the per-read timeout).
DEFAULT_DEADLINE = 900.0
#: The size bound of a download whose expected size is unknown.
DEFAULT_MAX_DOWNLOAD_BYTES = 1 << 30
_CHUNK = 1 << 16


class DownloadError(OSError):
    """No source could deliver a verified file.

    ``attempts`` lists ``(url, reason)`` for every URL that was tried.
    """

    def __init__(self, message: str, attempts: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.attempts = list(attempts)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[type, tuple[str, list[tuple[str, str]]]]:
        return (type(self), (str(self), self.attempts))


def resolve_mirrors(
    mirrors: Sequence[str] | str | None, defaults: Sequence[str]
) -> list[str]:
    """Mirror base URLs: the argument, else ``$MINITORCH_NP_MIRRORS``, else ``defaults``."""
    if mirrors is None:
        mirrors = os.environ.get(MIRRORS_ENV, "").strip() or list(defaults)
    if isinstance(mirrors, str):
        mirrors = [m for m in re.split(r"[,\s]+", mirrors) if m]
    return list(mirrors)


def mirror_urls(bases: Sequence[str], filename: str, name: str) -> list[str]:
    """Full URLs of ``filename`` under each base URL (``{name}`` -> dataset name)."""
    return [base.replace("{name}", name).rstrip("/") + "/" + filename for base in bases]


def download_file(
    urls: Sequence[str],
    dest: Path,
    verify: Callable[[Path], bytes],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    progress: bool = True,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    deadline: float | None = None,
) -> bytes:
    """Fetch ``dest`` from the first of ``urls`` that delivers a verified file.

    ``verify(temp_path)`` must return the file's decompressed payload or raise;
    its result is returned. A body longer than ``max_bytes``, a read waiting
    more than ``timeout`` seconds and a file taking more than ``deadline``
    seconds (default `DEFAULT_DEADLINE`) count as failures of that URL.
    Raises :class:`DownloadError` listing every URL and its failure when all
    fail. ``KeyboardInterrupt`` is not caught.
    """
    limits = _Limits(
        max_bytes, timeout, DEFAULT_DEADLINE if deadline is None else deadline
    )
    attempts: list[tuple[str, str]] = []
    for url in urls:
        try:
            return _download_one(url, dest, verify, limits, progress)
        except Exception as err:  # noqa: BLE001 - any failure means: try the next mirror
            attempts.append((url, f"{type(err).__name__}: {err}"))
    tried = (
        "".join(f"\n  - {url}: {reason}" for url, reason in attempts)
        or "\n  (no mirrors configured)"
    )
    raise DownloadError(f"could not download {dest.name}; tried:{tried}", attempts)


class _Limits:
    """How long and how much one download may take."""

    def __init__(self, max_bytes: int, timeout: float, deadline: float) -> None:
        self.max_bytes, self.timeout, self.deadline = max_bytes, timeout, deadline


def _download_one(
    url: str,
    dest: Path,
    verify: Callable[[Path], bytes],
    limits: _Limits,
    progress: bool,
) -> bytes:
    with atomic_write(dest) as (f, tmp):
        _stream(url, f, limits, progress, desc=dest.name)
        f.flush()
        return verify(tmp)


def _stream(url: str, out: BinaryIO, limits: _Limits, progress: bool, desc: str) -> int:
    """Copy the body at ``url`` to ``out`` in chunks; raise if it ends short,
    runs past ``limits.max_bytes`` or past the deadline."""
    give_up_at = time.monotonic() + limits.deadline
    with urllib.request.urlopen(url, timeout=limits.timeout) as response:
        length = _content_length(response)
        if length is not None and length > limits.max_bytes:
            raise OSError(
                f"the server announces {length} bytes, more than the "
                f"{limits.max_bytes} bytes expected"
            )
        got = 0
        with tqdm(
            total=length,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=desc,
            disable=not progress,
        ) as bar:
            while chunk := response.read1(_CHUNK):
                got += len(chunk)
                if got > limits.max_bytes:
                    raise OSError(
                        f"the body is more than the {limits.max_bytes} bytes expected; stopped"
                    )
                if time.monotonic() > give_up_at:
                    raise TimeoutError(
                        f"the download exceeded its deadline of {limits.deadline:g} s "
                        f"({got} bytes received)"
                    )
                out.write(chunk)
                bar.update(len(chunk))
    if length is not None and got != length:
        raise OSError(f"connection closed after {got} of {length} bytes")
    return got


def _content_length(response: object) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value and value.isdigit() else None
