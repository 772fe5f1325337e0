"""Checkpoints: one ``.npz`` file with everything needed to resume a run exactly.

The file holds an entry ``metadata`` (a 0-d unicode array: a JSON document)
and one uncompressed ``.npy`` entry per array; it loads with
``np.load(path, allow_pickle=False)``. The JSON::

    {"format": "minitorch_np.checkpoint", "version": 2, "minitorch_np": "0.1.0",
     "epoch": 2,                          # completed epochs
     "history": {"loss": [...], ...},     # History.to_dict()
     "model": model.state_dict(),
     "generators": {"model": {name: bit-generator state, ...},   # named_generators()
                    "train_loader": bit-generator state or null},
     "optimizer": optimizer.state_dict() or null,
     "scheduler": scheduler.state_dict() or null,
     "callbacks": {"EarlyStopping[0]": callback.state_dict(), ...}}

Each part is what the object's ``state_dict()`` returned (see
`minitorch_np.training.state_tree`): every array in it is replaced by
``{"__array__": "<entry>"}``, e.g. ``"model/0.weight"`` or
``"optimizer/state/0/momentum_buffer"``. A bit-generator state is
``Generator.bit_generator.state`` (Python's json keeps PCG64's 128-bit
integers exactly).

Saving is atomic (into a temporary file in the same folder, fsync, then
``os.replace``). Loading validates everything it can before changing any
object (format, metadata, every entry's shape and dtype from its header,
generator states), then restores the objects in order, each with its own
``load_state_dict``; if one refuses, every object gets its previous state
back. Every problem is a ValueError naming the file. Memory is bounded by the
file's size (see `minitorch_np.training.npz_archive`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_np._typing import PathLike
from minitorch_np._validation import check_int
from minitorch_np._version import __version__
from minitorch_np.layers.layer import Layer
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.training import checkpoint_checks as checks
from minitorch_np.training import checkpoint_v1
from minitorch_np.training.history import History
from minitorch_np.training.npz_archive import NpzReader, write_npz
from minitorch_np.training.protocols import Scheduler, Stateful
from minitorch_np.training.state_tree import dump_json, pack, unpack

__all__ = ["Checkpoint", "load_checkpoint", "save_checkpoint"]


@dataclass
class Checkpoint:
    """What `load_checkpoint` returns besides restoring the objects in place:
    the number of completed ``epoch``s, the ``history`` so far and the raw
    ``metadata`` dict."""

    epoch: int
    history: History
    metadata: dict[str, Any] = field(repr=False)


# ---------------------------------------------------------------------- save
def save_checkpoint(
    path: PathLike,
    model: Layer,
    optimizer: Optimizer | None = None,
    *,
    epoch: int = 0,
    history: History | None = None,
    train_loader: Any = None,
    scheduler: Scheduler | None = None,
    callbacks: Sequence[Stateful] = (),
    generators_by_rank: Sequence[Mapping[str, Any]] | None = None,
) -> Path:
    """Write model, optimizer, epoch, history, callback and RNG states to ``path`` (.npz).

    Args:
        path: the destination, used as given (no ``.npz`` is appended).
        model: its ``state_dict()`` (parameters and buffers) and the state of
            every generator of ``model.named_generators()`` (e.g. Dropout's).
        optimizer: its ``state_dict()``, as returned.
        epoch: the number of completed epochs (the caller vouches for it:
            `Trainer.save_checkpoint` refuses to save from the middle of an epoch).
        history: the `History` so far.
        train_loader: its ``rng`` Generator (the shuffling order) is saved.
        scheduler: its ``state_dict()``, as returned.
        callbacks: each one's ``state_dict()`` (e.g. EarlyStopping's counters).
        generators_by_rank: in a data-parallel run, every rank's
            ``named_generators()`` states, by rank (`Trainer` gathers them);
            saved beside rank 0's for `Trainer.fit` to give each rank its own.

    Returns the path written.
    """
    if not isinstance(model, Layer):
        raise TypeError(
            f"save_checkpoint: expected model to be a Layer, got {type(model).__name__}"
        )
    epoch = check_int("save_checkpoint", "epoch", epoch, low=0)
    loader_rng = _loader_generator(train_loader)
    parts = {
        "model": model.state_dict(),
        "generators": {
            "model": {
                name: rng.bit_generator.state for name, rng in model.named_generators()
            },
            "train_loader": loader_rng.bit_generator.state if loader_rng else None,
            **(
                {"model_by_rank": [dict(states) for states in generators_by_rank]}
                if generators_by_rank is not None
                else {}
            ),
        },
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "callbacks": {
            key: callback.state_dict()
            for key, callback in zip(checks.callback_keys(callbacks), callbacks)
        },
    }
    arrays: dict[str, np.ndarray] = {}
    try:
        packed = {name: pack(part, name, arrays) for name, part in parts.items()}
        text = dump_json({
            "format": checks.FORMAT, "version": checks.VERSION, "minitorch_np": __version__,
            "epoch": epoch, "history": (history or History()).to_dict(), **packed,
        })  # fmt: skip
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"save_checkpoint: the metadata (optimizer hyperparameters, scheduler and "
            f"callback states, history) must be JSON-serialisable: {error}"
        ) from error
    arrays["metadata"] = np.array(text)
    destination = Path(path)
    write_npz(destination, arrays)
    return destination


# ---------------------------------------------------------------------- load
def load_checkpoint(
    path: PathLike,
    model: Layer,
    optimizer: Optimizer | None = None,
    *,
    train_loader: Any = None,
    scheduler: Scheduler | None = None,
    callbacks: Sequence[Stateful] = (),
) -> Checkpoint:
    """Restore ``path`` (written by `save_checkpoint`) into the given objects, in place.

    The model's state and generators, and, when given, the scheduler, the
    optimizer (after the scheduler: the learning rate is the optimizer's own
    saved one), the train loader's Generator and the callbacks' states are
    restored. A callback with a state but none saved keeps its state (with a
    warning); saved states of callbacks not given are ignored. Returns the
    `Checkpoint` (epoch and history).

    Raises:
        ValueError: naming the file: it is not a checkpoint, is corrupt or
            crafted, or does not fit the objects (a parameter of another
            shape, another optimizer type, ...). Nothing is modified then.
    """
    where = f"load_checkpoint({str(path)!r})"
    try:
        with NpzReader(Path(path)) as archive:
            metadata, epoch, history = _checked_metadata(archive)
            _check_headers(metadata, archive, model, optimizer, scheduler)
            arrays = {
                name: archive.read(name)
                for name in archive.entries
                if name != "metadata"
            }
        try:
            parts = {name: unpack(metadata[name], arrays) for name in checks.SECTIONS}
        except RecursionError:
            raise ValueError("malformed metadata: nested too deeply") from None
        _check_generators(parts["generators"], model, train_loader)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    snapshot = _Snapshot(model, optimizer, train_loader, scheduler, callbacks)
    try:
        _restore(parts, model, optimizer, train_loader, scheduler, callbacks)
    except Exception as error:
        snapshot.restore()
        raise ValueError(f"{where}: the checkpoint does not fit: {error}") from error
    except BaseException:  # Ctrl-C in the middle: every object as it was, then stop
        snapshot.restore()
        raise
    return Checkpoint(epoch=epoch, history=history, metadata=metadata)


def read_checkpoint(path: PathLike) -> Checkpoint:
    """The epoch, history and metadata of ``path``, validated as by
    `load_checkpoint` but restoring nothing: what ``Trainer.fit`` checks a
    ``resume_from`` file against before it changes any object.

    Raises:
        ValueError: naming the file: it is not a checkpoint, or is corrupt.
    """
    try:
        with NpzReader(Path(path)) as archive:
            metadata, epoch, history = _checked_metadata(archive)
    except ValueError as error:
        raise ValueError(f"read_checkpoint({str(path)!r}): {error}") from None
    return Checkpoint(epoch=epoch, history=history, metadata=metadata)


def _checked_metadata(archive: NpzReader) -> tuple[dict[str, Any], int, History]:
    """The archive's metadata (version 1 upgraded), its epoch and its history,
    with every array it refers to present in the archive."""
    metadata = _read_metadata(archive)
    if isinstance(metadata, dict) and metadata.get("version") == 1:
        metadata = checkpoint_v1.upgrade(metadata, archive.entries)
    epoch, history = checks.check_metadata(metadata)
    checks.check_references(metadata, archive.entries)
    return metadata, epoch, history


def _read_metadata(archive: NpzReader) -> Any:
    if "metadata" not in archive.entries:
        raise ValueError("not a minitorch_np checkpoint (no 'metadata' entry)")
    shape, dtype = archive.entries["metadata"]
    if shape != () or dtype.kind != "U":
        raise ValueError(
            f"malformed metadata: expected a 0-d unicode array, got {shape} {dtype}"
        )
    try:
        return json.loads(archive.read("metadata").item())
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"malformed metadata: not JSON ({error})") from None


def _check_headers(
    metadata: Mapping[str, Any], archive: NpzReader, model: Layer,
    optimizer: Optimizer | None, scheduler: Scheduler | None,
) -> None:  # fmt: skip
    """Shapes and dtypes from the entries' headers, before any data is read."""
    try:
        checks.check_model_headers(model, metadata["model"], archive.entries)
    except ValueError as error:
        raise ValueError(f"the checkpoint does not fit: {error}") from None
    if optimizer is not None:
        if metadata["optimizer"] is None:
            raise ValueError(
                "the checkpoint holds no optimizer state (it was saved without one)"
            )
        checks.check_optimizer_headers(
            optimizer, metadata["optimizer"], archive.entries
        )
    if scheduler is not None and metadata["scheduler"] is None:
        raise ValueError(
            "the checkpoint holds no scheduler state (it was saved without one)"
        )


