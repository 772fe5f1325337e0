"""Downloading a file from a list of mirrors, verified, atomically.

A download streams into a hidden temporary file next to the destination,
checks it with a caller-supplied ``verify`` function and only then renames it
into place. On any failure (``KeyboardInterrupt`` included) the temporary
file is removed and nothing appears at the destination.
"""

from __future__ import annotations

import os
import re
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
_CHUNK = 1 << 20


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
) -> bytes:
    """Fetch ``dest`` from the first of ``urls`` that delivers a verified file.

    ``verify(temp_path)`` must return the file's decompressed payload or raise;
    its result is returned. Raises :class:`DownloadError` listing every URL
    and its failure when all fail. ``KeyboardInterrupt`` is not caught.
    """
    attempts: list[tuple[str, str]] = []
    for url in urls:
        try:
            return _download_one(url, dest, verify, timeout, progress)
        except Exception as err:  # noqa: BLE001 - any failure means: try the next mirror
            attempts.append((url, f"{type(err).__name__}: {err}"))
    tried = (
        "".join(f"\n  - {url}: {reason}" for url, reason in attempts)
        or "\n  (no mirrors configured)"
    )
    raise DownloadError(f"could not download {dest.name}; tried:{tried}", attempts)


def _download_one(
    url: str,
    dest: Path,
    verify: Callable[[Path], bytes],
    timeout: float,
    progress: bool,
) -> bytes:
    with atomic_write(dest) as (f, tmp):
        _stream(url, f, timeout, progress, desc=dest.name)
        f.flush()
        return verify(tmp)


def _stream(url: str, out: BinaryIO, timeout: float, progress: bool, desc: str) -> int:
    """Copy the body at ``url`` to ``out`` in chunks; raise if it ends short."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = _content_length(response)
        got = 0
        with tqdm(
            total=length,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=desc,
            disable=not progress,
        ) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                got += len(chunk)
                bar.update(len(chunk))
    if length is not None and got != length:
        raise OSError(f"connection closed after {got} of {length} bytes")
    return got


def _content_length(response: object) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value and value.isdigit() else None
