"""`Trainer`: the training loop, written once.

One training step is the whole contract of the library::

    outputs = model.forward(xb)             # logits (N, K)
    loss = loss_fn(outputs, yb)             # a float
    optimizer.zero_grad()
    model.accumulate_grad(loss_fn.backward())   # dL/doutputs, then through the layers
    optimizer.step()

(``accumulate_grad`` is ``backward`` without the gradient of the input batch,
which nothing needs; see `Layer.accumulate_grad`.)

`Trainer.fit` repeats it over the batches of a loader for a number of epochs,
keeps the running means of loss and accuracy (from the outputs the step
already has: no extra pass over the data), evaluates on validation data,
records a `History`, reports progress, runs callbacks and can resume from a
checkpoint.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Union

import numpy as np

from minitorch_np._validation import check_int
from minitorch_np.layers.layer import Layer
from minitorch_np.losses.loss import Loss
from minitorch_np.losses.softmax_cross_entropy import SoftmaxCrossEntropy
from minitorch_np.metrics import count_correct
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.training import collective  # data-parallel runs: docs/distributed.md
from minitorch_np.training.callbacks import Callback, LearningRateScheduler
from minitorch_np.training.checkpoint import PathLike, load_checkpoint, save_checkpoint
from minitorch_np.training.history import History
from minitorch_np.training.progress import Progress, ProgressMode

Batches = Iterable[tuple[np.ndarray, np.ndarray]]
ValData = Union[tuple[np.ndarray, np.ndarray], Sequence[np.ndarray]]


class Trainer:
    """Fit a model with a loss and an optimizer; evaluate and predict in batches.

    Args:
        model: the `Layer` to train (put in train mode by ``fit`` and in eval
            mode by ``evaluate``/``predict``).
        loss_fn: a `Loss` such as ``SoftmaxCrossEntropy()``.
        optimizer: an `Optimizer` over ``model.parameters()``.
        scheduler: optional learning-rate scheduler, stepped once at the end
            of every epoch (``step(val_loss)`` for one with ``needs_metric``;
            wrap it as ``LearningRateScheduler(s, monitor=...)`` to choose the
            value). Its state goes into checkpoints.
        accuracy: whether to measure classification accuracy (argmax of the
            outputs against integer labels); ``"auto"``: for a
            `SoftmaxCrossEntropy` loss only.

    Attributes: ``history`` (the `History` of the current or last run),
    ``epoch`` (completed epochs), ``stop_training`` (set by a callback to end
    ``fit`` after the current epoch), ``train_loader`` (of the last ``fit``).
    """

    def __init__(
        self,
        model: Layer,
        loss_fn: Loss,
        optimizer: Optimizer,
        *,
        scheduler: Any = None,
        accuracy: bool | str = "auto",
    ) -> None:
        _check_parts(model, loss_fn, optimizer)
        if accuracy not in ("auto", True, False):
            raise ValueError(
                f"Trainer: expected accuracy True, False or 'auto', got {accuracy!r}"
            )
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.accuracy: bool = (
            isinstance(loss_fn, SoftmaxCrossEntropy)
            if accuracy == "auto"
            else bool(accuracy)
        )
        self._scheduler_step: LearningRateScheduler | None = None
        if scheduler is not None:
            self._scheduler_step = (
                scheduler
                if isinstance(scheduler, LearningRateScheduler)
                else LearningRateScheduler(scheduler)
            )
        self.history = History()
        self.epoch = 0
        self.stop_training = False
        self.train_loader: Batches | None = None
        self._last_finite_loss: float | None = None  # for the NaN guard's message

    @property
    def scheduler(self) -> Any:
        """The learning-rate scheduler, or None."""
        return (
            self._scheduler_step.scheduler if self._scheduler_step is not None else None
        )

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        train_loader: Batches,
        epochs: int,
        val_data: ValData | None = None,
        callbacks: Iterable[Callback] = (),
        progress: ProgressMode = "auto",
        resume_from: PathLike | None = None,
    ) -> History:
        """Train until ``epochs`` epochs are complete; return the `History`.

        Args:
            train_loader: an iterable of ``(xb, yb)`` batches, iterated once
                per epoch (e.g. a ``DataLoader``, which reshuffles every
                epoch); ``len()`` gives the bar's length if it has one.
            epochs: the total number of epochs of the run. A fresh run trains
                epochs 1..``epochs``; with ``resume_from`` it trains epochs
                (saved epoch + 1)..``epochs`` (Keras's ``initial_epoch``
                semantics), and nothing if the checkpoint is already there.
            val_data: ``(x_val, y_val)`` evaluated after every epoch
                (``val_loss``, ``val_acc``).
            callbacks: `Callback` objects, run in order after each epoch.
            progress: ``"auto"`` (bars on a terminal, one line per epoch
                otherwise), ``"bar"``/True, ``"line"`` or False (silent).
            resume_from: a checkpoint written by ``save_checkpoint`` or
                `ModelCheckpoint`; model, optimizer, scheduler, loader and
                layer RNGs, epoch and history are restored from it first.

        Raises:
            FloatingPointError: the training loss became NaN or infinite; no
                update is applied with it (see the message for where and why).
        """
        _check_epochs(epochs)
        callbacks = _check_callbacks(callbacks)
        val = _check_val_data(val_data)
        reporter = collective.progress_on_main(self.optimizer, progress)
        self.train_loader = train_loader
        if resume_from is not None:
            checkpoint = load_checkpoint(
                resume_from, self.model, self.optimizer,
                train_loader=train_loader, scheduler=self.scheduler,
            )  # fmt: skip
            self.history, self.epoch = checkpoint.history, checkpoint.epoch
        else:
            self.history, self.epoch = History(), 0
        self.stop_training = False
        self._last_finite_loss = None
        epoch_end = ([self._scheduler_step] if self._scheduler_step else []) + callbacks
        for callback in epoch_end:
            callback.trainer = self
            callback.on_train_begin()
        reporter.train_begin(self.epoch, epochs)
        try:
            while self.epoch < epochs and not self.stop_training:
                logs = self._fit_epoch(self.epoch + 1, train_loader, val, reporter)
                self.epoch += 1
                self.history.append(logs)
                reporter.epoch_end(self.epoch, logs)
                for callback in epoch_end:
                    callback.on_epoch_end(self.epoch, dict(logs))
        finally:
            reporter.close()
        for callback in epoch_end:
            callback.on_train_end()
        return self.history

    def _fit_epoch(
        self,
        epoch: int,
        train_loader: Batches,
        val_data: tuple[np.ndarray, np.ndarray] | None,
        reporter: Progress,
    ) -> dict[str, float]:
        """One pass over ``train_loader``, then validation: the epoch's History values."""
        start = time.perf_counter()
        lr = float(self.optimizer.lr)
        self.model.train()
        running = _RunningMeans(self.accuracy, _loss_is_mean(self.loss_fn))
        reporter.epoch_begin(epoch, _length_or_none(train_loader))
        for step, (xb, yb) in enumerate(train_loader, start=1):
            self._train_step(xb, yb, running, epoch, step)
            reporter.batch_end(running)
        collective.reduce_running_sums(self.optimizer, running)
        if running.seen == 0:
            raise ValueError(
                f"Trainer.fit: train_loader yielded no batches in epoch {epoch}"
            )
        logs = {"loss": running.loss}
        if running.acc is not None:
            logs["acc"] = running.acc
        if val_data is not None:
            logs.update(
                ("val_" + key, value) for key, value in self.evaluate(*val_data).items()
            )
        logs["lr"] = lr
        logs["seconds"] = collective.slowest(
            self.optimizer, time.perf_counter() - start
        )
        return logs

    def _train_step(
        self,
        xb: np.ndarray,
        yb: np.ndarray,
        running: _RunningMeans,
        epoch: int,
        step: int,
    ) -> None:
        outputs = self.model.forward(xb)
        loss = self.loss_fn(outputs, yb)
        if not math.isfinite(loss):
            raise self._non_finite_loss(loss, epoch, step)
        self._last_finite_loss = loss
        self.optimizer.zero_grad()
        self.model.accumulate_grad(self.loss_fn.backward())
        collective.note_batch_rows(self.optimizer, self.train_loader, len(xb))
        self.optimizer.step()
        running.add(loss, outputs, yb)

    def _non_finite_loss(
        self, loss: float, epoch: int, step: int
    ) -> FloatingPointError:
        last = self._last_finite_loss
        last_text = (
            f"{last:.6g}" if last is not None else "none (this was the first step)"
        )
        return FloatingPointError(
            f"Trainer.fit: the training loss is {loss} at epoch {epoch}, step {step} "
            f"(optimizer step {self.optimizer.step_count + 1}); last finite loss: {last_text}; "
            f"learning rate: {self.optimizer.lr:g}. Training stopped before this step's "
            "update: the parameters are those that produced this loss. Lower the "
            "learning rate (or the weight decay), and check the inputs for NaN/inf or "
            "unscaled values (e.g. pixels in 0..255 instead of [0, 1])."
        )

    # ------------------------------------------------------------------ evaluate / predict
    def evaluate(
        self, x: np.ndarray, y: np.ndarray, batch_size: int = 1024
    ) -> dict[str, float]:
        """Mean loss (and accuracy) over ``(x, y)`` in eval mode, ``batch_size``
        samples at a time; returns ``{"loss": ..., "acc": ...}`` (``acc`` only
        when the trainer measures accuracy). The model's mode is restored after."""
        _check_xy(x, y)
        x, y = collective.local_share(self.optimizer, x, y)  # reduced below
        running = _RunningMeans(self.accuracy, _loss_is_mean(self.loss_fn))
        with _eval_mode(self.model):
            for start in _batch_starts(len(x), batch_size, "evaluate"):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                outputs = self.model.forward(xb)
                running.add(self.loss_fn(outputs, yb), outputs, yb)
        collective.reduce_running_sums(self.optimizer, running)
        result = {"loss": running.loss}
        if running.acc is not None:
            result["acc"] = running.acc
        return result

    def predict(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """The model's outputs (e.g. logits (N, K)) for ``x`` in eval mode,
        ``batch_size`` samples at a time. Classes: ``predict(x).argmax(axis=1)``."""
        if not isinstance(x, np.ndarray) or x.ndim == 0 or len(x) == 0:
            raise ValueError(
                f"Trainer.predict: expected a non-empty array x of shape (N, ...), got "
                f"{getattr(x, 'shape', type(x).__name__)}"
            )
        with _eval_mode(self.model):
            outputs = [
                self.model.forward(x[start : start + batch_size])
                for start in _batch_starts(len(x), batch_size, "predict")
            ]
        return np.concatenate(outputs)

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: PathLike) -> Path:
        """Save model, optimizer, scheduler, epoch, history and RNG states (those
        of the model's layers and of the last ``fit``'s train loader) to ``path``
        (in a data-parallel run: rank 0 writes, every rank returns once it has)."""
        return collective.save_on_main(
            self.optimizer, save_checkpoint,
            path, self.model, self.optimizer, epoch=self.epoch, history=self.history,
            train_loader=self.train_loader, scheduler=self.scheduler,
        )  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"Trainer(loss_fn={self.loss_fn!r}, optimizer={self.optimizer!r}, "
            f"scheduler={self.scheduler!r}, epoch={self.epoch})"
        )


