"""An empty batch (N = 0) through every image layer and the shared im2col
helpers: forward gives an empty array of the output's shape and dtype,
backward an empty dL/dx of the input's shape and dtype, and parameter
gradients get nothing added (PyTorch's behaviour). BatchNorm2d in training
mode refuses it by name (no batch statistics of zero values)."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np import parallel
from minitorch_np.im2col import WindowGeometry, col2im, col2im_by_rows, im2col
from minitorch_np.layers import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)

DTYPES = [np.float32, np.float64]

#: (kernel, stride, padding, dilation) -> the (OH, OW) of a 7 x 6 input.
CONV_CONFIGS = [
    ((3, 3), (1, 1), (0, 0), (1, 1), (5, 4)),
    ((3, 3), (2, 2), (1, 1), (1, 1), (4, 3)),
    ((2, 3), (1, 2), (1, 0), (2, 1), (7, 2)),
]

#: (kernel_size, stride, padding) of the pools -> the (OH, OW) of a 7 x 6 input.
POOL_CONFIGS = [
    (2, None, 0, (3, 3)),
    (3, 2, 1, (4, 3)),
    ((2, 3), (1, 2), (1, 1), (8, 3)),
]


def empty(*shape, dtype):
    return np.zeros((0, *shape), dtype=dtype)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation", "out"), CONV_CONFIGS
)
def test_im2col_and_col2im_of_an_empty_batch_are_empty(
    monkeypatch, threads, dtype, kernel, stride, padding, dilation, out
):
    monkeypatch.setattr(parallel, "MIN_ELEMENTS_PER_THREAD", 1)
    parallel.set_num_threads(threads)
    try:
        geometry = WindowGeometry((7, 6), kernel, stride, padding, dilation)
        kh, kw = kernel
        cols = im2col(empty(3, 7, 6, dtype=dtype), geometry)
        assert cols.shape == (0, kh * kw * 3) and cols.dtype == dtype
        blocks = np.zeros((kh * kw, 0, *out, 3), dtype=dtype)
        for dx in (
            col2im(blocks, geometry),
            col2im_by_rows(lambda rows: blocks[:, rows], 0, 3, dtype, geometry),
        ):
            assert dx.shape == (0, 3, 7, 6) and dx.dtype == dtype
    finally:
        parallel.set_num_threads(None)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation", "out"), CONV_CONFIGS
)
def test_conv2d_empty_batch_gives_empty_output_and_input_gradient(
    bias, dtype, kernel, stride, padding, dilation, out
):
    layer = Conv2d(3, 4, kernel, stride, padding, dilation, bias, dtype=dtype, rng=0)
    layer.zero_grad()
    y = layer(empty(3, 7, 6, dtype=dtype))
    assert y.shape == (0, 4, *out) and y.dtype == dtype
    grad_x = layer.backward(np.zeros_like(y))
    assert grad_x.shape == (0, 3, 7, 6) and grad_x.dtype == dtype
    np.testing.assert_array_equal(layer.weight.grad, 0)
    if bias:
        np.testing.assert_array_equal(layer.bias.grad, 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_empty_batch_adds_nothing_to_the_parameter_gradients(dtype):
    layer = Conv2d(2, 3, 3, stride=2, padding=1, dtype=dtype, rng=0)
    rng = np.random.default_rng(1)
    layer(rng.standard_normal((2, 2, 5, 5)).astype(dtype))
    layer.backward(rng.standard_normal((2, 3, 3, 3)).astype(dtype))
    weight_grad, bias_grad = layer.weight.grad.copy(), layer.bias.grad.copy()
    y = layer(empty(2, 5, 5, dtype=dtype))
    layer.backward(np.zeros_like(y))
    layer.accumulate_grad(np.zeros_like(y))
    np.testing.assert_array_equal(layer.weight.grad, weight_grad)
    np.testing.assert_array_equal(layer.bias.grad, bias_grad)


@pytest.mark.parametrize("layer_class", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("kernel", "stride", "padding", "out"), POOL_CONFIGS)
def test_pools_empty_batch_give_empty_output_and_input_gradient(
    layer_class, dtype, kernel, stride, padding, out
):
    layer = layer_class(kernel, stride, padding)
    y = layer(empty(3, 7, 6, dtype=dtype))
    assert y.shape == (0, 3, *out) and y.dtype == dtype
    grad_x = layer.backward(np.zeros_like(y))
    assert grad_x.shape == (0, 3, 7, 6) and grad_x.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_avgpool_empty_batch(dtype):
    layer = GlobalAvgPool2d()
    y = layer(empty(3, 7, 6, dtype=dtype))
    assert y.shape == (0, 3) and y.dtype == dtype
    grad_x = layer.backward(np.zeros_like(y))
    assert grad_x.shape == (0, 3, 7, 6) and grad_x.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "features"), [((0, 3, 4), 12), ((0, 2, 3, 4), 24), ((0,), 1)]
)
def test_flatten_empty_batch(dtype, shape, features):
    layer = Flatten()
    y = layer(np.zeros(shape, dtype=dtype))
    assert y.shape == (0, features) and y.dtype == dtype
    grad_x = layer.backward(np.zeros_like(y))
    assert grad_x.shape == shape and grad_x.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_flatten_empty_channels_last_batch(dtype):
    """The NCHW view of channels-last memory that Conv2d and the pools return."""
    x = np.zeros((0, 4, 5, 3), dtype=dtype).transpose(0, 3, 1, 2)
    layer = Flatten()
    y = layer(x)
    assert y.shape == (0, 60) and y.dtype == dtype
    grad_x = layer.backward(np.zeros_like(y))
    assert grad_x.shape == (0, 3, 4, 5) and grad_x.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm2d_empty_batch_in_eval_mode_and_an_error_in_training(dtype):
    layer = BatchNorm2d(3, dtype=dtype)
    with pytest.raises(
        ValueError, match=r"BatchNorm2d\(3.*training mode.*\(0, 3, 4, 4\)"
    ):
        layer(empty(3, 4, 4, dtype=dtype))
    layer.eval()
    y = layer(empty(3, 4, 4, dtype=dtype))
    assert y.shape == (0, 3, 4, 4) and y.dtype == dtype
    grad_x = layer.backward(np.zeros_like(y))
    assert grad_x.shape == (0, 3, 4, 4) and grad_x.dtype == dtype


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_empty_batch(training, dtype):
    layer = Dropout(0.5, rng=0)
    layer.train(training)
    y = layer(empty(3, 4, 4, dtype=dtype))
    assert y.shape == (0, 3, 4, 4) and y.dtype == dtype
    grad_x = layer.backward(np.zeros_like(y))
    assert grad_x.shape == (0, 3, 4, 4) and grad_x.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_conv_net_passes_an_empty_batch_both_ways(dtype):
    net = Sequential(
        Conv2d(1, 4, 3, padding=1, dtype=dtype, rng=0),
        BatchNorm2d(4, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Conv2d(4, 6, 3, stride=2, dtype=dtype, rng=1),
        AvgPool2d(2, stride=1),
        Flatten(),
        Linear(6, 5, dtype=dtype, rng=2),
    )
    net.eval()
    y = net(empty(1, 12, 12, dtype=dtype))
    assert y.shape == (0, 5) and y.dtype == dtype
    grad_x = net.backward(np.zeros_like(y))
    assert grad_x.shape == (0, 1, 12, 12) and grad_x.dtype == dtype
