"""Convolutional nets from the public layers: Flatten and Dropout on images,
DataLoader batches of images, a whole CNN under check_layer, summary, state
and checkpoints, training on a tiny synthetic task."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np.data import DataLoader
from minitorch_np.layers import (
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    Tanh,
)
from minitorch_np.losses import SoftmaxCrossEntropy
from minitorch_np.optim import Adam
from minitorch_np.testing import check_layer, image_shapes
from minitorch_np.training import Trainer, load_checkpoint


def small_cnn(rng, dtype=np.float32):
    return Sequential(
        Conv2d(1, 4, 3, padding=1, dtype=dtype, rng=rng),
        BatchNorm2d(4, dtype=dtype),
        MaxPool2d(2),
        ReLU(),
        Conv2d(4, 6, 3, dtype=dtype, rng=rng),
        ReLU(),
        GlobalAvgPool2d(),
        Linear(6, 3, dtype=dtype, rng=rng),
    )


def test_flatten_takes_images_to_rows_and_back():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for images in (x, channels_last):  # the layout Conv2d returns, too
        flatten = Flatten()
        y = flatten(images)
        np.testing.assert_array_equal(y, x.reshape(2, 60))
        np.testing.assert_array_equal(flatten.backward(y), x)


def test_dropout_masks_images_elementwise_and_is_the_identity_in_eval():
    x = np.ones((4, 3, 8, 8), np.float32)
    dropout = Dropout(0.5, rng=0)
    y = dropout(x)
    assert y.shape == x.shape and set(np.unique(y)) == {0.0, 2.0}
    np.testing.assert_array_equal(dropout.backward(x), y)
    assert dropout.eval()(x) is x


def test_dataloader_batches_images():
    x = np.arange(10 * 1 * 2 * 2, dtype=np.float32).reshape(10, 1, 2, 2)
    y = np.arange(10)
    batches = list(DataLoader(x, y, batch_size=4, shuffle=False))
    assert [xb.shape for xb, _ in batches] == [(4, 1, 2, 2), (4, 1, 2, 2), (2, 1, 2, 2)]
    np.testing.assert_array_equal(batches[1][0], x[4:8])


def test_a_whole_cnn_passes_the_layer_contract():
    # Tanh rather than ReLU: no kink inside the net for finite differences to
    # step across (the layers themselves are checked one by one elsewhere)
    def make(rng):
        return Sequential(
            Conv2d(1, 4, 3, padding=1, dtype=np.float64, rng=rng),
            BatchNorm2d(4, dtype=np.float64),
            MaxPool2d(2),
            Tanh(),
            Conv2d(4, 3, 2, dtype=np.float64, rng=rng),
            GlobalAvgPool2d(),
            Flatten(),
            Linear(3, 2, dtype=np.float64, rng=rng),
        )

    check_layer(
        make,
        image_shapes(1, min_batch=2, min_side=4, max_side=6),
        same_in_eval=False,
        batch_independent=False,
        max_examples=8,
    )


def test_summary_shows_the_image_shapes():
    text = small_cnn(np.random.default_rng(0)).summary((1, 8, 8))
    assert "(None, 4, 8, 8)" in text and "(None, 4, 4, 4)" in text
    assert "(None, 6, 2, 2)" in text and "(None, 6)" in text


def test_a_cnn_learns_a_synthetic_task_and_its_checkpoint_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    x = rng.normal(0, 0.3, (300, 1, 8, 8)).astype(np.float32)
    x[labels == 0, :, :4] += 1.0  # top half bright
    x[labels == 1, :, :, :4] += 1.0  # left half bright
    model = small_cnn(np.random.default_rng(1))
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=0.02))
    trainer.fit(DataLoader(x, labels, batch_size=32, rng=0), 8, progress=False)
    assert trainer.evaluate(x, labels)["acc"] > 0.9
    path = trainer.save_checkpoint(tmp_path / "cnn.npz")
    restored = small_cnn(np.random.default_rng(2))
    load_checkpoint(path, restored)
    restored.eval()
    model.eval()
    np.testing.assert_array_equal(restored(x[:5]), model(x[:5]))


def test_layers_convert_with_to():
    model = small_cnn(np.random.default_rng(0)).to(np.float64)
    y = model(np.zeros((2, 1, 6, 6)))
    assert y.dtype == np.float64
    with pytest.raises(TypeError, match="expected input of dtype float64"):
        model(np.zeros((2, 1, 6, 6), np.float32))