class _RunningMeans:
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


@contextmanager
def _eval_mode(model: Layer) -> Iterator[None]:
    """Put ``model`` in eval mode for a ``with`` block, then restore its mode."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _loss_is_mean(loss_fn: Loss) -> bool:
    return getattr(loss_fn, "reduction", "mean") == "mean"


def _length_or_none(loader: Batches) -> int | None:
    try:
        return len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None


def _batch_starts(n: int, batch_size: int, owner: str) -> range:
    return range(0, n, check_int(f"Trainer.{owner}", "batch_size", batch_size, low=1))


def _check_parts(model: object, loss_fn: object, optimizer: object) -> None:
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


def _check_epochs(epochs: object) -> None:
    check_int("Trainer.fit", "epochs", epochs, low=1)


def _check_callbacks(callbacks: Iterable[Callback]) -> list[Callback]:
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
    return callbacks


def _check_val_data(val_data: ValData | None) -> tuple[np.ndarray, np.ndarray] | None:
    if val_data is None:
        return None
    if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
        raise TypeError(
            f"Trainer.fit: expected val_data to be a pair (x_val, y_val), got {type(val_data).__name__}"
        )
    x, y = val_data
    _check_xy(x, y)
    return x, y


def _check_xy(x: object, y: object) -> None:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(
            f"Trainer: expected x and y to be numpy arrays, got {type(x).__name__} and {type(y).__name__}"
        )
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"Trainer: expected non-empty x and y with the same number of samples, got "
            f"x.shape={x.shape}, y.shape={y.shape}"
        )
