"""accuracy / count_correct: only (N,) labels or (N, C) one-hot rows of the
logits' width are scores; anything else (and NaN outputs) is an error."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np.metrics import accuracy, count_correct

LOGITS = np.array([[2.0, 1.0, 0.0], [0.0, 0.5, 3.0], [1.0, 4.0, 0.0], [0.0, 0.0, 1.0]])
LABELS = np.array([0, 2, 1, 2])  # all four correct


def test_labels_and_one_hot_rows_of_the_logits_width_are_scored():
    assert count_correct(LOGITS, LABELS) == 4
    assert accuracy(LOGITS, np.eye(3)[LABELS]) == 1.0
    assert accuracy(LOGITS, np.array([0, 0, 0, 0], np.uint8)) == 0.25


def test_a_column_of_labels_is_refused_not_broadcast():
    with pytest.raises(
        ValueError, match=r"targets of shape \(4,\).*got \(4, 1\).*ravel"
    ):
        accuracy(LOGITS, LABELS[:, None])


def test_one_hot_rows_of_another_width_are_refused():
    with pytest.raises(
        ValueError, match=r"one-hot targets of shape \(4, 3\).*got \(4, 5\)"
    ):
        count_correct(LOGITS, np.eye(5)[LABELS])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_outputs_are_an_error_naming_the_rows(bad):
    logits = LOGITS.copy()
    logits[2, 1] = bad
    with pytest.raises(ValueError, match=r"non-finite.*rows \[2\]"):
        accuracy(logits, LABELS)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (np.array([0, 2, 3, 2]), r"labels in \[0, 3\).*got 3"),
        (np.array([0, -1, 1, 2]), r"labels in \[0, 3\).*got -1"),
        (np.array([0.0, 2.0, 1.0, 2.0]), r"integer class labels.*float64"),
        (
            np.array([[0, 1], [1, 0], [0, 1], [1, 0]]),
            r"one-hot targets of shape \(4, 3\)",
        ),
        (np.zeros((4, 3, 1)), r"targets of shape \(4,\)"),
    ],
)
def test_other_targets_are_refused(targets, message):
    with pytest.raises(ValueError, match=message):
        count_correct(LOGITS, targets)


def test_outputs_must_be_a_float_or_int_matrix():
    with pytest.raises(ValueError, match=r"outputs of shape \(N, K\)"):
        accuracy(LOGITS[0], LABELS)
    with pytest.raises(ValueError, match="empty"):
        accuracy(np.zeros((0, 3)), np.zeros(0, np.int64))


def test_outputs_without_classes_are_refused():
    with pytest.raises(
        ValueError,
        match=r"accuracy: expected outputs with at least one class \(K >= 1\), got shape \(2, 0\)",
    ):
        accuracy(np.zeros((2, 0)), np.zeros((2, 0)))


def test_one_class_takes_a_column_as_one_hot_rows():
    outputs = np.array([[0.3], [1.2], [-4.0]])
    assert count_correct(outputs, np.ones((3, 1))) == 3
    assert accuracy(outputs, np.zeros(3, dtype=np.int64)) == 1.0


def test_errors_name_the_function_called():
    with pytest.raises(ValueError, match=r"^accuracy: expected labels in \[0, 3\)"):
        accuracy(LOGITS, np.full(len(LOGITS), 7))
    with pytest.raises(
        ValueError, match=r"^count_correct: expected labels in \[0, 3\)"
    ):
        count_correct(LOGITS, np.full(len(LOGITS), 7))
