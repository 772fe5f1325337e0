"""`RunningMeans`: the loss and accuracy of an epoch, accumulated batch by
batch from the outputs the training step already has (no extra pass)."""

from __future__ import annotations

import numpy as np

from minitorch_np.metrics import count_correct


class RunningMeans:
    """Per-sample means of loss and accuracy over the batches seen so far.

    A "mean" loss is the batch mean, so it is weighted by the batch size; a
    "sum" loss is already a sum over the batch.
    """

    __slots__ = ("correct", "count_accuracy", "loss_is_mean", "loss_sum", "seen")

    def __init__(self, count_accuracy: bool, loss_is_mean: bool) -> None:
        self.count_accuracy = count_accuracy
        self.loss_is_mean = loss_is_mean
        self.loss_sum = 0.0
        self.correct = 0
        self.seen = 0

    def add(self, loss: float, outputs: np.ndarray, targets: np.ndarray) -> None:
        n = len(outputs)
        self.loss_sum += loss * n if self.loss_is_mean else loss
        self.seen += n
        if self.count_accuracy:
            self.correct += count_correct(outputs, targets)

    @property
    def loss(self) -> float:
        return self.loss_sum / self.seen

    @property
    def acc(self) -> float | None:
        return self.correct / self.seen if self.count_accuracy else None
