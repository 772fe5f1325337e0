"""Conv2d: the layer contract over drawn configurations, the nested-loop
reference, PyTorch parity (when torch is installed), arguments and errors."""

from __future__ import annotations

import numpy as np
import pytest
from conv_reference import conv_config, reference_conv2d
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.layers import Conv2d
from minitorch_np.testing import check_layer, image_shapes


def random_conv(rng, shape, **overrides):
    config = {**conv_config(rng, shape), **overrides}
    layer = Conv2d(shape[1], int(rng.integers(1, 4)), rng=rng, **config)
    if layer.bias is not None:
        layer.bias.data[...] = rng.uniform(-1, 1, layer.bias.shape)
    return layer


def test_conv2d_passes_the_layer_contract_over_drawn_configurations():
    """Kernel 1-3, stride 1-2, dilation 1-2, padding 0-2 (drawn from the layer
    seed), odd and even image sides 1-6, 1-3 channels; gradients in float64."""
    check_layer(random_conv, image_shapes(min_side=1, max_side=6), max_examples=40)


def test_conv2d_without_bias_passes_the_layer_contract():
    check_layer(
        lambda rng, shape: random_conv(rng, shape, bias=False),
        image_shapes(2, max_side=5),
    )


def test_conv2d_in_float64_passes_the_layer_contract():
    check_layer(
        lambda rng, shape: Conv2d(shape[1], 2, 3, padding=1, dtype=np.float64, rng=rng),
        image_shapes(max_side=5),
    )


@given(
    shape=image_shapes(max_side=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_forward_matches_the_nested_loop_definition(shape, seed):
    rng = np.random.default_rng(seed)
    layer = random_conv(rng, shape, dtype=np.float64)
    x = rng.standard_normal(shape)
    expected = reference_conv2d(
        x,
        layer.weight.data,
        layer.bias.data,
        layer.stride,
        layer.padding,
        layer.dilation,
    )
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


def test_output_size_is_pytorchs_floor_arithmetic():
    layer = Conv2d(1, 1, (3, 2), stride=(2, 3), padding=(1, 0), dilation=(2, 1))
    y = layer(np.zeros((2, 1, 9, 10), np.float32))
    # H: (9 + 2 - 2*2 - 1) // 2 + 1 = 4, W: (10 - 1 - 1) // 3 + 1 = 3
    assert y.shape == (2, 1, 4, 3)


def test_parameters_init_dtype_and_repr():
    layer = Conv2d(3, 8, 5, stride=2, padding=(1, 2), rng=0)
    assert layer.weight.shape == (8, 3, 5, 5) and layer.bias.shape == (8,)
    assert layer.weight.dtype == np.float32 and not layer.bias.data.any()
    # he_normal with fan_in = C * kh * kw = 75
    assert abs(layer.weight.data.std() - np.sqrt(2 / 75)) < 0.03
    assert repr(layer) == (
        "Conv2d(3, 8, kernel_size=(5, 5), stride=(2, 2), padding=(1, 2))"
    )
    assert repr(Conv2d(1, 2, 3, dilation=2, bias=False)) == (
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), bias=False)"
    )
    same = Conv2d(3, 8, 5, rng=0).weight.data
    np.testing.assert_array_equal(Conv2d(3, 8, 5, rng=0).weight.data, same)


def test_output_and_input_gradient_keep_the_dtype_and_shape():
    layer = Conv2d(2, 3, 3, padding=1, rng=0)
    x = np.random.default_rng(0).standard_normal((4, 2, 7, 5)).astype(np.float32)
    y = layer(x)
    assert y.shape == (4, 3, 7, 5) and y.dtype == np.float32
    grad_x = layer.backward(np.ones_like(y))
    assert grad_x.shape == x.shape and grad_x.dtype == np.float32


