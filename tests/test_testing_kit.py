"""minitorch_np.testing: check_layer passes correct user layers and fails each
kind of broken one with a message that says what is wrong; strategies; lazy
hypothesis import. (docs/custom_layer.md, the guide, runs in test_docs.py.)"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.layers.activation import Tanh
from minitorch_np.layers.layer import Layer
from minitorch_np.layers.linear import Linear
from minitorch_np.parameter import Parameter
from minitorch_np.testing import array_shapes, batch_shapes, check_layer, float_arrays


class ScaleShift(Layer):
    """y = x * gain + shift per feature, with a selectable planted bug."""

    def __init__(
        self, features: int, rng: np.random.Generator, bug: str | None = None
    ) -> None:
        super().__init__()
        self.gain = Parameter(rng.uniform(0.5, 2.0, features).astype(np.float32))
        self.shift = Parameter(rng.standard_normal(features).astype(np.float32))
        self.bug = bug
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        if self.bug == "mutates_input":
            x *= 2  # overwrites the caller's array
        if self.bug == "promotes_dtype":
            return x * self.gain.data * np.float64(1.0) + self.shift.data
        return x * self.gain.data + self.shift.data

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_gain = (grad_output * self._x).sum(axis=0)
        if self.bug == "gain_off_by_one_percent":
            grad_gain = grad_gain * 1.01
        if self.bug == "assigns_grad":
            self.gain.grad = grad_gain
        elif self.bug == "overwrites_grad":
            self.gain.grad[:] = grad_gain
        else:
            self.gain.grad += grad_gain
        self.shift.grad += grad_output.sum(axis=0)
        if self.bug == "mutates_grad_output":
            grad_output *= self.gain.data
            return grad_output
        return grad_output * self.gain.data


def scale_shift(bug: str | None = None):
    return lambda rng: ScaleShift(3, rng, bug)


def test_a_correct_layer_passes():
    check_layer(scale_shift(), batch_shapes(3))


@pytest.mark.parametrize(
    ("bug", "expected"),
    [
        (
            "gain_off_by_one_percent",
            (
                r"backward disagrees with float64 finite differences in train mode"
                r"[\s\S]*worst relative error 0\.0099 .* in 'gain'"
            ),
        ),
        (
            "assigns_grad",
            r"parameter 'gain': \.data/\.grad were replaced by new arrays; update them in place",
        ),
        (
            "overwrites_grad",
            r"parameter 'gain': after two backward\(\) calls grad is not twice .* must ADD",
        ),
        ("promotes_dtype", r"forward turned a float32 input into a float64 output"),
        ("mutates_input", r"forward modified its input x in place"),
        ("mutates_grad_output", r"backward modified grad_output \(dL/dy\) in place"),
    ],
)
def test_each_planted_bug_fails_with_a_message_that_names_it(bug, expected):
    with pytest.raises(
        AssertionError, match=r"check_layer\(ScaleShift\(\)\): " + expected
    ):
        check_layer(scale_shift(bug), batch_shapes(3), max_examples=10)


def test_the_gradient_failure_names_the_parameter_and_its_worst_relative_error():
    with pytest.raises(AssertionError) as error:
        check_layer(
            scale_shift("gain_off_by_one_percent"), batch_shapes(3), max_examples=10
        )
    first_lines = str(error.value).splitlines()[:2]
    assert (
        "gradcheck FAILED: worst relative error 0.0099 (tolerance 1e-06) in 'gain' at index"
        in first_lines[1]
    )


class FastScaleShift(ScaleShift):
    """Overrides accumulate_grad (what Trainer calls) to skip dL/dx; the
    planted bug forgets the shift gradient there."""

    def __init__(self, features: int, rng: np.random.Generator, forget: bool) -> None:
        super().__init__(features, rng)
        self.forget = forget

    def accumulate_grad(self, grad_output: np.ndarray) -> None:
        self.gain.grad += np.sum(grad_output * self._x, axis=0)
        if not self.forget:
            self.shift.grad += np.sum(grad_output, axis=0)


def test_an_accumulate_grad_override_must_match_backward():
    check_layer(lambda rng: FastScaleShift(3, rng, forget=False), batch_shapes(3))
    with pytest.raises(
        AssertionError,
        match=r"check_layer\(FastScaleShift\(\)\): parameter 'shift': accumulate_grad\(\) "
        r"left a different gradient than backward\(\)",
    ):
        check_layer(
            lambda rng: FastScaleShift(3, rng, forget=True),
            batch_shapes(3),
            max_examples=5,
        )


# ----------------------------------------------------------------- train/eval, batch, determinism
class Mask(Layer):
    """Dropout-like: multiplies by a random 0/2 mask in training, identity in eval."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.rng = rng
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training:
            self._mask = np.ones_like(x)
        else:
            self._mask = (self.rng.random(x.shape) < 0.5).astype(x.dtype) * 2
        return x * self._mask

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self._mask


