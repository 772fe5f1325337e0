"""minitorch_np: a small, autograd-free neural-network framework on numpy.

Every layer is an object with an explicit ``forward`` and ``backward``; losses
start the backward chain; optimizers update parameters in place; a `Trainer`
runs the loop. Every public name is importable from here::

    import minitorch_np as mt
    model = mt.Sequential(mt.Linear(784, 10, rng=0))

The property-testing kit for your own layers lives in `minitorch_np.testing`
(it needs hypothesis, from the ``test`` or ``dev`` extra), and the plots in
`minitorch_np.plot` (matplotlib, from the ``plot`` extra); neither is imported
here, so ``import minitorch_np`` needs only numpy and tqdm.
"""

from minitorch_np import functional, init
from minitorch_np._version import __version__
from minitorch_np.blas_threads import apply_default_wait_policy, set_blas_wait_policy
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
from minitorch_np.layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    GlobalAvgPool2d,
    Layer,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from minitorch_np.losses import Loss, MSELoss, SoftmaxCrossEntropy
from minitorch_np.metrics import accuracy, count_correct
from minitorch_np.optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    LRScheduler,
    Optimizer,
    ReduceLROnPlateau,
    RMSprop,
    StepLR,
)
from minitorch_np.parallel import get_num_threads, set_num_threads
from minitorch_np.parameter import Parameter
from minitorch_np.plot import plot_history
from minitorch_np.training import (
    Callback,
    Checkpoint,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
    save_checkpoint,
)

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "ArrayDataset",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Callback",
    "Checkpoint",
    "ChecksumError",
    "Conv2d",
    "CosineAnnealingLR",
    "DataLoader",
    "Dataset",
    "DownloadError",
    "Dropout",
    "EarlyStopping",
    "ExponentialLR",
    "Flatten",
    "GlobalAvgPool2d",
    "GradcheckError",
    "GradcheckReport",
    "History",
    "LRScheduler",
    "Layer",
    "LeakyReLU",
    "LearningRateScheduler",
    "Linear",
    "Loss",
    "MSELoss",
    "MaxPool2d",
    "ModelCheckpoint",
    "Optimizer",
    "Parameter",
    "RMSprop",
    "ReLU",
    "ReduceLROnPlateau",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "StepLR",
    "Tanh",
    "Trainer",
    "__version__",
    "accuracy",
    "count_correct",
    "functional",
    "gradcheck",
    "init",
    "load_checkpoint",
    "load_fashion_mnist",
    "load_mnist",
    "plot_history",
    "read_idx",
    "save_checkpoint",
    "write_idx",
    "get_num_threads",
    "set_blas_wait_policy",
    "set_num_threads",
]

# numpy's idle OpenBLAS workers spin 2^18 clock cycles instead of 2^28 beside
# the library's threads (minitorch_np.blas_threads; MINITORCH_NP_BLAS_WAIT_POLICY).
apply_default_wait_policy()
