"""The report's softmax-regression gradient, written as its per-sample for-loop,
equals Linear(bias=False) + SoftmaxCrossEntropy backward (vectorised)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.layers.linear import Linear
from minitorch_np.losses.softmax_cross_entropy import SoftmaxCrossEntropy


def report_gradient(
    theta: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """The loop as written in the report: theta is (K, n), x is (m, n), y is (m,).

        for i: p = softmax(theta @ x[i]); for j: grad[j] += (p[j] - [y[i] == j]) * x[i]

    then averaged over m. Also returns the mean cross-entropy -log p[y[i]].
    """
    m = x.shape[0]
    k = theta.shape[0]
    grad = np.zeros_like(theta)
    loss = 0.0
    for i in range(m):
        scores = theta @ x[i]
        exps = np.exp(scores - scores.max())
        p = exps / exps.sum()
        loss -= np.log(p[y[i]])
        for j in range(k):
            grad[j] += (p[j] - (y[i] == j)) * x[i]
    return loss / m, grad / m


@given(
    m=st.integers(1, 8),
    n=st.integers(1, 6),
    k=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_vectorised_gradient_equals_the_report_loop(m, n, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(m, n))
    y = rng.integers(0, k, size=m)
    model = Linear(n, k, bias=False, dtype=np.float64, rng=rng)
    theta = model.weight.data.copy()

    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())

    expected_loss, expected_grad = report_gradient(theta, x, y)
    assert np.isclose(loss, expected_loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.weight.grad, expected_grad, rtol=1e-10, atol=1e-12)
