"""Progress reporting for `Trainer.fit`.

On a terminal: a tqdm bar over epochs and one over the batches of the current
epoch, the running loss and accuracy as its postfix, and a summary line per
epoch printed above the bars. Elsewhere (CI, a log file, a pipe) a bar would
be redrawn with carriage returns, which fills logs with ``\\r`` noise, so
there is only the summary line per epoch.

All output goes to ``sys.stderr`` (looked up when a run starts, so a
redirection made later is honoured), like tqdm's.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Protocol, TextIO, Union

from tqdm import tqdm

ProgressMode = Union[bool, str]


class RunningValues(Protocol):
    """What a reporter reads after each batch: means over the epoch so far."""

    @property
    def loss(self) -> float: ...

    @property
    def acc(self) -> float | None: ...


class Progress:
    """Silent reporter and base class: every hook does nothing."""

    def train_begin(self, start_epoch: int, epochs: int) -> None:
        """A run of epochs ``start_epoch + 1 .. epochs`` starts."""

    def epoch_begin(self, epoch: int, num_batches: int | None) -> None:
        """Epoch ``epoch`` (counted from 1) starts; ``num_batches`` may be unknown."""

    def batch_end(self, running: RunningValues) -> None:
        """One more batch is done; called on every batch, so it must be cheap."""

    def epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Epoch ``epoch`` is done with these History values."""

    def close(self) -> None:
        """The run ended (normally or by an exception)."""


class LineProgress(Progress):
    """One summary line per epoch, no bars: the format for logs."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.epochs = 0

    def train_begin(self, start_epoch: int, epochs: int) -> None:
        self.epochs = epochs

    def epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        self.stream.write(epoch_line(epoch, self.epochs, logs) + "\n")
        self.stream.flush()


class BarProgress(Progress):
    """tqdm bars for an interactive terminal.

    The postfix (running loss and accuracy) is re-formatted at most every
    ``postfix_seconds``; tqdm itself redraws at most every 0.1 s, so a batch
    costs one counter update and one clock read.
    """

    postfix_seconds = 0.25

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.epochs = 0
        self._epoch_bar: tqdm | None = None
        self._batch_bar: tqdm | None = None
        self._next_postfix = 0.0

    def train_begin(self, start_epoch: int, epochs: int) -> None:
        self.epochs = epochs
        self._epoch_bar = tqdm(
            total=epochs, initial=start_epoch, desc="training", unit="epoch",
            file=self.stream, dynamic_ncols=True,
        )  # fmt: skip

    def epoch_begin(self, epoch: int, num_batches: int | None) -> None:
        self._batch_bar = tqdm(
            total=num_batches, desc=f"epoch {epoch}/{self.epochs}", unit="batch",
            file=self.stream, leave=False, dynamic_ncols=True,
        )  # fmt: skip
        self._next_postfix = 0.0

    def batch_end(self, running: RunningValues) -> None:
        assert self._batch_bar is not None
        self._batch_bar.update(1)
        now = time.monotonic()
        if now >= self._next_postfix:
            self._next_postfix = now + self.postfix_seconds
            text = f"loss {running.loss:.4f}"
            if running.acc is not None:
                text += f" acc {running.acc:.4f}"
            self._batch_bar.set_postfix_str(text, refresh=False)

    def epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        self._close_batch_bar()
        tqdm.write(epoch_line(epoch, self.epochs, logs), file=self.stream)
        if self._epoch_bar is not None:
            self._epoch_bar.update(1)

    def close(self) -> None:
        self._close_batch_bar()
        if self._epoch_bar is not None:
            self._epoch_bar.close()
            self._epoch_bar = None

    def _close_batch_bar(self) -> None:
        if self._batch_bar is not None:
            self._batch_bar.close()
            self._batch_bar = None


def make_progress(mode: ProgressMode, stream: TextIO | None = None) -> Progress:
    """The reporter for ``Trainer.fit(progress=mode)``.

    ``"auto"``: bars if ``stream`` (default ``sys.stderr``) is a terminal,
    else lines; ``"bar"`` or True: bars; ``"line"``: lines; False: silent.
    """
    if mode is False:
        return Progress()
    if mode is True:
        mode = "bar"
    if mode not in ("auto", "bar", "line"):
        raise ValueError(
            f"fit: expected progress to be True, False, 'auto', 'bar' or 'line', got {mode!r}"
        )
    stream = sys.stderr if stream is None else stream
    if mode == "auto":
        mode = "bar" if _is_terminal(stream) else "line"
    return LineProgress(stream) if mode == "line" else BarProgress(stream)


def epoch_line(epoch: int, epochs: int, logs: Mapping[str, float]) -> str:
    """``epoch  3/10 - loss 0.3012 - acc 0.9123 - ... - lr 0.1 - 1.23 s``."""
    parts = [f"epoch {epoch:>{len(str(epochs))}}/{epochs}"]
    for name, value in logs.items():
        if name == "seconds":
            parts.append(f"{value:.2f} s")
        elif name == "lr":
            parts.append(f"lr {value:.4g}")
        else:
            parts.append(f"{name} {value:.4f}")
    return " - ".join(parts)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False
