"""Data: the IDX format, verified MNIST / Fashion-MNIST loading, and mini-batching.

See docs/data.md for where files are looked for, verification and mirrors.
"""

from minitorch_np.data.checksum import ChecksumError
from minitorch_np.data.dataloader import DataLoader
from minitorch_np.data.dataset import ArrayDataset, Dataset
from minitorch_np.data.download import DownloadError
from minitorch_np.data.fetch import DatasetSpec, FileSpec
from minitorch_np.data.idx import read_idx, write_idx
from minitorch_np.data.locations import user_cache_dir
from minitorch_np.data.mnist import (
    FASHION_MNIST,
    MNIST,
    load_fashion_mnist,
    load_idx_dataset,
    load_mnist,
)
from minitorch_np.data.transforms import BatchTransform, RandomShift

__all__ = [
    "FASHION_MNIST",
    "MNIST",
    "ArrayDataset",
    "BatchTransform",
    "ChecksumError",
    "DataLoader",
    "Dataset",
    "DatasetSpec",
    "DownloadError",
    "FileSpec",
    "RandomShift",
    "load_fashion_mnist",
    "load_idx_dataset",
    "load_mnist",
    "read_idx",
    "user_cache_dir",
    "write_idx",
]
