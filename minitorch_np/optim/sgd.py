"""`SGD`: stochastic gradient descent with momentum, Nesterov momentum and
L2 weight decay."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from minitorch_np._validation import check_number
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.parameter import Parameter


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's update rule).

    With g = grad + wd * w (weight decay is the gradient of 0.5 * wd * ||w||^2,
    added here by the optimizer, never by the layers or the loss)::

        plain:     w <- w - lr * g
        momentum:  v <- momentum * v + g;   w <- w - lr * v
        nesterov:  v <- momentum * v + g;   w <- w - lr * (g + momentum * v)

    Divergence guard: on its own, the decay term multiplies w by (1 - lr*wd)
    each step, so for lr * wd >= 2 the weights grow without bound whatever the
    data (the report's L2 run that ended in NaN). With momentum the bound is
    lr * wd < 2 (1 + momentum) (Nesterov: 2 (1 + momentum) / (1 + 2 momentum)).
    Settings at or past the bound raise ValueError, at construction and again
    at every ``step()`` (so a scheduler that raises ``lr`` past the bound is
    stopped before the first diverging update).
    """

    hyperparameter_names = ("lr", "momentum", "nesterov", "weight_decay")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = check_number(
            "SGD", "momentum", momentum, low=0.0, high=1.0, high_inclusive=False
        )
        self.weight_decay = check_number("SGD", "weight_decay", weight_decay, low=0.0)
        self.nesterov = bool(nesterov)
        self._check_hyperparameters()

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        check_number(
            "SGD", "momentum", self.momentum, low=0.0, high=1.0, high_inclusive=False
        )
        check_number("SGD", "weight_decay", self.weight_decay, low=0.0)
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0")
        check_decay_stability(self.lr, self.weight_decay, self.momentum, self.nesterov)

    def _update(self, param: Parameter, state: dict[str, np.ndarray]) -> None:
        grad = param.grad
        if self.weight_decay:
            grad = grad + param.data * param.dtype.type(self.weight_decay)
        scalar = param.dtype.type
        lr, scratch = scalar(self.lr), self._scratch_for(param)
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(param.data)
            velocity = state["momentum_buffer"]
            momentum = scalar(self.momentum)
            velocity *= momentum
            velocity += grad
            if self.nesterov:  # the step direction g + momentum * v
                np.multiply(velocity, momentum, out=scratch)
                scratch += grad
                scratch *= lr
            else:
                np.multiply(velocity, lr, out=scratch)
        else:
            np.multiply(grad, lr, out=scratch)
        param.data -= scratch


def decay_stability_bound(momentum: float, nesterov: bool) -> float:
    """The largest lr * weight_decay for which the decay term alone does not
    diverge: 2 (plain), 2 (1 + m) (heavy ball), 2 (1 + m) / (1 + 2 m) (Nesterov).
    Derived from the eigenvalues of the update on f(w) = 0.5 * wd * w^2."""
    if nesterov:
        return 2 * (1 + momentum) / (1 + 2 * momentum)
    return 2 * (1 + momentum)


def check_decay_stability(
    lr: float, weight_decay: float, momentum: float, nesterov: bool
) -> None:
    bound = decay_stability_bound(momentum, nesterov)
    if weight_decay and lr * weight_decay >= bound:
        raise ValueError(
            f"SGD: lr * weight_decay = {lr} * {weight_decay} = {lr * weight_decay:g} "
            f"must be below {bound:g}: the L2 term 0.5*wd*||w||^2 alone then scales "
            "the weights by a factor of magnitude >= 1 every step, so they grow without "
            "bound and the loss becomes inf/NaN whatever the data; lower lr or "
            "weight_decay (typical weight_decay is 1e-4 to 1e-2)"
        )
