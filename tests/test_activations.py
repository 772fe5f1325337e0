"""ReLU, Sigmoid, Tanh: the layer contract (via the testing kit), their formulas,
numerical stability for large |x| and dtype preservation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.layers.activation import ReLU, Sigmoid, Tanh
from minitorch_np.testing import array_shapes, check_layer, float_arrays

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
