"""Dropout: masks, scaling, modes, statistics, reproducibility, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_np.gradcheck import gradcheck
from minitorch_np.layers.dropout import Dropout
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.testing import batch_shapes, check_layer


def test_eval_mode_is_the_identity_forward_and_backward():
    layer = Dropout(0.5, rng=0).eval()
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    grad = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    assert np.array_equal(layer.forward(x), x)
    assert np.array_equal(layer.backward(grad), grad)


def test_p_zero_is_the_identity_in_training_mode():
    layer = Dropout(0.0, rng=0)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(layer.forward(x), x)
    assert np.array_equal(layer.backward(x), x)


def test_p_one_drops_everything_without_dividing_by_zero():
    layer = Dropout(1.0, rng=0)
    x = np.ones((3, 4), dtype=np.float32)
    with np.errstate(all="raise"):
        y = layer.forward(x)
        grad_x = layer.backward(np.ones_like(x))
    assert y.dtype == np.float32 and not y.any()
    assert not grad_x.any()


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_survivors_are_scaled_by_one_over_keep_probability(p, dtype):
    x = np.random.default_rng(0).uniform(1, 2, size=(50, 40)).astype(dtype)
    y = Dropout(p, rng=1).forward(x)
    assert y.dtype == dtype and y.shape == x.shape
    kept = y != 0
    scale = dtype(1 / (1 - p))
    assert np.array_equal(y[kept], x[kept] * scale)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_train_mode_preserves_the_mean_within_sampling_error(p):
    # With x = 1, each output is 1/(1-p) with probability 1-p, else 0: mean 1,
    # variance p / (1-p). The mean of n outputs has std sqrt(p / ((1-p) n));
    # the drop fraction has std sqrt(p (1-p) / n). Allow 5 standard deviations.
    n = 200_000
    y = Dropout(p, rng=123).forward(np.ones(n, dtype=np.float64)[None, :])
    assert abs(y.mean() - 1) < 5 * np.sqrt(p / ((1 - p) * n))
    assert abs(np.mean(y == 0) - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_backward_uses_the_mask_of_the_last_forward():
    layer = Dropout(0.4, rng=3)
    x = np.ones((6, 7), dtype=np.float32)
    mask = layer.forward(x)  # with x = 1 the output IS the scaled mask
    grad = np.random.default_rng(4).standard_normal((6, 7)).astype(np.float32)
    grad_x = layer.backward(grad)
    assert grad_x.dtype == np.float32
    assert np.array_equal(grad_x, grad * mask)
    assert np.array_equal(layer.backward(grad), grad_x)  # repeatable


def test_masks_differ_between_calls_and_reproduce_from_the_seed():
    x = np.ones((8, 16), dtype=np.float32)
    layer = Dropout(0.5, rng=7)
    first, second = layer.forward(x), layer.forward(x)
    assert not np.array_equal(first, second)
    same_seed = Dropout(0.5, rng=7)
    assert np.array_equal(same_seed.forward(x), first)
    assert np.array_equal(same_seed.forward(x), second)


def test_restoring_the_rng_state_redraws_the_same_mask():
    # What a checkpoint does for every Generator attribute named rng.
    model = Sequential(Linear(4, 4, rng=0), Dropout(0.5, rng=11))
    dropout = model[1]
    assert isinstance(dropout.rng, np.random.Generator)
    saved = copy.deepcopy(dropout.rng.bit_generator.state)
    x = np.ones((5, 4), dtype=np.float32)
    expected = model.forward(x)
    dropout.rng.bit_generator.state = saved
    assert np.array_equal(model.forward(x), expected)


def test_accepts_a_generator_and_has_no_parameters_or_state():
    rng = np.random.default_rng(0)
    layer = Dropout(0.25, rng=rng)
    assert layer.rng is rng
    assert layer.parameters() == [] and layer.state_dict() == {}
    assert repr(layer) == "Dropout(p=0.25)"


def test_train_eval_switch_through_a_container():
    model = Sequential(Dropout(0.5, rng=0))
    x = np.ones((4, 4), dtype=np.float32)
    model.eval()
    assert np.array_equal(model.forward(x), x)
    model.train()
    assert not np.array_equal(model.forward(x), x)


@settings(max_examples=40, deadline=None)
@given(
    p=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 6)),
)
def test_every_output_is_zero_or_the_scaled_input(p, seed, shape):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, size=shape).astype(np.float32)
    layer = Dropout(p, rng=seed)
    y = layer.forward(x)
    scale = np.float32(1 / (1 - p)) if p < 1 else np.float32(0)
    assert np.all((y == 0) | (y == x * scale))
    assert np.array_equal(layer.backward(np.ones_like(y)) * x, y)


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_gradcheck_with_a_fixed_mask(p):
    # gradcheck runs every evaluation on a fresh copy, hence with the same rng state.
    x = np.random.default_rng(0).standard_normal((4, 5))
    gradcheck(Dropout(p, rng=5), x)
    gradcheck(Dropout(p, rng=5).eval(), x)


def test_layer_contract_properties():
    check_layer(
        lambda rng: Dropout(0.3, rng=rng),
        batch_shapes(4, max_batch=5),
        same_in_eval=False,
        max_examples=25,
    )


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_rejects_p_outside_zero_one(p):
    with pytest.raises(ValueError, match="Dropout: expected p in"):
        Dropout(p)


def test_rejects_a_bad_rng_and_non_float_input():
    with pytest.raises(TypeError, match="rng"):
        Dropout(0.5, rng="seed")
    with pytest.raises(TypeError, match="float dtype"):
        Dropout(0.5, rng=0).forward(np.ones((2, 3), dtype=np.int64))


def test_backward_errors():
    layer = Dropout(0.5, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3), dtype=np.float32))
    layer.forward(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        layer.backward(np.ones((3, 2), dtype=np.float32))


def test_a_scale_that_overflows_float16_is_refused_not_made_nan():
    x = np.ones((2, 4), dtype=np.float16)
    with pytest.raises(
        ValueError,
        match=r"Dropout\(p=0.99999\): the scale 1 / \(1 - p\) = 100000 .* overflows float16",
    ):
        Dropout(0.99999, rng=0)(x)
    out = Dropout(0.9999, rng=0)(x)  # 1 / (1 - p) = 10000 fits
    assert out.dtype == np.float16 and np.isfinite(out).all()
    assert np.isfinite(Dropout(0.99999, rng=0)(x.astype(np.float32))).all()
