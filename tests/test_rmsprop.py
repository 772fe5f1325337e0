"""RMSprop: reference values on a quadratic, exact resume, dtype, errors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from optimizer_checks import (
    START,
    TARGET,
    assert_lr_zero_changes_nothing,
    assert_resume_is_bit_identical,
    quadratic_grad,
    run,
)

from minitorch_np.optim.rmsprop import RMSprop
from minitorch_np.parameter import Parameter


def rmsprop_reference(steps, lr, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
    """The algorithm written out with fresh arrays at every step."""
    w = START.copy()
    v = np.zeros_like(w)
    buffer = np.zeros_like(w)
    for _ in range(steps):
        g = quadratic_grad(w) + weight_decay * w
        v = alpha * v + (1 - alpha) * g**2
        d = g / (np.sqrt(v) + eps)
        if momentum:
            buffer = momentum * buffer + d
            w = w - lr * buffer
        else:
            w = w - lr * d
    return w


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("alpha", [0.99, 0.5, 0.0])
def test_rmsprop_matches_the_reference_algorithm(momentum, weight_decay, alpha):
    kwargs = {
        "lr": 0.01,
        "alpha": alpha,
        "momentum": momentum,
        "weight_decay": weight_decay,
    }
    param, _ = run(RMSprop, 7, **kwargs)
    np.testing.assert_allclose(
        param.data, rmsprop_reference(7, **kwargs), rtol=1e-12, atol=1e-14
    )


def test_first_step_is_lr_over_sqrt_one_minus_alpha():
    # No bias correction: v = (1 - alpha) g^2 after step 1, so the step is
    # lr * g / (sqrt(1 - alpha) |g| + eps) ~ lr / sqrt(1 - alpha) * sign(g) = 10 lr.
    lr = 1e-3
    param, _ = run(RMSprop, 1, lr=lr, alpha=0.99)
    np.testing.assert_allclose(
        START - param.data, 10 * lr * np.sign(quadratic_grad(START)), rtol=1e-6
    )


def test_hand_computed_momentum_steps():
    # One weight, w0 = 0, gradients 3 then 4, lr = 0.1, alpha = 0.5, momentum = 0.5, eps ~ 0:
    # t=1: v = 4.5, d = 3 / sqrt(4.5) = sqrt(2), b = sqrt(2), w = -0.1 sqrt(2)
    # t=2: v = 2.25 + 8 = 10.25, d = 4 / sqrt(10.25), b = sqrt(2) / 2 + d
    param = Parameter(np.zeros(1))
    optimizer = RMSprop([param], lr=0.1, alpha=0.5, momentum=0.5, eps=1e-300)
    param.grad[0] = 3.0
    optimizer.step()
    assert param.data[0] == pytest.approx(-0.1 * np.sqrt(2), rel=1e-15)
    param.grad[0] = 4.0
    optimizer.step()
    second_buffer = np.sqrt(2) / 2 + 4 / np.sqrt(10.25)
    assert param.data[0] == pytest.approx(
        -0.1 * np.sqrt(2) - 0.1 * second_buffer, rel=1e-14
    )


def test_rmsprop_converges_on_the_quadratic():
    param, _ = run(RMSprop, 3000, lr=0.003)
    np.testing.assert_allclose(param.data, TARGET, atol=1e-2)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_lr_zero_leaves_parameters_bit_identical(momentum):
    assert_lr_zero_changes_nothing(
        lambda params: RMSprop(params, lr=0.0, momentum=momentum, weight_decay=0.1)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_for_parameters_and_state(dtype):
    param, optimizer = run(
        RMSprop, 3, dtype=dtype, lr=0.01, momentum=0.9, weight_decay=0.01
    )
    assert param.data.dtype == dtype
    assert set(optimizer.state[0]) == {"square_avg", "momentum_buffer"}
    for buffer in optimizer.state[0].values():
        assert buffer.dtype == dtype


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_state_dict_resumes_bit_identically(momentum):
    kwargs = {"lr": 0.01, "alpha": 0.9, "momentum": momentum, "weight_decay": 0.05}
    resumed = assert_resume_is_bit_identical(
        lambda params: RMSprop(params, **kwargs), RMSprop
    )
    assert resumed.hyperparameters() == {**kwargs, "eps": 1e-8}


def test_hyperparameter_names_list_every_constructor_argument():
    arguments = set(inspect.signature(RMSprop).parameters) - {"params"}
    assert set(RMSprop.hyperparameter_names) == arguments


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1.0}, "lr"),
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"eps": 0.0}, "eps"),
        ({"momentum": 1.0}, "momentum"),
        ({"momentum": -0.5}, "momentum"),
        ({"weight_decay": -1e-4}, "weight_decay"),
    ],
)
def test_invalid_arguments_raise_naming_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=f"RMSprop: expected {message}"):
        RMSprop([Parameter(np.zeros(2))], **kwargs)
