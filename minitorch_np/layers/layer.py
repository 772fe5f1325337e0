"""`Layer`: the one base class every layer and container derives from.

The contract (Torch7's ``updateOutput`` / ``updateGradInput`` /
``accGradParameters``, folded into two methods):

* ``forward(x) -> y`` computes the output and caches what ``backward`` needs.
* ``backward(grad_y) -> grad_x`` takes dL/dy (same shape as ``y``) for the most
  recent ``forward`` and returns dL/dx (same shape as ``x``). It ADDS dL/dw into
  each parameter's ``.grad`` (accumulation, reset by ``zero_grad()``).
* ``accumulate_grad(grad_y)`` does only the second half of ``backward``: it adds
  dL/dw into each ``.grad`` and returns nothing (Torch7's ``accGradParameters``
  on its own). Use it on a whole model, whose input is data that needs no
  gradient; the default calls ``backward`` and drops dL/dx, so every layer
  supports it, and layers such as `Linear` override it to skip that work.

Parameters (`Parameter`), sub-layers (`Layer`), random generators
(``numpy.random.Generator``, e.g. Dropout's ``rng``) and buffers (non-trainable
state such as running statistics, see `register_buffer`) are registered
automatically when assigned as attributes, in assignment order;
``parameters()``, ``named_generators()``, ``state_dict()`` and
``train()``/``eval()`` walk that registry. Checkpoints save the state of every
generator ``named_generators()`` yields, whatever its attribute name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np._validation import check_bool
from minitorch_np.parameter import Parameter
from minitorch_np.summary import summary


class Layer:
    """Base class of all layers. Subclasses call ``super().__init__()`` first,
    then assign their `Parameter`s and sub-layers as attributes, and implement
    `forward` and `backward`."""

    training: bool
    _parameters: dict[str, Parameter]
    _children: dict[str, Layer]
    _buffers: dict[str, np.ndarray]
    _generators: dict[str, np.random.Generator]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_generators", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registry
    def __setattr__(self, name: str, value: object) -> None:
        registries = self.__dict__.get("_parameters")
        generators = self.__dict__.get("_generators")
        if generators is not None:
            generators.pop(name, None)
            if isinstance(value, np.random.Generator):
                generators[name] = value
        if registries is None and isinstance(
            value, (Parameter, Layer, np.random.Generator)
        ):
            raise AttributeError(
                f"{type(self).__name__}: cannot assign {name!r} before "
                "Layer.__init__() ran; call super().__init__() first in __init__"
            )
        if registries is not None and (
            isinstance(value, (Parameter, Layer))
            or name in registries
            or name in self._children
            or name in self._buffers
        ):  # (the caches a forward sets, such as self._x, skip this)
            if isinstance(value, Layer):
                _refuse_reuse(self, name, value)
            _refuse_unregistering(self, name, value)
            self._parameters.pop(name, None)
            self._children.pop(name, None)
            if isinstance(value, (Parameter, Layer)):
                self._buffers.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
            elif isinstance(value, Layer):
                self._children[name] = value
            elif name in self._buffers:
                if not isinstance(value, np.ndarray):
                    raise TypeError(
                        f"{type(self).__name__}: buffer {name!r} must stay a numpy array "
                        f"(it is saved by state_dict), got {type(value).__name__}"
                    )
                self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (
            self._parameters,
            self._children,
            self._buffers,
            self._generators,
        ):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, array: np.ndarray) -> None:
        """Register non-trainable state (e.g. running statistics) that belongs in
        ``state_dict()`` and is cast by ``to()``. Update it in place afterwards.

        Raises TypeError unless ``name`` is a str without "." and ``array`` a
        numpy array, KeyError when ``name`` is a parameter or a sub-layer."""
        owner = type(self).__name__
        if not isinstance(name, str) or not name or "." in name:
            raise TypeError(
                f"{owner}.register_buffer: expected a name without '.', got {name!r}"
            )
        if name in self._parameters or name in self._children:
            kind = "parameter" if name in self._parameters else "sub-layer"
            raise KeyError(f"{owner}.register_buffer: {name!r} is already a {kind}")
        if not isinstance(array, np.ndarray):
            raise TypeError(
                f"{owner}.register_buffer: expected buffer {name!r} to be a numpy "
                f"array, got {type(array).__name__}"
            )
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    # ------------------------------------------------------------------ forward / backward
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the output for input ``x`` and cache what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Return dL/dx for the last forward and add dL/dw into each ``.grad``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement backward(grad_output)"
        )

    def accumulate_grad(self, grad_output: np.ndarray) -> None:
        """Add dL/dw into each parameter's ``.grad`` for the last forward, as
        `backward` does, but compute no dL/dx.

        The parameter gradients are exactly those of ``backward(grad_output)``.
        Call it instead of ``backward`` when nothing needs the gradient of this
        layer's input, as for a model fed with data: `Trainer` does. For the
        first `Linear` of an MLP it saves the product G @ W, as large as its
        forward product.

        The default: nothing when the layer (with its sub-layers) has no
        parameters, else ``backward(grad_output)`` with dL/dx dropped. Override
        it when the parameter gradients can be had more cheaply.
        """
        if has_parameters(self):
            self.backward(grad_output)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # ------------------------------------------------------------------ traversal
    def named_children(self) -> Iterator[tuple[str, Layer]]:
        yield from self._children.items()

    def children(self) -> list[Layer]:
        return list(self._children.values())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)``: own parameters first, then each
        child's, in registration order (e.g. ``"0.weight"``, ``"0.bias"``). A
        parameter shared by several layers (tied weights) comes once, under
        its first name."""
        seen: set[int] = set()
        for name, param in self._all_named_parameters(prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def _all_named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, param in self._parameters.items():
            yield prefix + name, param
        for child_name, child in self._children.items():
            yield from child._all_named_parameters(prefix + child_name + ".")

    def named_layers(self, prefix: str = "") -> Iterator[tuple[str, Layer]]:
        """Yield ``(dotted_name, layer)`` for every sub-layer, depth first in
        registration order (the layer itself is not included)."""
        for child_name, child in self._children.items():
            yield prefix + child_name, child
            yield from child.named_layers(prefix + child_name + ".")

    def parameters(self) -> list[Parameter]:
        """All parameters of this layer and its children, in a deterministic order."""
        return [param for _, param in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for name, buffer in self._buffers.items():
            yield prefix + name, buffer
        for child_name, child in self._children.items():
            yield from child.named_buffers(prefix + child_name + ".")

    def named_generators(
        self, prefix: str = ""
    ) -> Iterator[tuple[str, np.random.Generator]]:
        """Yield ``(dotted_name, generator)`` for every ``numpy.random.Generator``
        assigned as an attribute of this layer or a descendant (own first, then
        each child's, in registration order), e.g. ``"2.rng"`` for a Dropout at
        position 2. A generator shared by several layers is yielded once, under
        its first name. Checkpoints save and restore exactly these."""
        seen: set[int] = set()
        for name, generator in self._all_generators(prefix):
            if id(generator) not in seen:
                seen.add(id(generator))
                yield name, generator

    def _all_generators(self, prefix: str) -> Iterator[tuple[str, np.random.Generator]]:
        for name, generator in self._generators.items():
            yield prefix + name, generator
        for child_name, child in self._children.items():
            yield from child._all_generators(prefix + child_name + ".")

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(param.size for param in self.parameters())

    def summary(self, input_shape: int | tuple[int, ...]) -> str:
        """A Keras-style table of layers, output shapes and parameter counts for
        one-sample shape ``input_shape`` (no batch axis), e.g.
        ``print(model.summary((784,)))``. See `minitorch_np.summary.summary`."""
        return summary(self, input_shape)

    def summary_rows(self) -> list[tuple[str, Layer]]:
        """The rows of `summary`, as ``(name, layer)`` pairs run in turn on the
        probe batch: the layer itself; `Sequential` returns its children."""
        return [(type(self).__name__.lower(), self)]

    def zero_grad(self) -> None:
        """Reset every parameter gradient to zero, in place."""
        for param in self.parameters():
            param.zero_grad()

    # ------------------------------------------------------------------ modes and dtype
    def train(self, mode: bool = True) -> Layer:
        """Set training mode (``mode=True``) or evaluation mode on this layer and
        every descendant; returns ``self``."""
        mode = check_bool(f"{type(self).__name__}.train", "mode", mode)
        object.__setattr__(self, "training", mode)
        for child in self._children.values():
            child.train(mode)
        return self

    def eval(self) -> Layer:
        """Evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def to(self, dtype: DTypeLike) -> Layer:
        """Cast every parameter (data and grad) and floating buffer to ``dtype``;
        returns ``self``. Build optimizers after casting: the arrays are new."""
        if dtype is None:  # np.dtype(None) would be float64
            raise TypeError(
                f"{type(self).__name__}.to: expected a float dtype, got None"
            )
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(
                f"{type(self).__name__}.to: expected a float dtype, got {dtype}"
            )
        for param in self.parameters():
            param._cast(dtype)
        self._cast_buffers(dtype)
        return self

    def _cast_buffers(self, dtype: np.dtype) -> None:
        for name, buffer in list(self._buffers.items()):
            if np.issubdtype(buffer.dtype, np.floating):
                self.register_buffer(name, buffer.astype(dtype))
        for child in self._children.values():
            child._cast_buffers(dtype)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """A dict ``name -> copy of the array`` for every parameter and buffer."""
        state = {name: param.data.copy() for name, param in self.named_parameters()}
        state.update((name, buf.copy()) for name, buf in self.named_buffers())
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy arrays from ``state`` into the parameters and buffers, in place.

        Raises:
            ValueError: naming every missing, unexpected, shape- or
                dtype-mismatched key at once; nothing is modified in that case.
        """
        targets = {name: param.data for name, param in self.named_parameters()}
        targets.update(self.named_buffers())
        problems = _state_problems(targets, state)
        if problems:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: " + "; ".join(problems)
            )
        for name, target in targets.items():
            np.copyto(target, state[name])

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr``; override in subclasses."""
        return ""

    def __repr__(self) -> str:
        if not self._children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in self._children.items():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        lines.append(")")
        return "\n".join(lines)


def _refuse_unregistering(layer: Layer, name: str, value: object) -> None:
    """A registered parameter takes only a Parameter (or None, which removes
    it), a registered sub-layer only a Layer (or None), as in PyTorch: an
    array put in a parameter's place would silently stop being trained and
    saved."""
    if value is None:
        return
    if name in layer._parameters and not isinstance(value, Parameter):
        raise TypeError(
            f"{type(layer).__name__}: cannot assign a {type(value).__name__} to "
            f"parameter {name!r} (a Parameter or None expected); to change its "
            f"values, write into it: layer.{name}.data[...] = values"
        )
    if name in layer._children and not isinstance(value, Layer):
        raise TypeError(
            f"{type(layer).__name__}: cannot assign a {type(value).__name__} to "
            f"sub-layer {name!r} (a Layer or None expected)"
        )


def _refuse_reuse(parent: Layer, name: str, child: Layer) -> None:
    """Raise ValueError when ``child`` (or a layer inside it) is already part
    of ``parent``'s tree under another name, or is ``parent`` itself: a layer
    caches only its last forward, so a second use would back-propagate through
    the wrong cache."""
    owner = type(parent).__name__
    inside = {id(layer): where for where, layer in parent.named_layers()}
    inside[id(parent)] = "(the container itself)"
    replaced = parent._children.get(name)
    if replaced is not None:
        for layer in [replaced, *(sub for _, sub in replaced.named_layers())]:
            inside.pop(id(layer), None)
    for where, layer in [(name, child), *child.named_layers(name + ".")]:
        if id(layer) in inside:
            raise ValueError(
                f"{owner}: the layer {type(layer).__name__} at {where!r} is the same "
                f"object as the one at {inside[id(layer)]!r}; a layer keeps the cache "
                "of its last forward only, so using one object twice gives wrong "
                "gradients. Create one layer per position (e.g. a new "
                f"{type(layer).__name__}(...)); to tie weights on purpose, let two "
                "layers share a Parameter: second.weight = first.weight "
                "(docs/layer_contract.md)"
            )


def has_parameters(layer: Layer) -> bool:
    """Whether ``layer`` or any of its sub-layers holds a `Parameter`."""
    return next(layer.named_parameters(), None) is not None


def _state_problems(
    targets: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
) -> list[str]:
    """Describe every key of ``state`` that does not fit ``targets``."""
    missing = [name for name in targets if name not in state]
    unexpected = [name for name in state if name not in targets]
    problems = []
    if missing:
        problems.append(f"missing keys {missing}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected}")
    for name, target in targets.items():
        if name not in state:
            continue
        value = np.asarray(state[name])
        if value.shape != target.shape:
            problems.append(
                f"shape mismatch for {name!r}: expected {target.shape}, got {value.shape}"
            )
        elif value.dtype != target.dtype:
            problems.append(
                f"dtype mismatch for {name!r}: expected {target.dtype}, got {value.dtype}"
            )
    return problems
