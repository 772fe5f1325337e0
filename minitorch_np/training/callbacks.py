"""Callbacks: code that `Trainer.fit` runs at fixed points of training.

Epochs are counted from 1. At the end of every epoch the trainer appends the
epoch's values to its `History`, steps its learning-rate scheduler, then calls
``on_epoch_end(epoch, logs)`` of each callback in order, where ``logs`` holds
the epoch's History values (``loss``, ``acc``, ``val_loss``, ``val_acc``,
``lr``, ``seconds``; the columns that were measured). A callback stops
training by setting ``self.trainer.stop_training = True``; the current epoch
still finishes its callbacks. `ModelCheckpoint` callbacks run after the others
(as in PyTorch Lightning), so a checkpoint holds every callback's state at the
end of its epoch.

Before the first batch, ``fit`` calls ``check(log_names)`` of every callback
with the names its epoch logs will have, so a setting that cannot work (a
monitored value that will never be there, a path that cannot be written)
fails at once. A callback's ``state_dict()`` goes into checkpoints and
``load_state_dict`` brings it back on resume, so a resumed run takes the
decisions of an uninterrupted one.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from minitorch_np._validation import check_bool, check_int, check_number
from minitorch_np.training.protocols import Scheduler

if TYPE_CHECKING:
    from minitorch_np.training.trainer import Trainer


class Callback:
    """Base class: override the hooks you need.

    ``self.trainer`` (model, optimizer, history, ``stop_training``) is set by
    the trainer before ``on_train_begin``.
    """

    trainer: Trainer

    def check(self, log_names: Collection[str]) -> None:
        """Called when ``fit`` starts, before anything else: raise if this
        callback cannot work with epoch logs of these names."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint saves of this callback (JSON scalars, lists,
        dicts, arrays); empty for a callback without state."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned; ValueError if it does not fit."""
        if state:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected no state, got keys {sorted(state)}"
            )

    def on_train_begin(self) -> None:
        """Called once when ``fit`` starts, before a checkpoint given as
        ``resume_from`` is loaded (the load then restores `state_dict`)."""

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Called after epoch ``epoch`` (1, 2, ...) with its History values."""

    def on_train_end(self) -> None:
        """Called once when ``fit`` ends normally (not after an exception)."""


class _Monitor:
    """A quantity from the epoch logs and the rule for "better"."""

    def __init__(
        self, owner: str, monitor: str, mode: str, min_delta: float = 0.0
    ) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(
                f"{owner}: expected monitor to be the name of an epoch log (a "
                f"non-empty str such as 'val_loss'), got {monitor!r}"
            )
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f"{owner}: expected mode 'auto', 'min' or 'max', got {mode!r}"
            )
        self.owner: str = owner
        self.name: str = monitor
        self.mode: str = (
            ("max" if monitor.endswith("acc") else "min") if mode == "auto" else mode
        )
        self.min_delta: float = check_number(owner, "min_delta", min_delta, low=0.0)
        self.best: float | None = None

    def check(self, log_names: Collection[str]) -> None:
        """KeyError when the monitored name will not be among the epoch logs."""
        self.read(dict.fromkeys(log_names, 0.0))

    def read(self, logs: Mapping[str, float]) -> float:
        if self.name not in logs:
            hint = (
                "; pass val_data to fit() or monitor a training column such as 'loss'"
                if self.name.startswith("val_")
                else ""
            )
            raise KeyError(
                f"{self.owner}: monitor {self.name!r} is not among the epoch values "
                f"{sorted(logs)}{hint}"
            )
        return float(logs[self.name])

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``
        (NaN never does; the first finite value always does)."""
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs in a row.

    An epoch improves when its value beats the best so far by more than
    ``min_delta`` (lower is better in mode ``"min"``, higher in ``"max"``;
    ``"auto"`` picks ``"max"`` for names ending in ``acc``). As in Keras, with
    ``restore_best_weights=True`` the model gets the parameters and buffers of
    the best epoch back when training is stopped early.

    After training: ``best`` (value), ``best_epoch`` and ``stopped_epoch``
    (0 if training ran to the end).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        self.patience: int = check_int("EarlyStopping", "patience", patience, low=0)
        self._monitor: _Monitor = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.restore_best_weights: bool = check_bool(
            "EarlyStopping", "restore_best_weights", restore_best_weights
        )
        self._reset()

    def _reset(self) -> None:
        self._monitor.best = None
        self.best_epoch: int = 0
        self.stopped_epoch: int = 0
        self.wait: int = 0
        self.best_weights: dict[str, np.ndarray] | None = None

    @property
    def best(self) -> float | None:
        return self._monitor.best

    def check(self, log_names: Collection[str]) -> None:
        self._monitor.check(log_names)

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self._monitor.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "wait": self.wait,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        owner = "EarlyStopping.load_state_dict"
        _check_keys(
            owner,
            state,
            ("best", "best_epoch", "stopped_epoch", "wait", "best_weights"),
        )
        best = _optional_number(owner, "best", state["best"])
        counters = {
            name: _count(owner, name, state[name])
            for name in ("best_epoch", "stopped_epoch", "wait")
        }
        weights = state["best_weights"]
        if weights is not None and not (
            isinstance(weights, Mapping)
            and all(isinstance(v, np.ndarray) for v in weights.values())
        ):
            raise ValueError(
                f"{owner}: expected best_weights to be None or a dict of arrays"
            )
        self._monitor.best = best
        self.best_epoch, self.stopped_epoch, self.wait = (
            counters["best_epoch"], counters["stopped_epoch"], counters["wait"],
        )  # fmt: skip
        self.best_weights = (
            {name: np.array(array) for name, array in weights.items()}
            if weights is not None
            else None
        )

    def on_train_begin(self) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        value = self._monitor.read(logs)
        if self._monitor.improves(value):
            self._monitor.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.trainer.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            if self.best_weights is not None:
                self.trainer.model.load_state_dict(self.best_weights)

    def __repr__(self) -> str:
        m = self._monitor
        return (
            f"EarlyStopping(monitor={m.name!r}, patience={self.patience}, "
            f"min_delta={m.min_delta}, mode={m.mode!r}, "
            f"restore_best_weights={self.restore_best_weights})"
        )


