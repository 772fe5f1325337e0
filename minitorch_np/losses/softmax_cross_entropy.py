"""`SoftmaxCrossEntropy`: softmax and cross-entropy fused, in log-sum-exp form."""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import check_backward_ready, check_float_array
from minitorch_np.losses.loss import Loss


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of integer labels under softmax(logits).

    Shapes: logits (N, K) float, labels (N,) integer class indices in [0, K).

    Per sample, with z = logits[n] and y = labels[n]::

        log p_k = z_k - logsumexp(z) = (z_k - m) - log sum_j e^(z_j - m)
                  with m = max_j z_j, so exp never overflows (log-sum-exp, as
                  `minitorch_np.functional.log_softmax`)
        loss_n  = -log p_y

    ``reduction="mean"`` (default) returns (1/N) sum_n loss_n, ``"sum"`` the sum.

    Backward: dloss_n/dz_k = p_k - [k == y] (softmax minus one-hot: the p - y of
    the derivation in docs/layer_contract.md), divided by N for the mean. Each
    row of the gradient sums to zero. No probability is ever clipped: logits of
    +-1e4 give a finite loss and gradient.
    """

    is_classification = True

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._probs_t: np.ndarray | None = None  # softmax probabilities, (K, N)
        self._labels: np.ndarray | None = None

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        self._check(logits, labels)
        n = logits.shape[0]
        # The work is done on the (K, N) transpose: the reductions over the K
        # classes then run across whole rows of N samples, which numpy
        # vectorises, instead of over N short rows of K values (the paired
        # measurement behind it is in docs/benchmarks.md).
        shifted = logits.T.copy()  # becomes z_k - m, m = max_k z_k (log-sum-exp)
        shifted -= shifted.max(axis=0)
        with np.errstate(under="ignore"):  # exp(very negative) -> 0 is exact enough
            exp = np.exp(shifted)
        total = exp.sum(axis=0)  # sum_k e^(z_k - m), in [1, K]: log never sees 0
        # loss_n = -log p_y = log(total) - (z_y - m)
        picked = shifted[labels, np.arange(n)]
        loss = np.log(total).sum(dtype=np.float64) - picked.sum(dtype=np.float64)
        exp /= total
        self._probs_t = exp
        self._labels = labels.copy()
        return float(loss / n if self.reduction == "mean" else loss)

    def backward(self) -> np.ndarray:
        check_backward_ready("SoftmaxCrossEntropy", self._probs_t)
        assert self._probs_t is not None and self._labels is not None
        grad_t = self._probs_t.copy()
        n = grad_t.shape[1]
        grad_t[self._labels, np.arange(n)] -= 1
        if self.reduction == "mean":
            grad_t /= n
        return grad_t.T  # (N, K), a new array (in column-major order)

    def _check(self, logits: np.ndarray, labels: np.ndarray) -> None:
        owner = "SoftmaxCrossEntropy"
        if not (isinstance(logits, np.ndarray) and logits.dtype.kind == "f"):
            check_float_array(owner, "logits", logits)
        if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
            raise ValueError(
                f"{owner}: expected logits of shape (N, K) with N, K >= 1, got {logits.shape}"
            )
        if not isinstance(labels, np.ndarray):
            raise TypeError(
                f"{owner}: expected labels as a numpy integer array of shape "
                f"({logits.shape[0]},), got {type(labels).__name__}"
            )
        if labels.dtype.kind not in "iu":  # signed or unsigned integers
            raise ValueError(
                f"{owner}: expected integer class indices (e.g. int64), got labels of "
                f"dtype {labels.dtype}; convert with labels.astype(np.int64) if they "
                "are whole numbers (one-hot labels: labels.argmax(axis=1))"
            )
        if labels.ndim != 1:
            one_hot = labels.ndim == 2 and labels.shape[1] == logits.shape[1] > 1
            hint = (
                "one-hot rows give their class indices with labels.argmax(axis=1)"
                if one_hot
                else "a column of labels can be flattened with labels.ravel()"
            )
            raise ValueError(
                f"{owner}: expected labels of shape ({logits.shape[0]},), got "
                f"{labels.shape}; {hint}"
            )
        if labels.shape[0] != logits.shape[0]:
            raise ValueError(
                f"{owner}: batch size mismatch: logits have {logits.shape[0]} rows, "
                f"labels have {labels.shape[0]} entries"
            )
        low, high = labels.min(), labels.max()
        if low < 0 or high >= logits.shape[1]:
            bad = low if low < 0 else high
            raise ValueError(
                f"{owner}: expected labels in [0, {logits.shape[1]}) for "
                f"{logits.shape[1]} classes, got {bad}"
            )
