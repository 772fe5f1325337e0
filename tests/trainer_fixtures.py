"""Shared pieces of the Trainer tests: a blob problem, small nets (one with
a random layer), and exact comparisons of weights, optimizer state and
histories."""

from __future__ import annotations

import numpy as np

from minitorch_np.layers import Layer, Linear, ReLU, Sequential
from minitorch_np.training import History

N_FEATURES, N_CLASSES = 12, 4


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one per class: an easy but not trivial problem."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, size=n)
    centers = np.random.default_rng(123).normal(0, 1.5, size=(N_CLASSES, N_FEATURES))
    x = centers[y] + rng.normal(0, 1.0, size=(n, N_FEATURES))
    return x.astype(np.float32), y.astype(np.int64)


class Jitter(Layer):
    """Adds N(0, scale^2) noise in training mode, identity in eval mode; keeps
    its Generator as ``self.rng`` like Dropout, so checkpoints must restore it."""

    def __init__(self, scale: float, rng: int) -> None:
        super().__init__()
        self.scale = scale
        self.rng = np.random.default_rng(rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training:
            return x
        return x + self.rng.normal(0, self.scale, size=x.shape).astype(x.dtype)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


class ModeRecorder(Layer):
    """Identity that records ``self.training`` at every forward."""

    def __init__(self) -> None:
        super().__init__()
        self.modes: list[bool] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.modes.append(self.training)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


def mlp(seed: int, hidden: int = 32, jitter: bool = False) -> Sequential:
    layers: list[Layer] = [Linear(N_FEATURES, hidden, rng=seed), ReLU()]
    if jitter:
        layers.append(Jitter(0.1, rng=seed + 1))
    layers.append(Linear(hidden, N_CLASSES, rng=seed + 2))
    return Sequential(*layers)


def weights(model: Layer) -> dict[str, np.ndarray]:
    return model.state_dict()


def assert_same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key, array in a.items():
        np.testing.assert_array_equal(array, b[key], err_msg=key)


def assert_same_optimizer_state(a: dict, b: dict) -> None:
    assert (a["type"], a["hyperparameters"], a["step_count"]) == (
        b["type"],
        b["hyperparameters"],
        b["step_count"],
    )
    assert len(a["state"]) == len(b["state"])
    for state_a, state_b in zip(a["state"], b["state"]):
        assert_same_arrays(state_a, state_b)


def without_seconds(history: History) -> dict[str, list[float]]:
    columns = history.to_dict()
    del columns["seconds"]
    return columns
