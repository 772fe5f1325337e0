"""`Linear`: the affine layer y = x W^T + b."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np._validation import (
    as_generator,
    check_backward_ready,
    check_float_array,
    check_grad_shape,
    check_int,
)
from minitorch_np.init import Initializer, get_initializer
from minitorch_np.layers.layer import Layer
from minitorch_np.parameter import Parameter


class Linear(Layer):
    """Fully connected layer ``y = x @ W.T + b``.

    Shapes: x (N, in_features) -> y (N, out_features);
    ``weight`` (out_features, in_features), ``bias`` (out_features,).

    Backward, for upstream gradient G = dL/dy of shape (N, out_features)::

        dL/dx = G @ W            (N, in_features)
        dL/dW += G^T @ x         (out_features, in_features)
        dL/db += G^T @ 1 = sum_n G[n]   (out_features,)

    ``accumulate_grad(G)`` does the last two lines only (see `Layer`).

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: whether to learn an additive bias (initialised to zero).
        init: weight initialiser name (see `minitorch_np.init`), default
            ``"he_normal"`` (right for ReLU nets), or a callable
            ``(shape, rng, dtype) -> array``.
        dtype: parameter dtype, float32 by default; inputs must match it.
        rng: numpy Generator or int seed for a reproducible init.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str | Initializer = "he_normal",
        dtype: DTypeLike = np.float32,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        in_features = check_int("Linear", "in_features", in_features, low=1)
        out_features = check_int("Linear", "out_features", out_features, low=1)
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(
                f"Linear: expected a float dtype (np.float32 or np.float64), got {np.dtype(dtype)}"
            )
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        initializer = get_initializer(init, "Linear")
        generator = as_generator(rng, "Linear")
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(initializer(shape, generator, dtype), dtype=dtype)
        self.bias = (
            Parameter(np.zeros(self.out_features), dtype=dtype) if bias else None
        )
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x)
        self._x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        self.accumulate_grad(grad_output)
        return grad_output @ self.weight.data

    def accumulate_grad(self, grad_output: np.ndarray) -> None:
        x = self._x
        if x is None:
            check_backward_ready(repr(self), x)
        assert x is not None
        if getattr(grad_output, "shape", None) != (x.shape[0], self.out_features):
            check_grad_shape(repr(self), grad_output, (x.shape[0], self.out_features))
        self.weight.add_to_grad(np.matmul, grad_output.T, x)  # dL/dW += G^T x
        if self.bias is not None:
            self.bias.grad += grad_output.sum(axis=0)

    def _check_input(self, x: np.ndarray) -> None:
        if (
            isinstance(x, np.ndarray)
            and x.ndim == 2
            and x.shape[1] == self.in_features
            and x.dtype == self.weight.dtype
        ):
            return  # the fast path of every training step
        owner = repr(self)
        check_float_array(owner, "input", x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            hint = ""
            if x.ndim > 2:
                hint = "; flatten images first, e.g. x.reshape(len(x), -1) or a Flatten() layer"
            elif x.ndim == 1 and x.shape[0] == self.in_features:
                hint = "; a single sample needs a batch axis: x.reshape(1, -1)"
            elif x.ndim == 2:
                hint = (
                    f"; the previous layer must output {self.in_features} features, or "
                    f"build this layer as Linear({x.shape[1]}, {self.out_features})"
                )
            raise ValueError(
                f"{owner}: expected input of shape (N, {self.in_features}), "
                f"got {x.shape}{hint}"
            )
        if x.dtype != self.weight.dtype:
            raise TypeError(
                f"{owner}: expected input of dtype {self.weight.dtype} (the weight's), "
                f"got {x.dtype}; cast it with x.astype(np.{self.weight.dtype}) or build "
                f"the layer with dtype=np.{x.dtype}"
            )

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
