"""How an optimizer declares its hyperparameters: each name with the values
it accepts, checked by one function, `check_hyperparameters`.

    hyperparameter_specs = {
        "lr": Interval(low=0.0),
        "momentum": Interval(low=0.0, high=1.0, high_inclusive=False),
        "nesterov": Flag(),
    }
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from minitorch_np._validation import check_number


@dataclass(frozen=True)
class Interval:
    """A real number in an interval; the accepted value is a float."""

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def check(self, owner: str, name: str, value: object) -> float:
        return check_number(
            owner,
            name,
            value,
            low=self.low,
            high=self.high,
            low_inclusive=self.low_inclusive,
            high_inclusive=self.high_inclusive,
        )


@dataclass(frozen=True)
class Flag:
    """``True`` or ``False`` (numpy booleans included); the value is a bool."""

    def check(self, owner: str, name: str, value: object) -> bool:
        if not isinstance(value, (bool, np.bool_, numbers.Integral)) or value not in (
            0,
            1,
        ):
            raise TypeError(
                f"{owner}: expected {name} to be True or False, got {value!r}"
            )
        return bool(value)


@dataclass(frozen=True)
class Pair:
    """Two numbers, each in ``item``; the value is a tuple of two floats (a
    list, as from a JSON round trip of ``state_dict()``, is accepted)."""

    item: Interval

    def check(self, owner: str, name: str, value: object) -> tuple[float, float]:
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError(f"{owner}: expected {name} to be a pair, got {value!r}")
        first, second = (
            self.item.check(owner, f"{name}[{index}]", item)
            for index, item in enumerate(value)
        )
        return first, second


Spec = Union[Interval, Flag, Pair]


def check_hyperparameters(
    owner: str, specs: Mapping[str, Spec], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Every value of ``values`` checked against its spec, normalised (floats,
    bools, tuples). Raises TypeError or ValueError naming ``owner`` and the
    hyperparameter for a value of the wrong type or out of range, and
    ValueError for a name that ``specs`` does not declare or a missing one."""
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise ValueError(
            f"{owner}: unknown hyperparameters {unknown}; expected {sorted(specs)}"
        )
    missing = sorted(set(specs) - set(values))
    if missing:
        raise ValueError(f"{owner}: missing hyperparameters {missing}")
    return {name: specs[name].check(owner, name, values[name]) for name in specs}
