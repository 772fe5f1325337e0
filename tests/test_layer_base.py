"""Layer base class: registry, parameter order, modes, dtype casting, state_dict, repr."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from minitorch_np.layers.activation import ReLU
from minitorch_np.layers.layer import Layer
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.parameter import Parameter


class Affine(Layer):
    """Toy layer with two parameters, a buffer and a child, in a known order."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = Parameter(np.ones(3, dtype=np.float32))
        self.inner = Linear(3, 2, rng=0)
        self.offset = Parameter(np.zeros(3, dtype=np.float32))
        self.register_buffer("count", np.zeros(3, dtype=np.float32))
        self.register_buffer("steps", np.zeros((), dtype=np.int64))


def small_net(seed: int = 0) -> Sequential:
    return Sequential(Linear(4, 3, rng=seed), ReLU(), Linear(3, 2, rng=seed + 1))


def test_parameters_come_in_registration_order_with_dotted_names():
    layer = Affine()
    names = [name for name, _ in layer.named_parameters()]
    assert names == ["scale", "offset", "inner.weight", "inner.bias"]
    assert layer.parameters() == [p for _, p in layer.named_parameters()]
    assert layer.parameters()[0] is layer.scale
    assert layer.num_parameters() == 3 + 3 + 2 * 3 + 2


def test_sequential_names_are_index_dotted():
    names = [name for name, _ in small_net().named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_reassigning_an_attribute_replaces_the_registration():
    layer = Affine()
    layer.offset = None
    assert [name for name, _ in layer.named_parameters()] == [
        "scale",
        "inner.weight",
        "inner.bias",
    ]
    layer.inner = ReLU()
    assert layer.children() == [layer.inner]
    assert [name for name, _ in layer.named_parameters()] == ["scale"]


def test_assigning_a_parameter_before_super_init_explains_the_fix():
    class Forgetful(Layer):
        def __init__(self) -> None:
            self.weight = Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match=r"Forgetful.*super\(\).__init__\(\)"):
        Forgetful()


def test_call_is_forward_and_unimplemented_methods_say_who():
    class Half(Layer):
        pass

    layer = Half()
    with pytest.raises(NotImplementedError, match="Half must implement forward"):
        layer(np.zeros(2))
    with pytest.raises(NotImplementedError, match="Half must implement backward"):
        layer.backward(np.zeros(2))
    relu = ReLU()
    x = np.array([[-1.0, 2.0]], dtype=np.float32)
    np.testing.assert_array_equal(relu(x), relu.forward(x))


def test_zero_grad_reaches_every_parameter_in_place():
    net = small_net()
    grads = [p.grad for p in net.parameters()]
    for p in net.parameters():
        p.grad += 1.0
    net.zero_grad()
    for p, grad in zip(net.parameters(), grads):
        assert p.grad is grad and not p.grad.any()


def test_train_and_eval_propagate_to_nested_children_and_return_self():
    net = Sequential(small_net(), Sequential(ReLU(), Sequential(ReLU())))
    everything = [net, net[0], net[1], net[1][1], net[1][1][0], *net[0]]
    assert net.eval() is net
    assert all(not layer.training for layer in everything)
    assert net.train() is net
    assert all(layer.training for layer in everything)
    net.train(False)
    assert all(not layer.training for layer in everything)


@pytest.mark.parametrize("mode", ["False", 0, None])
def test_train_takes_a_boolean_only(mode):
    net = small_net()
    with pytest.raises(
        TypeError, match=r"Sequential.train: expected mode to be True or False"
    ):
        net.train(mode)
    assert net.training  # unchanged


def test_state_dict_holds_copies_of_parameters_and_buffers():
    layer = Affine()
    state = layer.state_dict()
    assert list(state) == [
        "scale",
        "offset",
        "inner.weight",
        "inner.bias",
        "count",
        "steps",
    ]
    state["scale"][:] = 5
    assert layer.scale.data[0] == 1
    assert not any(np.shares_memory(state[k], layer.scale.data) for k in state)


def test_load_state_dict_copies_in_place_into_the_same_arrays():
    source, target = small_net(seed=0), small_net(seed=10)
    arrays = [p.data for p in target.parameters()]
    target.load_state_dict(source.state_dict())
    for p, array, q in zip(target.parameters(), arrays, source.parameters()):
        assert p.data is array
        np.testing.assert_array_equal(p.data, q.data)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_array_equal(target(x), source(x))


