"""`SoftmaxCrossEntropy`: softmax and cross-entropy fused, in log-sum-exp form."""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import check_backward_ready, check_float_array
from minitorch_np.functional import log_softmax
from minitorch_np.losses.loss import Loss


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of integer labels under softmax(logits).

    Shapes: logits (N, K) float, labels (N,) integer class indices in [0, K).

    Per sample, with z = logits[n] and y = labels[n]::

        log p_k = z_k - logsumexp(z)      (`minitorch_np.functional.log_softmax`:
                                           (z_k - m) - log sum_j e^(z_j - m) with
                                           m = max_j z_j, so exp never overflows)
        loss_n  = -log p_y

    ``reduction="mean"`` (default) returns (1/N) sum_n loss_n, ``"sum"`` the sum.

    Backward: dloss_n/dz_k = p_k - [k == y] (softmax minus one-hot: the p - y of
    the derivation in docs/layer_contract.md), divided by N for the mean. Each
    row of the gradient sums to zero. No probability is ever clipped: logits of
    +-1e4 give a finite loss and gradient.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._probs: np.ndarray | None = None
        self._labels: np.ndarray | None = None

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        self._check(logits, labels)
        n = logits.shape[0]
        log_probs = log_softmax(logits, axis=1)
        total = -log_probs[np.arange(n), labels].sum(dtype=np.float64)
        with np.errstate(under="ignore"):  # exp(very negative) -> 0 is exact enough
            self._probs = np.exp(log_probs)
        self._labels = labels.copy()
        return float(total / n if self.reduction == "mean" else total)

    def backward(self) -> np.ndarray:
        check_backward_ready("SoftmaxCrossEntropy", self._probs)
        assert self._probs is not None and self._labels is not None
        grad = self._probs.copy()
        n = grad.shape[0]
        grad[np.arange(n), self._labels] -= 1
        if self.reduction == "mean":
            grad /= n
        return grad

    def _check(self, logits: np.ndarray, labels: np.ndarray) -> None:
        owner = "SoftmaxCrossEntropy"
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
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"{owner}: expected integer class indices (e.g. int64), got labels of "
                f"dtype {labels.dtype}; convert with labels.astype(np.int64) if they "
                "are whole numbers (one-hot labels: labels.argmax(axis=1))"
            )
        if labels.ndim != 1:
            raise ValueError(
                f"{owner}: expected labels of shape ({logits.shape[0]},), got "
                f"{labels.shape}; a column of labels can be flattened with labels.ravel()"
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
