"""A layer object used at two places of one model is refused when the model
is built (it caches only its last forward); weights are tied by sharing a
Parameter between two layers instead, and then train correctly."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np.gradcheck import gradcheck
from minitorch_np.layers.activation import ReLU, Tanh
from minitorch_np.layers.layer import Layer
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.optim.adam import Adam


def test_an_activation_used_twice_is_refused_naming_both_positions():
    tanh = Tanh()
    with pytest.raises(
        ValueError, match=r"Tanh at '3' is the same object as the one at '1'"
    ):
        Sequential(Linear(3, 3), tanh, Linear(3, 3), tanh)


def test_a_linear_in_two_nested_containers_is_refused():
    shared = Linear(3, 3)
    first = Sequential(shared)
    with pytest.raises(
        ValueError, match=r"Linear at '1.1' is the same object as the one at '0.0'"
    ):
        Sequential(first, Sequential(ReLU(), shared))
    model = Sequential(Linear(3, 3))
    with pytest.raises(ValueError, match="same object"):
        model.append(model[0])


def test_a_custom_layer_cannot_hold_one_child_twice_or_itself():
    class Twice(Layer):
        def __init__(self, child: Layer) -> None:
            super().__init__()
            self.a = child
            self.a = child  # re-assigning the same attribute is fine
            self.b = child

    with pytest.raises(
        ValueError,
        match=r"Twice: the layer ReLU at 'b' is the same object as the one at 'a'",
    ):
        Twice(ReLU())
    model = Sequential(ReLU())
    with pytest.raises(ValueError, match="the container itself"):
        model.append(model)


def test_tied_weights_share_one_parameter_and_pass_gradcheck():
    rng = np.random.default_rng(0)
    first, second = (
        Linear(3, 3, rng=rng, dtype=np.float64),
        Linear(3, 3, rng=rng, dtype=np.float64),
    )
    second.weight = first.weight
    model = Sequential(first, Tanh(), second, Tanh())
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.bias"]
    assert model.num_parameters() == 9 + 3 + 3
    gradcheck(model, rng.standard_normal((4, 3)))
    x = rng.standard_normal((4, 3))
    optimizer = Adam(model.parameters(), lr=0.1)
    model.forward(x)
    optimizer.zero_grad()
    model.backward(np.ones((4, 3)))
    optimizer.step()
    assert second.weight is first.weight
    assert np.shares_memory(second.weight.data, optimizer.packed_parameters()[0].data)
