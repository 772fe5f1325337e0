"""Learning-rate schedules: closed forms, plateau logic, exact resume, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from minitorch_np.optim.adam import Adam
from minitorch_np.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LRScheduler,
    ReduceLROnPlateau,
    StepLR,
)
from minitorch_np.optim.sgd import SGD
from minitorch_np.parameter import Parameter


def sgd(lr: float = 0.1) -> SGD:
    return SGD([Parameter(np.zeros(3, dtype=np.float32))], lr=lr)


def lrs_over_epochs(scheduler: LRScheduler, epochs: int) -> list[float]:
    """optimizer.lr used in epochs 0, 1, ..., epochs - 1 (step() at each epoch end)."""
    seen = []
    for _ in range(epochs):
        seen.append(scheduler.optimizer.lr)
        scheduler.step()
    return seen


def test_step_lr_values():
    scheduler = StepLR(sgd(0.1), step_size=3, gamma=0.5)
    assert lrs_over_epochs(scheduler, 8) == pytest.approx(
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], rel=1e-15
    )
    assert scheduler.get_last_lr() == scheduler.optimizer.lr == pytest.approx(0.025)
    assert scheduler.last_epoch == 8


def test_exponential_lr_values():
    scheduler = ExponentialLR(sgd(0.2), gamma=0.9)
    assert lrs_over_epochs(scheduler, 6) == pytest.approx(
        [0.2 * 0.9**e for e in range(6)], rel=1e-15
    )


def test_cosine_annealing_values():
    scheduler = CosineAnnealingLR(sgd(0.1), T_max=4, eta_min=0.02)
    # (1 + cos(pi e / 4)) / 2 for e = 0..4: 1, (2 + sqrt 2) / 4, 1/2, (2 - sqrt 2) / 4, 0
    halves = [1.0, (2 + math.sqrt(2)) / 4, 0.5, (2 - math.sqrt(2)) / 4, 0.0]
    expected = [0.02 + 0.08 * h for h in halves]
    assert lrs_over_epochs(scheduler, 5) == pytest.approx(expected, rel=1e-14)
    assert scheduler.optimizer.lr == pytest.approx(
        0.02 + 0.08 * halves[3]
    )  # climbs after T_max


def test_before_any_step_the_lr_is_the_base_lr():
    optimizer = sgd(0.3)
    scheduler = StepLR(optimizer, step_size=1)
    assert (
        scheduler.base_lr == 0.3
        and scheduler.get_last_lr() == 0.3
        and optimizer.lr == 0.3
    )
    assert scheduler.last_epoch == 0


def test_closed_forms_do_not_accumulate_rounding():
    scheduler = ExponentialLR(sgd(1.0), gamma=0.9)
    for _ in range(500):
        scheduler.step()
    assert scheduler.optimizer.lr == 1.0 * 0.9**500


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: StepLR(opt, step_size=2, gamma=0.3),
        lambda opt: ExponentialLR(opt, gamma=0.95),
        lambda opt: CosineAnnealingLR(opt, T_max=7, eta_min=1e-4),
    ],
)
def test_state_dict_resumes_exactly_and_is_json(make):
    uninterrupted = make(sgd(0.1))
    expected = lrs_over_epochs(uninterrupted, 10)

    first = make(sgd(0.1))
    head = lrs_over_epochs(first, 4)
    state = json.loads(json.dumps(first.state_dict()))
    resumed_optimizer = sgd(0.1)
    resumed = make(resumed_optimizer)
    resumed.load_state_dict(state)
    assert resumed_optimizer.lr == first.optimizer.lr
    assert head + lrs_over_epochs(resumed, 6) == expected


def test_schedulers_drive_any_optimizer():
    optimizer = Adam([Parameter(np.zeros(2))], lr=0.01)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.1)
    scheduler.step()
    assert optimizer.lr == pytest.approx(0.001)
    assert optimizer.state_dict()["hyperparameters"]["lr"] == pytest.approx(0.001)


def test_closed_form_step_rejects_a_metric():
    assert not StepLR.needs_metric
    with pytest.raises(TypeError, match=r"StepLR.step\(\) takes no metric"):
        StepLR(sgd(), step_size=1).step(0.5)


# ---------------------------------------------------------------------- ReduceLROnPlateau


def plateau_lrs(scheduler: ReduceLROnPlateau, metrics: list[float]) -> list[float]:
    """optimizer.lr after each step(metric)."""
    seen = []
    for value in metrics:
        scheduler.step(value)
        seen.append(scheduler.optimizer.lr)
    return seen


def test_plateau_reduces_after_more_than_patience_bad_epochs():
    assert ReduceLROnPlateau.needs_metric
    scheduler = ReduceLROnPlateau(sgd(1.0), factor=0.5, patience=2)
    # best 1.0 at epoch 1; epochs 2, 3 are bad (tolerated), epoch 4 is the 3rd bad one -> reduce
    lrs = plateau_lrs(scheduler, [1.0, 1.0, 1.2, 1.1, 0.9, 0.95, 0.95, 0.95])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert scheduler.best == 0.9 and scheduler.get_last_lr() == 0.25


def test_plateau_max_mode_and_min_lr():
    scheduler = ReduceLROnPlateau(
        sgd(1.0), mode="max", factor=0.1, patience=0, min_lr=0.005
    )
    lrs = plateau_lrs(scheduler, [0.5, 0.6, 0.6, 0.7, 0.1, 0.1, 0.1])
    assert lrs == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.005, 0.005])


def test_plateau_relative_and_absolute_thresholds():
    # rel: 0.95 is not below 1.0 * (1 - 0.1) = 0.9, so it is a bad epoch
    rel = ReduceLROnPlateau(sgd(1.0), patience=0, threshold=0.1)
    assert plateau_lrs(rel, [1.0, 0.95]) == [1.0, pytest.approx(0.1)]
    assert rel.best == 1.0
    # abs: 0.95 is below 1.0 - 0.01
    absolute = ReduceLROnPlateau(
        sgd(1.0), patience=0, threshold=0.01, threshold_mode="abs"
    )
    assert plateau_lrs(absolute, [1.0, 0.95]) == [1.0, 1.0]
    assert absolute.best == 0.95


def test_plateau_cooldown_ignores_the_epochs_after_a_reduction():
    scheduler = ReduceLROnPlateau(sgd(1.0), factor=0.5, patience=0, cooldown=2)
    lrs = plateau_lrs(scheduler, [1.0, 2.0, 2.0, 2.0, 2.0])
    # epoch 2 reduces; epochs 3 and 4 are cooldown; epoch 5 is bad again -> reduce
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.25]


def test_plateau_nan_is_never_an_improvement():
    scheduler = ReduceLROnPlateau(sgd(1.0), patience=1)
    assert plateau_lrs(scheduler, [float("nan"), float("nan")]) == [
        1.0,
        pytest.approx(0.1),
    ]
    assert scheduler.best is None


@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
@pytest.mark.parametrize(
    "mode, worst, values",
    [("min", float("inf"), [1.0, 0.5, 0.25]), ("max", float("-inf"), [1.0, 2.0, 3.0])],
)
def test_plateau_after_an_infinite_metric_finite_values_improve(
    mode, worst, values, threshold_mode
):
    # with threshold_mode="rel" the bound was inf - inf * threshold = NaN, so
    # nothing ever improved on an infinite first value again
    scheduler = ReduceLROnPlateau(
        sgd(1.0), mode=mode, patience=0, threshold_mode=threshold_mode
    )
    assert plateau_lrs(scheduler, [worst, *values]) == [1.0] * 4
    assert scheduler.best == values[-1]


def test_plateau_accepts_numpy_scalars_and_rejects_non_numbers():
    scheduler = ReduceLROnPlateau(sgd(1.0))
    scheduler.step(np.float32(0.5))
    scheduler.step(np.array(0.4))
    assert scheduler.best == pytest.approx(0.4)
    with pytest.raises(TypeError, match=r"needs the monitored value"):
        scheduler.step()
    with pytest.raises(TypeError, match="expected the metric to be a number"):
        scheduler.step("0.3")
    with pytest.raises(TypeError, match="expected the metric to be a number"):
        scheduler.step(np.array([0.3, 0.2]))


def test_plateau_state_dict_resumes_exactly_and_is_json():
    metrics = [1.0, 0.9, 0.95, 0.97, 0.96, 0.5, 0.6, 0.7, 0.8, 0.9]

    def make(optimizer):
        return ReduceLROnPlateau(optimizer, factor=0.5, patience=1, cooldown=1)

    expected = plateau_lrs(make(sgd(1.0)), metrics)
    first = make(sgd(1.0))
    head = plateau_lrs(first, metrics[:4])
    state = json.loads(json.dumps(first.state_dict(), allow_nan=False))
    resumed = make(sgd(1.0))
    resumed.load_state_dict(state)
    assert head + plateau_lrs(resumed, metrics[4:]) == expected


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda opt: StepLR(opt, step_size=0), "step_size"),
        (lambda opt: StepLR(opt, step_size=2.0), "step_size"),
        (lambda opt: StepLR(opt, step_size=1, gamma=0.0), "gamma"),
        (lambda opt: ExponentialLR(opt, gamma=-0.5), "gamma"),
        (lambda opt: CosineAnnealingLR(opt, T_max=0), "T_max"),
        (lambda opt: CosineAnnealingLR(opt, T_max=5, eta_min=-1.0), "eta_min"),
        (lambda opt: ReduceLROnPlateau(opt, mode="minimum"), "mode"),
        (lambda opt: ReduceLROnPlateau(opt, factor=1.0), "factor"),
        (lambda opt: ReduceLROnPlateau(opt, patience=-1), "patience"),
        (lambda opt: ReduceLROnPlateau(opt, threshold=-0.1), "threshold"),
        (
            lambda opt: ReduceLROnPlateau(opt, threshold_mode="relative"),
            "threshold_mode",
        ),
        (lambda opt: ReduceLROnPlateau(opt, min_lr=-1.0), "min_lr"),
        (lambda opt: ReduceLROnPlateau(opt, cooldown=1.5), "cooldown"),
    ],
)
def test_invalid_arguments_raise_naming_the_argument(build, message):
    with pytest.raises(ValueError, match=f"expected {message}"):
        build(sgd())


def test_needs_an_optimizer():
    with pytest.raises(TypeError, match="StepLR: expected an Optimizer, got list"):
        StepLR([Parameter(np.zeros(2))], step_size=1)


def test_load_state_dict_rejects_foreign_or_incomplete_state():
    scheduler = StepLR(sgd(), step_size=2)
    with pytest.raises(ValueError, match="state is for 'ExponentialLR'"):
        scheduler.load_state_dict(ExponentialLR(sgd(), gamma=0.5).state_dict())
    state = scheduler.state_dict()
    del state["gamma"]
    with pytest.raises(ValueError, match=r"missing keys \['gamma'\]"):
        scheduler.load_state_dict(state)


@pytest.mark.parametrize(
    "build, changes, error, message",
    [
        (
            lambda o: StepLR(o, step_size=2),
            {"step_size": 0},
            ValueError,
            r"StepLR.load_state_dict: StepLR: expected step_size to be a positive int, got 0",
        ),
        (
            lambda o: StepLR(o, step_size=2),
            {"gamma": -5},
            ValueError,
            r"StepLR.load_state_dict: StepLR: expected gamma in \(0.0, inf\], got -5",
        ),
        (
            lambda o: CosineAnnealingLR(o, T_max=3),
            {"T_max": "3"},
            ValueError,
            r"CosineAnnealingLR: expected T_max to be a positive int",
        ),
        (
            lambda o: ReduceLROnPlateau(o),
            {"factor": 5},
            ValueError,
            r"ReduceLROnPlateau.load_state_dict: ReduceLROnPlateau: expected factor in \(0.0, 1.0\)",
        ),
        (
            lambda o: ReduceLROnPlateau(o),
            {"mode": "sideways"},
            ValueError,
            r"ReduceLROnPlateau.load_state_dict: ReduceLROnPlateau: expected mode",
        ),
        (
            lambda o: ReduceLROnPlateau(o),
            {"patience": -3},
            ValueError,
            r"expected patience",
        ),
        (
            lambda o: ReduceLROnPlateau(o),
            {"best": float("nan")},
            ValueError,
            r"ReduceLROnPlateau.load_state_dict: expected best to be a number or None, got nan",
        ),
        (
            lambda o: ReduceLROnPlateau(o),
            {"best": "0.5"},
            TypeError,
            r"expected best to be a number or None, got '0.5'",
        ),
        (
            lambda o: ReduceLROnPlateau(o),
            {"num_bad_epochs": -1},
            ValueError,
            r"ReduceLROnPlateau.load_state_dict: expected num_bad_epochs",
        ),
        (
            lambda o: ExponentialLR(o, gamma=0.5),
            {"last_epoch": -2},
            ValueError,
            r"ExponentialLR.load_state_dict: expected last_epoch",
        ),
        (
            lambda o: ExponentialLR(o, gamma=0.5),
            {"last_lr": float("inf")},
            ValueError,
            r"ExponentialLR.load_state_dict: expected last_lr in \[0.0, inf\], got inf",
        ),
    ],
)
def test_load_state_dict_refuses_what_the_constructor_would_and_changes_nothing(
    build, changes, error, message
):
    optimizer = sgd(0.1)
    scheduler = build(optimizer)
    scheduler.step(1.0) if scheduler.needs_metric else scheduler.step()
    before, lr = scheduler.state_dict(), optimizer.lr
    with pytest.raises(error, match=message):
        scheduler.load_state_dict({**before, **changes})
    assert scheduler.state_dict() == before and optimizer.lr == lr


def test_load_state_dict_takes_an_infinite_or_numpy_best():
    scheduler = ReduceLROnPlateau(sgd(0.1))
    state = {**scheduler.state_dict(), "best": np.float32(0.25)}
    scheduler.load_state_dict(state)
    assert scheduler.best == 0.25 and type(scheduler.best) is float
    scheduler.load_state_dict({**state, "best": float("inf")})
    assert scheduler.best == float("inf")


def test_base_class_needs_a_closed_form():
    with pytest.raises(NotImplementedError, match="lr_at"):
        LRScheduler(sgd()).step()


def test_a_schedule_past_the_float_range_raises_a_clear_error():
    optimizer = SGD([Parameter(np.ones(2, dtype=np.float32))], lr=1.0)
    schedule = ExponentialLR(optimizer, gamma=1e300)
    schedule.step()  # 1e300: a Python float, but not a float32
    with pytest.raises(ValueError, match="constant lr is not finite in float32"):
        optimizer.step()
    with pytest.raises(
        ValueError,
        match=r"ExponentialLR: the learning rate for epoch 2 is not a finite float",
    ):
        schedule.step()
    assert schedule.last_epoch == 1 and optimizer.lr == 1e300
