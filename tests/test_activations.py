"""ReLU, LeakyReLU, Sigmoid, Tanh and Softmax: the layer contract (via the testing
kit), their formulas, numerical stability for large |x|, dtypes and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_np.gradcheck import gradcheck
from minitorch_np.layers.activation import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from minitorch_np.testing import array_shapes, batch_shapes, check_layer, float_arrays

shapes = array_shapes(max_dims=3, max_side=4)


def test_relu_contract_away_from_the_kink():
    check_layer(ReLU, shapes, avoid_kinks=(0.0,))


def test_sigmoid_contract_over_a_wide_range():
    check_layer(Sigmoid, shapes, elements=(-20.0, 20.0))


def test_tanh_contract():
    check_layer(Tanh, shapes, elements=(-4.0, 4.0))


@given(x=float_arrays(shapes, low=-5, high=5))
def test_forward_formulas(x):
    np.testing.assert_array_equal(ReLU()(x), np.where(x > 0, x, 0.0))
    np.testing.assert_allclose(Sigmoid()(x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(Tanh()(x), np.tanh(x), rtol=1e-15)


@given(x=float_arrays(shapes, low=-5, high=5), seed=st.integers(0, 2**32 - 1))
def test_backward_formulas(x, seed):
    """Written with the textbook derivatives of x, not of the cached outputs."""
    g = np.random.default_rng(seed).standard_normal(x.shape)
    for layer, derivative in [
        (ReLU(), (x > 0).astype(float)),
        (Sigmoid(), np.exp(-x) / (1 + np.exp(-x)) ** 2),
        (Tanh(), 1 / np.cosh(x) ** 2),
    ]:
        layer(x)
        np.testing.assert_allclose(
            layer.backward(g), g * derivative, rtol=1e-12, atol=1e-15
        )


def test_relu_subgradient_at_zero_is_zero():
    relu = ReLU()
    relu(np.zeros((1, 3)))
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), np.zeros((1, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    x = np.array([[-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4]], dtype=dtype)
    sigmoid = Sigmoid()
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = sigmoid(x)
        grad = sigmoid.backward(np.ones_like(x))
    assert y.dtype == grad.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))
    assert y[0, 0] == 0 and y[0, -1] == 1 and y[0, 3] == 0.5
    assert y[0, 2] == pytest.approx(math.exp(-100), rel=1e-5)  # not rounded to 0
    np.testing.assert_array_equal(
        y + y[:, ::-1], np.ones_like(x)
    )  # sigmoid(-x) = 1 - sigmoid(x)
    assert grad[0, 0] == grad[0, -1] == 0


def test_tanh_saturates_without_warnings():
    x = np.array([[-1e4, 1e4]], dtype=np.float32)
    with np.errstate(all="raise"):
        tanh = Tanh()
        np.testing.assert_array_equal(tanh(x), [[-1, 1]])
        np.testing.assert_array_equal(tanh.backward(np.ones_like(x)), [[0, 0]])


@pytest.mark.parametrize("layer_class", [ReLU, Sigmoid, Tanh])
def test_activations_refuse_integer_input_and_name_themselves(layer_class):
    name = layer_class.__name__
    with pytest.raises(
        TypeError, match=rf"{name}\(\): expected input of a float dtype, got uint8"
    ):
        layer_class()(np.zeros((2, 2), dtype=np.uint8))
    layer = layer_class()
    with pytest.raises(
        RuntimeError, match=rf"{name}\(\): backward\(\) called before forward\(\)"
    ):
        layer.backward(np.zeros((2, 2)))
    layer(np.zeros((2, 2)))
    with pytest.raises(
        ValueError, match=rf"{name}\(\): expected grad_output of shape \(2, 2\)"
    ):
        layer.backward(np.zeros((2, 3)))


def test_relu_of_infinities_and_nan_and_any_rank():
    x = np.array([[-np.inf, np.inf, np.nan, -0.0, 2.0]], dtype=np.float32)
    y = ReLU().forward(x)
    np.testing.assert_array_equal(y, [[0.0, np.inf, np.nan, 0.0, 2.0]])
    for shape in [(), (3,), (2, 3, 4)]:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        np.testing.assert_array_equal(ReLU().forward(x), np.maximum(x, 0))


def test_relu_of_an_empty_batch():
    layer = ReLU()
    y = layer.forward(np.zeros((0, 5), np.float32))
    assert y.shape == (0, 5) and y.dtype == np.float32
    assert layer.backward(np.zeros((0, 5), np.float32)).shape == (0, 5)


def test_relu_keeps_the_memory_layout_and_values_of_a_strided_input():
    # a convolution's output: (N, C, H, W) over (N, H, W, C) memory
    nhwc = np.random.default_rng(1).standard_normal((3, 5, 4, 2)).astype(np.float32)
    x = nhwc.transpose(0, 3, 1, 2)
    layer = ReLU()
    y = layer.forward(x)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert y.strides == x.strides and y.dtype == np.float32
    g = np.ones_like(x)
    np.testing.assert_array_equal(layer.backward(g), (x > 0).astype(np.float32))


# ---------------------------------------------------------------------- LeakyReLU


def test_leaky_relu_values_and_gradient():
    layer = LeakyReLU(0.1)
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]], dtype=np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.float32([[-0.2, -0.05, 0.0, 0.5, 3.0]]))
    grad = np.float32([[1.0, 2.0, 3.0, 4.0, 5.0]])
    # the kink x = 0 takes the negative slope, as in PyTorch
    np.testing.assert_array_equal(
        layer.backward(grad), np.float32([[0.1, 0.2, 0.3, 4.0, 5.0]])
    )


def test_leaky_relu_default_slope_and_repr():
    layer = LeakyReLU()
    assert layer.negative_slope == 0.01
    assert repr(layer) == "LeakyReLU(negative_slope=0.01)"
    assert layer.parameters() == [] and layer.state_dict() == {}


def test_zero_slope_is_relu():
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    grad = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    leaky, relu = LeakyReLU(0.0), ReLU()
    np.testing.assert_array_equal(leaky.forward(x), relu.forward(x))
    np.testing.assert_array_equal(leaky.backward(grad), relu.backward(grad))


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5, 2.0])
def test_leaky_relu_gradcheck_off_the_kink(slope):
    x = np.random.default_rng(2).standard_normal((3, 5))
    x[np.abs(x) < 1e-2] = 0.5
    gradcheck(LeakyReLU(slope), x)


def test_leaky_relu_layer_contract_properties():
    check_layer(
        lambda: LeakyReLU(0.2), batch_shapes(5), avoid_kinks=(0.0,), max_examples=25
    )


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_leaky_relu_keeps_the_dtype(dtype):
    layer = LeakyReLU(0.3)
    x = np.linspace(-1, 1, 12, dtype=dtype).reshape(3, 4)
    assert layer.forward(x).dtype == dtype
    assert layer.backward(np.ones_like(x)).dtype == dtype


@pytest.mark.parametrize("slope", [float("nan"), float("inf"), "0.1", True])
def test_leaky_relu_rejects_a_bad_slope(slope):
    with pytest.raises(
        (TypeError, ValueError), match="LeakyReLU: expected negative_slope"
    ):
        LeakyReLU(slope)


def test_leaky_relu_input_and_backward_errors():
    layer = LeakyReLU()
    with pytest.raises(TypeError, match="float dtype"):
        layer.forward(np.ones((2, 2), dtype=np.int64))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 2)))
    layer.forward(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        layer.backward(np.ones((2, 3)))


# ---------------------------------------------------------------------- Softmax


def test_softmax_values_match_the_definition():
    x = np.random.default_rng(3).standard_normal((4, 5))
    y = Softmax().forward(x)
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-14)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-14)


def test_softmax_large_logits_do_not_overflow():
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, -1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = Softmax().forward(x)
    assert y.dtype == np.float32 and np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0], [1.0, 0.0, 0.0])
    e = np.e
    np.testing.assert_allclose(y[1], [1 / (2 + e), e / (2 + e), 1 / (2 + e)], rtol=1e-6)


def test_softmax_axis_argument():
    x = np.random.default_rng(4).standard_normal((3, 4, 2))
    for axis in (0, 1, -1, -3):
        y = Softmax(axis=axis).forward(x)
        np.testing.assert_allclose(y.sum(axis=axis), 1.0, rtol=1e-14)
    assert repr(Softmax(axis=0)) == "Softmax(axis=0)"


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_backward_is_the_jacobian_vector_product(axis):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4))
    grad = rng.standard_normal((3, 4))
    layer = Softmax(axis=axis)
    y = layer.forward(x)
    grad_x = layer.backward(grad)
    # Build J = diag(y) - y y^T explicitly for every slice along the axis.
    moved_y, moved_grad = np.moveaxis(y, axis, -1), np.moveaxis(grad, axis, -1)
    expected = np.empty_like(moved_y)
    for index in np.ndindex(*moved_y.shape[:-1]):
        p = moved_y[index]
        jacobian = np.diag(p) - np.outer(p, p)
        expected[index] = jacobian.T @ moved_grad[index]
    np.testing.assert_allclose(
        grad_x, np.moveaxis(expected, -1, axis), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_gradcheck(axis):
    gradcheck(Softmax(axis=axis), np.random.default_rng(6).standard_normal((3, 4)) * 3)


def test_softmax_layer_contract_properties():
    check_layer(Softmax, batch_shapes(4), elements=(-5.0, 5.0), max_examples=25)
    check_layer(
        lambda: Softmax(axis=0),
        batch_shapes(3, min_batch=2),
        batch_independent=False,  # normalises across the batch axis
        max_examples=15,
    )


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shift=st.floats(min_value=-1e3, max_value=1e3),
)
def test_softmax_is_shift_invariant_and_a_distribution(seed, shift):
    x = np.random.default_rng(seed).uniform(-10, 10, size=(3, 6))
    layer = Softmax()
    y = layer.forward(x)
    assert np.all(y >= 0) and np.allclose(y.sum(axis=1), 1.0, rtol=1e-13)
    np.testing.assert_allclose(layer.forward(x + shift), y, rtol=1e-9, atol=1e-15)
    # the gradient of a constant-per-row upstream gradient is zero
    np.testing.assert_allclose(layer.backward(np.ones_like(y)), 0.0, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_keeps_the_dtype(dtype):
    layer = Softmax()
    x = np.random.default_rng(7).standard_normal((2, 3)).astype(dtype)
    assert layer.forward(x).dtype == dtype
    assert layer.backward(np.ones_like(x)).dtype == dtype


def test_softmax_errors():
    with pytest.raises(TypeError, match="Softmax: expected axis to be an int"):
        Softmax(axis=1.0)
    with pytest.raises(ValueError, match="axis 2 is out of range.*\\(4, 3\\)"):
        Softmax(axis=2).forward(np.ones((4, 3)))
    with pytest.raises(TypeError, match="float dtype"):
        Softmax().forward(np.ones((2, 3), dtype=np.int32))
    layer = Softmax()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3)))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        layer.backward(np.ones((3, 2)))
