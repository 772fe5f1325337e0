"""MNIST and Fashion-MNIST: verified loading into ready-to-train arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np._typing import PathLike
from minitorch_np._validation import check_bool
from minitorch_np.data.download import DEFAULT_TIMEOUT
from minitorch_np.data.fetch import DatasetSpec, FileSpec, fetch_payload
from minitorch_np.data.idx import decode_idx, idx_magic

__all__ = [
    "FASHION_MNIST",
    "MNIST",
    "load_fashion_mnist",
    "load_idx_dataset",
    "load_mnist",
]


def _mnist_like(
    name: str, title: str, hashes: dict[str, str], mirrors: tuple[str, ...]
) -> DatasetSpec:
    def pair(prefix: str, n: int) -> tuple[FileSpec, FileSpec]:
        """Sizes: 16 header bytes + n x 28 x 28 pixels; 8 + n labels."""
        images, labels = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        return FileSpec(images + ".gz", hashes[images], 16 + n * 28 * 28), FileSpec(
            labels + ".gz", hashes[labels], 8 + n
        )

    return DatasetSpec(
        name,
        title,
        {"train": pair("train", 60000), "test": pair("t10k", 10000)},
        mirrors,
    )


#: MNIST (LeCun, Cortes, Burges). Hashes are of the decompressed files.
MNIST = _mnist_like(
    "mnist",
    "MNIST",
    {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
)

#: Fashion-MNIST (Zalando Research). Hashes are of the decompressed files.
FASHION_MNIST = _mnist_like(
    "fashion-mnist",
    "Fashion-MNIST",
    {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
)


def load_mnist(
    split: str = "train",
    root: PathLike | None = None,
    *,
    flatten: bool = True,
    dtype: DTypeLike = np.float32,
    download: bool = True,
    mirrors: Sequence[str] | str | None = None,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST split as ``(x, y)``.

    x: ``(N, 784)``, or with ``flatten=False`` images ``(N, 1, 28, 28)``
    (NCHW, one channel: the input of `Conv2d`), of ``dtype``;
    a float dtype scales pixels to [0, 1], ``np.uint8`` keeps raw 0..255.
    y: ``(N,)`` int64 labels 0..9. N is 60000 for "train", 10000 for "test".
    See :func:`load_idx_dataset` for ``root``, ``download``, ``mirrors``.
    """
    return load_idx_dataset(
        MNIST, split, root, flatten=flatten, dtype=dtype, download=download,
        mirrors=mirrors, progress=progress, timeout=timeout,
    )  # fmt: skip


def load_fashion_mnist(
    split: str = "train",
    root: PathLike | None = None,
    *,
    flatten: bool = True,
    dtype: DTypeLike = np.float32,
    download: bool = True,
    mirrors: Sequence[str] | str | None = None,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a Fashion-MNIST split as ``(x, y)``; same shapes and options as :func:`load_mnist`."""
    return load_idx_dataset(
        FASHION_MNIST, split, root, flatten=flatten, dtype=dtype, download=download,
        mirrors=mirrors, progress=progress, timeout=timeout,
    )  # fmt: skip


def load_idx_dataset(
    spec: DatasetSpec,
    split: str = "train",
    root: PathLike | None = None,
    *,
    flatten: bool = True,
    dtype: DTypeLike = np.float32,
    download: bool = True,
    mirrors: Sequence[str] | str | None = None,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(x, y)`` of one split of an MNIST-like dataset described by ``spec``.

    x: ``(N, prod(image_shape))``, or ``(N, 1, *image_shape)`` if not
    ``flatten`` (one channel: the files hold grayscale images).
    y: ``(N,)`` int64 in ``0..num_classes-1``.

    root: a folder searched first; files may lie in ``root/<name>/`` or in
    ``root`` itself; downloads then go to ``root/<name>/``. Without it the
    search is ``$MINITORCH_NP_DATA/<name>``, the user cache, the system folder
    ``/usr/share/datasets/<name>``, then a download into the user cache.
    Every file's decompressed SHA-256 is checked on every load.
    mirrors: base URLs to download from (default: ``$MINITORCH_NP_MIRRORS``,
    else the spec's public mirrors).
    """
    out_dtype = _check_options(spec, split, dtype)
    check_bool(spec.title, "flatten", flatten)
    images_file, labels_file = spec.splits[split]

    def fetch(file: FileSpec) -> tuple[bytes, str]:
        return fetch_payload(
            spec,
            file,
            root,
            download=download,
            mirrors=mirrors,
            progress=progress,
            timeout=timeout,
        )

    images_bytes, images_src = fetch(images_file)
    labels_bytes, labels_src = fetch(labels_file)
    ndim = 1 + len(spec.image_shape)
    images = decode_idx(
        images_bytes, images_src, magic=idx_magic(np.uint8, ndim), what="images"
    )
    labels = decode_idx(
        labels_bytes, labels_src, magic=idx_magic(np.uint8, 1), what="labels"
    )
    _check_arrays(spec, images, labels, images_src, labels_src)
    x = _to_output(images, out_dtype)
    x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, *spec.image_shape)
    return x, labels.astype(np.int64)


def _check_options(spec: DatasetSpec, split: str, dtype: DTypeLike) -> np.dtype:
    if split not in spec.splits:
        choices = " or ".join(repr(s) for s in spec.splits)
        raise ValueError(f"split must be {choices}, got {split!r}")
    out = np.dtype(dtype)
    if out.kind != "f" and out != np.uint8:
        raise ValueError(
            f"dtype must be a float dtype (scaled to [0, 1]) or uint8 (raw 0..255), got {out}"
        )
    return out


def _check_arrays(
    spec: DatasetSpec,
    images: np.ndarray,
    labels: np.ndarray,
    images_src: str,
    labels_src: str,
) -> None:
    """Images (N, *image_shape), labels (N,) with the same N, labels < num_classes."""
    expected = ("N", *spec.image_shape)
    if images.shape[1:] != spec.image_shape:
        raise ValueError(
            f"{images_src}: {spec.title} images must be {' x '.join(map(str, expected))}, "
            f"got {' x '.join(map(str, images.shape))}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{spec.title}: {images_src} has {len(images)} images but {labels_src} has {len(labels)} labels"
        )
    if len(labels) and int(labels.max()) >= spec.num_classes:
        raise ValueError(
            f"{labels_src}: labels must be 0..{spec.num_classes - 1}, found {int(labels.max())}"
        )


def _to_output(images: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A new writable array: raw uint8, or floats scaled to [0, 1]."""
    if dtype == np.uint8:
        return images.copy()
    out = images.astype(dtype)
    out /= dtype.type(255)
    return out
