"""softmax / log_softmax, SoftmaxCrossEntropy and MSELoss: properties, finite
differences, numerical stability and label validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_np.functional import log_softmax, logsumexp, softmax
from minitorch_np.gradcheck import gradcheck
from minitorch_np.layers.layer import Layer
from minitorch_np.losses.loss import Loss
from minitorch_np.losses.mse import MSELoss
from minitorch_np.losses.softmax_cross_entropy import SoftmaxCrossEntropy
from minitorch_np.testing import array_shapes, float_arrays

logit_shapes = array_shapes(min_dims=2, max_dims=2, max_side=6)
seeds = st.integers(0, 2**32 - 1)
reductions = st.sampled_from(["mean", "sum"])


def labels_for(logits: np.ndarray, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(
        0, logits.shape[1], size=logits.shape[0]
    )


class LossAsLayer(Layer):
    """The loss as a function of the prediction alone (output shape (1,)), so
    that `gradcheck` can compare ``loss.backward()`` with finite differences."""

    def __init__(self, loss: Loss, target: np.ndarray) -> None:
        super().__init__()
        self.loss, self.target = loss, target

    def forward(self, prediction: np.ndarray) -> np.ndarray:
        return np.array([self.loss(prediction, self.target)])

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output[0] * self.loss.backward()


# ----------------------------------------------------------------- softmax
@given(z=float_arrays(logit_shapes, low=-30, high=30))
def test_softmax_rows_are_probability_vectors(z):
    p = softmax(z)
    assert p.shape == z.shape
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(softmax(z.T, axis=0), p.T, rtol=1e-15)


@given(z=float_arrays(logit_shapes, low=-10, high=10), seed=seeds)
def test_softmax_and_log_softmax_are_shift_invariant(z, seed):
    shift = np.random.default_rng(seed).uniform(-1e3, 1e3, size=(z.shape[0], 1))
    np.testing.assert_allclose(softmax(z + shift), softmax(z), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(
        log_softmax(z + shift), log_softmax(z), rtol=1e-9, atol=1e-9
    )


@given(z=float_arrays(logit_shapes, low=-10, high=10))
def test_log_softmax_and_logsumexp_agree_with_the_naive_formulas(z):
    np.testing.assert_allclose(
        log_softmax(z), np.log(softmax(z)), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(logsumexp(z), np.log(np.exp(z).sum(axis=-1)), rtol=1e-12)
    assert logsumexp(z, axis=0, keepdims=True).shape == (1, z.shape[1])
    np.testing.assert_allclose(
        log_softmax(z), z - logsumexp(z, keepdims=True), rtol=1e-12, atol=1e-12
    )


def test_softmax_of_huge_logits_is_exact_and_quiet():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=np.float32)
    with np.errstate(all="raise"):
        p, log_p, lse = softmax(z), log_softmax(z), logsumexp(z)
    np.testing.assert_array_equal(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_array_equal(log_p[0], [0, -2e4, -1e4])
    assert p.dtype == log_p.dtype == lse.dtype == np.float32
    assert lse[0] == 1e4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_of_infinities_and_empty_slices_is_torchs(dtype):
    inf = np.inf
    z = np.array([[-inf, -inf], [inf, 1.0], [inf, inf], [-inf, 2.0]], dtype=dtype)
    with np.errstate(all="raise"):  # no inf - inf, no warning from log(0)
        lse = logsumexp(z)
    np.testing.assert_array_equal(lse, np.array([-inf, inf, inf, 2.0], dtype=dtype))
    assert lse.dtype == dtype
    empty = logsumexp(np.zeros((3, 0), dtype=dtype))
    np.testing.assert_array_equal(empty, np.full(3, -inf, dtype=dtype))
    assert logsumexp(np.zeros((0, 4), dtype=dtype)).shape == (0,)
    assert np.isnan(logsumexp(np.array([np.nan, 1.0], dtype=dtype)))


# ----------------------------------------------------------------- cross-entropy
@given(z=float_arrays(logit_shapes, low=-8, high=8), seed=seeds, reduction=reductions)
def test_cross_entropy_backward_matches_finite_differences(z, seed, reduction):
    labels = labels_for(z, seed)
    gradcheck(LossAsLayer(SoftmaxCrossEntropy(reduction), labels), z)


@given(z=float_arrays(logit_shapes, low=-20, high=20), seed=seeds)
def test_cross_entropy_value_and_gradient_formulas(z, seed):
    labels = labels_for(z, seed)
    n, k = z.shape
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn(z, labels)
    grad = loss_fn.backward()
    per_sample = -np.log(softmax(z)[np.arange(n), labels])
    assert isinstance(loss, float)
    assert loss >= 0
    assert loss == pytest.approx(per_sample.mean(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(
        grad, (softmax(z) - np.eye(k)[labels]) / n, rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)
    summed = SoftmaxCrossEntropy(reduction="sum")
    assert summed(z, labels) == pytest.approx(n * loss, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(summed.backward(), n * grad, rtol=1e-12, atol=1e-15)


@given(n=st.integers(1, 8), k=st.integers(1, 12), seed=seeds)
def test_zero_logits_give_log_k(n, k, seed):
    labels = np.random.default_rng(seed).integers(0, k, size=n)
    loss = SoftmaxCrossEntropy()(np.zeros((n, k)), labels)
    assert loss == pytest.approx(
        math.log(k), rel=4e-16, abs=0
    )  # to the last bit or two


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_give_finite_loss_and_grads_without_any_warning(dtype):
    logits = np.array(
        [[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype
    )
    labels = np.array([0, 1, 2])
    loss_fn = SoftmaxCrossEntropy()
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        loss = loss_fn(logits, labels)
        grad = loss_fn.backward()
    assert loss == pytest.approx((0 + 2e4 + math.log(3)) / 3, rel=1e-6)
    assert grad.dtype == dtype and np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad[1], np.array([1, -1, 0]) / 3, atol=1e-7)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)


def test_cross_entropy_keeps_float32():
    logits = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(logits, np.array([0, 1, 2, 0]))
    assert loss_fn.backward().dtype == np.float32


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            np.array([[0], [1], [2]]),
            r"expected labels of shape \(3,\), got \(3, 1\);.*labels\.ravel\(\)",
        ),
        (
            np.array([0.0, 1.0, 2.0]),
            r"expected integer class indices.*got labels of dtype float64",
        ),
        (np.array([0, 1, 3]), r"expected labels in \[0, 3\) for 3 classes, got 3"),
        (np.array([0, -1, 2]), r"expected labels in \[0, 3\) for 3 classes, got -1"),
        (
            np.array([0, 1]),
            r"batch size mismatch: logits have 3 rows, labels have 2 entries",
        ),
        (np.array([True, False, True]), r"expected integer class indices.*dtype bool"),
    ],
)
def test_bad_labels_raise_value_error_saying_what_was_expected(labels, message):
    with pytest.raises(ValueError, match="SoftmaxCrossEntropy: " + message):
        SoftmaxCrossEntropy()(np.zeros((3, 3)), labels)


def test_bad_logits_and_label_containers():
    loss_fn = SoftmaxCrossEntropy()
    with pytest.raises(
        TypeError,
        match=r"expected labels as a numpy integer array of shape \(2,\), got list",
    ):
        loss_fn(np.zeros((2, 3)), [0, 1])
    with pytest.raises(
        ValueError,
        match=r"expected logits of shape \(N, K\) with N, K >= 1, got \(3,\)",
    ):
        loss_fn(np.zeros(3), np.array([0]))
    with pytest.raises(TypeError, match=r"expected logits of a float dtype, got int64"):
        loss_fn(np.zeros((2, 3), dtype=np.int64), np.array([0, 1]))
    with pytest.raises(
        RuntimeError,
        match=r"SoftmaxCrossEntropy: backward\(\) called before forward\(\)",
    ):
        SoftmaxCrossEntropy().backward()
    with pytest.raises(
        ValueError, match=r"expected reduction in \('mean', 'sum'\), got 'avg'"
    ):
        SoftmaxCrossEntropy(reduction="avg")


def test_backward_uses_the_labels_of_its_forward():
    labels = np.array([0, 1])
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(np.zeros((2, 2)), labels)
    expected = loss_fn.backward()
    labels[:] = [1, 0]  # e.g. a data loader reusing its buffer
    np.testing.assert_array_equal(loss_fn.backward(), expected)


# ----------------------------------------------------------------- MSE
@given(pred=float_arrays(array_shapes(max_dims=3)), seed=seeds, reduction=reductions)
def test_mse_backward_matches_finite_differences(pred, seed, reduction):
    target = np.random.default_rng(seed).uniform(-2, 2, pred.shape)
    gradcheck(LossAsLayer(MSELoss(reduction), target), pred)


@given(pred=float_arrays(array_shapes(max_dims=3)), seed=seeds)
def test_mse_value_and_gradient_formulas(pred, seed):
    target = np.random.default_rng(seed).uniform(-2, 2, pred.shape)
    loss_fn = MSELoss()
    loss = loss_fn(pred, target)
    assert isinstance(loss, float) and loss >= 0
    assert loss == pytest.approx(np.mean((pred - target) ** 2), rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(
        loss_fn.backward(), 2 * (pred - target) / pred.size, rtol=1e-12
    )
    summed = MSELoss("sum")
    assert summed(pred, target) == pytest.approx(
        np.sum((pred - target) ** 2), rel=1e-12, abs=1e-15
    )
    np.testing.assert_allclose(summed.backward(), 2 * (pred - target), rtol=1e-12)


def test_mse_keeps_float32_and_checks_its_inputs():
    loss_fn = MSELoss()
    loss_fn(np.ones((2, 2), dtype=np.float32), np.zeros((2, 2)))
    assert loss_fn.backward().dtype == np.float32
    with pytest.raises(
        ValueError,
        match=r"MSELoss: expected target of the prediction's shape \(2, 2\), got \(2,\)",
    ):
        loss_fn(np.ones((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"MSELoss: got an empty prediction"):
        loss_fn(np.ones((0, 2)), np.zeros((0, 2)))
    with pytest.raises(
        TypeError, match=r"MSELoss: expected target of a float dtype, got int64"
    ):
        loss_fn(np.ones(2), np.array([1, 2]))
    with pytest.raises(
        RuntimeError, match=r"MSELoss: backward\(\) called before forward\(\)"
    ):
        MSELoss().backward()
    assert repr(MSELoss("sum")) == "MSELoss(reduction='sum')"


@settings(max_examples=25)
@given(n=st.integers(1, 9), k=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_cross_entropy_gradient_is_a_fresh_array_each_time(n, k, seed):
    rng = np.random.default_rng(seed)
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(rng.standard_normal((n, k)).astype(np.float32), rng.integers(0, k, n))
    first = loss_fn.backward()
    kept = first.copy()
    first[...] = 123.0
    np.testing.assert_array_equal(loss_fn.backward(), kept)
    assert first.shape == (n, k)


def test_label_shape_hints_say_ravel_for_a_column_and_argmax_for_one_hot_rows():
    logits = np.zeros((4, 3), dtype=np.float32)
    with pytest.raises(
        ValueError, match=r"got \(4, 1\); a column of labels can be flattened"
    ):
        SoftmaxCrossEntropy()(logits, np.zeros((4, 1), dtype=np.int64))
    with pytest.raises(
        ValueError, match=r"got \(4, 3\); one-hot rows give .*labels\.argmax\(axis=1\)"
    ):
        SoftmaxCrossEntropy()(logits, np.eye(3, dtype=np.int64)[[0, 1, 2, 0]])


def test_mse_of_values_whose_squares_overflow_the_dtype_is_finite():
    loss = MSELoss()
    assert loss(
        np.array([1e20, 0], np.float32), np.zeros(2, np.float32)
    ) == pytest.approx(5e39)
    assert loss(
        np.array([300.0], np.float16), np.zeros(1, np.float16)
    ) == pytest.approx(9e4)