class Center(Layer):
    """y = x - mean over the batch: mixes samples. dL/dx = G - mean_n G."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x - x.mean(axis=0, keepdims=True)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output - grad_output.mean(axis=0, keepdims=True)


class GlobalNoise(Layer):
    """Draws from fresh OS entropy at each forward: not reproducible."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return (
            x + np.random.default_rng().standard_normal(x.shape).astype(x.dtype) * 1e-3
        )

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


def test_a_layer_that_differs_in_eval_mode_must_declare_it():
    with pytest.raises(
        AssertionError,
        match=r"eval-mode output differs from train-mode output.*same_in_eval=False",
    ):
        check_layer(Mask, batch_shapes(3), max_examples=10)
    check_layer(Mask, batch_shapes(3), same_in_eval=False)


def test_a_layer_that_mixes_samples_must_declare_it():
    with pytest.raises(
        AssertionError,
        match=r"sample \d run alone gives a different output.*batch_independent=False",
    ):
        check_layer(Center, batch_shapes(3), max_examples=10)
    check_layer(Center, batch_shapes(3), batch_independent=False)


def test_an_irreproducible_layer_fails_determinism():
    with pytest.raises(
        AssertionError, match=r"two identical layers gave different outputs"
    ):
        check_layer(GlobalNoise, batch_shapes(2), max_examples=5)


class ListHolder(Layer):
    """Keeps its sub-layers in a plain list: they are not registered."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.blocks = [Linear(3, 3, dtype=np.float64, rng=rng), Tanh()]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for block in self.blocks:
            x = block.forward(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for block in reversed(self.blocks):
            grad_output = block.backward(grad_output)
        return grad_output


class StubbornTrain(Layer):
    """Overrides train() without calling super(): eval() never reaches the child."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = Tanh()

    def train(self, mode: bool = True) -> Layer:
        object.__setattr__(self, "training", mode)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.inner.forward(x)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return self.inner.backward(grad_output)


def test_unregistered_sub_layers_are_reported():
    with pytest.raises(
        AssertionError,
        match=r"Linear\(in_features=3.*held in ListHolder\.blocks \(a list\) "
        r"is not registered",
    ):
        check_layer(ListHolder, batch_shapes(3), max_examples=3)


def test_train_eval_must_reach_children():
    with pytest.raises(
        AssertionError, match=r"train\(False\) did not reach sub-layers \['Tanh'\]"
    ):
        check_layer(StubbornTrain, batch_shapes(3), max_examples=3)


# ----------------------------------------------------------------- kinks, filters, factories
class ClipAtOne(Layer):
    """y = min(x, 1): the derivative jumps at x = 1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._below = x < 1
        return np.minimum(x, 1)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self._below


class Reciprocal(Layer):
    """y = 1 / x, dL/dx = -G / x^2; refuses inputs near its pole."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        if np.any(np.abs(x) < 0.4):
            raise AssertionError("input_filter was not applied")
        self._x = x
        return 1 / x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return -grad_output / (self._x * self._x)


def test_avoid_kinks_keeps_inputs_off_a_kink_anywhere():
    check_layer(
        ClipAtOne,
        array_shapes(max_dims=2),
        elements=(0.99, 1.01),
        avoid_kinks=(1.0,),
        kink_margin=1e-3,
    )


