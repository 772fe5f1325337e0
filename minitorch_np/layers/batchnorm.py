"""`BatchNorm1d`: normalise each feature over the batch, then scale and shift."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np._validation import (
    check_backward_ready,
    check_bool,
    check_float_array,
    check_grad_shape,
    check_int,
    check_number,
)
from minitorch_np.layers.layer import Layer
from minitorch_np.parameter import Parameter


class BatchNorm1d(Layer):
    """Batch normalisation (Ioffe & Szegedy, 2015) of an (N, C) input, per feature c::

        x_hat = (x - mean) / sqrt(var + eps)
        y     = gamma * x_hat + beta          (gamma = ``weight``, beta = ``bias``)

    Training mode uses the batch statistics mean = (1/N) sum_n x[n] and the
    biased var = (1/N) sum_n (x[n] - mean)^2, and updates the running
    estimates in place (PyTorch's rule, with the UNBIASED batch variance)::

        running_mean <- (1 - momentum) * running_mean + momentum * mean
        running_var  <- (1 - momentum) * running_var  + momentum * var * N / (N - 1)

    (``momentum=None``: a cumulative average, momentum = 1 / num_batches_tracked).
    Evaluation mode uses running_mean and running_var instead, so y is an
    affine function of x.

    Backward, for G = dL/dy (N, C) and dx_hat = G * gamma::

        dL/dgamma += sum_n G * x_hat            dL/dbeta += sum_n G
        train: dL/dx = (1/N) / sqrt(var + eps)
                       * (N * dx_hat - sum_n dx_hat - x_hat * sum_n(dx_hat * x_hat))
        eval:  dL/dx = dx_hat / sqrt(running_var + eps)

    Args:
        num_features: C, the number of features (columns) of the input.
        eps: added to the variance before the square root (> 0).
        momentum: weight of the new batch in the running averages, in [0, 1],
            or None for a cumulative average.
        affine: learn ``weight`` (init ones) and ``bias`` (init zeros).
        track_running_stats: keep ``running_mean`` (init zeros), ``running_var``
            (init ones) and ``num_batches_tracked`` as buffers; without them
            batch statistics are used in both modes.
        dtype: dtype of the parameters and running statistics; inputs must match it.
    """

    num_features: int
    eps: float
    affine: bool
    track_running_stats: bool
    weight: Parameter | None
    bias: Parameter | None
    running_mean: np.ndarray | None
    running_var: np.ndarray | None
    num_batches_tracked: np.ndarray | None
    momentum: float | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.num_features = check_int(
            "BatchNorm1d", "num_features", num_features, low=1
        )
        self.eps = check_number("BatchNorm1d", "eps", eps, low=0.0, low_inclusive=False)
        self.momentum = (
            None
            if momentum is None
            else check_number("BatchNorm1d", "momentum", momentum, low=0.0, high=1.0)
        )
        self.affine = check_bool("BatchNorm1d", "affine", affine)
        self.track_running_stats = check_bool(
            "BatchNorm1d", "track_running_stats", track_running_stats
        )
        float_dtype = np.dtype(dtype)
        if not np.issubdtype(float_dtype, np.floating):
            raise TypeError(f"BatchNorm1d: expected a float dtype, got {float_dtype}")
        self.weight = (
            Parameter(np.ones(self.num_features), dtype=float_dtype) if affine else None
        )
        self.bias = (
            Parameter(np.zeros(self.num_features), dtype=float_dtype)
            if affine
            else None
        )
        if self.track_running_stats:
            self.register_buffer(
                "running_mean", np.zeros(self.num_features, dtype=float_dtype)
            )
            self.register_buffer(
                "running_var", np.ones(self.num_features, dtype=float_dtype)
            )
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.running_mean = None
            self.running_var = None
            self.num_batches_tracked = None
        # Cache for backward: x_hat, 1/sqrt(var + eps), and whether batch stats were used.
        self._x_hat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None
        self._used_batch_stats: bool = True

    # ------------------------------------------------------------------ forward
    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x)
        if self._uses_batch_statistics():
            mean, var = self._batch_statistics(x)
            if self.training:
                self._update_running_statistics(mean, var, len(x))
            self._used_batch_stats = True
        else:
            assert self.running_mean is not None and self.running_var is not None
            mean, var = self.running_mean, self.running_var
            self._used_batch_stats = False
        inv_std = 1 / np.sqrt(var + x.dtype.type(self.eps))
        x_hat = (x - mean) * inv_std
        self._x_hat, self._inv_std = x_hat, inv_std
        if self.weight is None or self.bias is None:
            return x_hat
        return x_hat * self.weight.data + self.bias.data

    def _batch_statistics(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-feature mean and biased variance of the batch; FloatingPointError
        when the variance overflows the dtype (every output would be 0)."""
        mean = x.mean(axis=0)
        centered = x - mean
        with np.errstate(over="ignore"):  # checked below, with the layer's name
            var = np.mean(centered * centered, axis=0)
        if not np.isfinite(var).all():
            raise FloatingPointError(
                f"{self!r}: the batch variance of {int((~np.isfinite(var)).sum())} "
                f"features is not finite in {x.dtype} (inputs too large, or inf/NaN); "
                "scale the inputs or use a wider dtype (float32/float64)"
            )
        return mean, var

    def _update_running_statistics(
        self, mean: np.ndarray, var: np.ndarray, n: int
    ) -> None:
        """Blend the batch statistics into the running buffers, in place
        (nothing to do when ``track_running_stats=False``)."""
        running_mean, running_var = self.running_mean, self.running_var
        counter = self.num_batches_tracked
        if running_mean is None or running_var is None or counter is None:
            return
        counter += 1  # in place: the 0-d buffer array itself
        momentum = 1 / int(counter) if self.momentum is None else self.momentum
        scalar = running_mean.dtype.type
        running_mean *= scalar(1 - momentum)
        running_mean += scalar(momentum) * mean
        running_var *= scalar(1 - momentum)
        running_var += scalar(momentum * n / (n - 1)) * var

    # ------------------------------------------------------------------ backward
    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        check_backward_ready(repr(self), self._x_hat)
        x_hat, inv_std = self._x_hat, self._inv_std
        assert x_hat is not None and inv_std is not None
        check_grad_shape(repr(self), grad_output, x_hat.shape)
        if self.weight is not None and self.bias is not None:
            self.weight.grad += np.sum(grad_output * x_hat, axis=0)
            self.bias.grad += np.sum(grad_output, axis=0)
            grad_x_hat = grad_output * self.weight.data
        else:
            grad_x_hat = grad_output
        if not self._used_batch_stats:
            return grad_x_hat * inv_std
        n = x_hat.dtype.type(x_hat.shape[0])
        return (inv_std / n) * (
            n * grad_x_hat
            - np.sum(grad_x_hat, axis=0)
            - x_hat * np.sum(grad_x_hat * x_hat, axis=0)
        )

    # ------------------------------------------------------------------ helpers
    def _layer_dtype(self) -> np.dtype | None:
        """The dtype of the parameters/buffers (it changes with ``to(dtype)``);
        None when the layer has neither, and then accepts any float input."""
        if self.weight is not None:
            return self.weight.dtype
        if self.running_mean is not None:
            return self.running_mean.dtype
        return None

    def _check_input(self, x: np.ndarray) -> None:
        owner = repr(self)
        check_float_array(owner, "input", x)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"{owner}: expected input of shape (N, {self.num_features}), got {x.shape}"
            )
        dtype = self._layer_dtype()
        if dtype is not None and x.dtype != dtype:
            raise TypeError(
                f"{owner}: expected input of dtype {dtype} (the layer's), got "
                f"{x.dtype}; cast it with x.astype(np.{dtype}) or call .to(np.{x.dtype})"
            )
        if self._uses_batch_statistics() and x.shape[0] < 2:
            raise ValueError(
                f"{owner}: expected more than 1 sample per feature {self._batch_mode()} "
                f"(a batch variance needs 2 or more), got input of shape {x.shape}; "
                f"use a batch of N >= 2{self._eval_hint()}"
            )

    def _uses_batch_statistics(self) -> bool:
        """Whether forward normalises with the batch's statistics: in training
        mode, and always without running statistics."""
        return self.training or self.running_mean is None or self.running_var is None

    def _batch_mode(self) -> str:
        if self.training:
            return "in training mode"
        return "without running statistics (track_running_stats=False)"

    def _eval_hint(self) -> str:
        return " or call .eval()" if self.track_running_stats and self.training else ""

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )
