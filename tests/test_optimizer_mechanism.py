"""The one update mechanism of every optimizer: packed contiguous storage,
block-by-block and threaded updates equal to a plain per-parameter reference
bit for bit, the checks before a step, and the state following the dtype."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from minitorch_np import parallel
from minitorch_np.layers.activation import ReLU
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.optim.adam import Adam, AdamW
from minitorch_np.optim.rmsprop import RMSprop
from minitorch_np.optim.sgd import SGD
from minitorch_np.parameter import Parameter

SHAPES = [(7, 5), (5,), (3, 3, 2), (1,), (40,)]


# ---------------------------------------------------------------------- reference
def reference_step(kind: str, hp: dict, w, g, state: dict, t: int) -> None:
    """One step of each rule on whole per-parameter arrays, in the order of
    operations the docstrings state (constants cast to the dtype)."""
    c = w.dtype.type
    if kind == "adamw" and hp["weight_decay"]:
        w *= c(1 - hp["lr"] * hp["weight_decay"])
    elif hp.get("weight_decay"):
        g = g + w * c(hp["weight_decay"])
    if kind == "sgd":
        if not hp["momentum"]:
            w -= g * c(hp["lr"])
            return
        v = state.setdefault("momentum_buffer", np.zeros_like(w))
        v *= c(hp["momentum"])
        v += g
        step = (v * c(hp["momentum"]) + g) if hp["nesterov"] else v
        w -= step * c(hp["lr"])
    elif kind in ("adam", "adamw"):
        b1, b2 = hp["betas"]
        m = state.setdefault("exp_avg", np.zeros_like(w))
        v = state.setdefault("exp_avg_sq", np.zeros_like(w))
        correction2 = (1 - b2**t) ** 0.5
        m += (g - m) * c(1 - b1)
        v *= c(b2)
        v += (g * g) * c(1 - b2)
        denominator = np.sqrt(v) + c(hp["eps"] * correction2)
        w -= (m / denominator) * c(hp["lr"] * correction2 / (1 - b1**t))
    else:  # rmsprop
        v = state.setdefault("square_avg", np.zeros_like(w))
        v *= c(hp["alpha"])
        v += (g * g) * c(1 - hp["alpha"])
        d = g / (np.sqrt(v) + c(hp["eps"]))
        if hp["momentum"]:
            b = state.setdefault("momentum_buffer", np.zeros_like(w))
            b *= c(hp["momentum"])
            b += d
            d = b
        w -= d * c(hp["lr"])


CASES = [
    ("sgd", SGD, {"lr": 0.1, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0}),
    ("sgd", SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": False, "weight_decay": 1e-3}),
    ("sgd", SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.0}),
    ("adam", Adam, {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}),
    ("adam", Adam, {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("adamw", AdamW, {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}),
    ("rmsprop", RMSprop, {"lr": 1e-3, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0}),
    ("rmsprop", RMSprop, {"lr": 1e-3, "alpha": 0.9, "eps": 1e-8, "momentum": 0.5, "weight_decay": 1e-2}),
]  # fmt: skip


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of 32 bytes (48 with threads) and a thread for every 8 elements: the small test arrays are
    split into many blocks and spread over three threads."""
    monkeypatch.setattr(parallel, "BLOCK_BYTES", 32)
    monkeypatch.setattr(parallel, "THREADED_BLOCK_BYTES", 48)
    monkeypatch.setattr(parallel, "MIN_ELEMENTS_PER_THREAD", 8)
    parallel.set_num_threads(3)
    yield
    parallel.set_num_threads(None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("blocked", [False, True])
@pytest.mark.parametrize(("kind", "build", "hp"), CASES)
def test_fifty_steps_equal_a_per_parameter_reference_bit_for_bit(
    kind, build, hp, dtype, blocked, request
):
    if blocked:
        request.getfixturevalue("tiny_blocks")
    rng = np.random.default_rng(0)
    initial = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    params = [Parameter(w) for w in initial]
    optimizer = build(params, **hp)
    weights = [w.copy() for w in initial]
    states: list[dict] = [{} for _ in SHAPES]
    for t in range(1, 51):
        grads = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
        optimizer.zero_grad()
        for param, grad in zip(params, grads):
            param.grad += grad
        optimizer.step()
        for w, g, state in zip(weights, grads, states):
            reference_step(kind, hp, w, g, state, t)
    for param, w, state, mine in zip(params, weights, states, optimizer.state):
        assert param.data.dtype == dtype
        np.testing.assert_array_equal(param.data, w)
        assert sorted(mine) == sorted(state)
        for name in state:
            np.testing.assert_array_equal(mine[name], state[name])


def test_large_updates_run_on_several_threads(tiny_blocks, monkeypatch):
    """The first block of each of two threads waits for the other thread: the
    step finishes only if two threads take part (else the barrier times out)."""
    seen: set[int] = set()
    lock, barrier = threading.Lock(), threading.Barrier(2, timeout=10)
    original = SGD._update

    def spy(self, *args):
        with lock:
            first = threading.get_ident() not in seen and len(seen) < 2
            seen.add(threading.get_ident())
        if first:
            barrier.wait()
        original(self, *args)

    monkeypatch.setattr(SGD, "_update", spy)
    param = Parameter(np.ones(64))
    optimizer = SGD([param], lr=0.5)
    param.grad += 1.0
    optimizer.step()
    assert len(seen) >= 2
    np.testing.assert_array_equal(param.data, np.full(64, 0.5))


# ---------------------------------------------------------------------- storage
def test_parameters_become_views_of_one_flat_array_per_dtype():
    model = Sequential(Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1))
    values = model.state_dict()
    optimizer = Adam(model.parameters())
    (group,) = optimizer.packed_parameters()
    assert group.dtype == np.float32 and group.size == model.num_parameters()
    for name, param in model.named_parameters():
        assert np.shares_memory(param.data, group.data)
        assert np.shares_memory(param.grad, group.grad)
        np.testing.assert_array_equal(param.data, values[name])
    for state in optimizer.state:
        assert all(
            np.shares_memory(buffer, group.data) is False for buffer in state.values()
        )


