"""Where dataset files are looked for, and where downloads go.

Search order for a dataset called ``<name>`` (e.g. ``mnist``):

1. ``root/<name>/`` then ``root/`` itself, if a ``root`` argument is given;
2. ``$MINITORCH_NP_DATA/<name>/``;
3. the user cache ``$XDG_CACHE_HOME/minitorch_np/<name>/``
   (``~/.cache/minitorch_np/<name>/`` when ``XDG_CACHE_HOME`` is unset);
4. the system folder ``/usr/share/datasets/<name>/``.

Downloads go to ``root/<name>/`` if ``root`` is given, else to the user cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from minitorch_np._typing import PathLike

__all__ = [
    "DATA_ENV",
    "SYSTEM_DATA_DIR",
    "Location",
    "download_dir",
    "search_locations",
    "user_cache_dir",
]

#: Environment variable naming a data folder with one subfolder per dataset.
DATA_ENV = "MINITORCH_NP_DATA"
#: Where Debian's dataset packages install (e.g. dataset-fashion-mnist).
SYSTEM_DATA_DIR = Path("/usr/share/datasets")


@dataclass(frozen=True)
class Location:
    """A folder that may hold the dataset's files; ``origin`` says why it is searched."""

    folder: Path
    origin: str


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/minitorch_np`` (if absolute), else ``~/.cache/minitorch_np``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "minitorch_np"


def download_dir(name: str, root: PathLike | None = None) -> Path:
    """The folder downloads of dataset ``name`` go to: ``root/<name>`` or the user cache."""
    base = Path(root).expanduser() if root is not None else user_cache_dir()
    return base / name


def search_locations(name: str, root: PathLike | None = None) -> list[Location]:
    """The folders searched for dataset ``name``, in order, without duplicates."""
    found: list[Location] = []
    if root is not None:
        root_path = Path(root).expanduser()
        found += [
            Location(root_path / name, "root argument"),
            Location(root_path, "root argument"),
        ]
    env = os.environ.get(DATA_ENV, "")
    if env:
        found.append(Location(Path(env).expanduser() / name, f"${DATA_ENV}"))
    found.append(Location(user_cache_dir() / name, "user cache"))
    found.append(Location(SYSTEM_DATA_DIR / name, "system folder"))
    return _unique(found)


def _unique(locations: list[Location]) -> list[Location]:
    seen: set[Path] = set()
    unique = []
    for loc in locations:
        key = loc.folder.absolute()
        if key not in seen:
            seen.add(key)
            unique.append(loc)
    return unique
