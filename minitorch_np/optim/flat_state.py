"""`FlatState`: an optimizer's per-parameter buffers packed into flat arrays.

An update rule such as Adam makes about a dozen elementwise passes per step.
Written per parameter, that is a dozen numpy calls for each of the model's
arrays (72 for the 784-256-256-10 MLP, whose six arrays range from 10 to
200,704 numbers). Most of those passes involve only the optimizer's own
buffers (moments and a work array), not the parameter or its gradient; if
every buffer of one name is a slice of a single flat array, each such pass is
one call over all the parameters at once.

`FlatState` holds, for parameters of one dtype, one flat array per buffer name
and a work array, and hands out per-parameter views of them. The views are
what the optimizer keeps in ``optimizer.state[i][name]``, so ``state_dict()``,
checkpoints and user code see ordinary per-parameter arrays.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from minitorch_np.parameter import Parameter


class FlatState:
    """Flat buffers for ``params`` (all of ``dtype``), with per-parameter views.

    Args:
        indices: the positions of ``params`` in the optimizer's parameter list.
        params: the parameters, all of dtype ``dtype``.
        names: the buffer names, e.g. ``("exp_avg", "exp_avg_sq")``.
        initial: per parameter, a dict of existing buffers (copied in, e.g.
            after ``load_state_dict``); a missing name starts at zero.

    Attributes:
        flat: name -> 1-D array of ``sum(p.size)`` elements.
        views: name -> list of arrays, ``views[name][k]`` shaped like ``params[k]``.
        scratch: a 1-D work array (not state), and ``scratch_views`` per parameter.
    """

    def __init__(
        self,
        indices: Sequence[int],
        params: Sequence[Parameter],
        names: Sequence[str],
        dtype: np.dtype,
        initial: Sequence[dict[str, np.ndarray]],
    ) -> None:
        self.indices = list(indices)
        self.params = list(params)
        self.dtype = dtype
        bounds = np.cumsum([0] + [param.size for param in self.params])
        size = int(bounds[-1])

        def views_of(flat: np.ndarray) -> list[np.ndarray]:
            return [
                flat[start:stop].reshape(param.shape)
                for start, stop, param in zip(bounds[:-1], bounds[1:], self.params)
            ]

        self.flat: dict[str, np.ndarray] = {}
        self.views: dict[str, list[np.ndarray]] = {}
        for name in names:
            self.flat[name] = np.zeros(size, dtype)
            self.views[name] = views_of(self.flat[name])
            for index, view, buffers in zip(self.indices, self.views[name], initial):
                if name in buffers:
                    _copy_buffer(view, buffers[name], name, index)
        self.scratch = np.empty(size, dtype)
        self.scratch_views = views_of(self.scratch)
        # What is_current compares against, in its order.
        self._expected: list[object] = [param.data for param in self.params]
        self._expected += [view for name in self.views for view in self.views[name]]

    def is_current(
        self, params: Sequence[Parameter], state: Sequence[dict[str, np.ndarray]]
    ) -> bool:
        """True while every parameter keeps its ``data`` array (``Layer.to``
        replaces it, possibly with another dtype) and every state entry is
        still this object's view (``load_state_dict`` puts new arrays there).
        About 2.4 us for the six arrays of the MLP: identity checks only."""
        current: list[object] = [params[index].data for index in self.indices]
        current += [
            state[index].get(name) for name in self.views for index in self.indices
        ]
        return all(map(operator.is_, current, self._expected))


def _copy_buffer(view: np.ndarray, buffer: object, name: str, index: int) -> None:
    """Copy an existing buffer into its view; a buffer of another shape (put
    into ``optimizer.state`` by hand) raises instead of broadcasting."""
    shape = getattr(buffer, "shape", None)
    if shape != view.shape:
        raise ValueError(
            f"optimizer state {name!r} of parameter {index}: expected an array of "
            f"shape {view.shape} (the parameter's), got "
            f"{type(buffer).__name__ if shape is None else shape}"
        )
    view[...] = buffer


def pack_state(
    params: Sequence[Parameter],
    state: list[dict[str, np.ndarray]],
    names: Sequence[str],
) -> list[FlatState]:
    """One `FlatState` per parameter dtype (in first-seen order), with the
    existing buffers copied in and ``state[i][name]`` replaced by the views."""
    by_dtype: dict[np.dtype, list[int]] = {}
    for index, param in enumerate(params):
        by_dtype.setdefault(param.dtype, []).append(index)
    groups = []
    for dtype, indices in by_dtype.items():
        group = FlatState(
            indices,
            [params[i] for i in indices],
            names,
            dtype,
            [state[i] for i in indices],
        )
        for position, index in enumerate(indices):
            for name in names:
                state[index][name] = group.views[name][position]
        groups.append(group)
    return groups