def test_input_filter_discards_inputs():
    check_layer(
        Reciprocal,
        array_shapes(max_dims=2),
        input_filter=lambda x: bool(np.all(np.abs(x) > 0.5)),
    )


def test_every_factory_form_and_a_fixed_shape():
    seen: list[tuple[int, ...]] = []

    def with_shape(rng: np.random.Generator, shape: tuple[int, ...]) -> Linear:
        seen.append(shape)
        return Linear(shape[1], 2, dtype=np.float64, rng=rng)

    check_layer(with_shape, batch_shapes(4), max_examples=5)
    assert seen and all(len(shape) == 2 and shape[1] == 4 for shape in seen)
    check_layer(Tanh, (2, 3), max_examples=3, dtype=np.float64)
    check_layer(lambda: Tanh(), [2, 3], max_examples=3)
    check_layer(lambda rng: Linear(3, 2, rng=rng), (1, 3), max_examples=3)


def test_bad_arguments_are_explained():
    with pytest.raises(
        TypeError, match=r"make_layer must return a minitorch_np Layer, got ndarray"
    ):
        check_layer(lambda: np.zeros(3), (2, 3), max_examples=1)
    with pytest.raises(
        TypeError,
        match=r"make_layer must take no argument, \(rng\) or \(rng, input_shape\)",
    ):
        check_layer(lambda a, b, c: Tanh(), (2, 3))
    with pytest.raises(
        TypeError,
        match=r"expected a shape tuple such as \(4, 3\) or a hypothesis strategy",
    ):
        check_layer(Tanh, "2x3")
    with pytest.raises(
        ValueError, match=r"float_arrays: expected finite low < high, got low=1, high=0"
    ):
        check_layer(Tanh, (2, 3), elements=(1, 0))


# ----------------------------------------------------------------- strategies
@given(shape=batch_shapes(28, 28, max_batch=3))
def test_batch_shapes(shape):
    assert len(shape) == 3 and 1 <= shape[0] <= 3 and shape[1:] == (28, 28)


@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=5))
def test_array_shapes(shape):
    assert 2 <= len(shape) <= 3 and all(2 <= side <= 5 for side in shape)


@given(
    x=float_arrays(
        array_shapes(),
        low=-1.0,
        high=1.0,
        dtype=np.float32,
        avoid=(0.0, 0.5),
        margin=0.1,
    )
)
def test_float_arrays_respect_range_dtype_and_kinks(x):
    assert x.dtype == np.float32
    assert np.all(x >= -1.0) and np.all(x <= 1.0)
    assert np.all(np.abs(x) >= np.float32(0.1)) and np.all(
        np.abs(x - 0.5) >= np.float32(0.1) - 1e-7
    )


@given(data=st.data())
def test_float_arrays_reproduce_from_shape_and_seed(data):
    """Equal draws give equal arrays: failures are reproducible."""
    x = data.draw(float_arrays((2, 3)))
    assert x.shape == (2, 3) and x.dtype == np.float64 and np.all(np.isfinite(x))


def test_missing_hypothesis_names_the_extra(monkeypatch):
    from minitorch_np import testing

    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.setitem(sys.modules, "hypothesis.strategies", None)
    for call in (
        lambda: testing.batch_shapes(3),
        lambda: testing.check_layer(Tanh, (2, 3)),
    ):
        with pytest.raises(
            ImportError,
            match=r'needs the hypothesis package.*pip install "minitorch_np\[test\]"',
        ):
            call()


class StaleCache(Layer):
    """y = x * w, but backward uses the input of the FIRST forward ever."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.w = Parameter(rng.uniform(0.5, 1.5, size=3))

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self, "_first_x"):
            self._first_x = x.copy()
        return x * self.w.data

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        self.w.grad += (grad_output * self._first_x).sum(axis=0)
        return grad_output * self.w.data


def test_a_backward_that_uses_an_earlier_forwards_input_is_caught():
    with pytest.raises(
        AssertionError,
        match=r"after a forward/backward on another input, the gradient of 'w' for x "
        r"differ from a fresh layer's",
    ):
        check_layer(StaleCache, batch_shapes(3), max_examples=20, dtype=np.float64)