def test_load_state_dict_names_every_problem_and_changes_nothing():
    net = small_net()
    before = net.state_dict()
    state = net.state_dict()
    del state["0.bias"]
    state["extra.weight"] = np.zeros(1, dtype=np.float32)
    state["0.weight"] = np.zeros((4, 3), dtype=np.float32)
    state["2.bias"] = state["2.bias"].astype(np.float64)
    with pytest.raises(ValueError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert "Sequential.load_state_dict" in message
    assert "missing keys ['0.bias']" in message
    assert "unexpected keys ['extra.weight']" in message
    assert "shape mismatch for '0.weight': expected (3, 4), got (4, 3)" in message
    assert "dtype mismatch for '2.bias': expected float32, got float64" in message
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_buffers_round_trip_through_state_dict():
    layer, other = Affine(), Affine()
    layer.count += 7
    layer.steps += 3
    other.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(other.count, [7, 7, 7])
    assert int(other.steps) == 3


def test_to_casts_parameters_grads_and_float_buffers_only():
    layer = Affine().to(np.float64)
    assert all(p.data.dtype == p.grad.dtype == np.float64 for p in layer.parameters())
    assert (
        layer.count.dtype == np.float64
        and layer.state_dict()["count"].dtype == np.float64
    )
    assert layer.steps.dtype == np.int64
    with pytest.raises(
        TypeError, match=r"Affine.to: expected a float dtype, got int32"
    ):
        layer.to(np.int32)


def test_repr_is_readable_and_nested():
    assert (
        repr(Linear(784, 10)) == "Linear(in_features=784, out_features=10, bias=True)"
    )
    assert (
        repr(Linear(3, 2, bias=False))
        == "Linear(in_features=3, out_features=2, bias=False)"
    )
    assert repr(ReLU()) == "ReLU()"
    assert repr(Sequential(Linear(4, 3), ReLU())) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        ")"
    )
    nested = repr(Sequential(Sequential(ReLU())))
    assert nested == "Sequential(\n  (0): Sequential(\n    (0): ReLU()\n  )\n)"


def test_package_import_needs_neither_matplotlib_nor_hypothesis():
    code = (
        "import sys; import minitorch_np as mt; print(mt.Linear(784, 10)); "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip() == "Linear(in_features=784, out_features=10, bias=True)"
    )


def test_a_buffer_stays_an_array():
    layer = Affine()
    layer.count = np.full(3, 2.0, dtype=np.float32)  # replacing it by an array is fine
    assert layer.state_dict()["count"][0] == 2
    with pytest.raises(
        TypeError,
        match=r"Affine: buffer 'count' must stay a numpy array .* got NoneType",
    ):
        layer.count = None


def test_a_parameter_takes_only_a_parameter_or_none():
    layer = Linear(3, 2, rng=0)
    with pytest.raises(
        TypeError,
        match=r"Linear: cannot assign a ndarray to parameter 'weight' \(a Parameter or None",
    ):
        layer.weight = np.ones((2, 3), dtype=np.float32)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.bias = None  # removes it, as in PyTorch
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    net = small_net()
    with pytest.raises(
        TypeError, match=r"cannot assign a int to sub-layer '0' \(a Layer or None"
    ):
        setattr(net, "0", 3)


def test_a_parameter_or_layer_in_a_buffers_place_replaces_the_buffer():
    layer = Affine()
    layer.count = Parameter(np.ones(3, dtype=np.float32))
    assert "count" not in dict(layer.named_buffers())
    assert layer.state_dict()["count"].tolist() == [1.0, 1.0, 1.0]


def test_deleting_an_attribute_unregisters_it():
    parent = Sequential(ReLU())
    parent.head = Linear(2, 2, rng=0)
    del parent.head
    assert not any(name.startswith("head") for name in parent.state_dict())
    assert len(parent.parameters()) == 0


@pytest.mark.parametrize(
    "name, array, error, message",
    [
        ("a.b", np.zeros(2), TypeError, r"expected a name without '\.', got 'a\.b'"),
        ("scale", np.zeros(2), KeyError, r"'scale' is already a parameter"),
        (
            "fresh",
            [1.0],
            TypeError,
            r"expected buffer 'fresh' to be a numpy array, got list",
        ),
    ],
)
def test_register_buffer_refuses_bad_names_and_values(name, array, error, message):
    layer = Affine()
    with pytest.raises(error, match=message):
        layer.register_buffer(name, array)


def test_to_none_is_refused_not_float64():
    net = small_net()
    with pytest.raises(
        TypeError, match=r"Sequential.to: expected a float dtype, got None"
    ):
        net.to(None)
    assert all(p.dtype == np.float32 for p in net.parameters())
