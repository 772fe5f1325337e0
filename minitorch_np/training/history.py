"""`History`: the per-epoch record of a training run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

#: The columns of a History, in display order.
COLUMNS: tuple[str, ...] = ("loss", "acc", "val_loss", "val_acc", "lr", "seconds")


class History:
    """One list per column, one entry per completed epoch (as Keras's
    ``history.history``):

    * ``loss``, ``acc``: means over the epoch's training batches, weighted by
      batch size (so they are per-sample means even with a short last batch);
      ``acc`` is a fraction in [0, 1].
    * ``val_loss``, ``val_acc``: measured on the validation data after the epoch.
    * ``lr``: the learning rate used during the epoch.
    * ``seconds``: the epoch's wall time, validation included.

    ``history["loss"]`` and ``history.loss`` are the same list. A column that
    was not measured (``acc`` for a regression loss, ``val_*`` without
    validation data) stays empty; every other column has ``len(history)``
    entries.
    """

    def __init__(self, columns: Mapping[str, Any] | None = None) -> None:
        self.loss: list[float] = []
        self.acc: list[float] = []
        self.val_loss: list[float] = []
        self.val_acc: list[float] = []
        self.lr: list[float] = []
        self.seconds: list[float] = []
        if columns is not None:
            _check_names(columns)
            for name, values in columns.items():
                setattr(self, name, [float(v) for v in values])
            _check_lengths({name: len(self[name]) for name in COLUMNS})

    def append(self, logs: Mapping[str, float]) -> None:
        """Record one epoch: ``logs`` maps some of `COLUMNS` to numbers, the
        same columns every epoch."""
        _check_names(logs)
        _check_lengths({name: len(self[name]) + (name in logs) for name in COLUMNS})
        for name, value in logs.items():
            self[name].append(float(value))

    def __len__(self) -> int:
        """Number of epochs recorded."""
        return max(len(self[name]) for name in COLUMNS)

    def __getitem__(self, name: str) -> list[float]:
        if name not in COLUMNS:
            raise KeyError(
                f"History: unknown column {name!r}; expected one of {COLUMNS}"
            )
        return getattr(self, name)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        """The names of the columns that hold values, in `COLUMNS` order."""
        return (name for name in COLUMNS if self[name])

    def to_dict(self) -> dict[str, list[float]]:
        """A JSON-friendly copy ``{column: [value per epoch]}`` of every column."""
        return {name: list(self[name]) for name in COLUMNS}

    @classmethod
    def from_dict(cls, columns: Mapping[str, Any]) -> History:
        """The inverse of `to_dict`."""
        return cls(columns)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        last = ", ".join(f"{name}={self[name][-1]:.4g}" for name in self)
        return f"History(epochs={len(self)}" + (f", last: {last})" if last else ")")


def _check_names(columns: Mapping[str, Any]) -> None:
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        raise KeyError(
            f"History: unknown columns {unknown}; expected some of {COLUMNS}"
        )


def _check_lengths(lengths: Mapping[str, int]) -> None:
    """Every non-empty column must have the same number of entries."""
    measured = {name: n for name, n in lengths.items() if n}
    if len(set(measured.values())) > 1:
        raise ValueError(
            "History: every measured column needs one value per epoch, got lengths "
            f"{measured}"
        )
