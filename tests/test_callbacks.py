"""Callbacks: EarlyStopping, ModelCheckpoint, LearningRateScheduler and the stop flag."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from minitorch_np.data import DataLoader
from minitorch_np.layers import Linear, ReLU, Sequential
from minitorch_np.losses import SoftmaxCrossEntropy
from minitorch_np.optim import SGD
from minitorch_np.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from minitorch_np.training import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
)


def data(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = np.eye(3, 6)[y] * 2 + rng.normal(0, 0.5, size=(n, 6))
    return x.astype(np.float32), y.astype(np.int64)


def make_trainer(lr: float = 0.1, scheduler=None) -> Trainer:
    model = Sequential(Linear(6, 16, rng=0), ReLU(), Linear(16, 3, rng=1))
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    if callable(scheduler):
        scheduler = scheduler(optimizer)
    return Trainer(model, SoftmaxCrossEntropy(), optimizer, scheduler=scheduler)


def loader(seed: int = 0) -> DataLoader:
    return DataLoader(*data(), batch_size=16, rng=seed)


def feed(
    callback: Callback, values: list[float], monitor: str = "val_loss"
) -> SimpleNamespace:
    """Run a callback on a scripted sequence of monitored values (no training)."""
    trainer = SimpleNamespace(
        stop_training=False, model=Sequential(Linear(2, 2, rng=0))
    )
    callback.trainer = trainer  # type: ignore[assignment]
    callback.on_train_begin()
    for epoch, value in enumerate(values, start=1):
        callback.on_epoch_end(epoch, {"loss": 1.0, monitor: value})
        if trainer.stop_training:
            break
    return trainer


# ---------------------------------------------------------------------- EarlyStopping
@pytest.mark.parametrize(
    ("patience", "values", "stopped", "best_epoch"),
    [
        (0, [1.0, 0.9, 0.95, 0.5], 3, 2),
        (2, [1.0, 0.9, 0.95, 0.91, 0.5], 4, 2),
        (
            2,
            [1.0, 0.9, 0.95, 0.8, 0.85, 0.7],
            0,
            6,
        ),  # each bad streak is shorter than 2
        (1, [1.0, float("nan"), 0.5], 2, 1),  # NaN never improves
    ],
)
def test_early_stopping_counts_epochs_without_improvement(
    patience, values, stopped, best_epoch
):
    callback = EarlyStopping(patience=patience)
    trainer = feed(callback, values)
    assert callback.stopped_epoch == stopped
    assert trainer.stop_training == (stopped > 0)
    assert callback.best_epoch == best_epoch


def test_early_stopping_min_delta_and_mode():
    callback = EarlyStopping(patience=0, min_delta=0.1)
    feed(callback, [1.0, 0.95])  # an improvement smaller than min_delta does not count
    assert callback.stopped_epoch == 2 and callback.best == 1.0
    callback = EarlyStopping(
        monitor="val_acc", patience=0
    )  # "auto": higher is better for acc
    feed(callback, [0.5, 0.6, 0.7, 0.65], monitor="val_acc")
    assert callback.stopped_epoch == 4 and callback.best == 0.7
    callback = EarlyStopping(monitor="val_loss", mode="max", patience=0)
    feed(callback, [0.5, 0.4])
    assert callback.stopped_epoch == 2


def test_early_stopping_restores_the_best_weights_in_a_real_run():
    x, y = data()
    x_val, y_val = (
        x,
        (y + 1) % 3,
    )  # validation labels the training makes ever more wrong
    snapshots = {}

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs):
            snapshots[epoch] = self.trainer.model.state_dict()

    trainer = make_trainer(lr=0.05)
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    history = trainer.fit(
        loader(),
        30,
        val_data=(x_val, y_val),
        callbacks=[Snapshot(), stopper],
        progress=False,
    )
    assert 0 < stopper.stopped_epoch == len(history) < 30
    assert stopper.best_epoch == int(np.argmin(history.val_loss)) + 1
    assert stopper.best_epoch < len(history)  # so restoring changes the weights
    final = trainer.model.state_dict()
    for name, array in snapshots[stopper.best_epoch].items():
        np.testing.assert_array_equal(final[name], array)
    assert not np.array_equal(final["2.weight"], snapshots[len(history)]["2.weight"])


def test_missing_monitor_names_the_available_values():
    trainer = make_trainer()
    with pytest.raises(KeyError, match=r"'val_loss' is not among .*pass val_data"):
        trainer.fit(loader(), 2, callbacks=[EarlyStopping()], progress=False)


def test_callback_arguments_are_checked():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(TypeError, match="step"):
        LearningRateScheduler(object())


# ---------------------------------------------------------------------- stop flag and hooks
def test_a_callback_stops_training_and_hooks_run_in_order():
    events = []

    class StopAtTwo(Callback):
        def on_train_begin(self):
            events.append(("begin", self.trainer.epoch))

        def on_epoch_end(self, epoch, logs):
            events.append(("epoch", epoch, sorted(logs)))
            if epoch == 2:
                self.trainer.stop_training = True

        def on_train_end(self):
            events.append(("end", self.trainer.epoch))

    history = make_trainer().fit(loader(), 10, callbacks=[StopAtTwo()], progress=False)
    assert len(history) == 2
    columns = ["acc", "loss", "lr", "seconds"]
    assert events == [
        ("begin", 0),
        ("epoch", 1, columns),
        ("epoch", 2, columns),
        ("end", 2),
    ]


# ---------------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_every_epoch_overwrites_one_file(tmp_path):
    path = tmp_path / "last.npz"
    trainer = make_trainer()
    trainer.fit(loader(), 3, callbacks=[ModelCheckpoint(path)], progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.npz"]
    fresh = make_trainer()
    checkpoint = load_checkpoint(path, fresh.model, fresh.optimizer)
    assert checkpoint.epoch == 3 and checkpoint.history == trainer.history
    np.testing.assert_array_equal(
        fresh.model[0].weight.data, trainer.model[0].weight.data
    )


def test_model_checkpoint_save_best_only_writes_on_improvement(tmp_path):
    callback = ModelCheckpoint(
        tmp_path / "best-{epoch}-{val_loss:.2f}.npz", save_best_only=True
    )
    saved = []

    class FakeTrainer(SimpleNamespace):
        def save_checkpoint(self, path):
            saved.append(path)
            return path

    callback.trainer = FakeTrainer(stop_training=False)  # type: ignore[assignment]
    callback.on_train_begin()
    for epoch, value in enumerate([1.0, 0.8, 0.9, 0.7], start=1):
        callback.on_epoch_end(epoch, {"loss": 0.0, "val_loss": value})
    assert [p.rsplit("/", 1)[1] for p in saved] == [
        "best-1-1.00.npz",
        "best-2-0.80.npz",
        "best-4-0.70.npz",
    ]
    assert callback.best == 0.7 and callback.last_path == saved[-1]


def test_model_checkpoint_path_fields_must_exist(tmp_path):
    trainer = make_trainer()
    with pytest.raises(ValueError, match="cannot fill the path"):
        trainer.fit(
            loader(),
            1,
            callbacks=[ModelCheckpoint(tmp_path / "{val_acc}.npz")],
            progress=False,
        )


# ---------------------------------------------------------------------- learning-rate schedules
def test_scheduler_steps_once_per_epoch_and_history_records_the_lr_used():
    trainer = make_trainer(
        lr=0.1, scheduler=lambda opt: StepLR(opt, step_size=2, gamma=0.5)
    )
    history = trainer.fit(loader(), 5, progress=False)
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert trainer.optimizer.lr == pytest.approx(0.025)  # already set for a sixth epoch


def test_plateau_scheduler_gets_the_monitored_value():
    x, y = data()
    trainer = make_trainer(
        lr=0.1, scheduler=lambda opt: ReduceLROnPlateau(opt, patience=0, factor=0.5)
    )
    history = trainer.fit(
        loader(), 4, val_data=(x, (y + 1) % 3), progress=False
    )  # val_loss rises
    assert history.lr[0] == 0.1 and history.lr[-1] < 0.1
    assert trainer.scheduler.best == pytest.approx(min(history.val_loss))


def test_plateau_scheduler_without_validation_data_needs_a_monitor():
    trainer = make_trainer(scheduler=lambda opt: ReduceLROnPlateau(opt))
    with pytest.raises(KeyError, match="val_loss"):
        trainer.fit(loader(), 1, progress=False)
    model = Sequential(Linear(6, 3, rng=0))
    optimizer = SGD(model.parameters(), lr=0.1)
    wrapped = LearningRateScheduler(ReduceLROnPlateau(optimizer), monitor="loss")
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, scheduler=wrapped)
    trainer.fit(loader(), 2, progress=False)
    assert trainer.scheduler.best == pytest.approx(min(trainer.history.loss))


def test_callback_flags_must_be_booleans():
    with pytest.raises(
        TypeError,
        match=r"EarlyStopping: expected restore_best_weights to be True or False, got 'no'",
    ):
        EarlyStopping(restore_best_weights="no")
    with pytest.raises(
        TypeError,
        match=r"ModelCheckpoint: expected save_best_only to be True or False, got 'no'",
    ):
        ModelCheckpoint("run.npz", save_best_only="no")


@pytest.mark.parametrize("monitor", [3, None, ""])
def test_monitor_must_be_a_log_name(monitor):
    for build in (
        lambda: EarlyStopping(monitor=monitor),
        lambda: ModelCheckpoint("run.npz", monitor=monitor),
    ):
        with pytest.raises(
            TypeError, match=r"expected monitor to be the name of an epoch log"
        ):
            build()


@pytest.mark.parametrize("path", [3, None, ""])
def test_checkpoint_path_must_be_a_file_name(path):
    with pytest.raises(
        TypeError, match=r"ModelCheckpoint: expected path to be a file name"
    ):
        ModelCheckpoint(path)


@pytest.mark.parametrize(
    "template", ["{epoch.x}.npz", "{epoch[0]}.npz", "{loss:d}.npz"]
)
def test_a_path_template_that_cannot_be_filled_is_a_value_error(template):
    with pytest.raises(ValueError, match=r"ModelCheckpoint: cannot fill the path"):
        ModelCheckpoint(template).check({"loss", "val_loss"})
