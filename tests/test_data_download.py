"""Finding, verifying and downloading dataset files, against a real HTTP server on 127.0.0.1.

The files are tiny synthetic IDX files described by their own DatasetSpec
(names + SHA-256), so nothing here needs the real 50 MB datasets or internet.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from download_fixtures import (
    NAME,
    NAMES,
    Server,
    Tiny,
    assert_tiny,
    cache,
    closed_port_url,
    listing,
    load,
)

from minitorch_np.data import (
    ChecksumError,
    DownloadError,
    locations,
)
from minitorch_np.data import download as download_module
from minitorch_np.data.idx import encode_idx

#: The fixtures tiny, isolated and server; every test runs `isolated`.
pytest_plugins = ("download_fixtures",)
pytestmark = pytest.mark.usefixtures("isolated")


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
