"""Classification metrics computed from a model's raw outputs (logits).

The predicted class of a sample is the argmax of its row of logits; softmax is
monotonic, so the argmax of the probabilities would be the same.
"""

from __future__ import annotations

import numpy as np


def count_correct(outputs: np.ndarray, targets: np.ndarray) -> int:
    """Number of samples whose predicted class equals the target class.

    Shapes: outputs (N, K) scores or logits; targets (N,) integer class
    indices, or (N, K) one-hot / probability rows (their argmax is the class).
    """
    if not isinstance(outputs, np.ndarray) or outputs.ndim != 2:
        raise ValueError(
            "count_correct: expected outputs of shape (N, K) (one row of class scores "
            f"per sample), got {getattr(outputs, 'shape', type(outputs).__name__)}"
        )
    targets = np.asarray(targets)
    if targets.ndim == 2:
        targets = targets.argmax(axis=1)
    if targets.shape != (outputs.shape[0],):
        raise ValueError(
            f"count_correct: expected targets of shape ({outputs.shape[0]},) or "
            f"{outputs.shape} (one-hot), got {targets.shape}"
        )
    return int(np.count_nonzero(outputs.argmax(axis=1) == targets))


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Fraction in [0, 1] of samples whose argmax(outputs) equals the target.

    Shapes as in `count_correct`; N must be at least 1.
    """
    correct = count_correct(outputs, targets)
    if outputs.shape[0] == 0:
        raise ValueError("accuracy: got an empty batch (N = 0)")
    return correct / outputs.shape[0]