def test_mixed_dtypes_pack_into_one_group_each():
    params = [Parameter(np.ones(3, np.float32)), Parameter(np.ones(2, np.float64))]
    groups = SGD(params, lr=0.1, momentum=0.9).packed_parameters()
    assert [group.dtype for group in groups] == [np.float32, np.float64]
    assert [group.size for group in groups] == [3, 2]


def test_arrays_stay_the_same_between_steps():
    params = [Parameter(np.ones((2, 3), np.float32)), Parameter(np.ones(3, np.float32))]
    optimizer = RMSprop(params, momentum=0.5)
    arrays = [(p.data, p.grad) for p in params]
    state = [dict(s) for s in optimizer.state]
    for _ in range(3):
        optimizer.zero_grad()
        for param in params:
            param.grad += 1.0
        optimizer.step()
    assert all(p.data is d and p.grad is g for p, (d, g) in zip(params, arrays))
    assert all(
        s[k] is v for s, old in zip(optimizer.state, state) for k, v in old.items()
    )
    assert sorted(optimizer.state_dict()["state"][0]) == [
        "momentum_buffer",
        "square_avg",
    ]


BUILDERS = [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: RMSprop(ps, momentum=0.5),
    lambda ps: Adam(ps),
]


@pytest.mark.parametrize("build", BUILDERS)
def test_the_state_follows_a_cast_of_the_model(build, tmp_path):
    model = Sequential(Linear(3, 2, rng=0))
    optimizer = build(model.parameters())
    x = np.ones((4, 3), np.float32)
    for _ in range(2):
        optimizer.zero_grad()
        model.backward(model.forward(x))
        optimizer.step()
    before = optimizer.state_dict()
    model.to(np.float64)
    optimizer.zero_grad()
    model.backward(model.forward(x.astype(np.float64)))
    optimizer.step()
    for state, old in zip(optimizer.state, before["state"]):
        assert all(buffer.dtype == np.float64 for buffer in state.values())
        assert sorted(state) == sorted(old)
    assert all(p.dtype == np.float64 for p in model.parameters())
    twin = Sequential(Linear(3, 2, rng=0)).to(np.float64)
    build(twin.parameters()).load_state_dict(optimizer.state_dict())


@pytest.mark.parametrize("build", BUILDERS)
def test_state_dict_right_after_a_cast_is_in_the_new_dtype(build):
    # before the next step: the state_dict of a checkpoint saved right then
    model = Sequential(Linear(3, 2, rng=0))
    optimizer = build(model.parameters())
    x = np.ones((4, 3), np.float32)
    optimizer.zero_grad()
    model.backward(model.forward(x))
    optimizer.step()
    moments = {k: v.copy() for k, v in optimizer.state_dict()["state"][0].items()}
    model.to(np.float64)
    state = optimizer.state_dict()
    for name, value in state["state"][0].items():
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, moments[name].astype(np.float64))
    optimizer.load_state_dict(state)  # the round trip of the same optimizer


def test_a_hand_assigned_array_is_packed_again():
    param = Parameter(np.zeros(3))
    optimizer = SGD([param], lr=1.0)
    param.data = np.array([1.0, 2.0, 3.0])
    param.grad += 1.0
    optimizer.step()
    np.testing.assert_array_equal(param.data, [0.0, 1.0, 2.0])
    assert np.shares_memory(param.data, optimizer.packed_parameters()[0].data)


def test_a_state_buffer_of_the_wrong_shape_is_refused():
    param = Parameter(np.zeros((2, 2)))
    optimizer = Adam([param])
    param.grad += 1.0
    optimizer.step()
    optimizer.state[0]["exp_avg"] = np.zeros(3)  # would broadcast silently
    with pytest.raises(
        ValueError,
        match=r"'exp_avg' of parameter 0: expected an array of shape \(2, 2\)",
    ):
        optimizer.step()
    assert optimizer.step_count == 1  # the refused step does not count


# ---------------------------------------------------------------------- checks
def snapshot(optimizer):
    return (
        [p.data.copy() for p in optimizer.params],
        optimizer.state_dict(),
    )


def assert_unchanged(optimizer, before):
    data, state = before
    for param, old in zip(optimizer.params, data):
        np.testing.assert_array_equal(param.data, old)
    after = optimizer.state_dict()
    assert after["step_count"] == state["step_count"]
    for new, old in zip(after["state"], state["state"]):
        for name in old:
            np.testing.assert_array_equal(new[name], old[name])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize(
    "build",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: Adam(ps),
        lambda ps: AdamW(ps),
        lambda ps: RMSprop(ps),
    ],
)
def test_a_non_finite_gradient_raises_and_changes_nothing(build, bad):
    params = [Parameter(np.ones((2, 3), np.float32)), Parameter(np.ones(4, np.float32))]
    optimizer = build(params)
    for param in params:
        param.grad += 0.5
    optimizer.step()
    before = snapshot(optimizer)
    params[1].grad[2] = bad
    with pytest.raises(
        FloatingPointError,
        match=r"gradient of parameter 1 \(shape \(4,\), float32\) has 1 non-finite",
    ):
        optimizer.step()
    assert_unchanged(optimizer, before)


def test_a_gradient_whose_square_overflows_is_refused_where_it_is_squared():
    for build, refused in [
        (Adam, True),
        (RMSprop, True),
        (lambda ps: SGD(ps, lr=1e-30), False),
    ]:
        param = Parameter(np.zeros(3, np.float32))
        optimizer = build([param])
        param.grad[...] = [1.0, 3e19, -1.0]  # finite, but 3e19 ** 2 > float32 max
        before = snapshot(optimizer)
        if refused:
            with pytest.raises(FloatingPointError, match="square overflows float32"):
                optimizer.step()
            assert_unchanged(optimizer, before)
        else:
            optimizer.step()
            assert np.isfinite(param.data).all()


def test_the_gradient_check_warns_of_nothing_it_answers_itself():
    """The check's g . g may overflow: that is its answer (an SGD step goes on,
    Adam refuses with its own error), never a numpy RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        param = Parameter(np.zeros(3, np.float32))
        param.grad[...] = [1.0, 3e19, -1.0]
        SGD([param], lr=1e-30).step()
        param.grad[...] = [1.0, 3e19, -1.0]
        with pytest.raises(FloatingPointError, match="square overflows float32"):
            Adam([param]).step()


def test_constants_the_dtype_cannot_hold_are_refused():
    half = Parameter(np.ones(3, np.float16))
    half.grad += 0  # a zero gradient: 0 / (0 + eps) would be 0 / 0 with eps -> 0
    optimizer = Adam([half])
    with pytest.raises(ValueError, match=r"eps_hat is 0 \(it divides\) in float16"):
        optimizer.step()
    assert optimizer.step_count == 0
    Adam([half], eps=1e-3).step()  # representable: fine
    param = Parameter(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="constant lr is not finite in float32"):
        SGD([param], lr=1e39).step()
    np.testing.assert_array_equal(param.data, np.ones(3))
    SGD([Parameter(np.ones(3))], lr=1e39).step()  # float64 holds it


def test_a_bad_hyperparameter_set_between_steps_is_still_caught():
    param = Parameter(np.ones(3))
    optimizer = Adam([param], lr=0.1)
    optimizer.step()
    for name, value in [("lr", -1.0), ("lr", float("nan")), ("betas", (0.9, 1.5))]:
        good = getattr(optimizer, name)
        setattr(optimizer, name, value)
        with pytest.raises(ValueError, match=name):
            optimizer.step()
        setattr(optimizer, name, good)
    assert optimizer.step_count == 1


def test_load_state_dict_with_a_bad_hyperparameter_changes_nothing():
    optimizer = SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9)
    state = optimizer.state_dict()
    for value, error in [("0.5", TypeError), (-1.0, ValueError)]:
        with pytest.raises(error, match="lr"):
            optimizer.load_state_dict(
                {**state, "hyperparameters": {**state["hyperparameters"], "lr": value}}
            )
        assert optimizer.lr == 0.1
    with pytest.raises(ValueError, match="step_count -3"):
        optimizer.load_state_dict({**state, "step_count": -3})


# ---------------------------------------------------------------------- threads setting
def test_the_thread_setting(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    parallel.set_num_threads(None)  # the default, read from the environment again
    assert parallel.get_num_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    parallel.set_num_threads(None)
    assert parallel.get_num_threads() == parallel.available_cores()
    try:
        parallel.set_num_threads(5)
        assert parallel.get_num_threads() == 5
    finally:
        parallel.set_num_threads(None)
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match="set_num_threads: expected threads"):
            parallel.set_num_threads(bad)
