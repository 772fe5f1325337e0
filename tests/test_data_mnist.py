"""MNIST / Fashion-MNIST loaders: options, shape checks, and the real files when available.

The real-data tests read $MINITORCH_NP_DATA (CI points it at ../shared/data)
and are skipped, with the reason, when it is unset or lacks the files.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from minitorch_np.data import (
    FASHION_MNIST,
    MNIST,
    DatasetSpec,
    FileSpec,
    load_fashion_mnist,
    load_idx_dataset,
    load_mnist,
    locations,
)
from minitorch_np.data import download as download_module
from minitorch_np.data.idx import encode_idx

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(autouse=True)
def no_surprise_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's cache, system folder and mirror settings out of these tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(locations, "SYSTEM_DATA_DIR", tmp_path / "system")
    monkeypatch.delenv(download_module.MIRRORS_ENV, raising=False)


# --- options and checks, on tiny local files ------------------------------------------------


def tiny_spec(
    folder: Path,
    images: np.ndarray,
    labels: np.ndarray,
    image_shape: tuple[int, ...] = (4, 4),
) -> DatasetSpec:
    """Write images/labels as IDX into folder/tiny/ and describe them."""
    (folder / "tiny").mkdir(parents=True, exist_ok=True)
    files = []
    for name, array in [("i.gz", images), ("l.gz", labels)]:
        raw = encode_idx(array)
        (folder / "tiny" / name).write_bytes(gzip.compress(raw))
        files.append(FileSpec(name, hashlib.sha256(raw).hexdigest()))
    return DatasetSpec(
        "tiny", "Tiny", {"train": (files[0], files[1])}, image_shape=image_shape
    )


def load_tiny(
    spec: DatasetSpec, root: Path, **kwargs: object
) -> tuple[np.ndarray, np.ndarray]:
    return load_idx_dataset(
        spec, "train", root, download=False, progress=False, **kwargs
    )  # type: ignore[arg-type]


def test_outputs_float_flat_and_raw(tmp_path: Path) -> None:
    images = np.arange(2 * 16, dtype=np.uint8).reshape(2, 4, 4) * 8
    spec = tiny_spec(tmp_path, images, np.array([3, 9], np.uint8))
    x, y = load_tiny(spec, tmp_path)
    assert (
        x.shape == (2, 16)
        and x.dtype == np.float32
        and x.flags.c_contiguous
        and x.flags.writeable
    )
    assert y.dtype == np.int64 and y.tolist() == [3, 9]
    np.testing.assert_array_equal(x, images.reshape(2, 16) / np.float32(255))
    x3, _ = load_tiny(spec, tmp_path, flatten=False, dtype=np.float64)
    assert x3.shape == (2, 1, 4, 4) and x3.dtype == np.float64
    raw, _ = load_tiny(spec, tmp_path, flatten=False, dtype=np.uint8)
    assert raw.dtype == np.uint8 and raw.flags.writeable
    np.testing.assert_array_equal(raw, images[:, None])


def test_full_range_maps_to_zero_and_one(tmp_path: Path) -> None:
    images = np.array([[[0, 255], [128, 1]]], np.uint8)
    spec = tiny_spec(tmp_path, images, np.array([0], np.uint8), image_shape=(2, 2))
    x, _ = load_tiny(spec, tmp_path)
    assert x.min() == 0.0 and x.max() == 1.0


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (
            np.zeros((2, 4, 5), np.uint8),
            np.zeros(2, np.uint8),
            r"i\.gz: Tiny images must be N x 4 x 4, got 2 x 4 x 5",
        ),
        (
            np.zeros((2, 4, 4), np.uint8),
            np.zeros(3, np.uint8),
            r"has 2 images but .*l\.gz has 3 labels",
        ),
        (
            np.zeros((2, 4, 4), np.uint8),
            np.array([1, 10], np.uint8),
            r"l\.gz: labels must be 0\.\.9, found 10",
        ),
        (
            np.zeros(2, np.uint8),
            np.zeros(2, np.uint8),
            r"i\.gz: bad magic 0x00000801, expected 0x00000803 for images",
        ),
        (
            np.zeros((2, 4, 4), np.uint8),
            np.zeros((2, 1), np.uint8),
            r"bad magic 0x00000802, expected 0x00000801 for labels",
        ),
        (
            np.zeros((2, 4, 4), np.float32),
            np.zeros(2, np.uint8),
            r"bad magic 0x00000D03, expected 0x00000803",
        ),
    ],
)
def test_shape_and_type_checks(
    tmp_path: Path, images: np.ndarray, labels: np.ndarray, message: str
) -> None:
    spec = tiny_spec(tmp_path, images, labels)
    with pytest.raises(ValueError, match=message):
        load_tiny(spec, tmp_path)


def test_bad_options_fail_before_any_file_access(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"split must be 'train' or 'test', got 'val'"):
        load_mnist("val", tmp_path, download=False)
    with pytest.raises(
        ValueError, match=r"dtype must be a float dtype .* or uint8 .*, got int32"
    ):
        load_fashion_mnist("train", tmp_path, dtype=np.int32, download=False)


@pytest.mark.parametrize(
    "options, error, message",
    [
        (
            {"flatten": "no"},
            TypeError,
            r"MNIST: expected flatten to be True or False, got 'no'",
        ),
        (
            {"download": "no"},
            TypeError,
            r"MNIST: expected download to be True or False",
        ),
        ({"progress": 1}, TypeError, r"MNIST: expected progress to be True or False"),
        (
            {"timeout": -1},
            ValueError,
            r"MNIST: expected timeout in \(0.0, inf\], got -1",
        ),
        ({"timeout": float("nan")}, ValueError, r"MNIST: expected timeout in"),
        ({"timeout": "30"}, TypeError, r"MNIST: expected timeout to be a number"),
        (
            {"mirrors": [1]},
            TypeError,
            r"MNIST: expected mirrors to be a base URL, a list",
        ),
        (
            {"mirrors": 5},
            TypeError,
            r"MNIST: expected mirrors to be a base URL, a list",
        ),
    ],
)
def test_bad_loading_options_name_themselves_before_any_file_access(
    tmp_path: Path, options, error, message
) -> None:
    # tmp_path is empty: any file access or download would fail differently
    with pytest.raises(error, match=message):
        load_mnist("train", tmp_path, **options)


def test_specs_hold_the_published_names_and_hashes() -> None:
    assert MNIST.name == "mnist" and FASHION_MNIST.name == "fashion-mnist"
    names = [f.filename for f in MNIST.files]
    assert names == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    assert [f.filename for f in FASHION_MNIST.files] == names
    assert MNIST.splits["train"][0].sha256.startswith("ba891046")
    assert FASHION_MNIST.splits["test"][1].sha256.startswith("0402a96d")
    assert all(len(f.sha256) == 64 for f in [*MNIST.files, *FASHION_MNIST.files])
    assert MNIST.mirrors and FASHION_MNIST.mirrors


# --- the real datasets ----------------------------------------------------------------------


def real_data_dir(name: str) -> Path:
    value = os.environ.get(locations.DATA_ENV)
    if not value:
        pytest.skip(
            f"{locations.DATA_ENV} is not set: no real {name} files to test (CI sets it to ../shared/data)"
        )
    folder = Path(value) / name
    if not all(
        (folder / f.filename).is_file()
        for f in (MNIST if name == "mnist" else FASHION_MNIST).files
    ):
        pytest.skip(f"{folder} does not hold the four {name} files")
    return folder


def test_real_mnist_train() -> None:
    real_data_dir("mnist")
    x, y = load_mnist(
        "train", download=False, progress=False
    )  # found via $MINITORCH_NP_DATA
    assert x.shape == (60000, 784) and x.dtype == np.float32
    assert y.shape == (60000,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == MNIST_TRAIN_COUNTS


def test_real_mnist_test_raw_images() -> None:
    real_data_dir("mnist")
    x, y = load_mnist(
        "test", download=False, progress=False, flatten=False, dtype=np.uint8
    )
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.uint8 and x.max() == 255
    assert y.shape == (10000,) and set(np.unique(y).tolist()) == set(range(10))


def test_real_fashion_mnist() -> None:
    folder = real_data_dir("fashion-mnist")
    x, y = load_fashion_mnist(
        "train", root=folder.parent, download=False, progress=False
    )
    assert x.shape == (60000, 784) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert np.bincount(y).tolist() == [6000] * 10
    xt, yt = load_fashion_mnist(
        "test", root=folder, download=False, progress=False, flatten=False
    )
    assert xt.shape == (10000, 1, 28, 28) and np.bincount(yt).tolist() == [1000] * 10
