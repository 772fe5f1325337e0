"""Checkpoints: file format, round trip, mismatch errors, atomic writes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_np.data import DataLoader
from minitorch_np.layers import Layer, Linear, ReLU, Sequential
from minitorch_np.optim import SGD, Adam
from minitorch_np.optim.lr_scheduler import StepLR
from minitorch_np.training import History, load_checkpoint, save_checkpoint


class Noise(Layer):
    """A layer holding a Generator as ``rng`` (like Dropout)."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.rng = rng

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x + self.rng.normal(size=x.shape).astype(x.dtype)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


def model_and_optimizer(seed: int = 0, hidden: int = 8):
    model = Sequential(
        Linear(5, hidden, rng=seed),
        ReLU(),
        Noise(np.random.default_rng(seed)),
        Linear(hidden, 3, rng=seed + 1),
    )
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, optimizer


def take_steps(model, optimizer, steps: int = 3) -> None:
    """A few updates so that momentum buffers exist and generators advance."""
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    for _ in range(steps):
        optimizer.zero_grad()
        out = model.forward(x)
        model.backward(np.ones_like(out))
        optimizer.step()


def folder_listing(path) -> list[str]:
    return sorted(os.listdir(path))


@pytest.fixture
def saved(tmp_path):
    model, optimizer = model_and_optimizer()
    take_steps(model, optimizer)
    loader = DataLoader(
        np.zeros((10, 5), np.float32), np.zeros(10, np.int64), batch_size=4, rng=7
    )
    list(loader)  # advance the shuffling generator
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()
    history = History({"loss": [1.5, 1.25], "lr": [0.1, 0.1], "seconds": [0.5, 0.25]})
    path = save_checkpoint(
        tmp_path / "run.npz", model, optimizer, epoch=2, history=history,
        train_loader=loader, scheduler=scheduler,
    )  # fmt: skip
    return path, model, optimizer, loader, scheduler, history


def test_file_layout_is_plain_arrays_and_json_metadata(saved):
    path, model, optimizer, loader, scheduler, history = saved
    with np.load(path, allow_pickle=False) as contents:
        keys = set(contents.files)
        metadata_array = contents["metadata"]
        assert metadata_array.shape == () and metadata_array.dtype.kind == "U"
        metadata = json.loads(metadata_array.item())
        np.testing.assert_array_equal(contents["model/0.weight"], model[0].weight.data)
        np.testing.assert_array_equal(
            contents["optimizer/state/0/momentum_buffer"],
            optimizer.state[0]["momentum_buffer"],
        )
    assert keys == {
        "metadata",
        *(f"model/{name}" for name in ("0.weight", "0.bias", "3.weight", "3.bias")),
        *(f"optimizer/state/{i}/momentum_buffer" for i in range(4)),
    }
    assert metadata["format"] == "minitorch_np.checkpoint" and metadata["version"] == 2
    assert metadata["epoch"] == 2
    assert metadata["history"] == history.to_dict()
    assert metadata["model"]["0.weight"] == {"__array__": "model/0.weight"}
    # the optimizer's and the scheduler's state_dict() as they return it
    state = optimizer.state_dict()
    assert metadata["optimizer"] == {
        "type": "SGD",
        "hyperparameters": state["hyperparameters"],
        "step_count": 3,
        "state": [
            {"momentum_buffer": {"__array__": f"optimizer/state/{i}/momentum_buffer"}}
            for i in range(4)
        ],
    }
    assert metadata["scheduler"] == scheduler.state_dict()
    assert metadata["generators"]["train_loader"] == loader.rng.bit_generator.state
    assert set(metadata["generators"]["model"]) == {"2.rng"}
    assert metadata["callbacks"] == {}


def test_round_trip_into_fresh_objects(saved):
    path, model, optimizer, loader, scheduler, history = saved
    fresh_model, fresh_optimizer = model_and_optimizer(seed=5)
    fresh_loader = DataLoader(
        np.zeros((10, 5), np.float32), np.zeros(10, np.int64), batch_size=4, rng=0
    )
    fresh_scheduler = StepLR(fresh_optimizer, step_size=3, gamma=0.9)
    checkpoint = load_checkpoint(
        path,
        fresh_model,
        fresh_optimizer,
        train_loader=fresh_loader,
        scheduler=fresh_scheduler,
    )
    assert checkpoint.epoch == 2 and checkpoint.history == history
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(fresh_model.state_dict()[name], array)
    state, fresh_state = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert (
        fresh_state["step_count"] == 3
        and fresh_state["hyperparameters"] == state["hyperparameters"]
    )
    for buffers, fresh_buffers in zip(state["state"], fresh_state["state"]):
        np.testing.assert_array_equal(
            fresh_buffers["momentum_buffer"], buffers["momentum_buffer"]
        )
    assert fresh_scheduler.state_dict() == scheduler.state_dict()
    assert fresh_optimizer.lr == optimizer.lr == 0.05
    # the generators continue exactly where the saved ones were
    assert fresh_loader.rng.random() == loader.rng.random()
    assert fresh_model[2].rng.random() == model[2].rng.random()


def test_model_only_load_and_other_bit_generators(tmp_path):
    model = Sequential(
        Linear(3, 2, rng=0), Noise(np.random.Generator(np.random.MT19937(3)))
    )
    path = save_checkpoint(tmp_path / "weights.npz", model)
    other = Sequential(
        Linear(3, 2, rng=1), Noise(np.random.Generator(np.random.MT19937(4)))
    )
    checkpoint = load_checkpoint(path, other)
    assert checkpoint.epoch == 0 and len(checkpoint.history) == 0
    np.testing.assert_array_equal(other[0].weight.data, model[0].weight.data)
    assert other[1].rng.integers(1 << 30) == model[1].rng.integers(
        1 << 30
    )  # MT19937: array state


