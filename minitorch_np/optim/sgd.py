"""`SGD`: stochastic gradient descent with momentum, Nesterov momentum and
L2 weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from minitorch_np.optim.hyperparameters import Flag, Interval
from minitorch_np.optim.optimizer import Constants, Optimizer, l2_gradient
from minitorch_np.parameter import Parameter


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's update rule).

    With g = grad + wd * w (weight decay is the gradient of 0.5 * wd * ||w||^2,
    added here by the optimizer, never by the layers or the loss)::

        plain:     w <- w - lr * g
        momentum:  v <- momentum * v + g;   w <- w - lr * v      (state "momentum_buffer")
        nesterov:  v <- momentum * v + g;   w <- w - lr * (g + momentum * v)

    Divergence guard: on its own, the decay term multiplies w by (1 - lr*wd)
    each step, so for lr * wd >= 2 the weights grow without bound whatever the
    data (the report's L2 run that ended in NaN). With momentum the bound is
    lr * wd < 2 (1 + momentum) (Nesterov: 2 (1 + momentum) / (1 + 2 momentum)).
    Settings at or past the bound raise ValueError, at construction and again
    at every ``step()`` (so a scheduler that raises ``lr`` past the bound is
    stopped before the first diverging update).

    Args:
        params: the parameters to update, e.g. ``model.parameters()``.
        lr: step size (>= 0).
        momentum: momentum factor, in [0, 1); 0 keeps no buffer.
        nesterov: use Nesterov momentum (needs momentum > 0).
        weight_decay: L2 coefficient wd (>= 0), added to the gradient.
    """

    hyperparameter_specs = {
        "lr": Interval(low=0.0),
        "momentum": Interval(low=0.0, high=1.0, high_inclusive=False),
        "nesterov": Flag(),
        "weight_decay": Interval(low=0.0),
    }
    momentum: float
    nesterov: bool
    weight_decay: float

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            nesterov=nesterov,
            weight_decay=weight_decay,
        )

    def _check_combination(self, values: Mapping[str, Any]) -> None:
        if values["nesterov"] and values["momentum"] == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0")
        check_decay_stability(
            values["lr"], values["weight_decay"], values["momentum"], values["nesterov"]
        )

    def state_names(self) -> tuple[str, ...]:
        return ("momentum_buffer",) if self.momentum else ()

    def _step_constants(self, dtype: np.dtype) -> Constants:
        scalar = dtype.type
        return {
            "lr": scalar(self.lr),
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
        step = work[0]
        g = l2_gradient(w, g, c["weight_decay"], out=work[1])  # g + wd * w
        if not self.momentum:
            np.multiply(g, c["lr"], out=step)  # w <- w - lr * g
        else:
            v = state["momentum_buffer"]
            v *= c["momentum"]  # v <- momentum * v + g
            v += g
            if self.nesterov:  # w <- w - lr * (g + momentum * v)
                np.multiply(v, c["momentum"], out=step)
                step += g
                step *= c["lr"]
            else:  # w <- w - lr * v
                np.multiply(v, c["lr"], out=step)
        w -= step


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
