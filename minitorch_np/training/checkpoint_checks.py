"""Validation of a checkpoint's contents before anything is restored.

Every check raises ValueError with a message saying what is wrong; the caller
(`load_checkpoint`) prefixes the file. Nothing here changes any object.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from minitorch_np.layers.layer import Layer
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.training.history import History
from minitorch_np.training.state_tree import array_references

FORMAT = "minitorch_np.checkpoint"
VERSION = 2
#: Top-level metadata keys and the JSON types each may have.
SECTIONS: dict[str, tuple[type, ...]] = {
    "format": (str,),
    "version": (int,),
    "minitorch_np": (str,),
    "epoch": (int,),
    "history": (dict,),
    "model": (dict,),
    "generators": (dict,),
    "optimizer": (dict, type(None)),
    "scheduler": (dict, type(None)),
    "callbacks": (dict,),
}
Header = tuple[tuple[int, ...], np.dtype]


def check_metadata(metadata: object) -> tuple[int, History]:
    """The epoch and history of well-formed metadata; ValueError otherwise."""
    if not isinstance(metadata, dict):
        raise ValueError(
            f"malformed metadata: expected a JSON object, got {type(metadata).__name__}"
        )
    if metadata.get("format") != FORMAT or metadata.get("version") != VERSION:
        raise ValueError(
            f"expected format {FORMAT!r} version {VERSION}, got "
            f"{metadata.get('format')!r} version {metadata.get('version')!r}"
        )
    missing = sorted(set(SECTIONS) - set(metadata))
    if missing:
        raise ValueError(f"malformed metadata: missing {missing}")
    for key, kinds in SECTIONS.items():
        value = metadata[key]
        if isinstance(value, bool) or not isinstance(value, kinds):
            expected = " or ".join(
                "null" if k is type(None) else k.__name__ for k in kinds
            )
            raise ValueError(
                f"malformed metadata: {key!r} must be {expected}, got {value!r}"
            )
    epoch = metadata["epoch"]
    if epoch < 0:
        raise ValueError(f"malformed metadata: 'epoch' must be >= 0, got {epoch}")
    generators = metadata["generators"]
    if not isinstance(generators.get("model"), dict) or not isinstance(
        generators.get("train_loader"), (dict, type(None))
    ):
        raise ValueError(
            "malformed metadata: 'generators' must hold 'model' and 'train_loader'"
        )
    by_rank = generators.get("model_by_rank")
    if by_rank is not None and not (
        isinstance(by_rank, list)
        and by_rank
        and all(isinstance(states, dict) for states in by_rank)
        and all(states.keys() == generators["model"].keys() for states in by_rank)
    ):
        raise ValueError(
            "malformed metadata: 'generators.model_by_rank' must be a list of one "
            "mapping per rank, each with the names of 'generators.model'"
        )
    return epoch, _history(metadata["history"])


def check_references(
    metadata: Mapping[str, Any], entries: Mapping[str, Header]
) -> None:
    """Every array reference names an entry, and every entry is referenced."""
    referenced = {key for _, key in array_references(dict(metadata))}
    unknown = sorted(referenced - set(entries))
    unused = sorted(set(entries) - referenced - {"metadata"})
    if unknown or unused:
        raise ValueError(
            f"malformed checkpoint: references to missing arrays {unknown}, arrays "
            f"nobody references {unused}"
        )


def check_model_headers(
    model: Layer, packed: Mapping[str, Any], entries: Mapping[str, Header]
) -> None:
    """The model's entries have its state's names, shapes and dtypes (from
    the headers: no data read yet)."""
    targets = {
        name: (param.shape, param.dtype) for name, param in model.named_parameters()
    }
    targets.update(
        (name, (buffer.shape, buffer.dtype)) for name, buffer in model.named_buffers()
    )
    saved = {path[0]: entries[key] for path, key in array_references(dict(packed))}
    problems = []
    missing = [name for name in targets if name not in saved]
    unexpected = [name for name in packed if name not in targets]
    if missing:
        problems.append(f"missing keys {missing}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected}")
    for name, (shape, dtype) in targets.items():
        if name in saved and saved[name][0] != shape:
            problems.append(
                f"shape mismatch for {name!r}: expected {shape}, got {saved[name][0]}"
            )
        elif name in saved and saved[name][1] != dtype:
            problems.append(
                f"dtype mismatch for {name!r}: expected {dtype}, got {saved[name][1]}"
            )
    if problems:
        raise ValueError(
            f"{type(model).__name__}.load_state_dict: " + "; ".join(problems)
        )


def check_optimizer_headers(
    optimizer: Optimizer, packed: Mapping[str, Any], entries: Mapping[str, Header]
) -> None:
    """Arrays of ``state[i]`` have the shape and dtype of parameter i (the
    `Optimizer` contract), checked from the headers before any data is read."""
    for path, key in array_references(dict(packed)):
        if len(path) < 2 or path[0] != "state" or not isinstance(path[1], int):
            continue
        if path[1] >= len(optimizer.params):
            raise ValueError(
                f"the optimizer has {len(optimizer.params)} parameters, the checkpoint "
                f"holds state for parameter {path[1]}"
            )
        param = optimizer.params[path[1]]
        if entries[key] != (param.shape, param.dtype):
            shape, dtype = entries[key]
            raise ValueError(
                f"optimizer state {'/'.join(map(str, path[2:]))!r} of parameter {path[1]} "
                f"expected shape {param.shape} dtype {param.dtype}, got {shape} {dtype}"
            )


def check_generator_state(
    state: object, generator: np.random.Generator, owner: str
) -> None:
    """``state`` would be accepted by ``generator.bit_generator`` (tried on a
    fresh bit generator of the same kind, not on ``generator``)."""
    kind = type(generator.bit_generator)
    saved_kind = state.get("bit_generator") if isinstance(state, dict) else None
    if saved_kind != kind.__name__:
        raise ValueError(
            f"{owner}: the checkpoint holds a {saved_kind} state, the generator is a {kind.__name__}"
        )
    try:
        kind(0).state = state  # type: ignore[assignment]
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValueError(f"{owner}: invalid generator state ({error!r})") from None


def check_generator_names(model: Layer, saved: Mapping[str, Any]) -> None:
    names = [name for name, _ in model.named_generators()]
    if set(names) != set(saved):
        raise ValueError(
            f"the model has random generators {sorted(names)} (named_generators()), "
            f"the checkpoint holds {sorted(saved)}"
        )


def callback_keys(callbacks: Sequence[object]) -> list[str]:
    """A stable name per callback: its class name and its index among the
    callbacks of that class, e.g. ``["EarlyStopping[0]", "ModelCheckpoint[0]"]``."""
    counts: dict[str, int] = {}
    keys = []
    for callback in callbacks:
        name = type(callback).__name__
        keys.append(f"{name}[{counts.get(name, 0)}]")
        counts[name] = counts.get(name, 0) + 1
    return keys


def _history(columns: Mapping[str, Any]) -> History:
    for name, values in columns.items():
        if not isinstance(values, list) or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values
        ):
            raise ValueError(
                f"malformed metadata: history column {name!r} must be a list of numbers"
            )
    try:
        return History.from_dict(columns)
    except (KeyError, ValueError, TypeError) as error:
        raise ValueError(f"malformed metadata: history: {error}") from None
