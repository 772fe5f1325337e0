"""`Optimizer`: the base class of parameter-update rules.

An optimizer holds a list of `Parameter`s and updates ``p.data`` in place
from ``p.grad``. Per-parameter state (momentum buffers, moment estimates) lives
in ``self.state[i]``, a dict of arrays aligned with ``self.params[i]``.

Updates are written as chains of in-place numpy operations on the parameter,
its gradient, the state arrays and one work array per parameter (kept between
steps, not part of the state): a step allocates no array (but g + wd * w
when weight decay is on). `Adam` keeps its state and work array for all
parameters in flat arrays instead (`minitorch_np.optim.flat_state`), and
``self.state[i]`` holds views of them.

``state_dict()`` is JSON-friendly scalars plus numpy arrays (no pickle needed):
``{"type": ..., "hyperparameters": {...}, "step_count": int,
"state": [{name: array}, ...]}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from minitorch_np._validation import check_number
from minitorch_np.parameter import Parameter


class Optimizer:
    """Base class. Subclasses set their hyperparameters (plain float/bool
    attributes named in ``hyperparameter_names``) and implement ``_update``."""

    hyperparameter_names: tuple[str, ...] = ("lr",)

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params: list[Parameter] = _check_params(type(self).__name__, params)
        self.lr = check_number(type(self).__name__, "lr", lr, low=0.0)
        self.step_count = 0
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self._checked: dict[str, Any] | None = None  # hyperparameters last validated
        self._scratch: dict[int, np.ndarray] = {}  # work arrays, not state

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to zero, in place."""
        for param in self.params:
            param.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``.

        The hyperparameters are validated first: a value assigned directly
        (``optimizer.lr = ...``, as a learning-rate scheduler does) that is out
        of range raises ValueError here instead of silently diverging.
        """
        current = self.hyperparameters()
        if current != self._checked:  # validating costs ~50 us: only after a change
            self._check_hyperparameters()
            self._checked = current
        self.step_count += 1
        try:
            self._update_all()
        except Exception:
            self.step_count -= 1  # a step that raised before updating does not count
            raise

    def _update_all(self) -> None:
        """Update every parameter; by default one `_update` call per parameter.
        `Adam` overrides this to work on all its parameters at once."""
        for index, param in enumerate(self.params):
            self._update(param, self.state[index])

    def _update(self, param: Parameter, state: dict[str, np.ndarray]) -> None:
        """Update ``param.data`` in place from ``param.grad`` and ``state``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    def _scratch_for(self, param: Parameter) -> np.ndarray:
        """A work array of the parameter's shape and dtype, kept between steps."""
        scratch = self._scratch.get(id(param))
        if (
            scratch is None
            or scratch.shape != param.shape
            or scratch.dtype != param.dtype
        ):
            scratch = np.empty_like(param.data)
            self._scratch[id(param)] = scratch
        return scratch

    def _check_hyperparameters(self) -> None:
        """Raise ValueError for an out-of-range hyperparameter. Subclasses with
        more hyperparameters extend this (call ``super()`` first)."""
        check_number(type(self).__name__, "lr", self.lr, low=0.0)

    def hyperparameters(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.hyperparameter_names}

    def state_dict(self) -> dict[str, Any]:
        """Copies of everything needed to resume exactly."""
        return {
            "type": type(self).__name__,
            "hyperparameters": self.hyperparameters(),
            "step_count": self.step_count,
            "state": [{k: v.copy() for k, v in s.items()} for s in self.state],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore hyperparameters, step count and per-parameter buffers.

        Raises ValueError when the optimizer type, parameter count or a buffer's
        shape/dtype does not match this optimizer's parameters.
        """
        name = type(self).__name__
        if state.get("type") != name:
            raise ValueError(
                f"{name}.load_state_dict: state is for {state.get('type')!r}"
            )
        buffers = state["state"]
        if len(buffers) != len(self.params):
            raise ValueError(
                f"{name}.load_state_dict: expected state for {len(self.params)} "
                f"parameters, got {len(buffers)}"
            )
        for index, (param, saved) in enumerate(zip(self.params, buffers)):
            for key, value in saved.items():
                value = np.asarray(value)
                if value.shape != param.shape or value.dtype != param.dtype:
                    raise ValueError(
                        f"{name}.load_state_dict: buffer {key!r} of parameter {index} "
                        f"expected shape {param.shape} dtype {param.dtype}, got "
                        f"{value.shape} {value.dtype}"
                    )
        unknown = sorted(set(state["hyperparameters"]) - set(self.hyperparameter_names))
        if unknown:
            raise ValueError(
                f"{name}.load_state_dict: unknown hyperparameters {unknown}"
            )
        previous = self.hyperparameters()
        for key, value in state["hyperparameters"].items():
            setattr(self, key, value)
        try:
            self._check_hyperparameters()
        except ValueError:
            for key, value in previous.items():
                setattr(self, key, value)
            raise
        self.step_count = int(state["step_count"])
        self.state = [{k: np.array(v) for k, v in saved.items()} for saved in buffers]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


def _check_params(owner: str, params: Iterable[Parameter]) -> list[Parameter]:
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(
            f"{owner}: expected an iterable of Parameters, got a "
            f"{type(params).__name__}; pass model.parameters()"
        )
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: got an empty parameter list")
    for index, param in enumerate(params):
        if not isinstance(param, Parameter):
            raise TypeError(
                f"{owner}: expected Parameter objects, got {type(param).__name__} at index {index}"
            )
    if len({id(p) for p in params}) != len(params):
        raise ValueError(f"{owner}: the same Parameter appears more than once")
    return params
