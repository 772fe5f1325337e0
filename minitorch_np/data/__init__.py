"""Data: the IDX format, verified MNIST / Fashion-MNIST loading, and mini-batching.

See docs/data.md for where files are looked for, verification and mirrors.
"""

from .checksum import ChecksumError
from .dataloader import DataLoader
from .dataset import ArrayDataset, Dataset
from .download import DownloadError
from .fetch import DatasetSpec, FileSpec
from .idx import read_idx, write_idx
from .locations import user_cache_dir
from .mnist import (
    FASHION_MNIST,
    MNIST,
    load_fashion_mnist,
    load_idx_dataset,
    load_mnist,
)

__all__ = [
    "FASHION_MNIST",
    "MNIST",
    "ArrayDataset",
    "ChecksumError",
    "DataLoader",
    "Dataset",
    "DatasetSpec",
    "DownloadError",
    "FileSpec",
    "load_fashion_mnist",
    "load_idx_dataset",
    "load_mnist",
    "read_idx",
    "user_cache_dir",
    "write_idx",
]
