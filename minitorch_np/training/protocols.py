"""What the training loop needs from the objects it is given (structural types)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["Scheduler", "Stateful"]


@runtime_checkable
class Stateful(Protocol):
    """An object whose state a checkpoint saves and restores."""

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: JSON scalars, lists, dicts and arrays."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned; raise ValueError, changing
        nothing, when it does not fit."""
        ...


@runtime_checkable
class Scheduler(Stateful, Protocol):
    """A learning-rate scheduler (e.g. `minitorch_np.optim.LRScheduler`):
    stepped once per epoch, with the monitored value when ``needs_metric``."""

    def step(self, metric: float | None = None) -> None: ...
