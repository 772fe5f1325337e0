"""The tiny synthetic dataset, the isolated folders and the real HTTP server
that the download and location tests share (pytest fixtures `tiny`,
`isolated`, `server`, and helpers)."""

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
    DatasetSpec,
    FileSpec,
    load_idx_dataset,
    locations,
)
from minitorch_np.data import download as download_module
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


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real env vars, cache or system folder: all under tmp_path (the test
    modules that load this plugin use it for every test)."""
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