def test_accumulate_grad_adds_the_parameter_gradients_of_backward():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 6, 6))
    g = rng.standard_normal((3, 4, 3, 3))
    full, partial = (
        Conv2d(2, 4, 3, stride=2, padding=1, dtype=np.float64, rng=5) for _ in range(2)
    )
    full(x)
    full.backward(g)
    partial(x)
    partial.accumulate_grad(g)
    np.testing.assert_allclose(partial.weight.grad, full.weight.grad, rtol=1e-12)
    np.testing.assert_allclose(partial.bias.grad, full.bias.grad, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel_size": 0}, r"Conv2d: expected kernel_size to be a positive int or a pair \(h, w\) of them, got 0"),
        ({"kernel_size": (3, 3, 3)}, r"expected kernel_size .* got \(3, 3, 3\)"),
        ({"kernel_size": 3, "stride": 0}, r"expected stride to be a positive int"),
        ({"kernel_size": 3, "padding": -1}, r"expected padding to be an int >= 0"),
        ({"kernel_size": 3, "dilation": (1, 0)}, r"expected dilation to be a positive int"),
        ({"kernel_size": 2.5}, r"expected kernel_size to be a positive int"),
        ({"kernel_size": True}, r"expected kernel_size to be a positive int"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2d(1, 2, **kwargs)


def test_bad_channel_counts_and_dtype_are_refused():
    with pytest.raises(
        ValueError, match=r"Conv2d: expected in_channels to be a positive int, got 0"
    ):
        Conv2d(0, 2, 3)
    with pytest.raises(TypeError, match=r"Conv2d: expected a float dtype"):
        Conv2d(1, 2, 3, dtype=np.int32)


def test_an_empty_output_configuration_is_an_error_naming_the_sizes():
    layer = Conv2d(1, 2, 3, dilation=2)
    message = (
        r"Conv2d\(1, 2, kernel_size=\(3, 3\), stride=\(1, 1\), dilation=\(2, 2\)\): "
        r"the output for input \(2, 1, 4, 9\) would be empty: the input padded to 4x9 "
        r"is smaller than the kernel, which spans 5x5 pixels .*expected H \+ 2 \* padding >= 5"
    )
    with pytest.raises(ValueError, match=message):
        layer(np.zeros((2, 1, 4, 9), np.float32))
    Conv2d(1, 2, 3, dilation=2, padding=1)(np.zeros((2, 1, 4, 9), np.float32))


def test_a_wrong_channel_count_names_expected_and_actual_shape():
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(3, 4, .*\): expected input of shape \(N, 3, H, W\) \(3 channels, "
        r"NCHW\), got \(2, 1, 8, 8\) with 1 channel\b",
    ):
        Conv2d(3, 4, 3)(np.zeros((2, 1, 8, 8), np.float32))


def test_a_3d_input_asks_for_a_channel_axis():
    with pytest.raises(
        ValueError,
        match=r"expected a 4-D input of shape \(N, 1, H, W\) \(NCHW\), got \(2, 28, 28\); "
        r"a batch of one-channel images needs a channel axis: x\[:, None\]",
    ):
        Conv2d(1, 4, 3)(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"got \(2, 784\); flat rows must be reshaped"):
        Conv2d(1, 4, 3)(np.zeros((2, 784), np.float32))


def test_non_float_and_mismatched_dtype_inputs_are_refused():
    layer = Conv2d(1, 2, 3)
    with pytest.raises(TypeError, match=r"expected input of a float dtype, got uint8"):
        layer(np.zeros((1, 1, 5, 5), np.uint8))
    with pytest.raises(
        TypeError, match=r"expected input to be a numpy array, got list"
    ):
        layer([[[[0.0]]]])
    with pytest.raises(
        TypeError,
        match=r"expected input of dtype float32 \(the layer's\), got float64; cast it",
    ):
        layer(np.zeros((1, 1, 5, 5)))


def test_backward_before_forward_and_a_wrong_gradient_shape_are_errors():
    layer = Conv2d(1, 2, 3)
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((1, 2, 3, 3), np.float32))
    layer(np.zeros((1, 1, 5, 5), np.float32))
    with pytest.raises(
        ValueError, match=r"expected grad_output of shape \(1, 2, 3, 3\)"
    ):
        layer.backward(np.zeros((1, 2, 5, 5), np.float32))


def test_forward_and_backward_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for config in (
        {"kernel_size": 3, "padding": 1},
        {
            "kernel_size": (2, 3),
            "stride": (2, 1),
            "padding": (1, 0),
            "dilation": (1, 2),
        },
        {"kernel_size": 1},
    ):
        layer = Conv2d(3, 5, dtype=np.float64, rng=rng, **config)
        layer.bias.data[...] = rng.standard_normal(5)
        x = rng.standard_normal((2, 3, 9, 8))
        x_t = torch.tensor(x, requires_grad=True)
        w_t = torch.tensor(layer.weight.data, requires_grad=True)
        b_t = torch.tensor(layer.bias.data, requires_grad=True)
        y_t = torch.nn.functional.conv2d(
            x_t, w_t, b_t, config.get("stride", 1), config.get("padding", 0),
            config.get("dilation", 1),
        )  # fmt: skip
        y = layer(x)
        np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(y.shape)
        y_t.backward(torch.tensor(g))
        np.testing.assert_allclose(layer.backward(g), x_t.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(layer.weight.grad, w_t.grad.numpy(), atol=1e-11)
        np.testing.assert_allclose(layer.bias.grad, b_t.grad.numpy(), atol=1e-11)