def _check_generators(
    saved: Mapping[str, Any], model: Layer, train_loader: Any
) -> None:
    checks.check_generator_names(model, saved["model"])
    for name, rng in model.named_generators():
        checks.check_generator_state(saved["model"][name], rng, f"generator {name!r}")
    loader_rng = _loader_generator(train_loader)
    if train_loader is not None and saved["train_loader"] is not None:
        if loader_rng is None:
            raise ValueError(
                f"the checkpoint holds a train-loader RNG state but the given "
                f"{type(train_loader).__name__} has no numpy Generator attribute 'rng'"
            )
        checks.check_generator_state(
            saved["train_loader"], loader_rng, "the train loader"
        )


def _restore(
    parts: Mapping[str, Any], model: Layer, optimizer: Optimizer | None,
    train_loader: Any, scheduler: Scheduler | None, callbacks: Sequence[Stateful],
) -> None:  # fmt: skip
    """Each object loads its own saved state (the scheduler before the optimizer)."""
    model.load_state_dict(parts["model"])
    for name, rng in model.named_generators():
        rng.bit_generator.state = parts["generators"]["model"][name]
    if scheduler is not None:
        scheduler.load_state_dict(parts["scheduler"])
    if optimizer is not None:
        optimizer.load_state_dict(parts["optimizer"])
    loader_rng = _loader_generator(train_loader)
    if loader_rng is not None:
        if parts["generators"]["train_loader"] is None:
            warnings.warn(
                "load_checkpoint: the checkpoint holds no train-loader RNG state (saved "
                "without train_loader), so the shuffling order will not continue the saved run",
                stacklevel=4,
            )
        else:
            loader_rng.bit_generator.state = parts["generators"]["train_loader"]
    saved = parts["callbacks"]
    for key, callback in zip(checks.callback_keys(callbacks), callbacks):
        if key in saved:
            callback.load_state_dict(saved[key])
        elif callback.state_dict():
            warnings.warn(
                f"load_checkpoint: the checkpoint holds no state for callback {key}; "
                "it starts afresh",
                stacklevel=4,
            )


