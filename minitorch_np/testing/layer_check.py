"""`check_layer`: property-test a layer against the layer contract."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np.layers.layer import Layer
from minitorch_np.testing.properties import CheckOptions, check_example
from minitorch_np.testing.strategies import (
    MAX_SEED,
    float_arrays,
    require_hypothesis,
    shape_strategy,
)

if TYPE_CHECKING:
    from minitorch_np.testing.strategies import ShapeSpec


def check_layer(
    make_layer: Callable[..., Layer],
    input_shapes: ShapeSpec,
    *,
    elements: tuple[float, float] = (-2.0, 2.0),
    avoid_kinks: Sequence[float] = (),
    kink_margin: float = 1e-3,
    input_filter: Callable[[np.ndarray], bool] | None = None,
    same_in_eval: bool = True,
    batch_independent: bool = True,
    dtype: DTypeLike | None = None,
    tolerance: float = 1e-6,
    eps: float = 1e-5,
    max_examples: int | None = 25,
) -> None:
    """Property-test a layer against the layer contract; raise AssertionError
    (with the falsifying example printed by hypothesis) on the first violation.

    Call it from a plain test function (not one decorated with ``@given``).

    Args:
        make_layer: builds a fresh layer. Either a zero-argument factory
            (``ReLU``, ``lambda: Swish()``), a function of a numpy Generator
            (``lambda rng: Linear(3, 2, rng=rng)``), or of a Generator and the
            drawn input shape (``lambda rng, shape: Linear(shape[1], 2, rng=rng)``),
            told apart by their number of required arguments.
        input_shapes: a fixed shape tuple, e.g. ``(4, 3)``, or a hypothesis
            strategy of shapes, e.g. ``batch_shapes(3)``. Axis 0 is the batch.
        elements: (low, high): input elements are drawn uniformly from it.
        avoid_kinks: input values where the layer's derivative jumps (ReLU:
            ``(0.0,)``); elements are kept ``kink_margin`` away from them.
        input_filter: predicate on the float64 input; inputs for which it is
            False are discarded (use it for kinks that are not at fixed inputs).
        same_in_eval: True if the layer computes the same function in train and
            eval mode. Set False for Dropout/BatchNorm-like layers: eval mode is
            then gradient-checked on its own instead of compared to train mode.
        batch_independent: True if each output row depends only on its own
            input row in eval mode (checked by running samples one by one).
        dtype: dtype of the shape/dtype/accumulation/determinism checks; by
            default the dtype of the layer's parameters (float32 if it has none).
            Gradient checks always run in float64.
        tolerance, eps: passed to `gradcheck` (largest relative error, step).
        max_examples: number of hypothesis examples; None keeps the active
            hypothesis profile's value.
    """
    hypothesis = require_hypothesis()
    st = hypothesis.strategies
    low, high = elements
    build = _normalised_factory(make_layer)
    shapes = shape_strategy(st, input_shapes, "check_layer")
    inputs = float_arrays(
        shapes, low=low, high=high, avoid=avoid_kinks, margin=kink_margin
    )
    if input_filter is not None:
        inputs = inputs.filter(input_filter)
    options = CheckOptions(
        same_in_eval=same_in_eval,
        batch_independent=batch_independent,
        dtype=None if dtype is None else np.dtype(dtype),
        tolerance=tolerance,
        eps=eps,
    )

    overrides: dict[str, Any] = {
        "deadline": None,
        "suppress_health_check": [hypothesis.HealthCheck.too_slow],
        # the explain phase traces every line of hundreds of re-runs: seconds
        # of waiting for a note that cannot say more than the message does
        "phases": [
            phase for phase in hypothesis.settings().phases if phase.name != "explain"
        ],
    }
    if max_examples is not None:
        overrides["max_examples"] = max_examples

    @hypothesis.settings(**overrides)
    @hypothesis.given(
        x=inputs,
        layer_seed=st.integers(0, MAX_SEED),
        grad_seed=st.integers(0, MAX_SEED),
    )
    def check_layer_example(x: np.ndarray, layer_seed: int, grad_seed: int) -> None:
        layer = build(np.random.default_rng(layer_seed), x.shape)
        check_example(layer, x, np.random.default_rng(grad_seed), options)

    check_layer_example()


def _normalised_factory(
    make_layer: Callable[..., Layer],
) -> Callable[[np.random.Generator, tuple[int, ...]], Layer]:
    """Turn any accepted ``make_layer`` form into ``(rng, shape) -> Layer``."""
    if not callable(make_layer):
        raise TypeError(
            f"check_layer: expected make_layer to be callable, got {make_layer!r}"
        )
    required = _required_positional_count(make_layer)
    if required > 2:
        raise TypeError(
            f"check_layer: make_layer must take no argument, (rng) or (rng, input_shape); "
            f"{make_layer!r} requires {required} arguments"
        )

    def build(rng: np.random.Generator, shape: tuple[int, ...]) -> Layer:
        layer = make_layer(*(rng, shape)[:required])
        if not isinstance(layer, Layer):
            raise TypeError(
                f"check_layer: make_layer must return a minitorch_np Layer, "
                f"got {type(layer).__name__}"
            )
        return layer

    return build


def _required_positional_count(function: Callable[..., object]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return 0
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )
    return sum(
        p.kind in positional and p.default is inspect.Parameter.empty
        for p in parameters
    )
