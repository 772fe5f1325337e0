"""Finding, verifying and downloading dataset files, against a real HTTP server on 127.0.0.1.

The files are tiny synthetic IDX files described by their own DatasetSpec
(names + SHA-256), so nothing here needs the real 50 MB datasets or internet.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from minitorch_np.data import (
    ChecksumError,
    DatasetSpec,
    DownloadError,
    FileSpec,
    load_idx_dataset,
    locations,
)
from minitorch_np.data import download as download_module
from minitorch_np.data.download import resolve_mirrors
from minitorch_np.data.fetch import fetch_payload
from minitorch_np.data.idx import encode_idx

NAME = "tiny"
NAMES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


# --- a tiny MNIST-like dataset --------------------------------------------------------------


@dataclass
class Tiny:
    spec: DatasetSpec
    arrays: dict[str, np.ndarray]  # file name -> array
    gz: dict[str, bytes]  # file name -> gzip bytes

    def put(self, folder: Path, *names: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in names or self.gz:
            (folder / name).write_bytes(self.gz[name])


def make_tiny() -> Tiny:
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in [("train", 7), ("test", 3)]:
        images, labels = NAMES[split]
        arrays[images] = rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8)
        arrays[labels] = rng.integers(0, 10, size=n, dtype=np.uint8)
    raw = {name: encode_idx(a) for name, a in arrays.items()}
    gz = {name: gzip.compress(data) for name, data in raw.items()}
    files = {
        name: FileSpec(name, hashlib.sha256(data).hexdigest())
        for name, data in raw.items()
    }
    splits = {
        split: (files[images], files[labels])
        for split, (images, labels) in NAMES.items()
    }
    spec = DatasetSpec(NAME, "Tiny", splits, mirrors=(), image_shape=(4, 4))
    return Tiny(spec, arrays, gz)


@pytest.fixture
def tiny() -> Tiny:
    return make_tiny()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real env vars, cache or system folder: all under tmp_path."""
    monkeypatch.delenv(locations.DATA_ENV, raising=False)
    monkeypatch.delenv(download_module.MIRRORS_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(locations, "SYSTEM_DATA_DIR", tmp_path / "system")
    return tmp_path


def cache(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "minitorch_np" / NAME


def load(
    spec: DatasetSpec, split: str = "train", **kwargs: object
) -> tuple[np.ndarray, np.ndarray]:
    kwargs.setdefault("progress", False)
    kwargs.setdefault("timeout", 5)
    return load_idx_dataset(spec, split, dtype=np.uint8, flatten=False, **kwargs)  # type: ignore[arg-type]


def assert_tiny(
    tiny: Tiny, xy: tuple[np.ndarray, np.ndarray], split: str = "train"
) -> None:
    images, labels = NAMES[split]
    np.testing.assert_array_equal(xy[0], tiny.arrays[images][:, None])  # NCHW
    np.testing.assert_array_equal(xy[1], tiny.arrays[labels])


def listing(folder: Path) -> list[str]:
    """Every entry in folder, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- a real HTTP server ---------------------------------------------------------------------


@dataclass
class Server:
    base: str
    routes: dict[str, tuple[str, bytes]] = field(
        default_factory=dict
    )  # path -> (mode, body)
    requests: list[str] = field(default_factory=list)

    def url(self, prefix: str) -> str:
        return f"{self.base}/{prefix}/"

    def serve(self, prefix: str, files: dict[str, bytes], mode: str = "ok") -> str:
        """Serve ``files`` under /prefix/; mode: ok | truncated | hangup (close half way)."""
        for name, body in files.items():
            self.routes[f"/{prefix}/{name}"] = (mode, body)
        return self.url(prefix)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server calls it by this name
            server.requests.append(self.path)
            mode, body = server.routes.get(self.path, ("missing", b""))
            if mode == "missing":
                self.send_error(404)
                return
            sent = body[: len(body) // 2] if mode in ("truncated", "hangup") else body
            self.send_response(200)
            self.send_header(
                "Content-Length", str(len(body) if mode == "hangup" else len(sent))
            )
            self.end_headers()
            self.wfile.write(sent)
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up on purpose are not errors here


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="")
    httpd = QuietServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nothing/"


# --- downloading ----------------------------------------------------------------------------


def test_download_into_user_cache_then_load_offline(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    url = server.serve("m1", tiny.gz)
    assert_tiny(tiny, load(tiny.spec, mirrors=[url]))
    assert listing(cache(isolated)) == sorted(NAMES["train"])
    served = len(server.requests)
    assert_tiny(tiny, load(tiny.spec, mirrors=[url]))
    assert len(server.requests) == served  # second load reads the cache


def test_first_mirror_404_falls_back_to_second(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    good = server.serve("good", tiny.gz)
    assert_tiny(
        tiny, load(tiny.spec, "test", mirrors=[server.url("missing"), good]), "test"
    )
    assert server.requests[:2] == [
        "/missing/t10k-images-idx3-ubyte.gz",
        "/good/t10k-images-idx3-ubyte.gz",
    ]


@pytest.mark.parametrize("mode", ["truncated", "hangup"])
def test_bad_bytes_from_first_mirror_fall_back(
    tiny: Tiny, server: Server, isolated: Path, mode: str
) -> None:
    bad = server.serve("bad", tiny.gz, mode=mode)
    good = server.serve("good", tiny.gz)
    assert_tiny(tiny, load(tiny.spec, mirrors=[bad, good]))
    assert listing(cache(isolated)) == sorted(NAMES["train"])  # no temporary files left


def test_hangup_mid_stream_leaves_nothing(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    url = server.serve("m", tiny.gz, mode="hangup")
    with pytest.raises(
        DownloadError, match=r"connection closed after \d+ of \d+ bytes"
    ):
        load(tiny.spec, mirrors=[url])
    assert listing(cache(isolated)) == []


def test_truncated_download_reports_corrupt_gzip(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    url = server.serve("m", tiny.gz, mode="truncated")
    with pytest.raises(DownloadError, match=r"corrupt gzip data"):
        load(tiny.spec, mirrors=[url])
    assert listing(cache(isolated)) == []


def test_wrong_content_from_mirror_is_refused(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    swapped = {name: tiny.gz[NAMES["test"][i]] for i, name in enumerate(NAMES["train"])}
    url = server.serve("m", swapped)
    with pytest.raises(
        DownloadError, match=r"ChecksumError: .*SHA-256 of the decompressed payload is"
    ):
        load(tiny.spec, mirrors=[url])
    assert listing(cache(isolated)) == []


def test_keyboard_interrupt_mid_stream_leaves_nothing(
    tiny: Tiny, server: Server, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class InterruptingBar:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def __enter__(self) -> InterruptingBar:  # noqa: PYI034 - a stand-in, not a base class
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def update(self, n: int) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(download_module, "tqdm", InterruptingBar)
    url = server.serve("m", tiny.gz)
    with pytest.raises(KeyboardInterrupt):
        load(tiny.spec, mirrors=[url, server.serve("other", tiny.gz)])
    assert listing(cache(isolated)) == []
    assert server.requests == [
        "/m/train-images-idx3-ubyte.gz"
    ]  # not swallowed: no next mirror


def test_corrupt_file_in_cache_is_replaced_by_fresh_download(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    folder = cache(isolated)
    tiny.put(folder, *NAMES["train"])
    images = folder / NAMES["train"][0]
    images.write_bytes(
        gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
    )  # valid IDX, wrong content
    url = server.serve("m", tiny.gz)
    assert_tiny(tiny, load(tiny.spec, mirrors=[url]))
    assert images.read_bytes() == tiny.gz[images.name]
    assert server.requests == [
        f"/m/{images.name}"
    ]  # only the corrupt file was fetched again


def test_corrupt_file_in_cache_without_download_raises(
    tiny: Tiny, isolated: Path
) -> None:
    folder = cache(isolated)
    tiny.put(folder, *NAMES["train"])
    (folder / NAMES["train"][1]).write_bytes(b"not gzip, not idx")
    with pytest.raises(ChecksumError, match=r"download=True to replace it"):
        load(tiny.spec, download=False)


def test_corrupt_cache_and_offline_mentions_both(tiny: Tiny, isolated: Path) -> None:
    folder = cache(isolated)
    tiny.put(folder, *NAMES["train"])
    (folder / NAMES["train"][0]).write_bytes(gzip.compress(b"junk"))
    with pytest.raises(
        DownloadError,
        match=r"(?s)download folder is corrupt: .*expected .*Tried these URLs",
    ):
        load(tiny.spec, mirrors=[closed_port_url()])


def test_corrupt_file_in_user_folder_raises_and_is_kept(
    tiny: Tiny, server: Server, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = isolated / "shared"
    tiny.put(data / NAME)
    bad = data / NAME / NAMES["train"][0]
    bad.write_bytes(gzip.compress(encode_idx(np.zeros((7, 4, 4), np.uint8))))
    monkeypatch.setenv(locations.DATA_ENV, str(data))
    expected = tiny.spec.splits["train"][0].sha256
    actual = hashlib.sha256(encode_idx(np.zeros((7, 4, 4), np.uint8))).hexdigest()
    with pytest.raises(ChecksumError) as info:
        load(tiny.spec, mirrors=[server.serve("m", tiny.gz)])
    message = str(info.value)
    assert str(bad) in message and expected in message and actual in message
    assert (
        "Replace it by a correct copy or remove it" in message
        and "$MINITORCH_NP_DATA" in message
    )
    assert bad.exists() and server.requests == []


def test_all_mirrors_fail_lists_every_url_folder_and_file(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    urls = [server.url("missing"), closed_port_url()]
    with pytest.raises(DownloadError) as info:
        load(tiny.spec, mirrors=urls)
    err = info.value
    message = str(err)
    assert isinstance(err, OSError)
    assert [url for url, _ in err.attempts] == [u + NAMES["train"][0] for u in urls]
    for url in urls:
        assert url + NAMES["train"][0] in message
    assert "HTTP Error 404" in message and "URLError" in message
    for loc in locations.search_locations(NAME):
        assert str(loc.folder) in message
    for name in [*NAMES["train"], *NAMES["test"]]:
        assert name in message
    assert "MINITORCH_NP_DATA" in message and "MINITORCH_NP_MIRRORS" in message
    assert listing(cache(isolated)) == []


def test_errors_survive_pickling() -> None:
    import pickle

    checksum = pickle.loads(
        pickle.dumps(ChecksumError("f.gz", "a" * 64, "b" * 64, "Fix it."))
    )
    assert (checksum.source, checksum.expected, checksum.actual) == (
        "f.gz",
        "a" * 64,
        "b" * 64,
    )
    assert str(checksum).endswith("Fix it.")
    download = pickle.loads(pickle.dumps(DownloadError("nope", [("u", "r")])))
    assert str(download) == "nope" and download.attempts == [("u", "r")]


def test_no_mirrors_at_all(tiny: Tiny, isolated: Path) -> None:
    with pytest.raises(DownloadError, match=r"no download mirrors are configured"):
        load(tiny.spec, mirrors=[])


def test_download_false_missing_file_is_file_not_found(
    tiny: Tiny, isolated: Path
) -> None:
    with pytest.raises(
        FileNotFoundError, match=r"(?s)was not found.*Searched these folders"
    ):
        load(tiny.spec, download=False)


def test_unwritable_download_folder_is_a_download_error(
    tiny: Tiny, server: Server, isolated: Path
) -> None:
    not_a_folder = isolated / "file"
    not_a_folder.write_bytes(b"")
    with pytest.raises(DownloadError, match=r"could not be saved"):
        load(tiny.spec, root=not_a_folder, mirrors=[server.serve("m", tiny.gz)])


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
