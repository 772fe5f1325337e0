"""`Optimizer`: the base class of parameter-update rules, and the one update
mechanism they all share.

An optimizer holds a list of `Parameter`s and updates ``p.data`` in place
from ``p.grad``. Building it packs the parameters into contiguous storage
(`minitorch_np.optim.packing`: one flat ``data`` and one flat ``grad`` array
per dtype, every ``p.data`` and ``p.grad`` a view of its slice), and its
per-parameter state (momentum buffers, moment estimates) likewise: one flat
array per state name, with ``self.state[i][name]`` the view that belongs to
``self.params[i]``.

A subclass writes its formula once, in `_update`, for 1-D slices of those
flat arrays; `step` applies it block by block over cache-sized slices, on
several threads when the model is large (`minitorch_np.parallel.for_each_block`).
The arithmetic on each element is the same as a whole-array update's.

Before any array changes, `step` checks the hyperparameters (as declared in
``hyperparameter_specs``, and the step's constants in the parameters'
dtype) and the gradients (finite, and for an update that squares them,
squares that are finite): a bad value raises and leaves the parameters,
the state and ``step_count`` as they were.

``state_dict()`` is JSON-friendly scalars plus numpy arrays (no pickle needed):
``{"type": ..., "hyperparameters": {...}, "step_count": int,
"state": [{name: array}, ...]}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from minitorch_np.optim.hyperparameters import Interval, Spec, check_hyperparameters
from minitorch_np.optim.packing import PackedParameters, pack_parameters
from minitorch_np.parallel import for_each_block
from minitorch_np.parameter import Parameter

#: The per-step scalars of an update, by name, in the parameters' dtype.
Constants = dict[str, np.floating]


class Optimizer:
    """Base class. A subclass declares ``hyperparameter_specs`` (name -> accepted
    values) and implements `_step_constants` and `_update`; it may declare
    ``state_names`` (a method, since they can depend on the hyperparameters),
    ``positive_constants`` and ``squares_gradient``, and extend
    `_check_combination`.

    Args:
        params: the parameters to update, e.g. ``model.parameters()``.
        **hyperparameters: one value for every name in ``hyperparameter_specs``.
    """

    hyperparameter_specs: dict[str, Spec] = {"lr": Interval(low=0.0)}
    #: The names of ``hyperparameter_specs``, in order (set for every subclass).
    hyperparameter_names: tuple[str, ...] = ("lr",)
    lr: float
    #: Constants of `_step_constants` that must stay > 0 in the parameters' dtype.
    positive_constants: tuple[str, ...] = ()
    #: Whether `_update` squares the gradient (its squares must be finite too).
    squares_gradient = False
    #: Scratch arrays `_update` receives, each the length of the block.
    work_arrays = 2

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.hyperparameter_names = tuple(cls.hyperparameter_specs)

    def __init__(self, params: Iterable[Parameter], **hyperparameters: Any) -> None:
        owner = type(self).__name__
        self.params: list[Parameter] = _check_params(owner, params)
        self._set_hyperparameters(hyperparameters)
        self.step_count = 0
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self._groups: list[PackedParameters] = []
        self._flat_state: list[dict[str, np.ndarray]] = []
        self._state_views: list[tuple[int, str, np.ndarray]] = []
        self._packed_names: tuple[str, ...] = ()
        self._pack()

    # ------------------------------------------------------------------ the rule
    def state_names(self) -> tuple[str, ...]:
        """The per-parameter state buffers the update keeps (zeros at first)."""
        return ()

    def _step_constants(self, dtype: np.dtype) -> Constants:
        """The scalars of this step's update (``self.step_count`` is already
        the number of this step), as ``dtype`` numbers."""
        return {"lr": dtype.type(self.lr)}

    def _update(
        self,
        w: np.ndarray,
        g: np.ndarray,
        state: dict[str, np.ndarray],
        work: Sequence[np.ndarray],
        c: Constants,
    ) -> None:
        """Update one block in place: ``w`` (parameter values), ``g`` (their
        gradient, read only), ``state[name]`` (the state buffers) are 1-D
        slices of the same elements; ``work`` holds scratch arrays of that
        length; ``c`` the constants of `_step_constants`."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    def _check_combination(self, values: Mapping[str, Any]) -> None:
        """Rules that involve several hyperparameters (raise ValueError)."""

    # ------------------------------------------------------------------ step
    def packed_parameters(self) -> list[PackedParameters]:
        """The contiguous storage of the parameters, one `PackedParameters`
        per dtype (re-packed first if ``Layer.to`` replaced the arrays): its
        ``grad`` is the one buffer a data-parallel all-reduce sends."""
        if not self._is_packed():
            self._pack()
        return list(self._groups)

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to zero (`Parameter.zero_grad`)."""
        for param in self.params:
            param.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``.

        Raises (changing nothing):
            ValueError / TypeError: a hyperparameter out of range, e.g. one a
                scheduler assigned (``optimizer.lr = ...``), or a step constant
                that is not finite (or is zero where it divides) in the
                parameters' dtype.
            FloatingPointError: a gradient with an inf or NaN (or whose square
                overflows, for Adam and RMSprop), naming the parameter.
        """
        current = self.hyperparameters()
        if current != self._checked:
            self._set_hyperparameters(current)
        groups = self.packed_parameters()
        for group in groups:
            self._check_gradient(group)
        self.step_count += 1
        try:
            constants = [self._checked_constants(group.dtype) for group in groups]
        except ValueError:
            self.step_count -= 1
            raise
        for group, flat_state, c in zip(groups, self._flat_state, constants):
            self._apply(group, flat_state, c)

    def _apply(
        self, group: PackedParameters, flat_state: dict[str, np.ndarray], c: Constants
    ) -> None:
        w, g = group.data, group.grad

        def update(start: int, stop: int, work: Sequence[np.ndarray]) -> None:
            state = {name: flat[start:stop] for name, flat in flat_state.items()}
            self._update(w[start:stop], g[start:stop], state, work, c)

        for_each_block(group.size, group.dtype, self.work_arrays, update)

    # ------------------------------------------------------------------ checks
    def hyperparameters(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.hyperparameter_specs}

    def _set_hyperparameters(self, values: Mapping[str, Any]) -> None:
        """Check ``values`` (all of them, before setting any), then set them."""
        checked = check_hyperparameters(
            type(self).__name__, self.hyperparameter_specs, values
        )
        self._check_combination(checked)
        for name, value in checked.items():
            setattr(self, name, value)
        self._checked = checked

    def _checked_constants(self, dtype: np.dtype) -> Constants:
        with np.errstate(over="ignore", under="ignore"):  # checked below
            constants = self._step_constants(dtype)
        for name, value in constants.items():
            number = float(value)
            zero = number <= 0 and name in self.positive_constants
            if zero or not math.isfinite(number):
                problem = "0 (it divides)" if zero else "not finite"
                raise ValueError(
                    f"{type(self).__name__}: at step {self.step_count} the update's "
                    f"constant {name} is {problem} in {dtype} with "
                    f"{_describe(self.hyperparameters())}; choose values that "
                    f"{dtype} can hold (e.g. a smaller lr or a larger eps) or train "
                    "in float32/float64"
                )
        return constants

    def _check_gradient(self, group: PackedParameters) -> None:
        """Raise FloatingPointError when a gradient has an inf or NaN (or, for
        an update that squares it, a square that overflows). One dot product
        g . g over the group: finite exactly when every g_i^2 is (its own
        overflow is the answer, not a warning)."""
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.dot(group.grad, group.grad)):
                return
        limit = np.sqrt(np.finfo(group.dtype).max)
        for param in group.params:
            bad = ~np.isfinite(param.grad)
            if bad.any():
                reason = f"{int(bad.sum())} non-finite values (inf or NaN)"
            elif self.squares_gradient and np.abs(param.grad).max() > limit:
                reason = f"values whose square overflows {group.dtype}"
            else:
                continue
            raise NonFiniteGradientError(
                param,
                f"{type(self).__name__}.step: the gradient of parameter "
                f"{self._index_of(param)} (shape {param.shape}, {param.dtype}) has "
                f"{reason}; nothing was updated. Lower the learning rate, clip "
                "the gradients, or look for a diverging loss",
            )

    def _index_of(self, param: Parameter) -> int:
        return next(i for i, p in enumerate(self.params) if p is param)

    # ------------------------------------------------------------------ storage
    def _is_packed(self) -> bool:
        """Whether the parameters and the state are still the packed views
        (``Layer.to``, a hand-assigned array or a change of hyperparameters
        that adds a state buffer make them stale)."""
        return (
            self.state_names() == self._packed_names
            and all(group.is_intact() for group in self._groups)
            and all(
                self.state[index].get(name) is view
                for index, name, view in self._state_views
            )
        )

    def _pack(self) -> None:
        """(Re)build the contiguous storage from the current arrays: the
        parameters' values and gradients, and the state buffers (cast to the
        parameters' dtype; missing ones start at zero)."""
        names = self.state_names()
        self._groups = pack_parameters(self.params)
        self._flat_state, self._state_views = [], []
        for group in self._groups:
            flats = {name: np.zeros(group.size, group.dtype) for name in names}
            for position, param in enumerate(group.params):
                index = self._index_of(param)
                state = self.state[index]
                for name in names:
                    view = group.view(flats[name], position)
                    if name in state:
                        _copy_buffer(view, state[name], name, index)
                    state[name] = view
                    self._state_views.append((index, name, view))
                for stale in set(state) - set(names):
                    del state[stale]
            self._flat_state.append(flats)
        self._packed_names = names

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Copies of everything needed to resume exactly (the state in the
        parameters' current dtype: re-packed first if ``Layer.to`` cast them)."""
        self.packed_parameters()
        return {
            "type": type(self).__name__,
            "hyperparameters": self.hyperparameters(),
            "step_count": self.step_count,
            "state": [{k: v.copy() for k, v in s.items()} for s in self.state],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore hyperparameters, step count and per-parameter buffers.

        Everything is checked before anything changes: ValueError (or
        TypeError) when the optimizer type, the parameter count, a buffer's
        shape or dtype, the step count or a hyperparameter does not fit.
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
        step_count = state["step_count"]
        if isinstance(step_count, bool) or not isinstance(
            step_count, (int, np.integer)
        ):
            raise TypeError(f"{name}.load_state_dict: step_count must be an int")
        if step_count < 0:
            raise ValueError(f"{name}.load_state_dict: step_count {step_count} < 0")
        self._set_hyperparameters(
            {**self.hyperparameters(), **state["hyperparameters"]}
        )
        self.step_count = int(step_count)
        self.state = [{k: np.array(v) for k, v in saved.items()} for saved in buffers]
        self._pack()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


def l2_gradient(
    w: np.ndarray, g: np.ndarray, weight_decay: np.floating, out: np.ndarray
) -> np.ndarray:
    """g + wd * w, the gradient with the L2 term 0.5 * wd * ||w||^2 added
    (coupled weight decay), written into ``out``; ``g`` itself when wd = 0."""
    if not weight_decay:
        return g
    np.multiply(w, weight_decay, out=out)
    return np.add(g, out, out=out)


class NonFiniteGradientError(FloatingPointError):
    """A gradient that `Optimizer.step` refused; ``parameter`` is its owner
    (`Trainer` uses it to name the parameter within the model)."""

    def __init__(self, parameter: Parameter, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in values.items())


def _copy_buffer(view: np.ndarray, buffer: object, name: str, index: int) -> None:
    """Copy an existing state buffer into its packed view (casting to the
    parameter's dtype, as after ``Layer.to``); a buffer of another shape, put
    into ``optimizer.state`` by hand, raises instead of broadcasting."""
    shape = getattr(buffer, "shape", None)
    if shape != view.shape:
        raise ValueError(
            f"optimizer state {name!r} of parameter {index}: expected an array of "
            f"shape {view.shape} (the parameter's), got "
            f"{type(buffer).__name__ if shape is None else shape}"
        )
    view[...] = buffer


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
