"""`accumulate_grad`: backward without the gradient of the input (Torch7's
accGradParameters on its own), on single layers, containers and the Trainer."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.layers.activation import ReLU, Tanh
from minitorch_np.layers.dropout import Dropout
from minitorch_np.layers.flatten import Flatten
from minitorch_np.layers.layer import Layer, has_parameters
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.losses.softmax_cross_entropy import SoftmaxCrossEntropy
from minitorch_np.optim.sgd import SGD
from minitorch_np.parameter import Parameter
from minitorch_np.training.trainer import Trainer

seeds = st.integers(0, 2**32 - 1)
dtypes = st.sampled_from([np.float32, np.float64])


def grads_of(model: Layer) -> dict[str, np.ndarray]:
    return {name: p.grad.copy() for name, p in model.named_parameters()}


# ---------------------------------------------------------------------- accumulate_grad
@given(
    n=st.integers(1, 6),
    widths=st.lists(st.integers(1, 7), min_size=2, max_size=4),
    bias=st.booleans(),
    dtype=dtypes,
    seed=seeds,
)
def test_accumulate_grad_gives_the_parameter_gradients_of_backward(
    n, widths, bias, dtype, seed
):
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        layers += [Linear(n_in, n_out, bias=bias, dtype=dtype, rng=rng), Tanh()]
    full = Sequential(*layers)
    fast = copy.deepcopy(full)
    x = rng.standard_normal((n, widths[0])).astype(dtype)
    grad_y = rng.standard_normal((n, widths[-1])).astype(dtype)

    full.forward(x)
    full.backward(grad_y)
    fast.forward(x)
    assert fast.accumulate_grad(grad_y) is None
    for name, grad in grads_of(full).items():
        # Same products in the same order: bit-identical.
        np.testing.assert_array_equal(dict(fast.named_parameters())[name].grad, grad)


def test_accumulate_grad_adds_like_backward():
    rng = np.random.default_rng(0)
    layer = Linear(5, 3, rng=rng)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    g = rng.standard_normal((4, 3)).astype(np.float32)
    layer.forward(x)
    layer.accumulate_grad(g)
    once = grads_of(layer)
    layer.accumulate_grad(g)
    for name, grad in grads_of(layer).items():
        np.testing.assert_allclose(grad, 2 * once[name], rtol=1e-6)


def test_sequential_skips_the_layers_before_the_first_parameter():
    calls = []

    class Spy(Flatten):
        def backward(self, grad_output: np.ndarray) -> np.ndarray:
            calls.append("spy")
            return super().backward(grad_output)

    rng = np.random.default_rng(1)
    model = Sequential(
        Spy(), Dropout(0.0), Linear(6, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng)
    )
    reference = copy.deepcopy(model)
    x = rng.standard_normal((3, 2, 3)).astype(np.float32)
    g = rng.standard_normal((3, 2)).astype(np.float32)
    model.forward(x)
    model.accumulate_grad(g)
    reference.forward(x)
    reference.backward(g)
    assert calls == ["spy"]  # only the reference's full backward reached it
    for name, grad in grads_of(reference).items():
        np.testing.assert_array_equal(dict(model.named_parameters())[name].grad, grad)


def test_a_model_without_parameters_runs_no_backward():
    class NoBackward(Layer):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return x

        def backward(self, grad_output: np.ndarray) -> np.ndarray:
            raise AssertionError("backward ran for a layer without parameters")

    x = np.ones((2, 3), dtype=np.float32)
    model = Sequential(Flatten(), NoBackward(), ReLU())
    model.forward(x)
    model.accumulate_grad(x)  # no layer has parameters: nothing runs
    NoBackward().accumulate_grad(x)  # the default of Layer, likewise
    assert not has_parameters(model) and has_parameters(Sequential(Linear(3, 2)))


def test_default_accumulate_grad_runs_backward_of_a_user_layer():
    class Scale(Layer):
        """y = a * x with one learnable scalar a."""

        def __init__(self) -> None:
            super().__init__()
            self.a = Parameter(np.array([2.0]))
            self.backward_calls = 0

        def forward(self, x: np.ndarray) -> np.ndarray:
            self._x = x
            return self.a.data * x

        def backward(self, grad_output: np.ndarray) -> np.ndarray:
            self.backward_calls += 1
            self.a.grad += np.sum(grad_output * self._x)
            return grad_output * self.a.data

    layer = Scale()
    layer.forward(np.array([1.0, 3.0]))
    layer.accumulate_grad(np.array([1.0, 1.0]))
    assert layer.backward_calls == 1
    np.testing.assert_array_equal(layer.a.grad, [4.0])


def test_accumulate_grad_errors_name_the_layer():
    model = Sequential(Linear(3, 2))
    with pytest.raises(
        RuntimeError,
        match=r"Sequential\[0\] \(Linear\) accumulate_grad: .*before forward",
    ):
        model.accumulate_grad(np.ones((1, 2), dtype=np.float32))
    model.forward(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(
        ValueError, match=r"expected grad_output of shape \(4, 2\).*got \(4, 3\)"
    ):
        model.accumulate_grad(np.ones((4, 3), dtype=np.float32))


def test_trainer_steps_equal_a_loop_with_full_backward():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 5)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    model = Sequential(Linear(5, 8, rng=rng), ReLU(), Linear(8, 3, rng=rng))
    by_hand = copy.deepcopy(model)
    Trainer(
        model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1, momentum=0.9)
    ).fit([(x[:20], y[:20]), (x[20:], y[20:])], epochs=2, progress=False)
    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(by_hand.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        for xb, yb in ((x[:20], y[:20]), (x[20:], y[20:])):
            loss_fn(by_hand.forward(xb), yb)
            optimizer.zero_grad()
            by_hand.backward(loss_fn.backward())
            optimizer.step()
    for name, value in by_hand.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], value)
