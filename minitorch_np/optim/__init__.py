"""Optimizers: update parameters in place from their gradients."""

from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.optim.sgd import SGD

__all__ = ["Optimizer", "SGD"]
