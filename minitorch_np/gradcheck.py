"""`gradcheck`: compare a layer's ``backward`` with float64 central differences.

The checked scalar is f(x, w) = sum(forward(x) * R) for a fixed random
projection R, so dL/dy = R is what ``backward`` receives. For every element of
the input and of every parameter::

    numeric = (f(v + eps) - f(v - eps)) / (2 eps)
            = sum((forward(v + eps) - forward(v - eps)) * R) / (2 eps)
    error   = |analytic - numeric| / max(|analytic|, |numeric|, floor)

Each evaluation runs on a fresh copy of the layer, so layers that draw random
numbers (e.g. Dropout) see the same random state every time, and running
statistics (e.g. BatchNorm) do not drift between evaluations.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from minitorch_np._validation import as_generator, check_bool, check_number
from minitorch_np.layers.layer import Layer

# output(x, parameter name or None, index, value) -> forward output with that
# parameter element set to value; derivative(output_plus, output_minus) -> float.
Output = Callable[[np.ndarray, "str | None", tuple[int, ...], float], np.ndarray]
Derivative = Callable[[np.ndarray, np.ndarray], float]


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class GradcheckReport:
    """Worst relative error per checked tensor (``"input"`` and each parameter
    name), and where the overall worst one is."""

    errors: dict[str, float] = field(default_factory=dict)
    locations: dict[str, tuple[int, ...]] = field(default_factory=dict)
    values: dict[str, tuple[float, float]] = field(default_factory=dict)
    tolerance: float = 0.0

    @property
    def worst_name(self) -> str:
        return max(self.errors, key=self.errors.__getitem__)

    @property
    def max_error(self) -> float:
        return max(self.errors.values()) if self.errors else 0.0

    @property
    def passed(self) -> bool:
        return self.max_error <= self.tolerance

    def __str__(self) -> str:
        name = self.worst_name
        analytic, numeric = self.values[name]
        headline = (
            f"gradcheck {'passed' if self.passed else 'FAILED'}: worst relative error "
            f"{self.max_error:.3g} (tolerance {self.tolerance:g}) in {name!r} at index "
            f"{self.locations[name]}: analytic {analytic:.10g}, numeric {numeric:.10g}"
        )
        lines = [headline]
        for key, error in self.errors.items():
            lines.append(
                f"  {key}: max relative error {error:.3g} at {self.locations[key]}"
            )
        return "\n".join(lines)


def gradcheck(
    layer: Layer,
    x: np.ndarray,
    *,
    eps: float = 1e-5,
    tolerance: float = 1e-6,
    floor: float = 1e-3,
    rng: np.random.Generator | int | None = 0,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    """Check ``layer.backward`` for the input and every parameter, in float64.

    Args:
        layer: any `Layer` (user-written ones included). It is not modified:
            the check runs on float64 copies.
        x: an input the layer accepts; cast to float64 for the check. Keep it
            small (every element costs two forward passes).
        eps: finite-difference step. The default 1e-5 balances the truncation
            error (~eps^2) against float64 rounding (~1e-16 / eps); inputs must
            stay farther than ``eps`` from any kink (ReLU at 0).
        tolerance: largest accepted relative error.
        floor: elements with |gradient| below ``floor`` are compared absolutely
            (the denominator never drops below it).
        rng: seed or Generator for the projection R.
        raise_on_failure: raise `GradcheckError` (an AssertionError) with the
            report when the worst error exceeds ``tolerance``.

    Returns:
        A `GradcheckReport` with the worst error per tensor and its location.
        A NaN or infinite gradient (analytic or numeric) counts as an infinite
        error, so it never passes.

    Raises:
        ValueError: ``eps`` or ``floor`` not a finite number > 0, or
            ``tolerance`` not a finite number >= 0 (TypeError when not a number).
    """
    eps = check_number("gradcheck", "eps", eps, low=0.0, low_inclusive=False)
    tolerance = check_number("gradcheck", "tolerance", tolerance, low=0.0)
    floor = check_number("gradcheck", "floor", floor, low=0.0, low_inclusive=False)
    raise_on_failure = check_bool("gradcheck", "raise_on_failure", raise_on_failure)
    base = copy.deepcopy(layer).to(np.float64)
    x64 = np.array(x, dtype=np.float64)
    generator = as_generator(rng, "gradcheck")

    probe = copy.deepcopy(base)
    projection = generator.standard_normal(np.shape(probe.forward(x64.copy())))
    probe.zero_grad()
    analytic = {
        "input": np.asarray(probe.backward(projection.copy()), dtype=np.float64)
    }
    analytic.update(
        (name, param.grad.copy()) for name, param in probe.named_parameters()
    )

    def output(
        input_value: np.ndarray, name: str | None, index: tuple[int, ...], value: float
    ) -> np.ndarray:
        trial = copy.deepcopy(base)
        if name is not None:
            dict(trial.named_parameters())[name].data[index] = value
        return np.asarray(trial.forward(input_value), dtype=np.float64)

    def derivative(plus: np.ndarray, minus: np.ndarray) -> float:
        # Project the output DIFFERENCE: outputs the perturbation does not touch
        # cancel exactly, so rounding stays at the level of the changed entries.
        return float(np.sum((plus - minus) * projection)) / (2 * eps)

    report = GradcheckReport(tolerance=tolerance)
    _compare(
        report,
        "input",
        analytic["input"],
        _numeric_input(output, derivative, x64, eps),
        floor,
    )
    for name, param in base.named_parameters():
        numeric = _numeric_param(output, derivative, x64, name, param.data, eps)
        _compare(report, name, analytic[name], numeric, floor)
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def _numeric_input(
    output: Output, derivative: Derivative, x: np.ndarray, eps: float
) -> np.ndarray:
    numeric = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        original = x[index]
        x[index] = original + eps
        plus = output(x.copy(), None, (), 0.0)
        x[index] = original - eps
        minus = output(x.copy(), None, (), 0.0)
        x[index] = original
        numeric[index] = derivative(plus, minus)
    return numeric


def _numeric_param(
    output: Output,
    derivative: Derivative,
    x: np.ndarray,
    name: str,
    data: np.ndarray,
    eps: float,
) -> np.ndarray:
    numeric = np.zeros_like(data)
    for index in np.ndindex(*data.shape):
        original = float(data[index])
        plus = output(x.copy(), name, index, original + eps)
        minus = output(x.copy(), name, index, original - eps)
        numeric[index] = derivative(plus, minus)
    return numeric


def _compare(
    report: GradcheckReport,
    name: str,
    analytic: np.ndarray,
    numeric: np.ndarray,
    floor: float,
) -> None:
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"gradcheck: the analytic gradient of {name!r} has shape {analytic.shape}, "
            f"expected {numeric.shape} (the shape of {name!r} itself)"
        )
    denominator = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    with np.errstate(invalid="ignore"):  # inf - inf, inf / inf: NaN, made inf below
        errors = np.abs(analytic - numeric) / denominator
    errors[~np.isfinite(errors)] = np.inf  # a NaN or inf gradient never passes
    worst = (
        np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.size else ()
    )
    report.errors[name] = float(errors[worst]) if errors.size else 0.0
    report.locations[name] = tuple(int(i) for i in worst)
    report.values[name] = (
        (float(analytic[worst]), float(numeric[worst])) if errors.size else (0.0, 0.0)
    )