def test_adam_state_round_trips(tmp_path):
    model = Sequential(Linear(4, 3, rng=0))
    optimizer = Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    optimizer.zero_grad()
    model.forward(np.ones((2, 4), np.float32))
    model.backward(np.ones((2, 3), np.float32))
    optimizer.step()
    path = save_checkpoint(tmp_path / "adam.npz", model, optimizer)
    fresh_model = Sequential(Linear(4, 3, rng=1))
    fresh = Adam(fresh_model.parameters())
    load_checkpoint(path, fresh_model, fresh)
    assert fresh.betas == (0.8, 0.99) and fresh.step_count == 1
    for a, b in zip(optimizer.state, fresh.state):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_a_model_of_another_shape_fails_naming_the_parameter_and_changes_nothing(saved):
    path = saved[0]
    other_model, other_optimizer = model_and_optimizer(seed=1, hidden=9)
    before = other_model.state_dict()
    with pytest.raises(
        ValueError,
        match=r"does not fit.*shape mismatch for '0.weight': expected \(9, 5\), got \(8, 5\)",
    ):
        load_checkpoint(path, other_model, other_optimizer)
    for name, array in before.items():
        np.testing.assert_array_equal(other_model.state_dict()[name], array)


def test_a_failure_after_the_model_loaded_rolls_everything_back(saved):
    path = saved[0]
    model, _ = model_and_optimizer(seed=3)
    adam = Adam(model.parameters())
    before = model.state_dict()
    noise_state = model[2].rng.bit_generator.state
    with pytest.raises(ValueError, match="state is for 'SGD'"):
        load_checkpoint(path, model, adam)
    for name, array in before.items():
        np.testing.assert_array_equal(model.state_dict()[name], array)
    assert model[2].rng.bit_generator.state == noise_state


def test_missing_parts_are_reported(tmp_path, saved):
    model, optimizer = model_and_optimizer()
    path = save_checkpoint(tmp_path / "bare.npz", model)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(path, model, optimizer)
    with pytest.raises(ValueError, match="no scheduler state"):
        load_checkpoint(path, model, scheduler=StepLR(optimizer, step_size=1))
    loader = DataLoader(
        np.zeros((4, 5), np.float32), np.zeros(4, np.int64), batch_size=2, rng=0
    )
    with pytest.warns(UserWarning, match="no train-loader RNG state"):
        load_checkpoint(path, model, train_loader=loader)
    same_shapes_no_noise = Sequential(
        Linear(5, 8, rng=0), ReLU(), ReLU(), Linear(8, 3, rng=1)
    )
    with pytest.raises(ValueError, match="random generators"):
        load_checkpoint(saved[0], same_shapes_no_noise)


def test_files_that_are_not_checkpoints_are_rejected(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an .npz"):
        load_checkpoint(text, Sequential(Linear(2, 2, rng=0)))
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(ValueError, match="no 'metadata'"):
        load_checkpoint(other, Sequential(Linear(2, 2, rng=0)))


# ---------------------------------------------------------------------- atomic writes
def test_a_failure_while_writing_keeps_the_previous_checkpoint_and_no_temporary(
    saved, monkeypatch
):
    path, model, optimizer = saved[0], saved[1], saved[2]
    previous = path.read_bytes()
    take_steps(model, optimizer)  # the next save would differ

    def write_half_then_fail(file, **arrays):
        file.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, optimizer, epoch=3)
    assert path.read_bytes() == previous
    assert folder_listing(path.parent) == ["run.npz"]


def test_a_failing_rename_keeps_the_previous_checkpoint_and_no_temporary(
    saved, monkeypatch
):
    path, model, optimizer = saved[0], saved[1], saved[2]
    previous = path.read_bytes()

    def failing_replace(source, destination):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        save_checkpoint(path, model, optimizer, epoch=3)
    assert path.read_bytes() == previous
    assert folder_listing(path.parent) == ["run.npz"]


def test_unserialisable_metadata_fails_before_touching_the_disk(tmp_path):
    model, optimizer = model_and_optimizer()

    class OddScheduler:
        def state_dict(self):
            return {"type": "OddScheduler", "when": object()}

    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_checkpoint(
            tmp_path / "odd.npz", model, optimizer, scheduler=OddScheduler()
        )
    assert folder_listing(tmp_path) == []


def test_save_arguments_are_checked(tmp_path):
    model, _ = model_and_optimizer()
    with pytest.raises(ValueError, match="epoch"):
        save_checkpoint(tmp_path / "x.npz", model, epoch=-1)
    with pytest.raises(TypeError, match="model"):
        save_checkpoint(tmp_path / "x.npz", object())


# ---------------------------------------------------------------------- every bit generator
BIT_GENERATORS = (
    np.random.PCG64,
    np.random.PCG64DXSM,
    np.random.MT19937,
    np.random.Philox,
    np.random.SFC64,
)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(BIT_GENERATORS),
    seed=st.integers(0, 2**63),
    draws=st.integers(0, 5),
)
def test_generator_states_of_every_kind_round_trip(tmp_path_factory, kind, seed, draws):
    rng = np.random.Generator(kind(seed))
    rng.random(draws)  # any position, including mid-buffer ones
    model = Sequential(Linear(2, 2, rng=0), Noise(rng))
    path = save_checkpoint(tmp_path_factory.mktemp("rng") / "rng.npz", model)
    other = Sequential(Linear(2, 2, rng=0), Noise(np.random.Generator(kind(seed + 1))))
    load_checkpoint(path, other)
    np.testing.assert_array_equal(other[1].rng.random(7), rng.random(7))
