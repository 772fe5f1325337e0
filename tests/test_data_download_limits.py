"""Downloads are bounded in size and in time; spec names cannot leave the data
folder; temporaries of killed writers are cleaned up. A local HTTP server on
127.0.0.1 plays the misbehaving mirror."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from minitorch_np.data import (
    DatasetSpec,
    DownloadError,
    FileSpec,
    load_idx_dataset,
)
from minitorch_np.data.download import download_file
from minitorch_np.data.idx import encode_idx

#: The fixture isolated (no real folders or env vars), for every test here;
#: this module's own `server` fixture replaces the plugin's.
pytest_plugins = ("download_fixtures",)
pytestmark = pytest.mark.usefixtures("isolated")

IMAGES = encode_idx(np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4))
LABELS = encode_idx(np.array([1, 2], np.uint8))


def spec(size: bool = True) -> DatasetSpec:
    def file(name: str, data: bytes) -> FileSpec:
        digest = hashlib.sha256(data).hexdigest()
        return FileSpec(name, digest, len(data)) if size else FileSpec(name, digest)

    pair = (file("i.gz", IMAGES), file("l.gz", LABELS))
    return DatasetSpec("small", "Small", {"train": pair}, image_shape=(4, 4))


class Misbehaving(BaseHTTPRequestHandler):
    """/endless: no Content-Length, zeros until the client hangs up (at most 64 MB);
    /trickle: one byte every 20 ms; /liar: announces a huge Content-Length."""

    sent: dict[str, int] = {}

    def do_GET(self) -> None:  # http.server calls it by this name
        kind = self.path.strip("/").split("/")[0]
        self.send_response(200)
        if kind == "liar":
            self.send_header("Content-Length", str(1 << 40))
        self.end_headers()
        sent, chunk = 0, bytes(1 << 16) if kind != "trickle" else b"\x1f"
        try:
            while sent < (64 << 20):
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
                if kind == "trickle":
                    time.sleep(0.02)
        except OSError:
            pass
        finally:
            Misbehaving.sent[kind] = sent
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.01}
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def never_verified(path: Path) -> bytes:
    raise AssertionError("verify must not run on a refused download")


def test_an_endless_body_stops_at_the_expected_size(
    server: str, tmp_path: Path
) -> None:
    with pytest.raises(DownloadError, match=r"more than the 100000 bytes expected"):
        download_file([server + "/endless/x"], tmp_path / "x", never_verified,
                      max_bytes=100_000, progress=False, timeout=5)  # fmt: skip
    assert os.listdir(tmp_path) == []
    for _ in range(100):  # the server notices the hang-up on its next write
        if "endless" in Misbehaving.sent:
            break
        time.sleep(0.01)
    assert Misbehaving.sent["endless"] < 4 << 20


def test_a_spec_size_caps_the_download_through_the_loader(
    server: str, isolated: Path
) -> None:
    with pytest.raises(DownloadError, match=r"i\.gz.*more than the \d+ bytes expected"):
        load_idx_dataset(spec(), "train", mirrors=[server + "/endless"], progress=False)


def test_an_announced_length_past_the_cap_is_refused_before_reading(
    server: str, tmp_path: Path
) -> None:
    with pytest.raises(
        DownloadError, match=r"announces 1099511627776 bytes, more than the 1000"
    ):
        download_file([server + "/liar/x"], tmp_path / "x", never_verified,
                      max_bytes=1000, progress=False, timeout=5)  # fmt: skip


def test_a_trickling_server_hits_the_deadline(server: str, tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"deadline of 0\.3 s"):
        download_file([server + "/trickle/x"], tmp_path / "x", never_verified,
                      deadline=0.3, progress=False, timeout=2)  # fmt: skip
    assert time.monotonic() - start < 2.5
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", ["../../x", "a/b", "..", ".", "", "a\\b", "x\x00"])
def test_spec_names_cannot_leave_the_data_folder(bad: str) -> None:
    with pytest.raises(
        ValueError, match=r"FileSpec: expected filename to be a plain file name"
    ):
        FileSpec(bad, "0" * 64)
    with pytest.raises(
        ValueError, match=r"DatasetSpec: expected name to be a plain folder name"
    ):
        DatasetSpec(bad, "Bad", {})


def test_file_spec_size_is_checked() -> None:
    with pytest.raises(
        ValueError, match=r"FileSpec: expected size to be a positive int"
    ):
        FileSpec("a.gz", "0" * 64, -5)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_of_killed_writers_are_removed_by_the_next_download(
    isolated: Path, tmp_path: Path
) -> None:
    folder = isolated / "xdg" / "minitorch_np" / "small"
    folder.mkdir(parents=True)
    stale = folder / f".i.gz.{dead_pid()}.0123abcd.tmp"
    live = folder / f".l.gz.{os.getpid()}.89abcdef.tmp"  # a writer still at work
    unrelated = folder / ".notes.tmp"
    for path in (stale, live, unrelated):
        path.write_bytes(b"half")
    served = tmp_path / "served"
    served.mkdir()
    (served / "i.gz").write_bytes(gzip.compress(IMAGES))
    (served / "l.gz").write_bytes(gzip.compress(LABELS))
    x, _ = load_idx_dataset(spec(), "train", mirrors=[served.as_uri()], progress=False)
    assert x.shape == (2, 16)
    assert not stale.exists() and live.exists() and unrelated.exists()
