"""Sequential: the contract (via the testing kit), backward as the chain of its
children, error locations, container behaviour, float32 end to end."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.layers.activation import ReLU, Sigmoid, Tanh
from minitorch_np.layers.flatten import Flatten
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.losses.softmax_cross_entropy import SoftmaxCrossEntropy
from minitorch_np.optim.sgd import SGD
from minitorch_np.testing import batch_shapes, check_layer, float_arrays

seeds = st.integers(0, 2**32 - 1)


def mlp(rng: np.random.Generator, in_features: int, dtype=np.float64) -> Sequential:
    return Sequential(
        Linear(in_features, 4, dtype=dtype, rng=rng),
        Tanh(),
        Linear(4, 3, dtype=dtype, rng=rng),
        Sigmoid(),
        Linear(3, 2, dtype=dtype, rng=rng),
    )


def test_smooth_mlp_contract():
    check_layer(lambda rng, shape: mlp(rng, shape[1]), batch_shapes(3))


def test_image_mlp_with_flatten_contract_in_float32():
    check_layer(
        lambda rng: Sequential(Flatten(), mlp(rng, 6, np.float32)),
        batch_shapes(2, 3),
    )


def test_empty_and_nested_sequential_contract():
    check_layer(Sequential, batch_shapes(3))
    check_layer(
        lambda rng: Sequential(Sequential(Tanh()), Sequential(Linear(3, 2, rng=rng))),
        batch_shapes(3),
    )


@given(x=float_arrays(batch_shapes(5)), seed=seeds)
def test_backward_is_the_reversed_chain_of_the_children(x, seed):
    rng = np.random.default_rng(seed)
    net = Sequential(
        Linear(5, 4, dtype=np.float64, rng=rng),
        ReLU(),
        Linear(4, 3, dtype=np.float64, rng=rng),
    )
    grad_y = rng.standard_normal((x.shape[0], 3))
    y = net(x)
    grad_x = net.backward(grad_y)

    twins = [Linear(5, 4, dtype=np.float64), ReLU(), Linear(4, 3, dtype=np.float64)]
    twins[0].load_state_dict(net[0].state_dict())
    twins[2].load_state_dict(net[2].state_dict())
    h = x
    for layer in twins:
        h = layer(h)
    g = grad_y
    for layer in reversed(twins):
        g = layer.backward(g)
    np.testing.assert_array_equal(y, h)
    np.testing.assert_array_equal(grad_x, g)
    for ours, theirs in zip(
        net.parameters(), [p for t in twins for p in t.parameters()]
    ):
        np.testing.assert_array_equal(ours.grad, theirs.grad)


def test_forward_error_names_the_child_index_and_class():
    net = Sequential(Linear(4, 3, rng=0), ReLU(), Linear(5, 2, rng=0))
    with pytest.raises(
        ValueError,
        match=r"^Sequential\[2\] \(Linear\) forward: Linear\(in_features=5.*"
        r"expected input of shape \(N, 5\), got \(2, 3\)",
    ):
        net(np.zeros((2, 4), dtype=np.float32))


def test_backward_error_names_the_child_and_nesting_is_visible():
    net = Sequential(ReLU(), Sequential(Linear(4, 3, rng=0)))
    with pytest.raises(
        RuntimeError,
        match=r"^Sequential\[1\] \(Sequential\) backward: "
        r"Sequential\[0\] \(Linear\) backward: .*before forward",
    ):
        net.backward(np.zeros((2, 3), dtype=np.float32))
    net(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(
        ValueError,
        match=r"^Sequential\[1\] \(Sequential\) backward: "
        r"Sequential\[0\] \(Linear\) backward: .*expected grad_output of shape "
        r"\(2, 3\).*got \(2, 7\)",
    ):
        net.backward(np.zeros((2, 7), dtype=np.float32))


def test_errors_keep_their_type_and_cause():
    net = Sequential(Flatten())
    with pytest.raises(TypeError) as error:
        net(np.zeros((2, 2), dtype=np.int64))
    assert isinstance(error.value.__cause__, TypeError)
    assert "Flatten: expected input of a float dtype" in str(error.value.__cause__)


def test_container_protocol_and_slicing():
    layers = [Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1)]
    net = Sequential(*layers)
    assert len(net) == 3 and list(net) == layers and net[1] is layers[1]
    head = net[:2]
    assert isinstance(head, Sequential) and list(head) == layers[:2]
    assert head.parameters()[0] is layers[0].weight
    assert net.append(Tanh()) is net and len(net) == 4
    with pytest.raises(
        TypeError, match=r"Sequential: layer 4 must be a Layer, got ufunc"
    ):
        net.append(np.tanh)


def test_float32_stays_float32_through_forward_backward_and_update():
    rng = np.random.default_rng(0)
    net = Sequential(
        Flatten(),
        Linear(12, 8, rng=rng),
        ReLU(),
        Linear(8, 5, rng=rng),
        Sigmoid(),
        Linear(5, 3, rng=rng),
        Tanh(),
    )
    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(
        net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3
    )
    x = rng.standard_normal((6, 3, 4)).astype(np.float32)
    labels = rng.integers(0, 3, size=6)
    arrays = [(p.data, p.grad) for p in net.parameters()]

    logits = net(x)
    loss = loss_fn(logits, labels)
    grad_x = net.backward(loss_fn.backward())
    optimizer.step()

    assert isinstance(loss, float)
    assert logits.dtype == grad_x.dtype == np.float32 and grad_x.shape == x.shape
    for param, (data, grad) in zip(net.parameters(), arrays):
        assert param.data is data and param.grad is grad  # updated in place
        assert param.data.dtype == param.grad.dtype == np.float32
        assert (
            optimizer.state[net.parameters().index(param)]["momentum_buffer"].dtype
            == np.float32
        )
