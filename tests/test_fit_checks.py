"""Trainer.fit checks all its arguments and its callbacks' settings before the
first batch is trained, not after the first epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minitorch_np.data import DataLoader
from minitorch_np.layers import Linear, Sequential
from minitorch_np.losses import MSELoss, SoftmaxCrossEntropy
from minitorch_np.optim import SGD
from minitorch_np.optim.lr_scheduler import ReduceLROnPlateau
from minitorch_np.training import (
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    Trainer,
)


class CountingLoader:
    """Batches of a DataLoader, counting how many were taken."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(32, 6)).astype(np.float32)
        self.loader = DataLoader(x, (x[:, 0] > 0).astype(np.int64), batch_size=8, rng=0)
        self.taken = 0

    def __iter__(self):
        for batch in self.loader:
            self.taken += 1
            yield batch


def trainer() -> Trainer:
    model = Sequential(Linear(6, 3, rng=0))
    return Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))


def val(n: int = 10, features: int = 6, labels: np.ndarray | None = None):
    x = np.zeros((n, features), np.float32)
    return x, labels if labels is not None else np.zeros(n, np.int64)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"val_data": val(features=5)}, ValueError, r"val_data.*Linear"),
        ({"val_data": val(labels=np.full(10, 3))}, ValueError, r"val_data.*labels in \[0, 3\)"),
        ({"val_data": val(labels=np.zeros((10, 1), np.int64))}, ValueError, r"val_data.*\(10,\)"),
        ({"val_data": (np.zeros((10, 6), np.float32), np.zeros(9, np.int64))}, ValueError, r"same number of samples"),
        ({"val_data": val(), "callbacks": [EarlyStopping(monitor="val_los")]}, KeyError, r"EarlyStopping: monitor 'val_los' is not among .*'val_loss'"),
        ({"callbacks": [EarlyStopping(monitor="val_loss")]}, KeyError, r"EarlyStopping: monitor 'val_loss' .*pass val_data"),
        ({"callbacks": [ModelCheckpoint("{val_acc:.2f}.npz", monitor="loss")]}, ValueError, r"ModelCheckpoint: cannot fill the path"),
        ({"callbacks": [LearningRateScheduler(ReduceLROnPlateau(SGD(Linear(1, 1, rng=0).parameters(), lr=0.1)))]},
         KeyError, r"LearningRateScheduler: monitor 'val_loss'"),
        ({"progress": "fancy"}, ValueError, r"progress"),
    ],
)  # fmt: skip
def test_bad_settings_fail_before_the_first_batch(kwargs, error, message) -> None:
    fit = trainer()
    loader = CountingLoader()
    before = fit.model.state_dict()
    with pytest.raises(error, match=message):
        fit.fit(loader, 2, **kwargs)
    assert loader.taken == 0
    for name, array in before.items():
        np.testing.assert_array_equal(fit.model.state_dict()[name], array)


def test_a_checkpoint_folder_that_does_not_exist_fails_before_training(
    tmp_path: Path,
) -> None:
    loader = CountingLoader()
    with pytest.raises(
        ValueError, match=r"ModelCheckpoint: the folder .*missing.* does not exist"
    ):
        trainer().fit(
            loader, 1, callbacks=[ModelCheckpoint(tmp_path / "missing" / "c.npz")]
        )
    assert loader.taken == 0


def test_a_train_loader_that_is_not_iterable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"train_loader.*iterable.*int"):
        trainer().fit(3, 1)  # type: ignore[arg-type]


def test_the_probe_changes_nothing_a_run_depends_on() -> None:
    """Checking val_data runs one eval-mode forward: same weights, same history."""
    runs = []
    for with_val in (False, True):
        fit = trainer()
        fit.fit(
            CountingLoader(), 2, val_data=val() if with_val else None, progress=False
        )
        runs.append((fit.history.loss, fit.model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for name, array in runs[0][1].items():
        np.testing.assert_array_equal(runs[1][1][name], array)


def test_regression_val_data_is_checked_by_the_loss() -> None:
    model = Sequential(Linear(6, 2, rng=0))
    fit = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.1))
    loader = CountingLoader()
    with pytest.raises(ValueError, match="val_data"):
        fit.fit(
            loader,
            1,
            val_data=(np.zeros((4, 6), np.float32), np.zeros((4, 3), np.float32)),
        )
    assert loader.taken == 0
