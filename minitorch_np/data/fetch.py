"""Finding a dataset file (or downloading it) and returning its verified payload.

Each file is described by a :class:`FileSpec` (its name and the SHA-256 of its
decompressed content); a :class:`DatasetSpec` groups the files of a dataset
by split with its download mirrors. Specs are plain data, so tests and users
can describe their own files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from minitorch_np._typing import PathLike
from minitorch_np._validation import check_bool, check_int, check_number
from minitorch_np.data.checksum import verify_sha256
from minitorch_np.data.download import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_TIMEOUT,
    MIRRORS_ENV,
    DownloadError,
    download_file,
    mirror_urls,
    resolve_mirrors,
)
from minitorch_np.data.idx import read_payload
from minitorch_np.data.locations import (
    DATA_ENV,
    Location,
    download_dir,
    search_locations,
)

__all__ = ["DatasetSpec", "FileSpec", "fetch_payload"]


@dataclass(frozen=True)
class FileSpec:
    """One file: ``filename`` as downloaded (e.g. ``train-images-idx3-ubyte.gz``),
    the hex SHA-256 of its decompressed content and, if known, ``size``: the
    number of bytes of that decompressed content.

    ``filename`` must be a plain file name (no path separator, not ``..``):
    it is joined to the data folder. ``size`` bounds what is read and
    downloaded (see `max_download_bytes`).
    """

    filename: str
    sha256: str
    size: int | None = None

    def __post_init__(self) -> None:
        check_plain_name("FileSpec", "filename", "file", self.filename)
        if self.size is not None:
            check_int("FileSpec", "size", self.size, low=1)

    @property
    def names(self) -> tuple[str, ...]:
        """Accepted names on disk: as given, and without ``.gz`` if it has it."""
        if self.filename.endswith(".gz"):
            return (self.filename, self.filename[: -len(".gz")])
        return (self.filename,)

    @property
    def max_download_bytes(self) -> int:
        """The most bytes a download of this file may have: ``size`` plus 1% and
        64 KiB (room for any gzip container of it), or `DEFAULT_MAX_DOWNLOAD_BYTES`
        when ``size`` is unknown."""
        if self.size is None:
            return DEFAULT_MAX_DOWNLOAD_BYTES
        return self.size + self.size // 100 + (64 << 10)


@dataclass(frozen=True, eq=False)
class DatasetSpec:
    """A dataset of IDX files: ``splits`` maps a split name to (images, labels).

    ``name`` must be a plain folder name (it is joined to the data folders).
    """

    name: str
    title: str
    splits: Mapping[str, tuple[FileSpec, FileSpec]]
    mirrors: tuple[str, ...] = ()
    image_shape: tuple[int, ...] = (28, 28)
    num_classes: int = 10

    def __post_init__(self) -> None:
        check_plain_name("DatasetSpec", "name", "folder", self.name)

    @property
    def files(self) -> list[FileSpec]:
        """All files of all splits, in split order."""
        return [f for pair in self.splits.values() for f in pair]


def check_plain_name(owner: str, argument: str, kind: str, name: object) -> str:
    """``name`` if it names an entry inside a folder (no separator, not ``.``
    or ``..``, no NUL), else ValueError: joined to a folder it could leave it."""
    separators = {"/", "\\", os.sep, os.altsep or "/"}
    if (
        not isinstance(name, str)
        or name in ("", ".", "..")
        or "\x00" in name
        or any(sep in name for sep in separators)
    ):
        raise ValueError(
            f"{owner}: expected {argument} to be a plain {kind} name (no path separator, "
            f"not '.' or '..'), got {name!r}"
        )
    return name


def _check_fetch_options(
    spec: DatasetSpec,
    download: object,
    mirrors: object,
    progress: object,
    timeout: object,
) -> None:
    """The loading options' types and ranges, checked before any file is
    looked for (errors start with the dataset's title)."""
    check_bool(spec.title, "download", download)
    check_bool(spec.title, "progress", progress)
    check_number(spec.title, "timeout", timeout, low=0.0, low_inclusive=False)
    if mirrors is None or isinstance(mirrors, str):
        return
    if not isinstance(mirrors, Sequence) or not all(
        isinstance(m, str) for m in mirrors
    ):
        raise TypeError(
            f"{spec.title}: expected mirrors to be a base URL, a list of base URLs "
            f"(strings) or None, got {mirrors!r}"
        )


def fetch_payload(
    spec: DatasetSpec,
    file: FileSpec,
    root: PathLike | None = None,
    *,
    download: bool = True,
    mirrors: Sequence[str] | str | None = None,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[bytes, str]:
    """(verified decompressed bytes, where they came from) for one file.

    Searches :func:`~minitorch_np.data.locations.search_locations` in order.
    A corrupt copy in a user-provided folder raises :class:`ChecksumError`;
    a corrupt copy in the download folder is replaced by a fresh download
    (if ``download``). Raises ``FileNotFoundError`` (``download=False``) or
    :class:`DownloadError` when no verified copy can be had.
    """
    _check_fetch_options(spec, download, mirrors, progress, timeout)
    target = download_dir(spec.name, root)
    locations = search_locations(spec.name, root)
    stale: ValueError | None = None
    for loc in locations:
        is_target = _same(loc.folder, target)
        for path in _existing(loc.folder, file):
            try:
                return _read_verified(path, file, _advice(loc, is_target)), str(path)
            except ValueError as err:
                if not (is_target and download):
                    raise
                stale = err
    if not download:
        raise FileNotFoundError(
            _guide(spec, file, locations, target, [], None, "was not found")
        )
    return _download(spec, file, locations, target, mirrors, progress, timeout, stale)


def _download(
    spec: DatasetSpec,
    file: FileSpec,
    locations: list[Location],
    target: Path,
    mirrors: Sequence[str] | str | None,
    progress: bool,
    timeout: float,
    stale: ValueError | None,
) -> tuple[bytes, str]:
    urls = mirror_urls(resolve_mirrors(mirrors, spec.mirrors), file.filename, spec.name)
    dest = target / file.filename
    if not urls:
        raise DownloadError(
            _guide(
                spec,
                file,
                locations,
                target,
                [],
                stale,
                "was not found and no download mirrors are configured",
            )
        )
    try:
        target.mkdir(parents=True, exist_ok=True)
        payload = download_file(
            urls,
            dest,
            lambda p: _read_verified(p, file, ""),
            timeout=timeout,
            progress=progress,
            max_bytes=file.max_download_bytes,
        )
    except DownloadError as err:
        raise DownloadError(
            _guide(spec, file, locations, target, err.attempts, stale), err.attempts
        ) from err
    except OSError as err:
        message = _guide(
            spec, file, locations, target, [], stale, f"could not be saved ({err})"
        )
        raise DownloadError(message) from err
    return payload, str(dest)


def _read_verified(path: Path, file: FileSpec, advice: str) -> bytes:
    payload = read_payload(path, max_bytes=file.size)
    verify_sha256(payload, file.sha256, str(path), advice)
    return payload


def _existing(folder: Path, file: FileSpec) -> list[Path]:
    return [folder / n for n in file.names if (folder / n).is_file()]


def _same(a: Path, b: Path) -> bool:
    return a.absolute() == b.absolute()


def _advice(loc: Location, is_target: bool) -> str:
    if is_target:
        return (
            "Delete it, or load with download=True to replace it by a fresh download."
        )
    return f"Replace it by a correct copy or remove it (this folder is searched as the {loc.origin})."


def _guide(
    spec: DatasetSpec,
    file: FileSpec,
    locations: list[Location],
    target: Path,
    attempts: Sequence[tuple[str, str]],
    stale: ValueError | None,
    problem: str = "was not found and could not be downloaded",
) -> str:
    """The full error text: what failed, where we looked, how to fix it by hand."""
    lines = [f"{spec.title} file {file.filename} {problem}."]
    if stale is not None:
        lines.append(f"The copy in the download folder is corrupt: {stale}")
    if attempts:
        lines.append("Tried these URLs:")
        lines += [f"  - {url}: {reason}" for url, reason in attempts]
    lines.append("Searched these folders, in order:")
    lines += [f"  - {loc.folder} ({loc.origin})" for loc in locations]
    lines.append(f"To install by hand, put these files (gzipped or not) into {target}:")
    lines += [f"  - {f.filename}" for f in spec.files]
    lines.append(
        f"or into <dir>/{spec.name}/ and set {DATA_ENV}=<dir> or pass root=<dir>. "
        f"Other mirrors can be given with mirrors=[...] or {MIRRORS_ENV}='<base-url> <base-url>' "
        f"('{{name}}' in a URL becomes '{spec.name}')."
    )
    return "\n".join(lines)
