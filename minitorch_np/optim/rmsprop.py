"""`RMSprop`: divide the gradient by a running root-mean-square of itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from minitorch_np.optim.hyperparameters import Interval
from minitorch_np.optim.optimizer import Constants, Optimizer, l2_gradient
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
        momentum: momentum factor, in [0, 1); 0 keeps no buffer.
        weight_decay: L2 coefficient wd (>= 0), added to the gradient.
    """

    hyperparameter_specs = {
        "lr": Interval(low=0.0),
        "alpha": Interval(low=0.0, high=1.0, high_inclusive=False),
        "eps": Interval(low=0.0, low_inclusive=False),
        "momentum": Interval(low=0.0, high=1.0, high_inclusive=False),
        "weight_decay": Interval(low=0.0),
    }
    positive_constants = ("eps",)
    squares_gradient = True
    alpha: float
    eps: float
    momentum: float
    weight_decay: float

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            alpha=alpha,
            eps=eps,
            momentum=momentum,
            weight_decay=weight_decay,
        )

    def state_names(self) -> tuple[str, ...]:
        return ("square_avg", "momentum_buffer") if self.momentum else ("square_avg",)

    def _step_constants(self, dtype: np.dtype) -> Constants:
        scalar = dtype.type
        return {
            "lr": scalar(self.lr),
            "alpha": scalar(self.alpha),
            "one_minus_alpha": scalar(1 - self.alpha),
            "eps": scalar(self.eps),
            "momentum": scalar(self.momentum),
            "weight_decay": scalar(self.weight_decay),
        }

    def _update(
        self,
        w: np.ndarray,
        g: np.ndarray,
        state: dict[str, np.ndarray],
        work: Sequence[np.ndarray],
        c: Constants,
    ) -> None:
        g = l2_gradient(w, g, c["weight_decay"], out=work[1])  # g + wd * w
        v, d = state["square_avg"], work[0]
        np.square(g, out=d)  # v <- alpha v + (1 - alpha) g^2
        d *= c["one_minus_alpha"]
        v *= c["alpha"]
        v += d
        np.sqrt(v, out=d)  # d = g / (sqrt(v) + eps)
        d += c["eps"]
        np.divide(g, d, out=d)
        if self.momentum:  # b <- momentum b + d;  w <- w - lr b
            b = state["momentum_buffer"]
            b *= c["momentum"]
            b += d
            np.multiply(b, c["lr"], out=d)
        else:  # w <- w - lr d
            d *= c["lr"]
        w -= d
