"""The argument checks of `Trainer`: everything ``fit`` is given is checked
before the first batch is trained (the loop itself is in `trainer`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Union

import numpy as np

from minitorch_np._typing import PathLike
from minitorch_np._validation import check_int
from minitorch_np.layers.layer import Layer
from minitorch_np.losses.loss import Loss
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.training.callbacks import Callback, ModelCheckpoint
from minitorch_np.training.checkpoint import read_checkpoint
from minitorch_np.training.history import COLUMNS

Batches = Iterable[tuple[np.ndarray, np.ndarray]]
ValData = Union[tuple[np.ndarray, np.ndarray], Sequence[np.ndarray]]  # noqa: UP007 - runtime alias


def check_parts(model: object, loss_fn: object, optimizer: object) -> None:
    """A Layer, a Loss and an Optimizer over that layer's parameters."""
    if not isinstance(model, Layer):
        raise TypeError(
            f"Trainer: expected model to be a Layer, got {type(model).__name__}"
        )
    if not isinstance(loss_fn, Loss):
        raise TypeError(
            f"Trainer: expected loss_fn to be a Loss (e.g. SoftmaxCrossEntropy()), got "
            f"{type(loss_fn).__name__}"
        )
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"Trainer: expected optimizer to be an Optimizer (e.g. SGD(model.parameters(), "
            f"lr=0.1)), got {type(optimizer).__name__}"
        )
    own = {id(param) for param in model.parameters()}
    foreign = [
        index for index, param in enumerate(optimizer.params) if id(param) not in own
    ]
    if foreign:
        raise ValueError(
            f"Trainer: the optimizer's parameters {foreign} (by index) are not parameters "
            "of the model; build the optimizer from this model: SGD(model.parameters(), ...)"
        )
    expected = getattr(optimizer, "loss_reduction", None)  # a data-parallel optimizer's
    reduction = getattr(loss_fn, "reduction", "mean")
    if expected is not None and reduction != expected:
        raise ValueError(
            f"Trainer: the loss reduces with reduction={reduction!r} but the data-parallel "
            f"optimizer combines the ranks' gradients for loss_reduction={expected!r}; "
            f"build it as DistributedOptimizer(optimizer, loss_reduction={reduction!r})"
        )


def check_accuracy_flag(accuracy: object, loss_fn: Loss) -> bool:
    """``True``/``False``, or ``"auto"``: what the loss declares (`Loss.is_classification`)."""
    if accuracy not in ("auto", True, False):
        raise ValueError(
            f"Trainer: expected accuracy True, False or 'auto', got {accuracy!r}"
        )
    return bool(loss_fn.is_classification) if accuracy == "auto" else bool(accuracy)


def check_train_loader(train_loader: object) -> None:
    if not isinstance(train_loader, Iterable):
        raise TypeError(
            "Trainer.fit: expected train_loader to be an iterable of (xb, yb) batches "
            f"(e.g. a DataLoader), got {type(train_loader).__name__}"
        )


def check_epochs(epochs: object) -> int:
    return check_int("Trainer.fit", "epochs", epochs, low=1)


def check_callbacks(callbacks: Iterable[Callback]) -> list[Callback]:
    """The callbacks in running order: `ModelCheckpoint`s after the others."""
    if isinstance(callbacks, Callback):
        raise TypeError(
            "Trainer.fit: expected callbacks to be a list of Callbacks, got one; wrap it: [callback]"
        )
    callbacks = list(callbacks)
    for index, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise TypeError(
                f"Trainer.fit: expected Callback objects, got {type(callback).__name__} at index {index}"
            )
    return sorted(callbacks, key=lambda callback: isinstance(callback, ModelCheckpoint))


def log_names(accuracy: bool, validating: bool) -> frozenset[str]:
    """The names of an epoch's logs (History columns) in this configuration."""
    names = {"loss", "lr", "seconds"} | ({"acc"} if accuracy else set())
    if validating:
        names |= {"val_" + name for name in names if name in ("loss", "acc")}
    return frozenset(names)


def check_resume(resume_from: PathLike | None, names: frozenset[str]) -> None:
    """The History saved in ``resume_from`` has the columns ``names`` (this
    fit's epoch logs), so the resumed History gets one more value in every
    column each epoch; checked from the file alone, before anything is restored."""
    if resume_from is None:
        return
    history = read_checkpoint(resume_from).history
    saved = frozenset(history)  # the columns that hold values
    if not saved or saved == names:
        return
    raise ValueError(
        f"Trainer.fit: the checkpoint resume_from={str(resume_from)!r} holds a History "
        f"of {len(history)} epochs with the columns {_ordered(saved)}, but this fit "
        f"logs {_ordered(names)} (missing here: {_ordered(saved - names)}, new here: "
        f"{_ordered(names - saved)}), which would leave the columns with different "
        f"lengths. {_resume_hint(saved, names)} Nothing was trained or restored."
    )


def _ordered(names: frozenset[str]) -> list[str]:
    return [name for name in COLUMNS if name in names]


def _resume_hint(saved: frozenset[str], names: frozenset[str]) -> str:
    """What to change so that this fit logs the saved columns."""
    hints = []
    if "val_loss" in saved and "val_loss" not in names:
        hints.append(
            "The saved run was validated: pass the same val_data=(x_val, y_val) as it did."
        )
    if "val_loss" in names and "val_loss" not in saved:
        hints.append(
            "The saved run had no val_data: resume without val_data, as it was saved "
            "(or start a new run, without resume_from, to validate)."
        )
    if ("acc" in saved) != ("acc" in names):
        measured = "acc" in saved
        hints.append(
            f"The saved run {'measured' if measured else 'did not measure'} accuracy: "
            f"build the Trainer with accuracy={measured}, as it was."
        )
    return " ".join(hints)


def check_val_data(val_data: ValData | None) -> tuple[np.ndarray, np.ndarray] | None:
    """``(x_val, y_val)``: a pair of arrays with the same number of samples
    (`Trainer` then checks that they fit the model and the loss)."""
    if val_data is None:
        return None
    if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
        raise TypeError(
            f"Trainer.fit: expected val_data to be a pair (x_val, y_val), got {type(val_data).__name__}"
        )
    x, y = val_data
    check_xy(x, y)
    return x, y


def check_xy(x: object, y: object) -> None:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(
            f"Trainer: expected x and y to be numpy arrays, got {type(x).__name__} and {type(y).__name__}"
        )
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"Trainer: expected non-empty x and y with the same number of samples, got "
            f"x.shape={x.shape}, y.shape={y.shape}"
        )


def batch_starts(n: int, batch_size: int, owner: str) -> range:
    return range(0, n, check_int(f"Trainer.{owner}", "batch_size", batch_size, low=1))
