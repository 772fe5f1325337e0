"""Trainer: the same seed gives the same run, and a run saved and resumed
into fresh objects equals an uninterrupted one."""

from __future__ import annotations

import numpy as np
import pytest
from trainer_fixtures import (
    N_CLASSES,
    N_FEATURES,
    assert_same_arrays,
    assert_same_optimizer_state,
    blobs,
    mlp,
    weights,
    without_seconds,
)

from minitorch_np.data import DataLoader
from minitorch_np.layers import BatchNorm1d, Dropout, Linear, ReLU, Sequential
from minitorch_np.losses import SoftmaxCrossEntropy
from minitorch_np.optim import SGD, Adam
from minitorch_np.optim.lr_scheduler import StepLR
from minitorch_np.training import History, Trainer


# ---------------------------------------------------------------------- reproducibility
def run(
    seed: int, epochs: int = 3, jitter: bool = True
) -> tuple[History, dict[str, np.ndarray]]:
    x, y = blobs(120, seed=5)
    model = mlp(seed=seed, jitter=jitter)
    trainer = Trainer(
        model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.05, momentum=0.9)
    )
    history = trainer.fit(
        DataLoader(x, y, batch_size=16, rng=seed),
        epochs,
        val_data=blobs(30, 6),
        progress=False,
    )
    return history, weights(model)


def test_same_seed_gives_bit_identical_history_and_weights():
    history_a, weights_a = run(seed=3)
    history_b, weights_b = run(seed=3)
    assert without_seconds(history_a) == without_seconds(history_b)
    assert_same_arrays(weights_a, weights_b)
    history_c, _ = run(seed=4)
    assert without_seconds(history_c) != without_seconds(history_a)


# ---------------------------------------------------------------------- resume
def make_run(seed: int, optimizer_name: str, net: str = "jitter"):
    """Model (with a random layer), optimizer, StepLR scheduler, shuffled loader."""
    if net == "jitter":
        model = mlp(seed=seed, jitter=True)
    else:  # random masks and running statistics (buffers)
        model = Sequential(
            Linear(N_FEATURES, 32, rng=seed), BatchNorm1d(32), ReLU(),
            Dropout(0.3, rng=seed + 1), Linear(32, N_CLASSES, rng=seed + 2),
        )  # fmt: skip
    if optimizer_name == "sgd":
        optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    else:
        optimizer = Adam(model.parameters(), lr=0.01)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, scheduler=scheduler)
    x, y = blobs(100, seed=7)
    return trainer, DataLoader(x, y, batch_size=16, rng=seed)


@pytest.mark.parametrize("net", ["jitter", "dropout_batchnorm"])
@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
def test_four_epochs_equal_two_plus_save_load_into_fresh_objects_plus_two(
    tmp_path, optimizer_name, net
):
    val_data = blobs(40, seed=8)
    straight, straight_loader = make_run(
        seed=11, optimizer_name=optimizer_name, net=net
    )
    straight.fit(straight_loader, 4, val_data=val_data, progress=False)

    first, loader = make_run(seed=11, optimizer_name=optimizer_name, net=net)
    first.fit(loader, 2, val_data=val_data, progress=False)
    path = first.save_checkpoint(tmp_path / "half.npz")

    # fresh objects with other seeds: everything must come from the checkpoint
    resumed, fresh_loader = make_run(seed=99, optimizer_name=optimizer_name, net=net)
    history = resumed.fit(
        fresh_loader, 4, val_data=val_data, progress=False, resume_from=path
    )

    assert resumed.epoch == 4 and len(history) == 4
    assert without_seconds(history) == without_seconds(straight.history)
    assert history.seconds[:2] == first.history.seconds
    base_lr = 0.05 if optimizer_name == "sgd" else 0.01
    assert history.lr == pytest.approx([base_lr * 0.7**epoch for epoch in range(4)])
    assert_same_arrays(weights(resumed.model), weights(straight.model))
    assert_same_optimizer_state(
        resumed.optimizer.state_dict(), straight.optimizer.state_dict()
    )
    assert resumed.scheduler.state_dict() == straight.scheduler.state_dict()
    assert (
        fresh_loader.rng.bit_generator.state == straight_loader.rng.bit_generator.state
    )
    random_layer = 2 if net == "jitter" else 3
    layer_state = straight.model[random_layer].rng.bit_generator.state
    assert resumed.model[random_layer].rng.bit_generator.state == layer_state


def test_resume_at_or_past_the_target_epoch_trains_nothing(tmp_path):
    trainer, loader = make_run(seed=1, optimizer_name="sgd")
    trainer.fit(loader, 3, progress=False)
    path = trainer.save_checkpoint(tmp_path / "done.npz")
    again, loader = make_run(seed=2, optimizer_name="sgd")
    history = again.fit(loader, 2, progress=False, resume_from=path)
    assert len(history) == 3 and again.epoch == 3
    assert_same_arrays(weights(again.model), weights(trainer.model))
