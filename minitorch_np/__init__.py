"""minitorch_np: a small, autograd-free neural-network framework on numpy.

Every layer is an object with an explicit ``forward`` and ``backward``; losses
start the backward chain; optimizers update parameters in place.

    >>> import minitorch_np as mt
    >>> model = mt.Sequential(mt.Linear(784, 10, rng=0))
"""

from minitorch_np._version import __version__
from minitorch_np.data import (
    ArrayDataset,
    ChecksumError,
    DataLoader,
    Dataset,
    DownloadError,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    write_idx,
)
from minitorch_np.gradcheck import GradcheckError, GradcheckReport, gradcheck
from minitorch_np.layers import Flatten, Layer, Linear, ReLU, Sequential, Sigmoid, Tanh
from minitorch_np.losses import Loss, MSELoss, SoftmaxCrossEntropy
from minitorch_np.optim import SGD, Optimizer
from minitorch_np.parameter import Parameter

__all__ = [
    "ArrayDataset",
    "ChecksumError",
    "DataLoader",
    "Dataset",
    "DownloadError",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
    "write_idx",
    "Flatten",
    "GradcheckError",
    "GradcheckReport",
    "Layer",
    "Linear",
    "Loss",
    "MSELoss",
    "Optimizer",
    "Parameter",
    "ReLU",
    "SGD",
    "Sequential",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Tanh",
    "__version__",
    "gradcheck",
]
