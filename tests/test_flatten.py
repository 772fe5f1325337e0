"""Flatten: (N, d1, d2, ...) -> (N, d1*d2*...), backward reshapes back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from minitorch_np.layers.flatten import Flatten
from minitorch_np.testing import array_shapes, check_layer, float_arrays

shapes = array_shapes(min_dims=1, max_dims=4, max_side=4)


def test_flatten_contract():
    check_layer(Flatten, shapes)


@given(x=float_arrays(shapes, dtype=np.float32))
def test_forward_keeps_the_batch_axis_and_row_major_order(x):
    flatten = Flatten()
    y = flatten(x)
    assert y.shape == (x.shape[0], x.size // x.shape[0]) and y.dtype == np.float32
    for n in range(x.shape[0]):
        np.testing.assert_array_equal(y[n], x[n].ravel())
    np.testing.assert_array_equal(flatten.backward(y), x)


def test_mnist_images_to_vectors_without_copying():
    x = np.zeros((5, 28, 28), dtype=np.float32)
    flatten = Flatten()
    y = flatten(x)
    assert y.shape == (5, 784)
    assert np.shares_memory(x, y)
    assert flatten.backward(np.ones((5, 784), dtype=np.float32)).shape == (5, 28, 28)


def test_flatten_errors_name_the_layer():
    with pytest.raises(
        ValueError, match=r"Flatten: expected an array of shape \(N, \.\.\.\), got \(\)"
    ):
        Flatten()(np.float32(1.0) * np.ones(()))
    with pytest.raises(
        TypeError, match=r"Flatten: expected input of a float dtype, got uint8"
    ):
        Flatten()(np.zeros((2, 3), dtype=np.uint8))
    with pytest.raises(
        RuntimeError, match=r"Flatten: backward\(\) called before forward\(\)"
    ):
        Flatten().backward(np.zeros((2, 3)))
    flatten = Flatten()
    flatten(np.zeros((2, 3, 4)))
    with pytest.raises(
        ValueError, match=r"Flatten: expected grad_output of shape \(2, 12\)"
    ):
        flatten.backward(np.zeros((2, 3, 4)))


def test_backward_returns_the_gradient_in_the_input_memory_layout():
    rng = np.random.default_rng(0)
    channels_last = rng.standard_normal((3, 4, 5, 2))  # (N, H, W, C) memory
    x = channels_last.transpose(0, 3, 1, 2)  # an NCHW view, as Conv2d returns
    layer = Flatten()
    y = layer.forward(x)
    np.testing.assert_array_equal(y, x.reshape(3, -1))
    grad = rng.standard_normal(y.shape)
    dx = layer.backward(grad)
    np.testing.assert_array_equal(dx, grad.reshape(x.shape))
    assert dx.strides == x.strides  # channels-last memory, like the input
    contiguous = Flatten()
    contiguous.forward(np.ascontiguousarray(x))
    assert np.shares_memory(contiguous.backward(grad), grad)  # a view, no copy