class ModelCheckpoint(Callback):
    """Save a checkpoint (see `save_checkpoint`) at the end of epochs.

    ``path`` may hold ``str.format`` fields filled from the epoch number and
    its values, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``; a fixed path is
    overwritten (atomically) every time. With ``save_best_only`` a file is
    written only when ``monitor`` improves on its best so far (mode as in
    `EarlyStopping`); otherwise every epoch, and ``monitor`` is not used.

    ``last_path`` is the file written most recently (None before the first).
    """

    def __init__(
        self,
        path: str | Path,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise TypeError(
                f"ModelCheckpoint: expected path to be a file name (str or Path), "
                f"got {path!r}"
            )
        self.path: str = os.fspath(path)
        self._monitor: _Monitor = _Monitor("ModelCheckpoint", monitor, mode)
        self.save_best_only: bool = check_bool(
            "ModelCheckpoint", "save_best_only", save_best_only
        )
        self.last_path: Path | None = None

    @property
    def best(self) -> float | None:
        return self._monitor.best

    def check(self, log_names: Collection[str]) -> None:
        """The monitored value (with ``save_best_only``) will be there, the path
        can be filled from the logs, and its folder exists and is writable."""
        if self.save_best_only:
            self._monitor.check(log_names)
        path = Path(self._format_path(1, dict.fromkeys(log_names, 0.0)))
        folder = path.parent
        if not folder.is_dir():
            raise ValueError(
                f"ModelCheckpoint: the folder {str(folder)!r} of {self.path!r} does not "
                "exist; create it first"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(
                f"ModelCheckpoint: the folder {str(folder)!r} is not writable"
            )

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self._monitor.best,
            "last_path": None if self.last_path is None else str(self.last_path),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        owner = "ModelCheckpoint.load_state_dict"
        _check_keys(owner, state, ("best", "last_path"))
        best = _optional_number(owner, "best", state["best"])
        if not isinstance(state["last_path"], (str, type(None))):
            raise ValueError(f"{owner}: expected last_path to be a string or None")
        self._monitor.best = best
        self.last_path = (
            None if state["last_path"] is None else Path(state["last_path"])
        )

    def on_train_begin(self) -> None:
        self._monitor.best = None
        self.last_path = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        if self.save_best_only:
            value = self._monitor.read(logs)
            if not self._monitor.improves(value):
                return
            self._monitor.best = value
        self.last_path = self.trainer.save_checkpoint(self._format_path(epoch, logs))

    def _format_path(self, epoch: int, logs: Mapping[str, float]) -> str:
        try:
            return self.path.format(epoch=epoch, **logs)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as error:
            raise ValueError(
                f"ModelCheckpoint: cannot fill the path {self.path!r} from epoch and "
                f"{sorted(logs)}: {error!r}"
            ) from error

    def __repr__(self) -> str:
        return (
            f"ModelCheckpoint({self.path!r}, monitor={self._monitor.name!r}, "
            f"save_best_only={self.save_best_only}, mode={self._monitor.mode!r})"
        )


class LearningRateScheduler(Callback):
    """Step a learning-rate scheduler (``minitorch_np.optim.lr_scheduler``)
    once at the end of every epoch.

    A scheduler whose ``needs_metric`` attribute is true (ReduceLROnPlateau)
    gets the epoch's ``monitor`` value: ``scheduler.step(logs[monitor])``;
    the others ``scheduler.step()``. ``Trainer(scheduler=...)`` wraps its
    scheduler in this callback (and saves its state in checkpoints); pass
    ``Trainer(scheduler=LearningRateScheduler(s, monitor="loss"))`` to choose
    the monitored value.
    """

    def __init__(self, scheduler: Scheduler, monitor: str = "val_loss") -> None:
        if not isinstance(scheduler, Scheduler):
            raise TypeError(
                "LearningRateScheduler: expected a scheduler with step(), state_dict() and "
                f"load_state_dict() methods (e.g. StepLR), got {type(scheduler).__name__}"
            )
        self.scheduler: Scheduler = scheduler
        self._monitor: _Monitor = _Monitor("LearningRateScheduler", monitor, "auto")

    @property
    def needs_metric(self) -> bool:
        return bool(getattr(self.scheduler, "needs_metric", False))

    def check(self, log_names: Collection[str]) -> None:
        if self.needs_metric:
            self._monitor.check(log_names)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        if self.needs_metric:
            self.scheduler.step(self._monitor.read(logs))
        else:
            self.scheduler.step()

    def __repr__(self) -> str:
        return (
            f"LearningRateScheduler({self.scheduler!r}, monitor={self._monitor.name!r})"
        )


def _check_keys(owner: str, state: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    if not isinstance(state, Mapping) or set(state) != set(keys):
        found = sorted(state) if isinstance(state, Mapping) else type(state).__name__
        missing = (
            sorted(set(keys) - set(state)) if isinstance(state, Mapping) else list(keys)
        )
        raise ValueError(
            f"{owner}: expected keys {sorted(keys)}, got {found} (missing {missing})"
        )


def _optional_number(owner: str, name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{owner}: expected {name} to be a number or None, got {value!r}"
        )
    return float(value)


def _count(owner: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: expected {name} to be an int >= 0, got {value!r}")
    return int(value)
