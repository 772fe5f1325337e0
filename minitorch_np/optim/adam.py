"""`Adam` and `AdamW`: adaptive moment estimation, with coupled (L2) or
decoupled weight decay."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from minitorch_np.optim.hyperparameters import Interval, Pair
from minitorch_np.optim.optimizer import Constants, Optimizer, l2_gradient
from minitorch_np.parameter import Parameter


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with PyTorch's update rule.

    At step t (1, 2, ...), with g = grad + wd * w (coupled L2 decay: the
    gradient of 0.5 * wd * ||w||^2, which Adam then rescales like any other
    gradient)::

        m <- b1 * m + (1 - b1) * g              first moment  (state "exp_avg")
        v <- b2 * v + (1 - b2) * g^2            second moment (state "exp_avg_sq")
        m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)     bias correction
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)

    The bias correction undoes the zero start of m and v: at t = 1,
    m_hat = g and v_hat = g^2, so every weight moves by about lr * sign(g).
    In the code the two corrections are folded into two numbers per step
    (numerator and denominator multiplied by sqrt(1 - b2^t))::

        w <- w - step_size * m / (sqrt(v) + eps_hat),
        step_size = lr * sqrt(1 - b2^t) / (1 - b1^t),  eps_hat = eps * sqrt(1 - b2^t)

    Args:
        params: the parameters to update, e.g. ``model.parameters()``.
        lr: step size (>= 0).
        betas: decay rates (b1, b2) of the two moment averages, each in [0, 1).
        eps: added to sqrt(v_hat) so the denominator is never zero (> 0).
        weight_decay: L2 coefficient wd (>= 0), added to the gradient.
    """

    hyperparameter_specs = {
        "lr": Interval(low=0.0),
        "betas": Pair(Interval(low=0.0, high=1.0, high_inclusive=False)),
        "eps": Interval(low=0.0, low_inclusive=False),
        "weight_decay": Interval(low=0.0),
    }
    positive_constants = ("eps_hat",)
    squares_gradient = True
    betas: tuple[float, float]
    eps: float
    weight_decay: float

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def state_names(self) -> tuple[str, ...]:
        return ("exp_avg", "exp_avg_sq")

    def _step_constants(self, dtype: np.dtype) -> Constants:
        beta1, beta2 = self.betas
        t = self.step_count
        correction2 = math.sqrt(1 - beta2**t)
        scalar = dtype.type
        return {
            "one_minus_beta1": scalar(1 - beta1),
            "beta2": scalar(beta2),
            "one_minus_beta2": scalar(1 - beta2),
            "step_size": scalar(self.lr * correction2 / (1 - beta1**t)),
            "eps_hat": scalar(self.eps * correction2),
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
        g = self._decay(w, g, work[1], c)
        m, v, s = state["exp_avg"], state["exp_avg_sq"], work[0]
        np.subtract(g, m, out=s)  # m <- m + (1 - b1)(g - m) = b1 m + (1 - b1) g
        s *= c["one_minus_beta1"]
        m += s
        np.multiply(g, g, out=s)  # v <- b2 v + (1 - b2) g^2
        s *= c["one_minus_beta2"]
        v *= c["beta2"]
        v += s
        np.sqrt(v, out=s)  # w <- w - step_size * m / (sqrt(v) + eps_hat)
        s += c["eps_hat"]
        np.divide(m, s, out=s)
        s *= c["step_size"]
        w -= s

    def _decay(
        self, w: np.ndarray, g: np.ndarray, out: np.ndarray, c: Constants
    ) -> np.ndarray:
        """Coupled L2 decay: the gradient g + wd * w (in ``out`` when wd > 0)."""
        return l2_gradient(w, g, c["weight_decay"], out=out)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), PyTorch's rule.

    The decay shrinks the weights directly instead of going through the
    gradient, so it is NOT rescaled by Adam's 1 / sqrt(v_hat)::

        w <- w - lr * wd * w                    (decoupled decay)
        then the Adam step of `Adam` with g = grad (no L2 term)

    With `Adam`'s coupled L2, weights whose gradients are large (large v) are
    barely decayed; here every weight shrinks by the same factor 1 - lr * wd.

    Args: as `Adam`; ``weight_decay`` defaults to 1e-2. Raises ValueError when
    lr * weight_decay >= 2 (at construction and at every ``step()``, in case a
    scheduler raised lr): the factor |1 - lr * wd| is then >= 1 and the
    weights grow without bound.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _check_combination(self, values: Mapping[str, Any]) -> None:
        lr, weight_decay = values["lr"], values["weight_decay"]
        if lr * weight_decay >= 2:
            raise ValueError(
                f"AdamW: lr * weight_decay = {lr} * {weight_decay} = "
                f"{lr * weight_decay:g} must be below 2: the decay multiplies "
                "the weights by (1 - lr * weight_decay) every step, whose magnitude is "
                "then >= 1, so they grow without bound; typical weight_decay is 1e-4 to 1e-1"
            )

    def _step_constants(self, dtype: np.dtype) -> Constants:
        constants = super()._step_constants(dtype)
        constants["shrink"] = dtype.type(1 - self.lr * self.weight_decay)
        return constants

    def _decay(
        self, w: np.ndarray, g: np.ndarray, out: np.ndarray, c: Constants
    ) -> np.ndarray:
        """Decoupled decay: w <- (1 - lr * wd) w; the gradient stays g."""
        if self.weight_decay:
            w *= c["shrink"]
        return g
