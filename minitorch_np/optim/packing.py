"""Contiguous storage for an optimizer's parameters (Torch7's ``getParameters``).

`pack_parameters` copies the parameters into one flat ``data`` array and one
flat ``grad`` array per dtype and re-points every ``param.data`` and
``param.grad`` to its slice of them, reshaped. Layers and users see the same
arrays as before (same shapes, same values, updated in place); the optimizer
sees one 1-D array per dtype, which it updates block by block
(`minitorch_np.parallel`), and a data-parallel all-reduce sends as one buffer.

Layout of one group of n parameters with sizes s_0, ..., s_{n-1}::

    data = [ p_0.data.ravel() | p_1.data.ravel() | ... ]    (sum s_i elements)
    grad = [ p_0.grad.ravel() | p_1.grad.ravel() | ... ]
    p_i occupies [offsets[i], offsets[i + 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minitorch_np.parameter import Parameter


class PackedParameters:
    """Parameters of one dtype whose ``data`` and ``grad`` are views of two
    flat arrays.

    Args:
        params: parameters that all have the same dtype.

    Attributes:
        params: the parameters, in order.
        dtype: their dtype.
        data, grad: 1-D arrays of ``sum(p.size)`` elements.
        offsets: ``params[i]`` is ``data[offsets[i]:offsets[i + 1]]``.
    """

    def __init__(self, params: Sequence[Parameter]) -> None:
        self.params = list(params)
        self.dtype = self.params[0].dtype
        self.offsets = [0]
        for param in self.params:
            self.offsets.append(self.offsets[-1] + param.size)
        self.data = np.empty(self.size, self.dtype)
        self.grad = np.empty(self.size, self.dtype)
        for index, param in enumerate(self.params):
            data, grad = self.view(self.data, index), self.view(self.grad, index)
            data[...] = param.data
            grad[...] = param.grad
            param.data, param.grad = data, grad
        self._views = [(param.data, param.grad) for param in self.params]

    @property
    def size(self) -> int:
        return self.offsets[-1]

    def view(self, flat: np.ndarray, index: int) -> np.ndarray:
        """The slice of a flat array (of this group's size) that belongs to
        ``params[index]``, in that parameter's shape."""
        start, stop = self.offsets[index], self.offsets[index + 1]
        return flat[start:stop].reshape(self.params[index].shape)

    def is_intact(self) -> bool:
        """False once a parameter's ``data`` or ``grad`` is another array than
        its view (``Layer.to`` casts them; user code may assign new arrays).
        Reading ``param.grad`` also writes a pending lazy zero (see
        `Parameter`), so the flat ``grad`` is complete afterwards."""
        return all(
            param.data is data and param.grad is grad
            for param, (data, grad) in zip(self.params, self._views)
        )


def pack_parameters(params: Sequence[Parameter]) -> list[PackedParameters]:
    """One `PackedParameters` per dtype, in the order the dtypes first appear."""
    by_dtype: dict[np.dtype, list[Parameter]] = {}
    for param in params:
        by_dtype.setdefault(param.dtype, []).append(param)
    return [PackedParameters(group) for group in by_dtype.values()]
