"""SGD: closed-form trajectories for plain / momentum / Nesterov / weight decay,
the divergence guard (also when a scheduler sets ``lr``), state round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from optimizer_checks import (
    assert_lr_zero_changes_nothing,
    assert_resume_is_bit_identical,
)

from minitorch_np.layers.linear import Linear
from minitorch_np.optim.sgd import SGD, decay_stability_bound
from minitorch_np.parameter import Parameter
from minitorch_np.testing import float_arrays

vectors = float_arrays(st.integers(1, 5).map(lambda n: (n,)))
lrs = st.floats(0.001, 0.5)
momenta = st.floats(0.05, 0.95)
steps = st.integers(1, 8)


def run_constant_gradient(w0, g, steps_, **kwargs) -> Parameter:
    param = Parameter(w0)
    optimizer = SGD([param], **kwargs)
    for _ in range(steps_):
        param.grad[:] = g
        optimizer.step()
    return param


@given(w0=vectors, lr=lrs, n=steps, seed=st.integers(0, 2**32 - 1))
def test_plain_sgd_moves_against_the_gradient(w0, lr, n, seed):
    g = np.random.default_rng(seed).standard_normal(w0.shape)
    param = run_constant_gradient(w0, g, n, lr=lr)
    np.testing.assert_allclose(param.data, w0 - n * lr * g, rtol=1e-12, atol=1e-12)


@given(w0=vectors, lr=lrs, m=momenta, n=steps, seed=st.integers(0, 2**32 - 1))
def test_momentum_and_nesterov_closed_forms_for_a_constant_gradient(w0, lr, m, n, seed):
    """With v_0 = 0 and a constant g: v_t = g (1 - m^t) / (1 - m).
    Heavy ball moves by lr * v_t, Nesterov by lr * (g + m v_t)."""
    g = np.random.default_rng(seed).standard_normal(w0.shape)
    velocity_sum = sum(g * (1 - m**t) / (1 - m) for t in range(1, n + 1))
    heavy = run_constant_gradient(w0, g, n, lr=lr, momentum=m)
    np.testing.assert_allclose(
        heavy.data, w0 - lr * velocity_sum, rtol=1e-10, atol=1e-10
    )
    nesterov = run_constant_gradient(w0, g, n, lr=lr, momentum=m, nesterov=True)
    np.testing.assert_allclose(
        nesterov.data, w0 - lr * (n * g + m * velocity_sum), rtol=1e-10, atol=1e-10
    )


def decay_only_matrix(lr: float, wd: float, m: float, nesterov: bool) -> np.ndarray:
    """(v, w) -> (v', w') for SGD on f(w) = 0.5 * wd * w^2 (gradient wd * w)."""
    if nesterov:
        return np.array([[m, wd], [-lr * m * m, 1 - lr * wd * (1 + m)]])
    return np.array([[m, wd], [-lr * m, 1 - lr * wd]])


@given(
    w0=vectors,
    lr=lrs,
    wd=st.floats(0.01, 2.0),
    m=st.sampled_from([0.0, 0.5, 0.9]),
    nesterov=st.booleans(),
    n=steps,
)
def test_weight_decay_alone_follows_its_linear_recursion(w0, lr, wd, m, nesterov, n):
    """lr * wd <= 1 stays below every stability bound used here (the smallest,
    Nesterov with m = 0.9, is 2 * 1.9 / 2.8 = 1.36)."""
    nesterov = nesterov and m > 0
    param = run_constant_gradient(
        w0, 0.0, n, lr=lr, weight_decay=wd, momentum=m, nesterov=nesterov
    )
    power = np.linalg.matrix_power(decay_only_matrix(lr, wd, m, nesterov), n)
    np.testing.assert_allclose(param.data, power[1, 1] * w0, rtol=1e-10, atol=1e-12)
    if m == 0:
        np.testing.assert_allclose(
            param.data, w0 * (1 - lr * wd) ** n, rtol=1e-10, atol=1e-12
        )


@given(
    w0=vectors,
    lr=lrs,
    wd=st.floats(0.0, 1.0),
    m=st.sampled_from([0.0, 0.9]),
    nesterov=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_weight_decay_is_the_gradient_of_half_wd_squared_norm(
    w0, lr, wd, m, nesterov, seed
):
    """SGD(weight_decay=wd) on gradient g == SGD(weight_decay=0) on g + wd * w."""
    nesterov = nesterov and m > 0
    rng = np.random.default_rng(seed)
    decayed, explicit = Parameter(w0), Parameter(w0)
    with_decay = SGD([decayed], lr=lr, momentum=m, nesterov=nesterov, weight_decay=wd)
    by_hand = SGD([explicit], lr=lr, momentum=m, nesterov=nesterov)
    for _ in range(3):
        g = rng.standard_normal(w0.shape)
        decayed.grad[:] = g
        explicit.grad[:] = g + wd * explicit.data  # d/dw (0.5 * wd * ||w||^2) = wd * w
        with_decay.step()
        by_hand.step()
    np.testing.assert_allclose(decayed.data, explicit.data, rtol=1e-12, atol=1e-12)


def test_update_is_in_place_and_keeps_float32():
    layer = Linear(3, 2, rng=0)
    optimizer = SGD(layer.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    arrays = [(p.data, p.grad) for p in layer.parameters()]
    for p in layer.parameters():
        p.grad[:] = 1.0
    optimizer.step()
    for p, (data, grad) in zip(layer.parameters(), arrays):
        assert p.data is data and p.grad is grad and p.data.dtype == np.float32
    assert all(s["momentum_buffer"].dtype == np.float32 for s in optimizer.state)
    optimizer.zero_grad()
    assert all(
        p.grad is grad and not grad.any()
        for p, (_, grad) in zip(layer.parameters(), arrays)
    )


# ----------------------------------------------------------------- divergence guard
@pytest.mark.parametrize(
    ("momentum", "nesterov", "bound"),
    [(0.0, False, 2.0), (0.9, False, 3.8), (0.5, True, 1.5)],
)
def test_decay_past_the_stability_bound_is_refused_with_the_reason(
    momentum, nesterov, bound
):
    param = Parameter(np.ones(2))
    wd = 1.0
    SGD(
        [param], lr=0.999 * bound, momentum=momentum, nesterov=nesterov, weight_decay=wd
    )
    with pytest.raises(ValueError) as error:
        SGD([param], lr=bound, momentum=momentum, nesterov=nesterov, weight_decay=wd)
    message = str(error.value)
    assert (
        f"lr * weight_decay = {bound} * 1.0 = {bound:g} must be below {bound:g}"
        in message
    )
    assert "grow without bound" in message and "lower lr or weight_decay" in message


def test_plain_lr_times_wd_of_two_is_refused():
    with pytest.raises(
        ValueError, match=r"SGD: lr \* weight_decay = 0\.2 \* 10\.0 = 2 must be below 2"
    ):
        SGD([Parameter(np.ones(1))], lr=0.2, weight_decay=10.0)


@given(m=st.floats(0.0, 0.95), nesterov=st.booleans(), ratio=st.floats(0.5, 1.5))
def test_stability_bound_is_where_the_decay_recursion_starts_to_grow(
    m, nesterov, ratio
):
    """The spectral radius of the decay-only update is < 1 exactly below the bound."""
    nesterov = nesterov and m > 0
    bound = decay_stability_bound(m, nesterov)
    product = ratio * bound
    assume(abs(ratio - 1) > 1e-6)
    radius = max(abs(np.linalg.eigvals(decay_only_matrix(product, 1.0, m, nesterov))))
    assert (radius < 1) == (product < bound)


def test_a_scheduler_raising_lr_past_the_bound_is_stopped_at_step():
    param = Parameter(np.ones(3))
    optimizer = SGD([param], lr=0.1, weight_decay=1.0)
    param.grad[:] = 1.0
    optimizer.lr = 0.5  # what a learning-rate scheduler does
    optimizer.step()
    optimizer.lr = 2.5
    before = param.data.copy()
    with pytest.raises(
        ValueError, match=r"lr \* weight_decay = 2\.5 \* 1\.0 = 2\.5 must be below 2"
    ):
        optimizer.step()
    np.testing.assert_array_equal(param.data, before)
    assert optimizer.step_count == 1
    optimizer.lr = -0.1
    with pytest.raises(
        ValueError, match=r"SGD: expected lr in \[0\.0, inf\], got -0\.1"
    ):
        optimizer.step()
    optimizer.momentum = 1.0
    optimizer.lr = 0.1
    with pytest.raises(
        ValueError, match=r"SGD: expected momentum in \[0\.0, 1\.0\), got 1\.0"
    ):
        optimizer.step()


# ----------------------------------------------------------------- construction and state
def test_constructor_validation_messages():
    layer = Linear(2, 2, rng=0)
    with pytest.raises(
        TypeError,
        match=r"SGD: expected an iterable of Parameters, got a Linear; pass model.parameters\(\)",
    ):
        SGD(layer, lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(
        ValueError, match=r"SGD: the same Parameter appears more than once"
    ):
        SGD([layer.weight, layer.weight], lr=0.1)
    with pytest.raises(
        TypeError, match=r"SGD: expected Parameter objects, got ndarray at index 0"
    ):
        SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: nesterov=True needs momentum > 0"):
        SGD(layer.parameters(), lr=0.1, nesterov=True)
    with pytest.raises(
        ValueError, match=r"SGD: expected weight_decay in \[0\.0, inf\], got -1"
    ):
        SGD(layer.parameters(), lr=0.1, weight_decay=-1)
    with pytest.raises(TypeError, match=r"SGD: expected lr to be a number, got '0.1'"):
        SGD(layer.parameters(), lr="0.1")
    assert repr(SGD(layer.parameters(), lr=0.1, momentum=0.9, nesterov=True)) == (
        "SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.0)"
    )


@pytest.mark.parametrize("flag", [True, np.True_, 1, np.int64(1)])
def test_nesterov_takes_python_and_numpy_booleans(flag):
    # np.bool_ is what a flag read back from an .npz archive is
    sgd = SGD(Linear(2, 2, rng=0).parameters(), lr=0.1, momentum=0.9, nesterov=flag)
    assert sgd.nesterov is True


@pytest.mark.parametrize("flag", ["yes", 2, 0.5, None])
def test_nesterov_refuses_what_is_not_a_boolean(flag):
    with pytest.raises(TypeError, match=r"SGD: expected nesterov to be True or False"):
        SGD(Linear(2, 2, rng=0).parameters(), lr=0.1, momentum=0.9, nesterov=flag)


def train_steps(layer: Linear, optimizer: SGD, seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(n):
        optimizer.zero_grad()
        x = rng.standard_normal((4, 3)).astype(np.float32)
        layer(x)
        layer.backward(rng.standard_normal((4, 2)).astype(np.float32))
        optimizer.step()


def test_state_dict_round_trip_resumes_bit_identically():
    resumed = assert_resume_is_bit_identical(
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda ps: SGD(ps, lr=1.0),
    )
    assert resumed.hyperparameters() == {
        "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3,
    }  # fmt: skip


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_lr_zero_leaves_parameters_bit_identical(momentum):
    assert_lr_zero_changes_nothing(lambda ps: SGD(ps, lr=0.0, momentum=momentum))


def test_load_state_dict_refuses_mismatches_and_keeps_its_settings():
    layer = Linear(3, 2, rng=0)
    optimizer = SGD(layer.parameters(), lr=0.1, momentum=0.9)
    train_steps(layer, optimizer, seed=0, n=1)
    state = optimizer.state_dict()
    other = SGD(Linear(3, 2, rng=0).parameters(), lr=0.1, weight_decay=10.0)
    with pytest.raises(ValueError, match=r"state is for 'Adam'"):
        other.load_state_dict({**state, "type": "Adam"})
    with pytest.raises(ValueError, match=r"expected state for 1 parameters, got 2"):
        SGD([Parameter(np.zeros(3))], lr=0.1).load_state_dict(state)
    with pytest.raises(
        ValueError,
        match=r"buffer 'momentum_buffer' of parameter 0 expected shape \(2, 3\)",
    ):
        other.load_state_dict(
            {**state, "state": [{"momentum_buffer": np.zeros(3)}, {}]}
        )
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['beta'\]"):
        other.load_state_dict({**state, "hyperparameters": {"beta": 0.9}})
    stable = {**state["hyperparameters"], "lr": 1.0, "weight_decay": 0.0}
    other.load_state_dict({**state, "hyperparameters": stable})
    with pytest.raises(ValueError, match=r"must be below"):
        other.load_state_dict(
            {**state, "hyperparameters": {"lr": 1.0, "weight_decay": 5.0}}
        )
    assert other.hyperparameters() == stable  # the refused load changed nothing
