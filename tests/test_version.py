"""The version: one number, exposed as minitorch_np.__version__, installed as
the package metadata and listed as the latest release in CHANGELOG.md."""

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
