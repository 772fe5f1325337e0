"""Adam and AdamW: reference values on a quadratic, exact resume, dtype, errors."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_checks import (
    START,
    TARGET,
    assert_lr_zero_changes_nothing,
    assert_resume_is_bit_identical,
    quadratic_grad,
    run,
)

from minitorch_np.optim.adam import Adam, AdamW
from minitorch_np.optim.sgd import SGD
from minitorch_np.parameter import Parameter


def adam_reference(
    steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False
):
    """The textbook algorithm, written out with fresh arrays at every step."""
    beta1, beta2 = betas
    w = START.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        g = quadratic_grad(w)
        if decoupled:
            w = w - lr * weight_decay * w
        else:
            g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.0)])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_matches_the_reference_algorithm(betas, weight_decay):
    param, _ = run(Adam, 7, lr=0.05, betas=betas, weight_decay=weight_decay)
    expected = adam_reference(7, lr=0.05, betas=betas, weight_decay=weight_decay)
    np.testing.assert_allclose(param.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1, 0.5])
def test_adamw_matches_the_reference_algorithm(weight_decay):
    param, _ = run(AdamW, 7, lr=0.05, weight_decay=weight_decay)
    expected = adam_reference(7, lr=0.05, weight_decay=weight_decay, decoupled=True)
    np.testing.assert_allclose(param.data, expected, rtol=1e-12, atol=1e-14)


def test_first_adam_step_moves_each_weight_by_lr_times_sign_of_grad():
    # Bias correction: at t = 1, m_hat = g and v_hat = g^2, so the step is
    # lr * g / (|g| + eps), i.e. lr * sign(g) up to eps / |g|.
    lr = 0.01
    param, _ = run(Adam, 1, lr=lr)
    grad = quadratic_grad(START)
    np.testing.assert_allclose(START - param.data, lr * np.sign(grad), rtol=1e-6)


def test_adam_hand_computed_second_step():
    # One weight, w0 = 0, gradient 2 then 1 (set by hand), lr = 0.1, b = (0.5, 0.5), eps = 0:
    # t=1: m = 1, v = 2, m_hat = 2, v_hat = 4, w = 0 - 0.1 * 2 / 2 = -0.1
    # t=2: m = 0.5 + 0.5 = 1, v = 1 + 0.5 = 1.5, m_hat = 1 / 0.75, v_hat = 1.5 / 0.75 = 2
    #      w = -0.1 - 0.1 * (4 / 3) / sqrt(2)
    param = Parameter(np.zeros(1))
    optimizer = Adam([param], lr=0.1, betas=(0.5, 0.5), eps=1e-300)
    param.grad[0] = 2.0
    optimizer.step()
    assert param.data[0] == pytest.approx(-0.1, rel=1e-15)
    param.grad[0] = 1.0
    optimizer.step()
    assert param.data[0] == pytest.approx(-0.1 - 0.1 * (4 / 3) / np.sqrt(2), rel=1e-14)


@settings(max_examples=40, deadline=None)
@given(
    grads=st.lists(
        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).filter(
            lambda g: abs(g) > 1e-3
        ),
        min_size=1,
        max_size=6,
    ),
    lr=st.floats(min_value=1e-4, max_value=1.0),
)
def test_first_step_is_at_most_lr_and_against_the_gradient(grads, lr):
    param = Parameter(np.zeros(len(grads)))
    param.grad[...] = grads
    Adam([param], lr=lr).step()
    assert np.all(np.abs(param.data) <= lr * (1 + 1e-12))
    assert np.all(np.sign(param.data) == -np.sign(grads))


def test_adamw_decay_is_decoupled_from_the_gradient_scale():
    # Zero gradient: Adam's coupled decay goes through 1/sqrt(v_hat) and moves
    # the weight by ~lr (sign-like step); AdamW shrinks it by exactly (1 - lr*wd).
    lr, wd = 0.01, 0.1
    adam_param = Parameter(np.array([5.0]))
    adamw_param = Parameter(np.array([5.0]))
    Adam([adam_param], lr=lr, weight_decay=wd).step()
    AdamW([adamw_param], lr=lr, weight_decay=wd).step()
    assert adam_param.data[0] == pytest.approx(5.0 - lr, rel=1e-9)
    assert adamw_param.data[0] == 5.0 * (1 - lr * wd)


def test_adamw_without_decay_is_adam_bit_for_bit():
    adam_param, _ = run(Adam, 5, dtype=np.float32, lr=0.01)
    adamw_param, _ = run(AdamW, 5, dtype=np.float32, lr=0.01, weight_decay=0.0)
    assert adam_param.data.tobytes() == adamw_param.data.tobytes()


def test_adam_converges_on_the_quadratic():
    param, _ = run(Adam, 2000, lr=0.05)
    np.testing.assert_allclose(param.data, TARGET, atol=1e-3)


@pytest.mark.parametrize("optimizer_class", [Adam, AdamW])
def test_lr_zero_leaves_parameters_bit_identical(optimizer_class):
    assert_lr_zero_changes_nothing(
        lambda params: optimizer_class(params, lr=0.0, weight_decay=0.1)
    )


@pytest.mark.parametrize("optimizer_class", [Adam, AdamW])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_for_parameters_and_state(optimizer_class, dtype):
    param, optimizer = run(optimizer_class, 3, dtype=dtype, lr=0.01, weight_decay=0.01)
    assert param.data.dtype == dtype
    assert param.grad.dtype == dtype
    for buffer in optimizer.state[0].values():
        assert buffer.dtype == dtype


@pytest.mark.parametrize(
    "optimizer_class, kwargs",
    [
        (Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05}),
        (AdamW, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05}),
    ],
)
def test_state_dict_resumes_bit_identically(optimizer_class, kwargs):
    resumed = assert_resume_is_bit_identical(
        lambda params: optimizer_class(params, **kwargs),
        lambda params: optimizer_class(params, lr=0.5, betas=(0.1, 0.2)),
    )
    assert resumed.betas == kwargs["betas"]  # a tuple again after JSON


@pytest.mark.parametrize("optimizer_class", [Adam, AdamW])
def test_hyperparameter_names_list_every_constructor_argument(optimizer_class):
    arguments = set(inspect.signature(optimizer_class).parameters) - {"params"}
    assert set(optimizer_class.hyperparameter_names) == arguments
    optimizer = optimizer_class([Parameter(np.zeros(2))])
    assert json.loads(json.dumps(optimizer.state_dict()["hyperparameters"])) == {
        "lr": 1e-3,
        "betas": [0.9, 0.999],
        "eps": 1e-8,
        "weight_decay": 0.0 if optimizer_class is Adam else 1e-2,
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1e-3}, "lr"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\]"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\]"),
        ({"betas": (0.9,)}, "pair"),
        ({"betas": 0.9}, "pair"),
        ({"eps": 0.0}, "eps"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
@pytest.mark.parametrize("optimizer_class", [Adam, AdamW])
def test_invalid_arguments_raise_naming_the_argument(optimizer_class, kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizer_class([Parameter(np.zeros(2))], **kwargs)


def test_adamw_rejects_a_decay_factor_that_diverges():
    with pytest.raises(ValueError, match="lr \\* weight_decay"):
        AdamW([Parameter(np.zeros(2))], lr=1.0, weight_decay=2.0)
    optimizer = AdamW([Parameter(np.zeros(2))], lr=1.0, weight_decay=1.0)
    optimizer.lr = 3.0  # as a scheduler might
    with pytest.raises(ValueError, match="lr \\* weight_decay"):
        optimizer.step()


def test_load_state_dict_rejects_bad_betas_and_other_optimizers():
    param = Parameter(np.zeros(2))
    optimizer = Adam([param])
    state = optimizer.state_dict()
    state["hyperparameters"]["betas"] = [0.9, 1.5]
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        optimizer.load_state_dict(state)
    assert optimizer.betas == (0.9, 0.999)
    with pytest.raises(ValueError, match="SGD"):
        optimizer.load_state_dict(SGD([param], lr=0.1).state_dict())


# ---------------------------------------------------------------------- flat state
def per_parameter_adam(params, grads_per_step, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
    """Adam parameter by parameter, in the dtype of each array (the reference
    for the flat-buffer implementation)."""
    results = []
    for data, steps in zip(params, grads_per_step):
        w, m, v = data.copy(), np.zeros_like(data), np.zeros_like(data)
        for t, g in enumerate(steps, start=1):
            m = betas[0] * m + (1 - betas[0]) * g
            v = betas[1] * v + (1 - betas[1]) * g * g
            m_hat = m / (1 - betas[0] ** t)
            v_hat = v / (1 - betas[1] ** t)
            w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        results.append(w)
    return results


def test_load_state_dict_then_steps_match_an_uninterrupted_run():
    def make():
        rng = np.random.default_rng(0)
        return [Parameter(rng.standard_normal(s)) for s in [(4, 3), (3,)]]

    def steps(params, optimizer, start, stop):
        for t in range(start, stop):
            for k, param in enumerate(params):
                param.grad[...] = np.sin(param.data * (t + 1) + k)
            optimizer.step()

    params = make()
    optimizer = Adam(params, lr=0.05)
    steps(params, optimizer, 0, 6)

    resumed_params = make()
    resumed = Adam(resumed_params, lr=0.05)
    steps(resumed_params, resumed, 0, 3)  # builds flat buffers, then replaced
    saved_params = make()
    saved = Adam(saved_params, lr=0.05)
    steps(saved_params, saved, 0, 3)
    resumed.load_state_dict(json.loads(json.dumps(saved.state_dict(), default=list)))
    for param, source in zip(resumed_params, saved_params):
        param.data[...] = source.data
    steps(resumed_params, resumed, 3, 6)
    for got, want in zip(resumed_params, params):
        np.testing.assert_array_equal(got.data, want.data)
    # The loaded buffers were taken into new flat buffers: the state still
    # holds views, and the loaded arrays themselves are not written to.
    assert resumed.state[0]["exp_avg"].base is resumed.state[1]["exp_avg"].base
