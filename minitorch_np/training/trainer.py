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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from minitorch_np._typing import PathLike
from minitorch_np.layers.layer import Layer
from minitorch_np.losses.loss import Loss
from minitorch_np.metrics import class_labels
from minitorch_np.optim.optimizer import NonFiniteGradientError, Optimizer
from minitorch_np.training import collective  # data-parallel runs: docs/distributed.md
from minitorch_np.training import fit_checks as checks
from minitorch_np.training.callbacks import Callback, LearningRateScheduler
from minitorch_np.training.checkpoint import load_checkpoint, save_checkpoint
from minitorch_np.training.fit_checks import Batches, ValData
from minitorch_np.training.history import History
from minitorch_np.training.progress import Progress, ProgressMode
from minitorch_np.training.protocols import Scheduler
from minitorch_np.training.running_means import RunningMeans


class Trainer:
    """Fit a model with a loss and an optimizer; evaluate and predict in batches.

    Args:
        model: the `Layer` to train (put in train mode by ``fit`` and in eval
            mode by ``evaluate``/``predict``).
        loss_fn: a `Loss` such as ``SoftmaxCrossEntropy()``.
        optimizer: an `Optimizer` over ``model.parameters()``.
        scheduler: optional learning-rate scheduler (e.g. `StepLR`), stepped
            once at the end of every epoch (``step(val_loss)`` for one with
            ``needs_metric``; wrap it as ``LearningRateScheduler(s,
            monitor=...)`` to choose the value). Its state goes into checkpoints.
        accuracy: whether to measure classification accuracy (argmax of the
            outputs against integer labels); ``"auto"``: when the loss
            declares ``is_classification`` (`SoftmaxCrossEntropy` does).

    Attributes: ``history`` (the `History` of the current or last run),
    ``epoch`` (completed epochs), ``stop_training`` (set by a callback to end
    ``fit`` after the current epoch), ``train_loader`` and ``callbacks`` (of
    the last ``fit``).
    """

    def __init__(
        self,
        model: Layer,
        loss_fn: Loss,
        optimizer: Optimizer,
        *,
        scheduler: Scheduler | LearningRateScheduler | None = None,
        accuracy: bool | str = "auto",
    ) -> None:
        checks.check_parts(model, loss_fn, optimizer)
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.accuracy: bool = checks.check_accuracy_flag(accuracy, loss_fn)
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
        self.callbacks: list[Callback] = []
        self._last_finite_loss: float | None = None  # for the NaN guard's message
        self._unfinished: tuple[int, int] | None = (
            None  # (epoch, steps) of a broken-off epoch
        )

    @property
    def scheduler(self) -> Scheduler | None:
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
                layer RNGs, epoch and history are restored from it first. Its
                History must have the columns this call logs: the same
                ``val_data`` (given or not) and accuracy as the saved run.

        Raises:
            ValueError: ``resume_from``'s History has other columns than this
                call logs (e.g. ``val_loss`` saved, no ``val_data`` now);
                raised before anything is restored or trained.
            FloatingPointError: the training loss, or a parameter's gradient,
                became NaN or infinite; no update is applied with it (see the
                message for where and why).
        """
        epochs = checks.check_epochs(epochs)
        checks.check_train_loader(train_loader)
        callbacks = checks.check_callbacks(callbacks)
        val = self._check_val_data(val_data)
        reporter = collective.progress_on_main(self.optimizer, progress)
        epoch_end = ([self._scheduler_step] if self._scheduler_step else []) + callbacks
        names = checks.log_names(self.accuracy, val is not None)
        for callback in epoch_end:
            callback.check(names)
        checks.check_resume(resume_from, names)
        self.train_loader, self.callbacks = train_loader, callbacks
        self.stop_training, self._last_finite_loss = False, None
        for callback in epoch_end:
            callback.trainer = self
            callback.on_train_begin()
        self._start(resume_from)
        reporter.train_begin(self.epoch, epochs)
        try:
            while self.epoch < epochs and not self.stop_training:
                self._unfinished = (self.epoch + 1, 0)
                logs = self._fit_epoch(self.epoch + 1, train_loader, val, reporter)
                # the row first: if History refuses it, the epoch stays unfinished
                self.history.append(logs)
                self.epoch += 1
                self._unfinished = None
                reporter.epoch_end(self.epoch, logs)
                for callback in epoch_end:
                    callback.on_epoch_end(self.epoch, dict(logs))
        finally:
            reporter.close()
        for callback in epoch_end:
            callback.on_train_end()
        return self.history

    def _start(self, resume_from: PathLike | None) -> None:
        """A fresh history, or everything restored from ``resume_from``."""
        history, epoch = History(), 0
        if resume_from is not None:
            checkpoint = load_checkpoint(
                resume_from, self.model, self.optimizer, train_loader=self.train_loader,
                scheduler=self.scheduler, callbacks=self.callbacks,
            )  # fmt: skip
            collective.restore_rank_generators(
                self.optimizer, self.model, checkpoint.metadata, resume_from
            )
            history, epoch = checkpoint.history, checkpoint.epoch
        self.history, self.epoch, self._unfinished = history, epoch, None

    def _check_val_data(
        self, val_data: ValData | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """``val_data`` if it fits the model and the loss: one eval-mode forward
        of its first sample (no update, no random draw), the loss on it, and
        for accuracy every label against the number of classes."""
        val = checks.check_val_data(val_data)
        if val is None:
            return None
        x, y = val
        try:
            with _eval_mode(self.model):
                outputs = self.model.forward(x[:1])
            if self.accuracy:
                class_labels(y, (len(y), *outputs.shape[1:]))
            self.loss_fn(outputs, y[:1])
        except (ValueError, TypeError) as error:
            raise type(error)(
                f"Trainer.fit: val_data does not fit the model and loss: {error}"
            ) from error
        return val

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
        running = RunningMeans(self.accuracy, _loss_is_mean(self.loss_fn))
        reporter.epoch_begin(epoch, _length_or_none(train_loader))
        for step, (xb, yb) in enumerate(train_loader, start=1):
            self._train_step(xb, yb, running, epoch, step)
            self._unfinished = (epoch, step)
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
        running: RunningMeans,
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
        try:
            self.optimizer.step()
        except NonFiniteGradientError as error:
            names = {id(p): n for n, p in self.model.named_parameters()}
            raise FloatingPointError(
                f"Trainer.fit: at epoch {epoch}, step {step} the loss was finite but "
                f"the gradient of {names.get(id(error.parameter))!r} was not: {error}"
            ) from error
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
        checks.check_xy(x, y)
        x, y = collective.local_share(self.optimizer, x, y)  # reduced below
        running = RunningMeans(self.accuracy, _loss_is_mean(self.loss_fn))
        with _eval_mode(self.model):
            for start in checks.batch_starts(len(x), batch_size, "evaluate"):
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
                for start in checks.batch_starts(len(x), batch_size, "predict")
            ]
        return np.concatenate(outputs)

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: PathLike) -> Path:
        """Save model, optimizer, scheduler, epoch, history, the last ``fit``'s
        callback states and RNG states (the model's generators and the train
        loader's) to ``path`` (in a data-parallel run: rank 0 writes, every
        rank returns once it has).

        Raises:
            RuntimeError: the last ``fit`` broke off inside an epoch (Ctrl-C,
                an error): the objects hold the middle of an epoch, which a
                checkpoint of completed epochs would misrepresent. Nothing is
                written.
        """
        if self._unfinished is not None:
            epoch, steps = self._unfinished
            raise RuntimeError(
                f"Trainer.save_checkpoint: the last fit was interrupted in epoch {epoch} "
                f"after {steps} of its steps, so the model, optimizer and loader hold the "
                f"middle of that epoch; a checkpoint of {self.epoch} completed epochs would "
                "not resume that run. Save at epoch ends (ModelCheckpoint), resume from "
                "the last such file, or save the weights as they are, labelled by you: "
                "save_checkpoint(path, trainer.model)."
            )
        by_rank = collective.generators_by_rank(self.optimizer, self.model)
        return collective.save_on_main(
            self.optimizer, save_checkpoint,
            path, self.model, self.optimizer, epoch=self.epoch, history=self.history,
            train_loader=self.train_loader, scheduler=self.scheduler,
            callbacks=self.callbacks, generators_by_rank=by_rank,
        )  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"Trainer(loss_fn={self.loss_fn!r}, optimizer={self.optimizer!r}, "
            f"scheduler={self.scheduler!r}, epoch={self.epoch})"
        )


@contextmanager
def _eval_mode(model: Layer) -> Iterator[None]:
    """Put ``model`` in eval mode for a ``with`` block, then give every layer
    back its own mode (a sub-layer may have been put in eval mode alone, e.g.
    a frozen BatchNorm)."""
    layers = [model, *(layer for _, layer in model.named_layers())]
    modes = [layer.training for layer in layers]
    model.eval()
    try:
        yield
    finally:
        for layer, training in zip(layers, modes):
            object.__setattr__(layer, "training", training)


def _loss_is_mean(loss_fn: Loss) -> bool:
    return getattr(loss_fn, "reduction", "mean") == "mean"


def _length_or_none(loader: Batches) -> int | None:
    try:
        return len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None
