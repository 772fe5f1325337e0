"""`Adam` and `AdamW`: adaptive moment estimation, with coupled (L2) or
decoupled weight decay."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from minitorch_np._validation import check_number
from minitorch_np.optim.flat_state import FlatState, pack_state
from minitorch_np.optim.optimizer import Optimizer
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

    Args:
        params: the parameters to update, e.g. ``model.parameters()``.
        lr: step size (>= 0).
        betas: decay rates (b1, b2) of the two moment averages, each in [0, 1).
        eps: added to sqrt(v_hat) so the denominator is never zero (> 0).
        weight_decay: L2 coefficient wd (>= 0), added to the gradient.
    """

    hyperparameter_names = ("lr", "betas", "eps", "weight_decay")
    _betas: tuple[float, float]

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        owner = type(self).__name__
        self.betas = betas  # type: ignore[assignment]  # see the setter
        self.eps = check_number(owner, "eps", eps, low=0.0, low_inclusive=False)
        self.weight_decay = check_number(owner, "weight_decay", weight_decay, low=0.0)
        self._check_hyperparameters()
        self._cached_constants: (
            tuple[tuple[Any, ...], tuple[np.floating, ...]] | None
        ) = None
        self._flat_groups: list[FlatState] | None = None  # built at the first step

    @property
    def betas(self) -> tuple[float, float]:
        return self._betas

    @betas.setter
    def betas(self, value: Sequence[float]) -> None:
        # A list (e.g. from a JSON round trip of state_dict()) becomes a tuple
        # again; the range checks are in _check_hyperparameters.
        if isinstance(value, (list, tuple)):
            value = tuple(float(b) if isinstance(b, numbers.Real) else b for b in value)
        self._betas = value  # type: ignore[assignment]

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        owner = type(self).__name__
        if not isinstance(self.betas, tuple) or len(self.betas) != 2:
            raise ValueError(
                f"{owner}: expected betas to be a pair (beta1, beta2), got {self.betas!r}"
            )
        for index, beta in enumerate(self.betas):
            check_number(
                owner, f"betas[{index}]", beta, low=0.0, high=1.0, high_inclusive=False
            )
        check_number(owner, "eps", self.eps, low=0.0, low_inclusive=False)
        check_number(owner, "weight_decay", self.weight_decay, low=0.0)

    def _update_all(self) -> None:
        if self._flat_groups is None or not all(
            group.is_current(self.params, self.state) for group in self._flat_groups
        ):
            self._flat_groups = pack_state(
                self.params, self.state, ("exp_avg", "exp_avg_sq")
            )
        for group in self._flat_groups:
            self._adam_step(group, [self._gradient(param) for param in group.params])

    def _gradient(self, param: Parameter) -> np.ndarray:
        """g = grad + wd * w (a new array only when wd > 0)."""
        if not self.weight_decay:
            return param.grad
        return param.grad + param.dtype.type(self.weight_decay) * param.data

    def _adam_step(self, group: FlatState, grads: list[np.ndarray]) -> None:
        """Update the moments from ``grads`` and apply the bias-corrected step, in
        place: 12 passes over the arrays, with one work array ``s``.

        The moments m, v and the work array of all the parameters (of one
        dtype) are slices of three flat arrays (see `FlatState`): the 9 passes
        that involve only them are one numpy call each, and only the 3 passes
        that read a gradient or write a parameter go parameter by parameter.
        For the 784-256-256-10 MLP that is 27 calls instead of 72 per step:
        alone, 0.49 -> 0.43 ms per step; within batch-256 training epochs, the
        optimizer's time 0.89x that of the per-parameter loop (docs/benchmarks.md).
        """
        m, v, s = group.flat["exp_avg"], group.flat["exp_avg_sq"], group.scratch
        one_minus_beta1, beta2, one_minus_beta2, step_size, eps_hat = self._constants(
            group.dtype
        )
        # m <- m + (1 - b1)(g - m) = b1 m + (1 - b1) g
        for grad, m_part, s_part in zip(
            grads, group.views["exp_avg"], group.scratch_views
        ):
            np.subtract(grad, m_part, out=s_part)
        s *= one_minus_beta1
        m += s
        # v <- b2 v + (1 - b2) g^2
        for grad, s_part in zip(grads, group.scratch_views):
            np.multiply(grad, grad, out=s_part)
        s *= one_minus_beta2
        v *= beta2
        v += s
        # w <- w - step_size * m / (sqrt(v) + eps_hat)
        np.sqrt(v, out=s)
        s += eps_hat
        np.divide(m, s, out=s)
        s *= step_size
        for param, s_part in zip(group.params, group.scratch_views):
            param.data -= s_part

    def _constants(self, dtype: np.dtype) -> tuple[np.floating, ...]:
        """1 - b1, b2, 1 - b2, step_size and eps_hat of this step, in ``dtype``.

        lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t) and
        v_hat = v / (1 - b2^t), equals step_size * m / (sqrt(v) + eps_hat) with
        step_size = lr sqrt(1 - b2^t) / (1 - b1^t) and eps_hat = eps sqrt(1 - b2^t)
        (numerator and denominator multiplied by sqrt(1 - b2^t)): the two
        bias corrections cost no pass over the arrays. Computed once per step.
        """
        key = (self.step_count, dtype, self.lr, self.betas, self.eps)
        if self._cached_constants is None or self._cached_constants[0] != key:
            beta1, beta2 = self.betas
            t = self.step_count
            correction2 = math.sqrt(1 - beta2**t)
            scalar = dtype.type
            values = (
                scalar(1 - beta1), scalar(beta2), scalar(1 - beta2),
                scalar(self.lr * correction2 / (1 - beta1**t)), scalar(self.eps * correction2),
            )  # fmt: skip
            self._cached_constants = (key, values)
        return self._cached_constants[1]


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

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        if self.lr * self.weight_decay >= 2:
            raise ValueError(
                f"AdamW: lr * weight_decay = {self.lr} * {self.weight_decay} = "
                f"{self.lr * self.weight_decay:g} must be below 2: the decay multiplies "
                "the weights by (1 - lr * weight_decay) every step, whose magnitude is "
                "then >= 1, so they grow without bound; typical weight_decay is 1e-4 to 1e-1"
            )

    def _gradient(self, param: Parameter) -> np.ndarray:
        """Apply the decoupled decay to ``param.data``; the gradient is ``grad``."""
        if self.weight_decay:
            param.data *= param.dtype.type(1 - self.lr * self.weight_decay)
        return param.grad
