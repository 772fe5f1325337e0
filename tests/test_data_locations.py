"""Where dataset files are found and which mirrors are used: the search order,
folders that are never written, and mirrors from the environment (the
fixtures are those of test_data_download.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from download_fixtures import (
    NAME,
    NAMES,
    Server,
    Tiny,
    assert_tiny,
    cache,
    listing,
    load,
)

from minitorch_np.data import download as download_module
from minitorch_np.data import (
    locations,
)
from minitorch_np.data.download import resolve_mirrors
from minitorch_np.data.fetch import fetch_payload

#: The fixtures tiny, isolated and server; every test runs `isolated`.
pytest_plugins = ("download_fixtures",)
pytestmark = pytest.mark.usefixtures("isolated")


# --- mirrors from the environment -----------------------------------------------------------


def test_mirrors_env_var_with_name_placeholder(
    tiny: Tiny, server: Server, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.serve(NAME, tiny.gz)
    monkeypatch.setenv(
        download_module.MIRRORS_ENV, f"{server.url('missing')}, {server.base}/{{name}}"
    )
    assert_tiny(tiny, load(tiny.spec))
    assert server.requests[:2] == [
        "/missing/train-images-idx3-ubyte.gz",
        "/tiny/train-images-idx3-ubyte.gz",
    ]


def test_resolve_mirrors_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_mirrors(None, ("d1", "d2")) == ["d1", "d2"]
    monkeypatch.setenv(download_module.MIRRORS_ENV, " a,b  c ,")
    assert resolve_mirrors(None, ("d1",)) == ["a", "b", "c"]
    assert resolve_mirrors(["x"], ("d1",)) == ["x"]
    assert resolve_mirrors("x y", ("d1",)) == ["x", "y"]


# --- where files are found ------------------------------------------------------------------


def source(tiny: Tiny, root: Path | None = None) -> str:
    file = tiny.spec.splits["train"][0]
    return fetch_payload(tiny.spec, file, root, download=False, progress=False)[1]


def test_search_order(
    tiny: Tiny, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, env, system = isolated / "root", isolated / "env", isolated / "system"
    monkeypatch.setenv(locations.DATA_ENV, str(env))
    tiny.put(system / NAME)
    assert source(tiny) == str(system / NAME / NAMES["train"][0])
    tiny.put(cache(isolated))
    assert source(tiny) == str(cache(isolated) / NAMES["train"][0])
    tiny.put(env / NAME)
    assert source(tiny) == str(env / NAME / NAMES["train"][0])
    tiny.put(root)
    assert source(tiny, root) == str(root / NAMES["train"][0])
    tiny.put(root / NAME)
    assert source(tiny, root) == str(root / NAME / NAMES["train"][0])


def test_uncompressed_files_are_accepted(tiny: Tiny, isolated: Path) -> None:
    folder = isolated / "root" / NAME
    folder.mkdir(parents=True)
    for name in NAMES["train"]:
        (folder / name.removesuffix(".gz")).write_bytes(gzip.decompress(tiny.gz[name]))
    assert_tiny(tiny, load(tiny.spec, root=isolated / "root", download=False))


def test_download_with_root_goes_to_root_subfolder(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    root = isolated / "root"
    assert_tiny(
        tiny,
        load(tiny.spec, "test", root=str(root), mirrors=[server.serve("m", tiny.gz)]),
        "test",
    )
    assert listing(root / NAME) == sorted(NAMES["test"])
    assert listing(cache(isolated)) == []


def test_read_only_folder_is_never_written(
    tiny: Tiny, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = isolated / "ro"
    tiny.put(data / NAME)
    for p in [data / NAME, data]:
        p.chmod(0o555)
    monkeypatch.setenv(locations.DATA_ENV, str(data))
    try:
        before = {p: p.stat().st_mtime_ns for p in (data / NAME).iterdir()}
        assert_tiny(tiny, load(tiny.spec, download=False))
        assert_tiny(tiny, load(tiny.spec, "test", download=False), "test")
        assert {p: p.stat().st_mtime_ns for p in (data / NAME).iterdir()} == before
        assert listing(cache(isolated)) == []
    finally:
        for p in [data, data / NAME]:
            p.chmod(0o755)
