"""Learning-rate schedules: change ``optimizer.lr`` once per epoch.

The PyTorch convention: build the scheduler after the optimizer, train one
epoch, then call ``scheduler.step()``; after ``e`` calls the optimizer uses the
learning rate of epoch ``e``::

    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        scheduler.step()                  # ReduceLROnPlateau: step(val_loss)

Closed-form schedules compute lr(e) from the epoch count ``e`` (never by
multiplying the previous lr), so a resumed run gets bit-identical values.
``state_dict()`` holds JSON-friendly scalars only.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, ClassVar

from minitorch_np._validation import check_int, check_number
from minitorch_np.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: holds the optimizer, its initial ``base_lr`` and the number
    of ``step()`` calls so far (``last_epoch``).

    Subclasses implement `lr_at` (the closed form) and list what
    `state_dict` saves in ``state_names``: their constructor arguments
    (``settings``, checked again by `load_state_dict` through the
    constructor) and any progress of their own.
    ``needs_metric`` tells a training loop whether ``step`` takes the
    monitored value (True only for `ReduceLROnPlateau`).
    """

    needs_metric: ClassVar[bool] = False
    state_names: ClassVar[tuple[str, ...]] = ()
    settings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0
        self._last_lr = self.base_lr

    def lr_at(self, epoch: int) -> float:
        """The learning rate after ``epoch`` calls of ``step()``."""
        raise NotImplementedError(f"{type(self).__name__} must implement lr_at(epoch)")

    def step(self, metric: float | None = None) -> None:
        """End of an epoch: advance ``last_epoch`` and set ``optimizer.lr``."""
        if metric is not None:
            raise TypeError(
                f"{type(self).__name__}.step() takes no metric (its schedule depends on "
                f"the epoch only), got {metric!r}; call step()"
            )
        lr = self._checked_lr_at(self.last_epoch + 1)
        self.last_epoch += 1
        self._set_lr(lr)

    def _checked_lr_at(self, epoch: int) -> float:
        """`lr_at`, with ValueError (instead of a raw OverflowError, an inf or a
        NaN) when the schedule leaves the float range."""
        try:
            lr = float(self.lr_at(epoch))
        except OverflowError:
            lr = float("inf")
        if not math.isfinite(lr):
            raise ValueError(
                f"{type(self).__name__}: the learning rate for epoch {epoch} is not a "
                f"finite float ({lr}) with {self._describe()}; the schedule must keep "
                "lr in range (e.g. gamma <= 1)"
            )
        return lr

    def _describe(self) -> str:
        names = ("base_lr", *self.state_names)
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in names)

    def get_last_lr(self) -> float:
        """The learning rate this scheduler last set (``base_lr`` before any step)."""
        return self._last_lr

    def _set_lr(self, lr: float) -> None:
        self._last_lr = float(lr)
        self.optimizer.lr = self._last_lr

    # ------------------------------------------------------------------ state
    def _state_keys(self) -> tuple[str, ...]:
        return ("base_lr", "last_epoch", *self.state_names)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: JSON-friendly scalars only."""
        state: dict[str, Any] = {"type": type(self).__name__, "last_lr": self._last_lr}
        state.update((key, getattr(self, key)) for key in self._state_keys())
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the schedule and set ``optimizer.lr`` to the saved last lr.

        Raises ValueError when ``state`` is for another scheduler type, has
        missing or unexpected keys, or holds a value the constructor would
        refuse (TypeError for a value of the wrong type); nothing is modified
        in that case.
        """
        name = type(self).__name__
        if state.get("type") != name:
            raise ValueError(
                f"{name}.load_state_dict: state is for {state.get('type')!r}"
            )
        expected = {"type", "last_lr", *self._state_keys()}
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if missing or unexpected:
            raise ValueError(
                f"{name}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        values = self._checked_state(state)
        for key, value in values.items():
            setattr(self, key, value)
        self._set_lr(values["last_lr"])

    def _checked_state(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """The values of ``state`` (all keys present), each checked as the
        constructor checks it; errors start with ``<Type>.load_state_dict``."""
        where = f"{type(self).__name__}.load_state_dict"
        try:
            # the constructor's own checks, on a scheduler that is then dropped
            probe = type(self)(self.optimizer, **{k: state[k] for k in self.settings})
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where}: {error}") from None
        values = {key: getattr(probe, key) for key in self.settings}
        values["base_lr"] = check_number(where, "base_lr", state["base_lr"], low=0.0)
        values["last_lr"] = check_number(where, "last_lr", state["last_lr"], low=0.0)
        values["last_epoch"] = check_int(where, "last_epoch", state["last_epoch"])
        values.update(self._checked_progress(state, where))
        return values

    def _checked_progress(self, state: Mapping[str, Any], where: str) -> dict[str, Any]:
        """The saved progress beyond ``last_epoch`` (none here), checked."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={getattr(self, key)!r}" for key in self.state_names)
        return f"{type(self).__name__}({args})"


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs::

    lr(e) = base_lr * gamma ** floor(e / step_size)
    """

    state_names = settings = ("step_size", "gamma")

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1
    ) -> None:
        super().__init__(optimizer)
        self.step_size = check_int("StepLR", "step_size", step_size, low=1)
        self.gamma = check_number(
            "StepLR", "gamma", gamma, low=0.0, low_inclusive=False
        )

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch::

    lr(e) = base_lr * gamma ** e
    """

    state_names = settings = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = check_number(
            "ExponentialLR", "gamma", gamma, low=0.0, low_inclusive=False
        )

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs::

        lr(e) = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2

    As in PyTorch the formula is not clamped: past ``T_max`` the lr climbs back
    along the cosine, so set ``T_max`` to the number of epochs you train.
    """

    state_names = settings = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = check_int("CosineAnnealingLR", "T_max", T_max, low=1)
        self.eta_min = check_number("CosineAnnealingLR", "eta_min", eta_min, low=0.0)

    def lr_at(self, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a monitored metric stops improving.

    ``step(metric)`` takes the epoch's value (e.g. the validation loss). A value
    is an improvement over the best so far when (``threshold_mode="rel"``)::

        mode "min":  metric < best - threshold * |best|
        mode "max":  metric > best + threshold * |best|

    (PyTorch's ``best * (1 -+ threshold)`` for a positive best;
    ``threshold_mode="abs"`` drops the ``|best|``). After more than
    ``patience`` epochs in a row without improvement,
    lr <- max(lr * factor, min_lr), and the next ``cooldown`` epochs are not
    counted as bad. A NaN metric is never an improvement.

    Args:
        optimizer: the optimizer whose ``lr`` is reduced.
        mode: ``"min"`` (loss-like metrics) or ``"max"`` (accuracy-like).
        factor: multiplier in (0, 1).
        patience: number of bad epochs tolerated before a reduction (>= 0).
        threshold: smallest change that counts as an improvement (>= 0).
        threshold_mode: ``"rel"`` (relative to best) or ``"abs"``.
        min_lr: the lr never goes below this (>= 0).
        cooldown: epochs to wait after a reduction before counting again (>= 0).
    """

    needs_metric = True
    settings = (
        "mode",
        "factor",
        "patience",
        "threshold",
        "threshold_mode",
        "min_lr",
        "cooldown",
    )
    state_names = (*settings, "best", "num_bad_epochs", "cooldown_counter")

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        min_lr: float = 0.0,
        cooldown: int = 0,
    ) -> None:
        super().__init__(optimizer)
        owner = "ReduceLROnPlateau"
        self.mode = _check_choice(owner, "mode", mode, ("min", "max"))
        self.factor = check_number(
            owner,
            "factor",
            factor,
            low=0.0,
            high=1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        self.patience = check_int(owner, "patience", patience)
        self.threshold = check_number(owner, "threshold", threshold, low=0.0)
        self.threshold_mode = _check_choice(
            owner, "threshold_mode", threshold_mode, ("rel", "abs")
        )
        self.min_lr = check_number(owner, "min_lr", min_lr, low=0.0)
        self.cooldown = check_int(owner, "cooldown", cooldown)
        self.best: float | None = None  # None until the first metric arrives
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def step(self, metric: float | None = None) -> None:
        """End of an epoch: record ``metric`` and reduce the lr on a plateau."""
        value = _check_metric(metric)
        self.last_epoch += 1
        if self.is_better(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._set_lr(max(self.optimizer.lr * self.factor, self.min_lr))
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def _checked_progress(self, state: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``best`` (None or a number, not NaN), ``num_bad_epochs`` and
        ``cooldown_counter`` (ints >= 0)."""
        best = state["best"]
        if best is not None:
            if isinstance(best, bool) or not isinstance(best, numbers.Real):
                raise TypeError(
                    f"{where}: expected best to be a number or None, got {best!r}"
                )
            if math.isnan(best):
                raise ValueError(
                    f"{where}: expected best to be a number or None, got nan"
                )
            best = float(best)
        return {
            "best": best,
            "num_bad_epochs": check_int(
                where, "num_bad_epochs", state["num_bad_epochs"]
            ),
            "cooldown_counter": check_int(
                where, "cooldown_counter", state["cooldown_counter"]
            ),
        }

    def is_better(self, value: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.best is None:
            return not math.isnan(value)
        if math.isinf(self.best):  # any finite value beats an infinite worst
            margin = 0.0  # (|inf| * threshold would make the bound inf - inf = NaN)
        elif self.threshold_mode == "rel":
            margin = abs(self.best) * self.threshold
        else:
            margin = self.threshold
        if self.mode == "min":
            return value < self.best - margin
        return value > self.best + margin


def _check_metric(metric: object) -> float:
    if metric is None:
        raise TypeError(
            "ReduceLROnPlateau.step(metric) needs the monitored value, e.g. "
            "scheduler.step(val_loss); got no metric"
        )
    try:
        if isinstance(metric, (str, bytes)):
            raise TypeError
        return float(metric)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(
            f"ReduceLROnPlateau.step: expected the metric to be a number, got {metric!r}"
        ) from None


def _check_choice(
    owner: str, name: str, value: object, choices: tuple[str, ...]
) -> str:
    if value not in choices:
        raise ValueError(
            f"{owner}: expected {name} to be one of {choices}, got {value!r}"
        )
    return str(value)
