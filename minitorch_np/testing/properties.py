"""The properties `check_layer` verifies on one (layer, input) pair; each
failure raises AssertionError with a message that says what is wrong and how
to fix it."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from minitorch_np.gradcheck import GradcheckError, gradcheck
from minitorch_np.layers.layer import Layer
from minitorch_np.parameter import Parameter
from minitorch_np.testing._runs import (
    close,
    fail,
    forward_backward,
    max_difference,
)


@dataclass(frozen=True)
class CheckOptions:
    """What `check_layer` was told about the layer (see its arguments)."""

    same_in_eval: bool
    batch_independent: bool
    dtype: np.dtype | None
    tolerance: float
    eps: float


def check_example(
    layer: Layer, x64: np.ndarray, rng: np.random.Generator, options: CheckOptions
) -> None:
    """Run every property on one (layer, input) pair."""
    name = _describe(layer)
    layer.zero_grad()
    _check_registration(name, layer)
    _check_mode_propagation(name, copy.deepcopy(layer))
    dtype = options.dtype or _parameter_dtype(layer)
    x = x64.astype(dtype)
    grad_output = rng.standard_normal(
        _output_shape(name, copy.deepcopy(layer), x)
    ).astype(dtype)

    first = copy.deepcopy(layer)
    y, grad_x, grads = forward_backward(name, first, x, grad_output, call=True)
    _check_shapes_and_dtypes(name, first, x, y, grad_x)
    _check_accumulation(name, first, grad_output, grad_x, grads)
    _check_accumulate_grad(name, copy.deepcopy(layer), x, grad_output, grads)
    _check_determinism(name, copy.deepcopy(layer), x, grad_output, (y, grad_x, grads))
    _check_second_call(name, layer, x, grad_output, (y, grad_x, grads))
    _check_eval_mode(name, layer, x, y, options)
    _check_gradients(name, layer, x64, options)


def _describe(layer: Layer) -> str:
    text = repr(layer)
    return text if "\n" not in text else type(layer).__name__


def _parameter_dtype(layer: Layer) -> np.dtype:
    params = layer.parameters()
    return params[0].dtype if params else np.dtype(np.float32)


def _output_shape(name: str, layer: Layer, x: np.ndarray) -> tuple[int, ...]:
    y = layer.forward(x.copy())
    if not isinstance(y, np.ndarray):
        fail(name, f"forward must return a numpy array, got {type(y).__name__}")
    return y.shape


def _check_shapes_and_dtypes(
    name: str, layer: Layer, x: np.ndarray, y: np.ndarray, grad_x: np.ndarray
) -> None:
    if y.dtype != x.dtype:
        fail(
            name,
            f"forward turned a {x.dtype} input into a {y.dtype} output; keep the input dtype",
        )
    if grad_x.shape != x.shape:
        fail(
            name,
            f"backward returned dL/dx of shape {grad_x.shape}, expected the input's {x.shape}",
        )
    if grad_x.dtype != x.dtype:
        fail(
            name,
            f"backward returned dL/dx of dtype {grad_x.dtype}, expected the input's {x.dtype}",
        )
    for key, param in layer.named_parameters():
        if param.grad.shape != param.data.shape or param.grad.dtype != param.data.dtype:
            fail(
                name,
                f"parameter {key!r}: grad has shape {param.grad.shape} dtype {param.grad.dtype}, "
                f"expected the parameter's {param.data.shape} {param.data.dtype}",
            )


def _check_accumulation(
    name: str,
    layer: Layer,
    grad_output: np.ndarray,
    grad_x: np.ndarray,
    grads: dict[str, np.ndarray],
) -> None:
    """A second backward for the same forward returns the same dL/dx and adds
    the same parameter gradients again, so every ``.grad`` doubles."""
    second_grad_x = layer.backward(grad_output.copy())
    if not np.array_equal(second_grad_x, grad_x):
        fail(
            name, "a second backward() for the same forward returned a different dL/dx"
        )
    for key, param in layer.named_parameters():
        expected = 2 * grads[key]
        if not close(param.grad, expected, floor=0.0):  # g + g vs 2 g: tiny slack
            fail(
                name,
                f"parameter {key!r}: after two backward() calls grad is not twice the "
                f"single gradient (max abs difference {max_difference(param.grad, expected):.3g}); "
                "backward must ADD into .grad (p.grad += ...), not assign it",
            )


def _check_accumulate_grad(
    name: str,
    layer: Layer,
    x: np.ndarray,
    grad_output: np.ndarray,
    grads: dict[str, np.ndarray],
) -> None:
    """``accumulate_grad`` is ``backward`` without dL/dx: after a fresh
    ``zero_grad`` it must leave the parameter gradients of one ``backward``
    (up to rounding: an override may sum in another order)."""
    layer.zero_grad()
    layer.forward(x.copy())
    layer.accumulate_grad(grad_output.copy())
    for key, param in layer.named_parameters():
        if not close(param.grad, grads[key], floor=0.0):
            fail(
                name,
                f"parameter {key!r}: accumulate_grad() left a different gradient than "
                f"backward() (max abs difference "
                f"{max_difference(param.grad, grads[key]):.3g}); an override must add "
                "exactly the dL/dw that backward adds",
            )


def _check_determinism(
    name: str,
    layer: Layer,
    x: np.ndarray,
    grad_output: np.ndarray,
    reference: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]],
) -> None:
    """An identical copy, run through ``forward`` (not ``__call__``), must give
    bit-identical output and gradients."""
    y, grad_x, grads = forward_backward(
        name, layer, x.copy(), grad_output.copy(), call=False
    )
    ref_y, ref_grad_x, ref_grads = reference
    if not np.array_equal(y, ref_y):
        fail(
            name,
            "two identical layers gave different outputs for the same input "
            "(or layer(x) differs from layer.forward(x))",
        )
    if not np.array_equal(grad_x, ref_grad_x):
        fail(
            name,
            "two identical layers gave different dL/dx for the same input and dL/dy",
        )
    for key, grad in grads.items():
        if not np.array_equal(grad, ref_grads[key]):
            fail(
                name,
                f"two identical layers gave different gradients for parameter {key!r}",
            )


def _check_second_call(
    name: str,
    layer: Layer,
    x: np.ndarray,
    grad_output: np.ndarray,
    reference: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]],
) -> None:
    """A copy that first runs forward and backward on another input, then on
    ``x`` (its generators reset, its gradients zeroed), must give what a fresh
    copy gave: backward refers to the most recent forward, not to a cache
    kept from an earlier one."""
    other = copy.deepcopy(layer)
    states = {key: rng.bit_generator.state for key, rng in other.named_generators()}
    # the same values in other places: still inside the inputs the strategy allows
    x_other = np.roll(x.ravel(), 1).reshape(x.shape)
    other.forward(x_other)
    other.backward(grad_output * grad_output.dtype.type(-0.5))
    for key, rng in other.named_generators():
        rng.bit_generator.state = states[key]
    other.zero_grad()
    y, grad_x, grads = forward_backward(
        name, other, x.copy(), grad_output.copy(), call=True
    )
    ref_y, ref_grad_x, ref_grads = reference
    stale = [
        what
        for what, actual, expected in [
            ("the output", y, ref_y),
            ("dL/dx", grad_x, ref_grad_x),
            *(
                (f"the gradient of {key!r}", grads[key], ref_grads[key])
                for key in grads
            ),
        ]
        if not close(actual, expected)
    ]
    if stale:
        fail(
            name,
            f"after a forward/backward on another input, {', '.join(stale)} for x "
            "differ from a fresh layer's: forward or backward uses something kept from "
            "an earlier call (backward must use the most recent forward's cache)",
        )


def _check_registration(name: str, layer: Layer) -> None:
    """Layers and Parameters kept inside containers (``self.blocks = [...]``)
    bypass the registry: the optimizer would never see their parameters."""
    registered = {id(sub) for sub in _all_layers(layer)}
    registered |= {id(param) for param in layer.parameters()}
    for owner in _all_layers(layer):
        for attribute, value in vars(owner).items():
            if not isinstance(value, (list, tuple, dict)):
                continue
            for item in value.values() if isinstance(value, dict) else value:
                if isinstance(item, (Layer, Parameter)) and id(item) not in registered:
                    fail(
                        name,
                        f"{item!r} held in {type(owner).__name__}.{attribute} (a "
                        f"{type(value).__name__}) is not registered, so parameters(), "
                        "train()/eval() and state_dict() miss it; assign each one as an "
                        "attribute (self.block0 = ...) or use Sequential",
                    )


def _check_mode_propagation(name: str, layer: Layer) -> None:
    for mode in (False, True):
        layer.train(mode)
        stale = [
            type(sub).__name__ for sub in _all_layers(layer) if sub.training != mode
        ]
        if stale:
            fail(
                name,
                f"train({mode}) did not reach sub-layers {stale}; an overridden train() "
                "must call super().train(mode)",
            )


def _all_layers(layer: Layer) -> list[Layer]:
    found = [layer]
    for child in layer.children():
        found.extend(_all_layers(child))
    return found


def _check_eval_mode(
    name: str, layer: Layer, x: np.ndarray, y_train: np.ndarray, options: CheckOptions
) -> None:
    evaluated = copy.deepcopy(layer).eval()
    state_before = evaluated.state_dict()
    y_eval = np.array(evaluated.forward(x.copy()), copy=True)
    if options.same_in_eval and not close(y_eval, y_train, x):
        fail(
            name,
            f"eval-mode output differs from train-mode output (max abs difference "
            f"{max_difference(y_eval, y_train):.3g}); pass same_in_eval=False if the "
            "layer is meant to behave differently (e.g. Dropout, BatchNorm)",
        )
    if not np.array_equal(evaluated.forward(x.copy()), y_eval):
        fail(
            name,
            "two eval-mode forward passes on the same input gave different outputs",
        )
    state_after = evaluated.state_dict()
    changed = [
        key
        for key in state_before
        if not np.array_equal(state_before[key], state_after[key])
    ]
    if changed:
        fail(name, f"an eval-mode forward changed parameters/buffers {changed}")
    if options.batch_independent:
        _check_batch_independence(name, evaluated, x, y_eval)


def _check_batch_independence(
    name: str, layer: Layer, x: np.ndarray, y: np.ndarray
) -> None:
    for row in range(x.shape[0]):
        single = layer.forward(x[row : row + 1].copy())
        if not close(single, y[row : row + 1], x):
            fail(
                name,
                f"in eval mode, sample {row} run alone gives a different output than "
                f"inside the batch of {x.shape[0]} (max abs difference "
                f"{max_difference(single, y[row : row + 1]):.3g}); pass "
                "batch_independent=False if the layer mixes samples",
            )


def _check_gradients(
    name: str, layer: Layer, x64: np.ndarray, options: CheckOptions
) -> None:
    modes = [True] if options.same_in_eval else [True, False]
    for training in modes:
        candidate = copy.deepcopy(layer).train(training)
        try:
            gradcheck(candidate, x64, eps=options.eps, tolerance=options.tolerance)
        except GradcheckError as error:
            mode = "train" if training else "eval"
            fail(
                name,
                f"backward disagrees with float64 finite differences in {mode} mode "
                f"for input shape {x64.shape}:\n{error.report}",
            )
