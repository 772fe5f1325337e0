"""MaxPool2d, AvgPool2d, GlobalAvgPool2d: the layer contract, the nested-loop
reference, the tie rule, PyTorch parity (when torch is installed), errors."""

from __future__ import annotations

import numpy as np
import pytest
from conv_reference import distinct_neighbours, reference_pool2d
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.layers import AvgPool2d, GlobalAvgPool2d, MaxPool2d
from minitorch_np.testing import check_layer, image_shapes

#: (kernel_size, stride, padding): non-overlapping, overlapping, padded,
#: rectangular, stride larger than the kernel.
POOL_CONFIGS = [
    (2, None, 0),
    (3, 1, 1),
    (3, 2, 1),
    ((2, 3), (1, 2), (1, 1)),
    (1, 2, 0),
    ((3, 1), None, (1, 0)),
]


def fits(kernel, padding):
    """image_shapes whose padded sides hold the kernel."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return image_shapes(min_side=max(kh - 2 * ph, kw - 2 * pw, 1), max_side=6)


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CONFIGS)
def test_maxpool_passes_the_layer_contract(kernel, stride, padding):
    check_layer(
        lambda: MaxPool2d(kernel, stride, padding),
        fits(kernel, padding),
        input_filter=distinct_neighbours,  # no near-ties in a window
        max_examples=15,
    )


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CONFIGS)
def test_avgpool_passes_the_layer_contract(kernel, stride, padding):
    check_layer(
        lambda: AvgPool2d(kernel, stride, padding),
        fits(kernel, padding),
        max_examples=15,
    )


def test_global_avgpool_passes_the_layer_contract():
    check_layer(GlobalAvgPool2d, image_shapes(max_side=6))


@given(
    config=st.sampled_from(POOL_CONFIGS),
    shape=image_shapes(min_side=3, max_side=7),
    seed=st.integers(0, 2**32 - 1),
)
def test_forward_matches_the_nested_loop_definition(config, shape, seed):
    kernel, stride, padding = config
    x = np.random.default_rng(seed).standard_normal(shape)
    as_pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    k, p = as_pair(kernel), as_pair(padding)
    s = k if stride is None else as_pair(stride)
    maxima = reference_pool2d(x, k, s, p, np.max, -np.inf)
    np.testing.assert_array_equal(MaxPool2d(kernel, stride, padding)(x), maxima)
    means = reference_pool2d(x, k, s, p, np.mean, 0.0)
    np.testing.assert_allclose(AvgPool2d(kernel, stride, padding)(x), means, rtol=1e-12)
    np.testing.assert_allclose(GlobalAvgPool2d()(x), x.mean(axis=(2, 3)), rtol=1e-12)


def test_maxpool_ties_go_to_the_first_maximum_in_row_major_order():
    pool = MaxPool2d(2)
    x = np.array([[[[1.0, 1.0], [1.0, 1.0]]], [[[0.0, 2.0], [2.0, 2.0]]]])
    pool(x)
    grad = pool.backward(np.array([[[[5.0]]], [[[7.0]]]]))
    np.testing.assert_array_equal(grad[0, 0], [[5.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(grad[1, 0], [[0.0, 7.0], [0.0, 0.0]])


def test_overlapping_windows_add_their_gradients_on_a_shared_maximum():
    pool = MaxPool2d(2, stride=1)
    x = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    assert pool(x).tolist() == [[[[9.0, 9.0], [9.0, 9.0]]]]
    grad = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert grad[0, 0, 1, 1] == 10.0 and grad.sum() == 10.0


def test_outputs_keep_the_dtype_and_the_pytorch_shapes():
    x = np.zeros((2, 3, 7, 6), np.float32)
    assert MaxPool2d(2)(x).shape == (2, 3, 3, 3)
    assert MaxPool2d(3, stride=2, padding=1)(x).shape == (2, 3, 4, 3)
    assert AvgPool2d((2, 3))(x).shape == (2, 3, 3, 2)
    assert GlobalAvgPool2d()(x).shape == (2, 3)
    for layer in (MaxPool2d(2), AvgPool2d(2), GlobalAvgPool2d()):
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


def test_reprs():
    assert (
        repr(MaxPool2d(2))
        == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    )
    assert (
        repr(AvgPool2d(3, 1, 1))
        == "AvgPool2d(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    )
    assert repr(GlobalAvgPool2d()) == "GlobalAvgPool2d()"


@pytest.mark.parametrize("layer_class", [MaxPool2d, AvgPool2d])
def test_bad_pool_arguments_are_refused_by_name(layer_class):
    name = layer_class.__name__
    with pytest.raises(
        ValueError, match=rf"{name}: expected kernel_size to be a positive int"
    ):
        layer_class(0)
    with pytest.raises(
        ValueError, match=rf"{name}: expected stride to be a positive int"
    ):
        layer_class(2, stride=(1, 0))
    with pytest.raises(
        ValueError,
        match=rf"{name}: expected padding at most half the kernel size \(1, 1\) so that "
        r"every window holds an input pixel, got padding=\(2, 2\)",
    ):
        layer_class(3, padding=2)


@pytest.mark.parametrize("layer", [MaxPool2d(3), AvgPool2d(3), GlobalAvgPool2d()])
def test_bad_inputs_are_refused_naming_the_layer(layer):
    name = type(layer).__name__
    with pytest.raises(
        ValueError,
        match=rf"{name}.*: expected a 4-D input of shape \(N, C, H, W\) \(NCHW\), got \(4, 5, 5\)",
    ):
        layer(np.zeros((4, 5, 5), np.float32))
    with pytest.raises(
        TypeError, match=rf"{name}.*: expected input of a float dtype, got int64"
    ):
        layer(np.zeros((1, 1, 5, 5), np.int64))
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        type(layer)(*([3] if name != "GlobalAvgPool2d" else [])).backward(
            np.zeros((1, 1, 1, 1))
        )


@pytest.mark.parametrize("layer_class", [MaxPool2d, AvgPool2d])
def test_an_empty_output_is_an_error_naming_the_sizes(layer_class):
    with pytest.raises(
        ValueError,
        match=r"the output for input \(1, 2, 2, 5\) would be empty: the input padded to "
        r"2x5 is smaller than the kernel, which spans 3x3 pixels",
    ):
        layer_class(3)(np.zeros((1, 2, 2, 5), np.float32))


def test_a_wrong_gradient_shape_is_an_error():
    pool = MaxPool2d(2)
    pool(np.zeros((1, 2, 4, 4), np.float32))
    with pytest.raises(
        ValueError, match=r"expected grad_output of shape \(1, 2, 2, 2\)"
    ):
        pool.backward(np.zeros((1, 2, 4, 4), np.float32))


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CONFIGS)
def test_pools_match_pytorch_ties_included(kernel, stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(2, 3, 7, 6)).astype(np.float64)  # many ties
    for ours, theirs in (
        (MaxPool2d(kernel, stride, padding), torch.nn.MaxPool2d(kernel, stride, padding)),
        (AvgPool2d(kernel, stride, padding), torch.nn.AvgPool2d(kernel, stride, padding)),
        (GlobalAvgPool2d(), torch.nn.AdaptiveAvgPool2d(1)),
    ):  # fmt: skip
        x_t = torch.tensor(x, requires_grad=True)
        y_t = theirs(x_t).reshape(ours(x).shape)
        y = ours(x)
        np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=1e-12)
        g = rng.standard_normal(y.shape)
        y_t.backward(torch.tensor(g))
        np.testing.assert_allclose(
            ours.backward(g), x_t.grad.numpy(), rtol=1e-12, atol=1e-15
        )


def test_float16_averages_are_summed_without_overflow():
    from minitorch_np.layers import AvgPool2d, GlobalAvgPool2d

    x = np.full((1, 1, 32, 32), 100, dtype=np.float16)
    for pool in (GlobalAvgPool2d(), AvgPool2d(32)):
        out = pool(x)
        assert out.dtype == np.float16
        np.testing.assert_array_equal(out.ravel(), [100])
