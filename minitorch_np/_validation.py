"""Input checks shared by layers, losses and optimizers. Every message names
who complained, what was expected and what came."""

from __future__ import annotations

import numbers

import numpy as np


def check_float_array(owner: str, name: str, value: object) -> np.ndarray:
    """Return ``value`` if it is a floating-point ndarray, else raise TypeError."""
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{owner}: expected {name} to be a numpy array, got {type(value).__name__}; "
            "convert it with np.asarray(..., dtype=np.float32)"
        )
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(
            f"{owner}: expected {name} of a float dtype, got {value.dtype}; "
            "cast (and scale) it first, e.g. x.astype(np.float32) / 255 for uint8 pixels"
        )
    return value


def check_backward_ready(owner: str, cached: object) -> None:
    """Raise a clear error when ``backward`` comes before any ``forward``."""
    if cached is None:
        raise RuntimeError(f"{owner}: backward() called before forward()")


def check_grad_shape(owner: str, grad: np.ndarray, expected: tuple[int, ...]) -> None:
    """``grad_output`` must have the shape of the last output."""
    shape = getattr(grad, "shape", None)
    if shape != expected:
        raise ValueError(
            f"{owner}: expected grad_output of shape {expected} (the shape of the "
            f"last forward output), got {shape}"
        )


def check_number(
    owner: str,
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float if it is a real number within the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: expected {name} to be a number, got {value!r}")
    number = float(value)
    too_low = low is not None and (
        number < low or (not low_inclusive and number == low)
    )
    too_high = high is not None and (
        number > high or (not high_inclusive and number == high)
    )
    if not np.isfinite(number) or too_low or too_high:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        bounds = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{owner}: expected {name} in {bounds}, got {value!r}")
    return number


def check_int(owner: str, name: str, value: object, *, low: int = 0) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) >= ``low``,
    else raise ValueError: "expected <name> to be a positive int" (low = 1) or
    "... an int >= <low>"."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
    ):
        kind = "a positive int" if low == 1 else f"an int >= {low}"
        raise ValueError(f"{owner}: expected {name} to be {kind}, got {value!r}")
    return int(value)


def check_bool(owner: str, name: str, value: object) -> bool:
    """Return ``value`` as a bool if it is True or False (numpy's included),
    else raise TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: expected {name} to be True or False, got {value!r}")
    return bool(value)


def as_generator(rng: object, owner: str) -> np.random.Generator:
    """Accept a Generator (used as is), a non-negative int seed or None (fresh
    OS entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng < 0:
        raise ValueError(
            f"{owner}: expected rng seed to be a non-negative int, got {rng}"
        )
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)  # type: ignore[arg-type]
    raise TypeError(
        f"{owner}: expected rng to be a numpy.random.Generator, an int seed or None, "
        f"got {type(rng).__name__}"
    )
