"""Checkpoints: one ``.npz`` file with everything needed to resume a run exactly.

Keys inside the file (all plain numeric or unicode arrays: it loads with
``np.load(path, allow_pickle=False)``)::

    "metadata"               0-d unicode array: a JSON document (below)
    "model/<name>"           every parameter and buffer of model.state_dict(),
                             e.g. "model/0.weight", "model/0.bias"
    "optimizer/<i>/<name>"   per-parameter optimizer buffers, e.g.
                             "optimizer/0/momentum_buffer" (i = parameter index)

The metadata JSON::

    {"format": "minitorch_np.checkpoint", "version": 1, "minitorch_np": "0.1.0",
     "epoch": 2,                              # completed epochs
     "history": {"loss": [...], ...},         # History.to_dict()
     "optimizer": {"type": "SGD", "hyperparameters": {...}, "step_count": 938,
                   "buffers": [["momentum_buffer"], ...]} or null,
     "scheduler": scheduler.state_dict() or null,
     "rng": {"train_loader": <bit-generator state> or null,
             "layers": {"<dotted layer name>": <bit-generator state>, ...}}}

A bit-generator state is ``Generator.bit_generator.state`` (for the default
PCG64: two 128-bit integers, which Python's json keeps exactly); array fields
of other bit generators are written as ``{"__ndarray__": [...], "dtype": ...}``.

Files are written atomically (`minitorch_np._atomic`): into a temporary file
in the same folder, flushed to disk (fsync), then renamed over the destination
with ``os.replace``. A failure at any point leaves the previous file untouched
and removes the temporary file.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minitorch_np._atomic import atomic_write
from minitorch_np._typing import PathLike
from minitorch_np._validation import check_int
from minitorch_np._version import __version__
from minitorch_np.layers.layer import Layer
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.training.history import History

FORMAT = "minitorch_np.checkpoint"
VERSION = 1


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
    scheduler: Any = None,
) -> Path:
    """Write model, optimizer, epoch, history and RNG states to ``path`` (.npz).

    Args:
        path: the destination, used as given (no ``.npz`` is appended).
        model: its parameters and buffers are saved, and the state of every
            ``numpy.random.Generator`` stored as an ``rng`` attribute of the
            model or any sub-layer (e.g. Dropout's).
        optimizer: its ``state_dict()`` (hyperparameters, step count, buffers).
        epoch: the number of completed epochs.
        history: the `History` so far.
        train_loader: its ``rng`` Generator (the shuffling order) is saved.
        scheduler: a learning-rate scheduler; its ``state_dict()`` is saved.

    Returns the path written.
    """
    if not isinstance(model, Layer):
        raise TypeError(
            f"save_checkpoint: expected model to be a Layer, got {type(model).__name__}"
        )
    epoch = check_int("save_checkpoint", "epoch", epoch, low=0)
    arrays = {f"model/{name}": array for name, array in model.state_dict().items()}
    metadata: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "minitorch_np": __version__,
        "epoch": int(epoch),
        "history": (history if history is not None else History()).to_dict(),
        "optimizer": None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": {
            "train_loader": _loader_rng_state(train_loader),
            "layers": {
                name: _to_json(rng.bit_generator.state)
                for name, rng in layer_generators(model)
            },
        },
    }
    if optimizer is not None:
        state = optimizer.state_dict()
        metadata["optimizer"] = {
            "type": state["type"],
            "hyperparameters": state["hyperparameters"],
            "step_count": state["step_count"],
            "buffers": [sorted(buffers) for buffers in state["state"]],
        }
        for index, buffers in enumerate(state["state"]):
            arrays.update(
                (f"optimizer/{index}/{name}", value) for name, value in buffers.items()
            )
    arrays["metadata"] = np.array(_dump_json(metadata))
    destination = Path(path)
    with atomic_write(destination) as (file, _):
        # (numpy's stubs read **arrays as if it could hold allow_pickle: bool)
        np.savez(file, **arrays)  # type: ignore[arg-type]
    return destination


def _dump_json(metadata: dict[str, Any]) -> str:
    def numpy_scalar(value: object) -> object:
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"{type(value).__name__} {value!r} is not JSON serialisable")

    try:
        return json.dumps(metadata, default=numpy_scalar)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"save_checkpoint: the metadata (optimizer hyperparameters, scheduler state, "
            f"history) must be JSON-serialisable: {error}"
        ) from error


# ---------------------------------------------------------------------- load
def load_checkpoint(
    path: PathLike,
    model: Layer,
    optimizer: Optimizer | None = None,
    *,
    train_loader: Any = None,
    scheduler: Any = None,
) -> Checkpoint:
    """Restore ``path`` (written by `save_checkpoint`) into the given objects, in place.

    The model's parameters and buffers, the layer Generators, and, when given,
    the optimizer state, the train loader's Generator and the scheduler state
    are restored. Returns the `Checkpoint` (epoch and history).

    Raises:
        ValueError: the file is not a checkpoint, or it does not fit the
            objects (a parameter of another shape, another optimizer type,
            ...); the message names the mismatch. Nothing is modified then.
    """
    where = f"load_checkpoint({str(path)!r})"
    metadata, model_state, optimizer_buffers = _read(Path(path), where)
    snapshot = _Snapshot(model, optimizer, train_loader, scheduler)
    try:
        model.load_state_dict(model_state)
        _restore_layer_generators(model, metadata["rng"]["layers"])
        if optimizer is not None:
            _restore_optimizer(optimizer, metadata["optimizer"], optimizer_buffers)
        if train_loader is not None:
            _restore_loader_generator(train_loader, metadata["rng"]["train_loader"])
        if scheduler is not None:
            if metadata["scheduler"] is None:
                raise ValueError(
                    "the checkpoint holds no scheduler state (it was saved without one)"
                )
            scheduler.load_state_dict(metadata["scheduler"])
            if optimizer is not None:  # the optimizer's saved lr is the authority
                optimizer.lr = metadata["optimizer"]["hyperparameters"]["lr"]
    except Exception as error:
        snapshot.restore()
        raise ValueError(f"{where}: the checkpoint does not fit: {error}") from error
    return Checkpoint(
        epoch=int(metadata["epoch"]),
        history=History.from_dict(metadata["history"]),
        metadata=metadata,
    )


def _read(
    path: Path, where: str
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[int, dict[str, np.ndarray]]]:
    """Metadata, model state and optimizer buffers (by parameter index) of a file."""
    if path.is_file() and not zipfile.is_zipfile(path):
        raise ValueError(f"{where}: not a checkpoint (not an .npz archive)")
    with np.load(path, allow_pickle=False) as contents:
        if "metadata" not in contents.files:
            raise ValueError(
                f"{where}: not a minitorch_np checkpoint (no 'metadata' entry)"
            )
        metadata = json.loads(contents["metadata"].item())
        if metadata.get("format") != FORMAT or metadata.get("version") != VERSION:
            raise ValueError(
                f"{where}: expected format {FORMAT!r} version {VERSION}, got "
                f"{metadata.get('format')!r} version {metadata.get('version')!r}"
            )
        model_state: dict[str, np.ndarray] = {}
        optimizer_buffers: dict[int, dict[str, np.ndarray]] = {}
        for key in contents.files:
            group, _, name = key.partition("/")
            if group == "model":
                model_state[name] = contents[key]
            elif group == "optimizer":
                index, _, buffer = name.partition("/")
                optimizer_buffers.setdefault(int(index), {})[buffer] = contents[key]
    return metadata, model_state, optimizer_buffers


def _restore_optimizer(
    optimizer: Optimizer,
    saved: dict[str, Any] | None,
    buffers: dict[int, dict[str, np.ndarray]],
) -> None:
    if saved is None:
        raise ValueError(
            "the checkpoint holds no optimizer state (it was saved without one)"
        )
    optimizer.load_state_dict(
        {
            "type": saved["type"],
            "hyperparameters": saved["hyperparameters"],
            "step_count": saved["step_count"],
            "state": [buffers.get(index, {}) for index in range(len(saved["buffers"]))],
        }
    )


def _restore_loader_generator(train_loader: Any, saved: dict[str, Any] | None) -> None:
    rng = getattr(train_loader, "rng", None)
    if saved is None:
        if isinstance(rng, np.random.Generator):
            warnings.warn(
                "load_checkpoint: the checkpoint holds no train-loader RNG state (saved "
                "without train_loader), so the shuffling order will not continue the saved run",
                stacklevel=3,
            )
        return
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"the checkpoint holds a train-loader RNG state but the given "
            f"{type(train_loader).__name__} has no numpy Generator attribute 'rng'"
        )
    _set_generator_state(rng, saved, "the train loader")


def _restore_layer_generators(model: Layer, saved: dict[str, Any]) -> None:
    generators = dict(layer_generators(model))
    if set(generators) != set(saved):
        raise ValueError(
            f"the model has random generators (attribute 'rng') in layers "
            f"{sorted(generators)}, the checkpoint in layers {sorted(saved)}"
        )
    for name, rng in generators.items():
        _set_generator_state(rng, saved[name], f"layer {name!r}")


# ---------------------------------------------------------------------- generators
def layer_generators(
    model: Layer, prefix: str = ""
) -> Iterator[tuple[str, np.random.Generator]]:
    """``(dotted_name, generator)`` for every layer (the model itself named
    ``""``) whose ``rng`` attribute is a ``numpy.random.Generator``."""
    rng = getattr(model, "rng", None)
    if isinstance(rng, np.random.Generator):
        yield prefix.rstrip("."), rng
    for name, child in model.named_children():
        yield from layer_generators(child, f"{prefix}{name}.")


def _loader_rng_state(train_loader: Any) -> dict[str, Any] | None:
    rng = getattr(train_loader, "rng", None)
    return (
        _to_json(rng.bit_generator.state)
        if isinstance(rng, np.random.Generator)
        else None
    )


def _set_generator_state(
    rng: np.random.Generator, saved: dict[str, Any], owner: str
) -> None:
    kind = type(rng.bit_generator).__name__
    if saved.get("bit_generator") != kind:
        raise ValueError(
            f"{owner}: the checkpoint holds a {saved.get('bit_generator')} state, "
            f"the generator is a {kind}"
        )
    rng.bit_generator.state = _from_json(saved)


def _to_json(value: Any) -> Any:
    """Bit-generator state -> JSON-friendly (arrays tagged with their dtype)."""
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_json(value: Any) -> Any:
    """Inverse of `_to_json`."""
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=value["dtype"])
        return {key: _from_json(item) for key, item in value.items()}
    return value


class _Snapshot:
    """The current state of everything `load_checkpoint` may modify, so a
    failed load can put it all back."""

    def __init__(
        self, model: Layer, optimizer: Any, train_loader: Any, scheduler: Any
    ) -> None:
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.model_state = model.state_dict()
        self.optimizer_state = optimizer.state_dict() if optimizer is not None else None
        self.scheduler_state = scheduler.state_dict() if scheduler is not None else None
        generators = [rng for _, rng in layer_generators(model)]
        loader_rng = getattr(train_loader, "rng", None)
        if isinstance(loader_rng, np.random.Generator):
            generators.append(loader_rng)
        self.generator_states = [(rng, rng.bit_generator.state) for rng in generators]

    def restore(self) -> None:
        self.model.load_state_dict(self.model_state)
        if self.scheduler_state is not None:
            self.scheduler.load_state_dict(self.scheduler_state)
        if self.optimizer_state is not None:  # after the scheduler: its lr wins
            self.optimizer.load_state_dict(self.optimizer_state)
        for rng, state in self.generator_states:
            rng.bit_generator.state = state
