"""gradcheck: passes correct layers, catches planted gradient bugs and says where."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np.gradcheck import GradcheckError, GradcheckReport, gradcheck
from minitorch_np.layers.activation import Tanh
from minitorch_np.layers.layer import Layer
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.parameter import Parameter


class ScaleShift(Layer):
    """y = x * gain + shift (per feature); ``planted`` adds a bug to one gradient."""

    def __init__(self, features: int, planted: str | None = None) -> None:
        super().__init__()
        self.gain = Parameter(np.linspace(0.5, 1.5, features, dtype=np.float32))
        self.shift = Parameter(np.linspace(-1, 1, features, dtype=np.float32))
        self.planted = planted
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return x * self.gain.data + self.shift.data

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_gain = (grad_output * self._x).sum(axis=0)
        if self.planted == "gain":
            grad_gain = grad_gain * 1.001  # a 0.1 % error
        self.gain.grad += grad_gain
        self.shift.grad += grad_output.sum(axis=0) / (
            2 if self.planted == "shift" else 1
        )
        grad_x = grad_output * self.gain.data
        if self.planted == "input":
            grad_x[0, 0] += 0.01
        return grad_x


class NoisyScale(Layer):
    """Multiplies by random factors drawn from its own Generator at every
    forward (like Dropout): checkable because gradcheck copies the layer."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = np.random.default_rng(seed)
        self._factors: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._factors = self.rng.uniform(0.5, 2.0, size=x.shape).astype(x.dtype)
        return x * self._factors

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self._factors


X = np.random.default_rng(0).uniform(-1, 1, size=(4, 3)).astype(np.float32)


def test_a_correct_layer_passes_with_tiny_errors():
    report = gradcheck(ScaleShift(3), X)
    assert isinstance(report, GradcheckReport) and report.passed
    assert set(report.errors) == {"input", "gain", "shift"}
    assert report.max_error < 1e-8


@pytest.mark.parametrize(
    ("planted", "worst"), [("gain", "gain"), ("shift", "shift"), ("input", "input")]
)
def test_a_planted_wrong_gradient_is_caught_and_located(planted, worst):
    with pytest.raises(GradcheckError) as error:
        gradcheck(ScaleShift(3, planted=planted), X)
    report = error.value.report
    assert isinstance(error.value, AssertionError)
    assert not report.passed and report.worst_name == worst
    message = str(error.value)
    assert message.startswith(
        f"gradcheck FAILED: worst relative error {report.max_error:.3g} (tolerance 1e-06) in '{worst}' at index"
    )
    assert "analytic" in message and "numeric" in message


def test_the_report_locates_the_worst_element():
    report = gradcheck(ScaleShift(3, planted="input"), X, raise_on_failure=False)
    assert not report.passed
    assert report.locations["input"] == (0, 0)
    analytic, numeric = report.values["input"]
    assert analytic - numeric == pytest.approx(0.01, rel=1e-6)


def test_gradcheck_leaves_the_layer_untouched():
    layer = ScaleShift(3)
    layer.gain.grad += 1.0
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    gradcheck(layer, X)
    assert layer.gain.dtype == np.float32
    np.testing.assert_array_equal(layer.gain.grad, np.ones(3, dtype=np.float32))
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_nested_parameters_are_named_by_their_dotted_path():
    net = Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=1))
    report = gradcheck(net, X)
    assert list(report.errors) == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]


def test_layers_with_their_own_random_state_can_be_checked():
    gradcheck(NoisyScale(seed=3), X)


def test_rng_forms_and_a_wrong_gradient_shape():
    gradcheck(ScaleShift(3), X, rng=np.random.default_rng(1))
    with pytest.raises(
        TypeError, match=r"gradcheck: expected rng to be a numpy.random.Generator"
    ):
        gradcheck(ScaleShift(3), X, rng="seed")

    class Squeezer(ScaleShift):
        def backward(self, grad_output: np.ndarray) -> np.ndarray:
            super().backward(grad_output)
            return grad_output[:, :2]

    with pytest.raises(
        ValueError,
        match=r"analytic gradient of 'input' has shape \(4, 2\), expected \(4, 3\)",
    ):
        gradcheck(Squeezer(3), X)


class NonFiniteGrad(ScaleShift):
    """Correct except that one parameter's gradient gets ``value`` added."""

    def __init__(self, features: int, name: str, value: float) -> None:
        super().__init__(features)
        self.bad_name, self.value = name, value

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_output)
        getattr(self, self.bad_name).grad[0] += self.value
        return grad_x


@pytest.mark.parametrize("name", ["gain", "shift"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_nan_or_inf_gradient_fails_wherever_it_is(name, value):
    # "gain" is checked before "shift": a NaN after the first error must not
    # be dropped by the maximum (Python's max ignores a later NaN)
    report = gradcheck(NonFiniteGrad(3, name, value), X, raise_on_failure=False)
    assert not report.passed
    assert report.max_error == np.inf
    assert report.worst_name == name and report.locations[name] == (0,)
    with pytest.raises(
        GradcheckError,
        match=rf"FAILED: worst relative error inf \(tolerance 1e-06\) in '{name}'",
    ):
        gradcheck(NonFiniteGrad(3, name, value), X)


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"eps": 0.0}, ValueError, r"gradcheck: expected eps in \(0.0, inf\], got 0.0"),
        ({"eps": float("nan")}, ValueError, r"expected eps in"),
        ({"eps": "1e-5"}, TypeError, r"gradcheck: expected eps to be a number"),
        ({"tolerance": -1e-6}, ValueError, r"expected tolerance in \[0.0, inf\]"),
        ({"floor": 0}, ValueError, r"expected floor in \(0.0, inf\]"),
        (
            {"raise_on_failure": "yes"},
            TypeError,
            r"expected raise_on_failure to be True or False",
        ),
    ],
)
def test_bad_settings_are_refused_by_name(options, error, message):
    with pytest.raises(error, match=message):
        gradcheck(ScaleShift(3), X, **options)
