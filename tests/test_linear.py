"""Linear: the layer contract (via the testing kit), the batch/per-sample
equivalence, the backward formulas, initialisation and input validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.init import INITIALIZERS
from minitorch_np.layers.conv2d import Conv2d
from minitorch_np.layers.linear import Linear
from minitorch_np.testing import array_shapes, check_layer, float_arrays

matrix_shapes = array_shapes(min_dims=2, max_dims=2, max_side=5)
seeds = st.integers(0, 2**32 - 1)


def drawn_linear(bias: bool, dtype=np.float64, init: str = "he_normal"):
    """A factory for check_layer: in_features from the drawn input shape,
    out_features from the drawn generator."""

    def make(rng: np.random.Generator, shape: tuple[int, ...]) -> Linear:
        out_features = int(rng.integers(1, 5))
        layer = Linear(
            shape[1], out_features, bias=bias, init=init, dtype=dtype, rng=rng
        )
        if bias:  # a non-zero bias, so its gradient and use are really exercised
            layer.bias.data[:] = rng.uniform(-1, 1, out_features)
        return layer

    return make


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_satisfies_the_layer_contract(bias, dtype):
    check_layer(drawn_linear(bias, dtype), matrix_shapes)


@pytest.mark.parametrize("init", sorted(INITIALIZERS))
def test_linear_contract_holds_for_every_initialiser(init):
    check_layer(drawn_linear(True, np.float64, init), matrix_shapes, max_examples=5)


@given(x=float_arrays(matrix_shapes), seed=seeds)
def test_batch_forward_and_backward_equal_the_per_sample_loop(x, seed):
    rng = np.random.default_rng(seed)
    batched = Linear(x.shape[1], 3, dtype=np.float64, rng=rng)
    batched.bias.data[:] = rng.standard_normal(3)
    looped = Linear(x.shape[1], 3, dtype=np.float64, rng=0)
    looped.load_state_dict(batched.state_dict())
    grad_y = rng.standard_normal((x.shape[0], 3))

    y = batched(x)
    grad_x = batched.backward(grad_y)
    for n in range(x.shape[0]):
        sample = x[n : n + 1]
        np.testing.assert_allclose(looped(sample), y[n : n + 1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            looped.backward(grad_y[n : n + 1]),
            grad_x[n : n + 1],
            rtol=1e-12,
            atol=1e-12,
        )
    # the looped layer accumulated one sample at a time: the sums must agree
    np.testing.assert_allclose(
        looped.weight.grad, batched.weight.grad, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        looped.bias.grad, batched.bias.grad, rtol=1e-12, atol=1e-12
    )


@given(x=float_arrays(matrix_shapes), seed=seeds)
def test_backward_matches_the_index_formulas(x, seed):
    """dx[n,k] = sum_j G[n,j] W[j,k];  dW[j,k] = sum_n G[n,j] x[n,k];  db[j] = sum_n G[n,j]."""
    rng = np.random.default_rng(seed)
    layer = Linear(x.shape[1], 4, dtype=np.float64, rng=rng)
    grad_y = rng.standard_normal((x.shape[0], 4))
    y = layer(x)
    np.testing.assert_allclose(
        y,
        np.einsum("nk,jk->nj", x, layer.weight.data) + layer.bias.data,
        rtol=1e-12,
        atol=1e-12,
    )
    grad_x = layer.backward(grad_y)
    np.testing.assert_allclose(
        grad_x, np.einsum("nj,jk->nk", grad_y, layer.weight.data), atol=1e-12
    )
    np.testing.assert_allclose(
        layer.weight.grad, np.einsum("nj,nk->jk", grad_y, x), atol=1e-12
    )
    np.testing.assert_allclose(layer.bias.grad, np.einsum("nj->j", grad_y), atol=1e-12)


def test_defaults_float32_he_normal_zero_bias():
    layer = Linear(400, 300, rng=0)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    assert not layer.bias.data.any()
    assert np.std(layer.weight.data) == pytest.approx(np.sqrt(2 / 400), rel=0.03)
    assert abs(np.mean(layer.weight.data)) < 0.01


@pytest.mark.parametrize(
    ("init", "expected_std"),
    [
        ("he_normal", np.sqrt(2 / 400)),
        ("he_uniform", np.sqrt(6 / 400) / np.sqrt(3)),
        ("xavier_normal", np.sqrt(2 / 700)),
        ("xavier_uniform", np.sqrt(6 / 700) / np.sqrt(3)),
        ("lecun_normal", np.sqrt(1 / 400)),
        ("zeros", 0.0),
    ],
)
def test_initialisers_have_their_documented_spread(init, expected_std):
    weight = Linear(400, 300, init=init, rng=1).weight.data
    assert np.std(weight) == pytest.approx(expected_std, rel=0.03, abs=1e-12)
    if init.endswith("uniform"):
        assert np.max(np.abs(weight)) <= expected_std * np.sqrt(3)


def test_same_seed_same_weights_different_seed_different_weights():
    same = [Linear(5, 4, rng=7).weight.data for _ in range(2)]
    np.testing.assert_array_equal(*same)
    assert not np.array_equal(Linear(5, 4, rng=8).weight.data, same[0])
    generator = np.random.default_rng(3)
    assert not np.array_equal(
        Linear(5, 4, rng=generator).weight.data, Linear(5, 4, rng=generator).weight.data
    )


def test_custom_callable_initialiser_and_unknown_name():
    layer = Linear(
        3, 2, init=lambda shape, rng, dtype: np.full(shape, 0.5, dtype=dtype)
    )
    np.testing.assert_array_equal(
        layer.weight.data, np.full((2, 3), 0.5, dtype=np.float32)
    )
    with pytest.raises(
        ValueError,
        match=r"Linear: unknown init 'glorot'; expected one of \[.*'he_normal'",
    ):
        Linear(3, 2, init="glorot")


def wrong_shape(shape, rng, dtype):
    return np.zeros(shape[::-1], dtype)


def a_scalar(shape, rng, dtype):
    return 0.5


def with_nan(shape, rng, dtype):
    return np.full(shape, np.nan, dtype)


def strings(shape, rng, dtype):
    return np.full(shape, "w")


@pytest.mark.parametrize(
    "init, error, message",
    [
        (
            wrong_shape,
            ValueError,
            r"init wrong_shape returned an array of shape \(3, 2\), expected \(2, 3\)",
        ),
        (
            a_scalar,
            ValueError,
            r"init a_scalar returned an array of shape \(\), expected \(2, 3\)",
        ),
        (with_nan, ValueError, r"init with_nan returned non-finite values"),
        (
            strings,
            TypeError,
            r"init strings returned values of dtype <U1, expected real numbers",
        ),
    ],
)
def test_a_custom_initialiser_is_checked_when_the_layer_is_built(init, error, message):
    with pytest.raises(error, match=rf"Linear: {message}"):
        Linear(3, 2, init=init)
    # Conv2d asks for (out_channels, in_channels * kh * kw) and reshapes it
    conv_message = message.replace(r"\(3, 2\)", r"\(18, 4\)").replace(
        r"\(2, 3\)", r"\(4, 18\)"
    )
    with pytest.raises(error, match=rf"Conv2d: {conv_message}"):
        Conv2d(2, 4, 3, init=init)


def test_bias_false_has_only_a_weight():
    layer = Linear(3, 2, bias=False, rng=0)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_allclose(layer(x), x @ layer.weight.data.T)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_feature_counts_must_be_positive_ints(bad):
    with pytest.raises(
        ValueError, match=r"Linear: expected in_features to be a positive int"
    ):
        Linear(bad, 2)


def test_non_float_dtype_is_refused():
    with pytest.raises(TypeError, match=r"Linear: expected a float dtype .* got int32"):
        Linear(3, 2, dtype=np.int32)


# ----------------------------------------------------------------- input validation
LAYER = "Linear\\(in_features=784, out_features=10, bias=True\\)"


def test_wrong_feature_count_names_layer_expected_got_and_fix():
    with pytest.raises(
        ValueError,
        match=LAYER + r": expected input of shape \(N, 784\), got \(5, 10\);"
        r" the previous layer must output 784 features, or build this layer as "
        r"Linear\(10, 10\)",
    ):
        Linear(784, 10)(np.zeros((5, 10), dtype=np.float32))


def test_image_batch_asks_for_flattening():
    with pytest.raises(
        ValueError,
        match=LAYER + r": expected input of shape \(N, 784\), got "
        r"\(5, 28, 28\); flatten images first, e\.g\. x\.reshape\(len\(x\), -1\) "
        r"or a Flatten\(\) layer",
    ):
        Linear(784, 10)(np.zeros((5, 28, 28), dtype=np.float32))


def test_single_sample_asks_for_a_batch_axis():
    with pytest.raises(
        ValueError,
        match=LAYER + r": expected input of shape \(N, 784\), got "
        r"\(784,\); a single sample needs a batch axis: x\.reshape\(1, -1\)",
    ):
        Linear(784, 10)(np.zeros(784, dtype=np.float32))


def test_uint8_pixels_ask_for_cast_and_scale():
    with pytest.raises(
        TypeError,
        match=LAYER + r": expected input of a float dtype, got uint8; "
        r"cast \(and scale\) it first, e\.g\. x\.astype\(np\.float32\) / 255",
    ):
        Linear(784, 10)(np.zeros((5, 784), dtype=np.uint8))


def test_float64_input_to_float32_layer_asks_for_a_cast():
    with pytest.raises(
        TypeError,
        match=LAYER + r": expected input of dtype float32 \(the weight's\),"
        r" got float64; cast it with x\.astype\(np\.float32\)",
    ):
        Linear(784, 10)(np.zeros((5, 784)))


def test_a_list_asks_for_an_array():
    with pytest.raises(
        TypeError, match=r"Linear.*expected input to be a numpy array, got list"
    ):
        Linear(2, 1)([[1.0, 2.0]])


def test_backward_before_forward_and_wrong_grad_shape():
    layer = Linear(3, 2, rng=0)
    with pytest.raises(
        RuntimeError, match=r"Linear\(.*\): backward\(\) called before forward\(\)"
    ):
        layer.backward(np.zeros((1, 2), dtype=np.float32))
    layer(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(
        ValueError, match=r"expected grad_output of shape \(4, 2\) .* got \(4, 3\)"
    ):
        layer.backward(np.zeros((4, 3), dtype=np.float32))
