"""Shared pieces of the optimizer tests (SGD, Adam, AdamW, RMSprop): a quadratic to
minimise, and two checks every optimizer must pass: lr = 0 changes nothing,
and a state_dict round trip resumes a run bit for bit."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.parameter import Parameter

# f(w) = 0.5 * sum(CURVATURE * (w - TARGET)^2), so grad f = CURVATURE * (w - TARGET).
CURVATURE = np.array([1.0, 10.0, 0.1, 3.0])
TARGET = np.array([1.0, -2.0, 0.5, 0.0])
START = np.array([0.0, 0.5, -1.0, 2.0])

Build = Callable[[list[Parameter]], Optimizer]


def quadratic_grad(w: np.ndarray) -> np.ndarray:
    return (CURVATURE * (w.astype(np.float64) - TARGET)).astype(w.dtype)


def run(
    optimizer_class: type[Optimizer], steps: int, dtype=np.float64, **kwargs
) -> tuple[Parameter, Optimizer]:
    """``steps`` updates on the quadratic from START; the parameter and the optimizer."""
    param = Parameter(START, dtype=dtype)
    optimizer = optimizer_class([param], **kwargs)
    for _ in range(steps):
        param.grad[...] = quadratic_grad(param.data)
        optimizer.step()
    return param, optimizer


def two_float32_parameters(seed: int = 1) -> list[np.ndarray]:
    init = np.random.default_rng(seed)
    return [
        init.standard_normal((3, 4)).astype(np.float32),
        init.standard_normal(4).astype(np.float32),
    ]


def noisy_steps(
    optimizer: Optimizer, params: list[Parameter], steps: int, rng: np.random.Generator
) -> None:
    """Updates with a gradient that depends on w and on a seeded noise stream."""
    for _ in range(steps):
        for param in params:
            noise = rng.standard_normal(param.shape)
            param.grad[...] = (0.5 * param.data + noise).astype(param.dtype)
        optimizer.step()


def assert_lr_zero_changes_nothing(build: Build) -> None:
    """``build(params)`` returns an optimizer with lr = 0 (and any other setting)."""
    rng = np.random.default_rng(0)
    params = [Parameter(w) for w in two_float32_parameters(seed=0)]
    before = [p.data.tobytes() for p in params]
    noisy_steps(build(params), params, 5, rng)
    assert [p.data.tobytes() for p in params] == before


def assert_resume_is_bit_identical(build: Build, build_other: Build) -> Optimizer:
    """Six steps in one go must equal three steps, a state_dict() (its
    hyperparameters sent through JSON), and three more steps of a fresh
    optimizer built by ``build_other`` (other hyperparameters) that loads it.
    Returns that resumed optimizer for further checks."""
    start = two_float32_parameters()
    params = [Parameter(w) for w in start]
    noisy_steps(build(params), params, 6, np.random.default_rng(2))
    uninterrupted = [p.data.tobytes() for p in params]

    noise = np.random.default_rng(2)
    params = [Parameter(w) for w in start]
    optimizer = build(params)
    noisy_steps(optimizer, params, 3, noise)
    saved_state = optimizer.state_dict()
    saved_weights = [p.data.copy() for p in params]
    noisy_steps(optimizer, params, 2, np.random.default_rng(99))  # after saving

    resumed_params = [Parameter(w) for w in saved_weights]
    resumed = build_other(resumed_params)
    hyperparameters = json.loads(json.dumps(saved_state["hyperparameters"]))
    resumed.load_state_dict({**saved_state, "hyperparameters": hyperparameters})
    assert resumed.step_count == 3
    noisy_steps(resumed, resumed_params, 3, noise)
    assert [p.data.tobytes() for p in resumed_params] == uninterrupted
    return resumed
