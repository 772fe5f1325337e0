"""`RMSprop`: divide the gradient by a running root-mean-square of itself."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from minitorch_np._validation import check_number
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.parameter import Parameter


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012) with PyTorch's update rule.

    With g = grad + wd * w (coupled L2 decay, as in `SGD`)::

        v <- alpha * v + (1 - alpha) * g^2          (state "square_avg")
        d  = g / (sqrt(v) + eps)
        no momentum:  w <- w - lr * d
        momentum:     b <- momentum * b + d;   w <- w - lr * b   (state "momentum_buffer")

    There is no bias correction (unlike `Adam`): v starts at zero, so the
    first steps are larger, about lr / sqrt(1 - alpha) = 10 * lr at step 1 for
    the default alpha = 0.99.

    Args:
        params: the parameters to update, e.g. ``model.parameters()``.
        lr: step size (>= 0).
        alpha: decay rate of the squared-gradient average, in [0, 1).
        eps: added to sqrt(v) so the denominator is never zero (> 0).
        momentum: momentum factor, in [0, 1); 0 disables the buffer.
        weight_decay: L2 coefficient wd (>= 0), added to the gradient.
    """

    hyperparameter_names = ("lr", "alpha", "eps", "momentum", "weight_decay")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = check_number(
            "RMSprop", "alpha", alpha, low=0.0, high=1.0, high_inclusive=False
        )
        self.eps = check_number("RMSprop", "eps", eps, low=0.0, low_inclusive=False)
        self.momentum = check_number(
            "RMSprop", "momentum", momentum, low=0.0, high=1.0, high_inclusive=False
        )
        self.weight_decay = check_number(
            "RMSprop", "weight_decay", weight_decay, low=0.0
        )
        self._check_hyperparameters()

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        check_number(
            "RMSprop", "alpha", self.alpha, low=0.0, high=1.0, high_inclusive=False
        )
        check_number("RMSprop", "eps", self.eps, low=0.0, low_inclusive=False)
        check_number(
            "RMSprop",
            "momentum",
            self.momentum,
            low=0.0,
            high=1.0,
            high_inclusive=False,
        )
        check_number("RMSprop", "weight_decay", self.weight_decay, low=0.0)

    def _update(self, param: Parameter, state: dict[str, np.ndarray]) -> None:
        scalar = param.dtype.type
        grad = param.grad
        if self.weight_decay:
            grad = grad + scalar(self.weight_decay) * param.data
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(param.data)
        square_avg, scratch = state["square_avg"], self._scratch_for(param)

        np.square(grad, out=scratch)  # v <- alpha v + (1 - alpha) g^2
        scratch *= scalar(1 - self.alpha)
        square_avg *= scalar(self.alpha)
        square_avg += scratch
        np.sqrt(square_avg, out=scratch)  # d = g / (sqrt(v) + eps)
        scratch += scalar(self.eps)
        np.divide(grad, scratch, out=scratch)
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(param.data)
            buffer = state["momentum_buffer"]
            buffer *= scalar(self.momentum)  # b <- momentum b + d;  w <- w - lr b
            buffer += scratch
            np.multiply(buffer, scalar(self.lr), out=scratch)
        else:
            scratch *= scalar(self.lr)  # w <- w - lr d
        param.data -= scratch