def _loader_generator(train_loader: Any) -> np.random.Generator | None:
    rng = getattr(train_loader, "rng", None)
    return rng if isinstance(rng, np.random.Generator) else None


class _Snapshot:
    """The current state of everything `load_checkpoint` may modify, so a
    failed load can put it all back."""

    def __init__(
        self, model: Layer, optimizer: Optimizer | None, train_loader: Any,
        scheduler: Scheduler | None, callbacks: Sequence[Stateful],
    ) -> None:  # fmt: skip
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.model_state = model.state_dict()
        self.optimizer_state = optimizer.state_dict() if optimizer is not None else None
        self.scheduler_state = scheduler.state_dict() if scheduler is not None else None
        self.callback_states = [
            (callback, callback.state_dict()) for callback in callbacks
        ]
        generators = [rng for _, rng in model.named_generators()]
        loader_rng = _loader_generator(train_loader)
        if loader_rng is not None:
            generators.append(loader_rng)
        self.generator_states = [(rng, rng.bit_generator.state) for rng in generators]

    def restore(self) -> None:
        self.model.load_state_dict(self.model_state)
        if self.scheduler is not None and self.scheduler_state is not None:
            self.scheduler.load_state_dict(self.scheduler_state)
        if self.optimizer is not None and self.optimizer_state is not None:
            self.optimizer.load_state_dict(self.optimizer_state)
        for callback, state in self.callback_states:
            callback.load_state_dict(state)
        for rng, generator_state in self.generator_states:
            rng.bit_generator.state = generator_state
