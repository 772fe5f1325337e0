"""Running a layer for `check_layer`'s properties: one forward and backward
with the checks every run needs, the tolerance of a comparison, and the
failure that names the layer."""

from __future__ import annotations

from typing import NoReturn

import numpy as np

from minitorch_np.layers.layer import Layer


def fail(name: str, message: str) -> NoReturn:
    __tracebackhide__ = True  # pytest: show the failing check, not this helper
    raise AssertionError(f"check_layer({name}): {message}")


def tolerance_of(dtype: np.dtype) -> float:
    """Relative slack for comparisons that may differ by rounding only."""
    return 64 * float(np.finfo(dtype).eps)


def forward_backward(
    name: str, layer: Layer, x: np.ndarray, grad_output: np.ndarray, *, call: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One forward (via ``layer(x)`` if ``call``) and one backward, checking that
    neither touches ``x``, dL/dy or any parameter value, and that ``p.data`` and
    ``p.grad`` stay the same arrays. Returns copies of y, dL/dx and each grad."""
    x_before, grad_output_before = x.copy(), grad_output.copy()
    params = dict(layer.named_parameters())
    arrays_before = {key: (p.data, p.grad) for key, p in params.items()}
    values_before = {key: p.data.copy() for key, p in params.items()}

    y = layer(x) if call else layer.forward(x)
    if not np.array_equal(x, x_before):
        fail(name, "forward modified its input x in place; compute into a new array")
    y = np.array(y, copy=True)
    grad_x = layer.backward(grad_output)
    if not isinstance(grad_x, np.ndarray):
        fail(
            name,
            f"backward must return dL/dx as a numpy array, got {type(grad_x).__name__}",
        )
    if not np.array_equal(x, x_before):
        fail(name, "backward modified the forward input x in place")
    if not np.array_equal(grad_output, grad_output_before):
        fail(
            name,
            "backward modified grad_output (dL/dy) in place; compute into a new array",
        )
    for key, param in params.items():
        data, grad = arrays_before[key]
        if param.data is not data or param.grad is not grad:
            fail(
                name,
                f"parameter {key!r}: .data/.grad were replaced by new arrays; update "
                "them in place (p.grad += ..., never p.grad = ...)",
            )
        if not np.array_equal(param.data, values_before[key]):
            fail(name, f"forward/backward changed the value of parameter {key!r}")
    grads = {key: p.grad.copy() for key, p in params.items()}
    return y, np.array(grad_x, copy=True), grads


def close(
    actual: np.ndarray,
    expected: np.ndarray,
    *magnitudes: np.ndarray,
    floor: float = 1.0,
) -> bool:
    """Equal up to rounding: a relative slack of 64 ulps of the dtype, measured
    against the largest magnitude in ``expected`` and ``magnitudes`` (at least
    ``floor``), because a result near zero can carry the rounding of large terms."""
    if actual.shape != expected.shape:
        return False
    rtol = tolerance_of(np.result_type(actual, expected))
    scale = max(
        [floor] + [float(np.max(np.abs(a))) for a in (expected, *magnitudes) if a.size]
    )
    return bool(np.allclose(actual, expected, rtol=rtol, atol=rtol * scale))


def max_difference(actual: np.ndarray, expected: np.ndarray) -> float:
    if actual.shape != expected.shape:
        return float("inf")
    return (
        float(np.max(np.abs(actual.astype(np.float64) - expected)))
        if actual.size
        else 0.0
    )
