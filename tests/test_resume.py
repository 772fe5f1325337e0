"""What a checkpoint says it holds: no epoch-level save from the middle of an
epoch, and callbacks' state travels with the checkpoint so a resumed run takes
the decisions of an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minitorch_np.data import DataLoader
from minitorch_np.layers import Layer, Linear, ReLU, Sequential
from minitorch_np.losses import Loss, MSELoss, SoftmaxCrossEntropy
from minitorch_np.optim import SGD
from minitorch_np.optim.lr_scheduler import StepLR
from minitorch_np.training import (
    EarlyStopping,
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
)


def data(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def make(seed: int = 0) -> tuple[Trainer, DataLoader]:
    model = Sequential(Linear(6, 8, rng=seed), ReLU(), Linear(8, 2, rng=seed + 1))
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(
        model,
        SoftmaxCrossEntropy(),
        optimizer,
        scheduler=StepLR(optimizer, 1, gamma=0.5),
    )
    return trainer, DataLoader(*data(), batch_size=8, rng=seed)


class InterruptAt(Layer):
    """Raises KeyboardInterrupt at its ``at``-th training forward (a Ctrl-C)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.calls = at, 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.calls += self.training
        if self.training and self.calls == self.at:
            raise KeyboardInterrupt
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


# ---------------------------------------------------------------------- item 6
def test_saving_after_an_interrupted_epoch_is_refused(tmp_path: Path) -> None:
    _, loader = make()
    model = Sequential(
        Linear(6, 8, rng=0), ReLU(), Linear(8, 2, rng=1), InterruptAt(8 + 3)
    )
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(loader, 3, progress=False)
    assert trainer.epoch == 1
    with pytest.raises(
        RuntimeError,
        match=r"interrupted in epoch 2 after 2 of its steps.*save_checkpoint\(",
    ):
        trainer.save_checkpoint(tmp_path / "mid.npz")
    assert not (tmp_path / "mid.npz").exists()
    trainer.fit(loader, 1, progress=False)  # a complete fit makes saving honest again
    assert trainer.save_checkpoint(tmp_path / "done.npz").exists()


def test_a_failing_callback_after_a_complete_epoch_still_allows_saving(
    tmp_path: Path,
) -> None:
    trainer, loader = make()
    with pytest.raises(ValueError, match="cannot fill the path"):
        trainer.fit(loader, 2, callbacks=[ModelCheckpoint(tmp_path / "{nothing}.npz")],
                    progress=False)  # fmt: skip
    trainer.save_checkpoint(tmp_path / "ok.npz")
    assert load_checkpoint(tmp_path / "ok.npz", trainer.model).epoch == trainer.epoch


# ---------------------------------------------------------------------- item 7
def callbacks(folder: Path) -> list:
    # lr halves every epoch: with mode "max" the best epoch is the first, and
    # every later epoch is "no improvement"
    return [
        ModelCheckpoint(
            folder / "best.npz", monitor="lr", mode="max", save_best_only=True
        ),
        EarlyStopping(monitor="lr", mode="max", patience=2, restore_best_weights=True),
        ModelCheckpoint(folder / "last.npz"),
    ]


def weights(trainer: Trainer) -> dict[str, np.ndarray]:
    return trainer.model.state_dict()


def test_a_resumed_run_takes_the_decisions_of_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    straight_dir, split_dir = tmp_path / "straight", tmp_path / "split"
    straight_dir.mkdir()
    split_dir.mkdir()
    straight, loader = make()
    straight_callbacks = callbacks(straight_dir)
    history = straight.fit(loader, 6, callbacks=straight_callbacks, progress=False)
    assert len(history) == 3  # stopped by EarlyStopping at epoch 3

    first, loader = make()
    first.fit(loader, 2, callbacks=callbacks(split_dir), progress=False)
    best_after_two = (split_dir / "best.npz").read_bytes()
    second, loader = make(seed=5)  # fresh objects, other initial weights
    resumed_callbacks = callbacks(split_dir)
    resumed = second.fit(
        loader, 6, callbacks=resumed_callbacks, progress=False,
        resume_from=split_dir / "last.npz",
    )  # fmt: skip
    assert len(resumed) == 3  # EarlyStopping's counters came back: it stops at 3 again
    assert (split_dir / "best.npz").read_bytes() == best_after_two  # not overwritten
    assert load_checkpoint(split_dir / "best.npz", second.model).epoch == 1
    stop = resumed_callbacks[1]
    assert (stop.best_epoch, stop.stopped_epoch, stop.wait) == (1, 3, 2)
    assert resumed_callbacks[0].best == straight_callbacks[0].best
    for name, array in weights(straight).items():
        np.testing.assert_array_equal(weights(second)[name], array)
    drop = [c for c in ("seconds",)]
    assert {k: v for k, v in resumed.to_dict().items() if k not in drop} == {
        k: v for k, v in history.to_dict().items() if k not in drop
    }


def test_model_checkpoint_runs_after_the_other_callbacks(tmp_path: Path) -> None:
    """Listed first, it still saves the state the others reach at that epoch."""
    trainer, loader = make()
    stop = EarlyStopping(monitor="lr", mode="max", patience=5)
    trainer.fit(
        loader, 2, callbacks=[ModelCheckpoint(tmp_path / "c.npz"), stop], progress=False
    )
    again = EarlyStopping(monitor="lr", mode="max", patience=5)
    fresh, loader = make()
    load_checkpoint(
        tmp_path / "c.npz",
        fresh.model,
        callbacks=[ModelCheckpoint(tmp_path / "c.npz"), again],
    )
    assert (again.wait, again.best_epoch) == (stop.wait, stop.best_epoch) == (1, 1)


def test_callback_states_are_checked_on_load(tmp_path: Path) -> None:
    stop = EarlyStopping()
    with pytest.raises(ValueError, match=r"EarlyStopping.load_state_dict: .*wait"):
        stop.load_state_dict(
            {
                "best": 1.0,
                "best_epoch": 1,
                "stopped_epoch": 0,
                "wait": -1,
                "best_weights": None,
            }
        )
    with pytest.raises(ValueError, match=r"ModelCheckpoint.load_state_dict: .*missing"):
        ModelCheckpoint(tmp_path / "x.npz").load_state_dict({})


def test_a_regression_loss_never_measures_accuracy_unless_it_declares_classes() -> None:
    class Hinge(Loss):
        is_classification = True

        def forward(self, prediction, target):
            return float(np.mean(prediction))

        def backward(self):
            return np.zeros((1, 2))

    model = Linear(6, 2, rng=0)
    assert Trainer(model, Hinge(), SGD(model.parameters(), lr=0.1)).accuracy is True
    assert Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.1)).accuracy is False
    assert SoftmaxCrossEntropy.is_classification and not MSELoss.is_classification
