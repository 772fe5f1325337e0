"""End to end on real MNIST (from MINITORCH_NP_DATA): softmax regression on a
slice of the training set must clearly beat chance and approach the full run."""

from __future__ import annotations

import os

import numpy as np
import pytest

from minitorch_np.data import DataLoader, load_mnist
from minitorch_np.layers import Linear, Sequential
from minitorch_np.losses import SoftmaxCrossEntropy
from minitorch_np.optim import SGD
from minitorch_np.training import Trainer

pytestmark = pytest.mark.skipif(
    not os.environ.get("MINITORCH_NP_DATA"),
    reason="MINITORCH_NP_DATA is not set (folder with mnist/); real-data test skipped",
)


def test_softmax_regression_on_an_mnist_slice_beats_88_percent():
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    x, y = x[:12000], y[:12000]
    model = Sequential(Linear(784, 10, init="zeros"))
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer)
    history = trainer.fit(DataLoader(x, y, batch_size=128, rng=0), 3, progress=False)
    result = trainer.evaluate(x_test, y_test)
    assert history.loss[-1] < history.loss[0]
    assert result["acc"] >= 0.88, result
    predicted = trainer.predict(x_test[:500]).argmax(axis=1)
    assert np.mean(predicted == y_test[:500]) >= 0.85
