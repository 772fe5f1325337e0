"""Release metadata: one version number, exposed as minitorch_np.__version__,
installed as the package metadata and listed as the latest release in
CHANGELOG.md; the py.typed marker."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import minitorch_np

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


def test_the_version_is_a_release_number() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", minitorch_np.__version__)


def test_the_installed_metadata_has_the_same_version() -> None:
    assert importlib.metadata.version("minitorch_np") == minitorch_np.__version__


def test_the_changelog_lists_the_version_as_its_latest_release() -> None:
    releases = re.findall(
        r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$",
        CHANGELOG.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert releases, "CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' release heading"
    assert releases[0] == minitorch_np.__version__


def test_the_py_typed_marker_ships_with_the_package() -> None:
    """PEP 561: the marker tells type checkers to use the package's hints; it
    must be in the package folder and listed as package data."""
    package = Path(minitorch_np.__file__).parent
    assert (package / "py.typed").is_file()
    setup_cfg = (CHANGELOG.parent / "setup.cfg").read_text(encoding="utf-8")
    assert re.search(
        r"^\[options\.package_data\]\nminitorch_np = py\.typed$", setup_cfg, re.M
    )
