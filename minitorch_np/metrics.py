"""Classification metrics computed from a model's raw outputs (logits).

The predicted class of a sample is the argmax of its row of logits; softmax is
monotonic, so the argmax of the probabilities would be the same.

Targets are either (N,) integer class labels in [0, K) or (N, K) one-hot (or
probability) rows of the outputs' width K, whose argmax is the class. Anything
else is refused rather than broadcast into a wrong score: a column of labels
(N, 1), rows of another width, labels outside [0, K), float labels, and
non-finite outputs (the argmax of a row holding NaN means nothing).
"""

from __future__ import annotations

import numpy as np


def count_correct(outputs: np.ndarray, targets: np.ndarray) -> int:
    """Number of samples whose predicted class equals the target class.

    Shapes: outputs (N, K) finite scores or logits; targets (N,) integer
    class indices in [0, K), or (N, K) one-hot / probability rows.
    """
    return _count_correct(outputs, targets, "count_correct")


def _count_correct(outputs: np.ndarray, targets: np.ndarray, owner: str) -> int:
    outputs = _check_outputs(outputs, owner)
    labels = class_labels(targets, outputs.shape, owner)
    return int(np.count_nonzero(outputs.argmax(axis=1) == labels))


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Fraction in [0, 1] of samples whose argmax(outputs) equals the target.

    Shapes as in `count_correct`; N must be at least 1.
    """
    correct = _count_correct(outputs, targets, "accuracy")
    if outputs.shape[0] == 0:
        raise ValueError("accuracy: got an empty batch (N = 0)")
    return correct / outputs.shape[0]


def _check_outputs(outputs: object, owner: str) -> np.ndarray:
    if (
        not isinstance(outputs, np.ndarray)
        or outputs.ndim != 2
        or outputs.dtype.kind not in "fiu"
    ):
        raise ValueError(
            f"{owner}: expected outputs of shape (N, K) (one row of class scores "
            f"per sample), got {_describe(outputs)}"
        )
    if outputs.shape[1] == 0:
        raise ValueError(
            f"{owner}: expected outputs with at least one class (K >= 1), got shape "
            f"{outputs.shape}"
        )
    if outputs.dtype.kind == "f" and not np.isfinite(outputs).all():
        rows = np.flatnonzero(~np.isfinite(outputs).all(axis=1))
        raise ValueError(
            f"{owner}: the outputs hold non-finite values (NaN or inf) in rows "
            f"{rows[:10].tolist()}{' ...' if len(rows) > 10 else ''}; their predicted "
            "class is undefined (did training diverge?)"
        )
    return outputs


def class_labels(
    targets: object, shape: tuple[int, ...], owner: str = "count_correct"
) -> np.ndarray:
    """(N,) class labels in [0, K) from targets for outputs of ``shape`` (N, K):
    the labels themselves or the argmax of one-hot rows; ValueError otherwise
    (messages start with ``owner``). With K = 1 an (N, 1) column is a one-hot
    row per sample."""
    n, k = shape
    targets = np.asarray(targets)
    if (
        targets.ndim == 2
        and targets.shape[0] == n
        and (targets.shape[1] != 1 or k == 1)
    ):
        if targets.shape[1] != k or targets.dtype.kind not in "biuf":
            raise ValueError(
                f"{owner}: expected one-hot targets of shape ({n}, {k}) (the "
                f"outputs' width), got {targets.shape} {targets.dtype}"
            )
        if targets.dtype.kind == "f" and not np.isfinite(targets).all():
            raise ValueError(f"{owner}: the one-hot targets hold NaN or inf")
        return targets.argmax(axis=1)
    if targets.shape != (n,):
        hint = (
            "; flatten a column of labels with y.ravel()"
            if targets.shape == (n, 1)
            else ""
        )
        raise ValueError(
            f"{owner}: expected targets of shape ({n},) (class labels) or "
            f"({n}, {k}) (one-hot), got {targets.shape}{hint}"
        )
    if targets.dtype.kind not in "iu":
        raise ValueError(
            f"{owner}: expected integer class labels, got dtype {targets.dtype}; "
            "convert whole numbers with y.astype(np.int64)"
        )
    if n and (targets.min() < 0 or targets.max() >= k):
        bad = targets.min() if targets.min() < 0 else targets.max()
        raise ValueError(
            f"{owner}: expected labels in [0, {k}) for {k} classes, got {bad}"
        )
    return targets


def _describe(value: object) -> str:
    shape = getattr(value, "shape", None)
    if shape is None:
        return type(value).__name__
    return f"{shape} {getattr(value, 'dtype', '')}".rstrip()
