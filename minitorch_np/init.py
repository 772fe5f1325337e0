"""Weight initialisers: ``name -> function(shape, rng, dtype) -> array``.

For a weight of shape ``(fan_out, fan_in)``:

* ``"he_normal"`` (Kaiming, for ReLU nets): N(0, 2 / fan_in)
* ``"he_uniform"``: U(-a, a), a = sqrt(6 / fan_in)
* ``"xavier_normal"`` (Glorot, for tanh/sigmoid nets): N(0, 2 / (fan_in + fan_out))
* ``"xavier_uniform"``: U(-a, a), a = sqrt(6 / (fan_in + fan_out))
* ``"lecun_normal"``: N(0, 1 / fan_in)
* ``"zeros"``: all zeros (fine for softmax regression, fatal for hidden layers)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

Initializer = Callable[[tuple[int, int], np.random.Generator, DTypeLike], np.ndarray]


def _normal(std_of: Callable[[int, int], float]) -> Initializer:
    def init(
        shape: tuple[int, int], rng: np.random.Generator, dtype: DTypeLike
    ) -> np.ndarray:
        fan_out, fan_in = shape
        return (rng.standard_normal(shape) * std_of(fan_in, fan_out)).astype(dtype)

    return init


def _uniform(bound_of: Callable[[int, int], float]) -> Initializer:
    def init(
        shape: tuple[int, int], rng: np.random.Generator, dtype: DTypeLike
    ) -> np.ndarray:
        fan_out, fan_in = shape
        bound = bound_of(fan_in, fan_out)
        return rng.uniform(-bound, bound, size=shape).astype(dtype)

    return init


def zeros(
    shape: tuple[int, int], rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "he_normal": _normal(lambda fan_in, fan_out: np.sqrt(2.0 / fan_in)),
    "he_uniform": _uniform(lambda fan_in, fan_out: np.sqrt(6.0 / fan_in)),
    "xavier_normal": _normal(lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out))),
    "xavier_uniform": _uniform(
        lambda fan_in, fan_out: np.sqrt(6.0 / (fan_in + fan_out))
    ),
    "lecun_normal": _normal(lambda fan_in, fan_out: np.sqrt(1.0 / fan_in)),
    "zeros": zeros,
}


def get_initializer(init: str | Initializer, owner: str) -> Initializer:
    """Look up ``init`` by name, or accept a callable ``(shape, rng, dtype) -> array``
    (wrapped so that what it returns is checked, see `_checked`)."""
    if callable(init):
        return _checked(init, owner)
    if init not in INITIALIZERS:
        raise ValueError(
            f"{owner}: unknown init {init!r}; expected one of {sorted(INITIALIZERS)} "
            "or a callable (shape, rng, dtype) -> array"
        )
    return INITIALIZERS[init]


def _checked(init: Initializer, owner: str) -> Initializer:
    """``init`` with its result checked: a real-valued array of exactly the
    requested shape with finite values, else an error naming ``owner``."""

    def initialize(
        shape: tuple[int, int], rng: np.random.Generator, dtype: DTypeLike
    ) -> np.ndarray:
        values = np.asarray(init(shape, rng, dtype))
        name = getattr(init, "__name__", type(init).__name__)
        if values.shape != tuple(shape):
            raise ValueError(
                f"{owner}: init {name} returned an array of shape {values.shape}, "
                f"expected {tuple(shape)}"
            )
        if values.dtype.kind not in "biuf":
            raise TypeError(
                f"{owner}: init {name} returned values of dtype {values.dtype}, "
                "expected real numbers"
            )
        if not np.isfinite(values).all():
            raise ValueError(
                f"{owner}: init {name} returned non-finite values (inf or NaN)"
            )
        return values

    return initialize
