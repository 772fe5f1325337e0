"""Nested state as JSON plus a table of arrays, so a file holds no pickle.

``state_dict()`` methods return trees of dicts, lists, JSON scalars and numpy
arrays. `pack` turns such a tree into a JSON-friendly copy where every array
is replaced by ``{"__array__": key}`` and stored under ``key`` in a flat
table; `unpack` puts the arrays back. Nothing about the tree's meaning is
assumed: what ``state_dict()`` returned is what ``load_state_dict`` gets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["ARRAY_TAG", "array_references", "dump_json", "pack", "unpack"]

ARRAY_TAG = "__array__"


def pack(value: Any, key: str, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-friendly copy of ``value``; its arrays go into ``arrays`` under
    ``key/<path>`` (e.g. ``optimizer/state/0/momentum_buffer``). Tuples become
    lists. Raises TypeError for anything else that JSON cannot hold."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError(f"{key}: an array of Python objects cannot be saved")
        if key in arrays:
            raise TypeError(f"{key}: two arrays would be stored under this name")
        arrays[key] = value
        return {ARRAY_TAG: key}
    if isinstance(value, Mapping):
        packed = {}
        for name, item in value.items():
            if not isinstance(name, str) or name == ARRAY_TAG:
                raise TypeError(
                    f"{key}: keys must be strings other than {ARRAY_TAG!r}, got {name!r}"
                )
            packed[name] = pack(item, f"{key}/{name}", arrays)
        return packed
    if isinstance(value, (list, tuple)):
        return [
            pack(item, f"{key}/{index}", arrays) for index, item in enumerate(value)
        ]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{key}: {type(value).__name__} {value!r} is not JSON serialisable")


def unpack(value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """The inverse of `pack`: references replaced by the arrays they name."""
    if isinstance(value, dict):
        if _is_reference(value):
            return arrays[value[ARRAY_TAG]]
        return {name: unpack(item, arrays) for name, item in value.items()}
    if isinstance(value, list):
        return [unpack(item, arrays) for item in value]
    return value


def array_references(
    value: Any, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """``(path, key)`` of every array reference in a packed tree; ``path`` is
    the sequence of dict keys and list indices leading to it."""
    if isinstance(value, dict):
        if _is_reference(value):
            yield path, value[ARRAY_TAG]
            return
        for name, item in value.items():
            yield from array_references(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from array_references(item, (*path, index))


def dump_json(tree: Any) -> str:
    """JSON text of a packed tree (NaN and infinities written as Python's json does)."""
    return json.dumps(tree)


def _is_reference(value: dict[str, Any]) -> bool:
    return set(value) == {ARRAY_TAG} and isinstance(value[ARRAY_TAG], str)
