"""Optimizers: update parameters in place from their gradients."""

from minitorch_np.optim.adam import Adam, AdamW
from minitorch_np.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LRScheduler,
    ReduceLROnPlateau,
    StepLR,
)
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.optim.rmsprop import RMSprop
from minitorch_np.optim.sgd import SGD

__all__ = [
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "SGD",
    "StepLR",
]
