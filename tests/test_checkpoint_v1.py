"""Checkpoints written by minitorch_np 0.1.0 (format version 1, before the
packed optimizer storage and checkpoint format 2) still load, and the run
resumes exactly as it went on in 0.1.0 (tests/data/make_checkpoint_v1.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import minitorch_np as mt

DATA = Path(__file__).resolve().parent / "data"


def load_fixture():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_v1", DATA / "make_checkpoint_v1.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_version_1_checkpoint_resumes_exactly_as_in_0_1_0():
    make = load_fixture()
    model, optimizer, scheduler = make.build()
    x, y = make.data()
    loader = mt.DataLoader(x, y, batch_size=2, rng=99)
    checkpoint = mt.load_checkpoint(
        DATA / "checkpoint_v1.npz",
        model,
        optimizer,
        train_loader=loader,
        scheduler=scheduler,
    )
    assert checkpoint.epoch == 1
    assert (
        optimizer.step_count == 3 and optimizer.lr == 0.05 and scheduler.last_epoch == 1
    )
    saved = np.load(DATA / "checkpoint_v1.npz")
    for index, state in enumerate(optimizer.state):
        np.testing.assert_array_equal(
            state["momentum_buffer"], saved[f"optimizer/{index}/momentum_buffer"]
        )
    make.steps(model, optimizer, loader, 2)
    expected = np.load(DATA / "checkpoint_v1_continued.npz")
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, expected[name])


def test_a_malformed_version_1_checkpoint_is_a_value_error(tmp_path):
    import json

    source = np.load(DATA / "checkpoint_v1.npz")
    arrays = {name: source[name] for name in source.files}
    metadata = json.loads(arrays["metadata"].item())
    del metadata["rng"]
    arrays["metadata"] = np.array(json.dumps(metadata))
    path = tmp_path / "broken.npz"
    np.savez(path, **arrays)
    make = load_fixture()
    model, optimizer, _ = make.build()
    before = model.state_dict()
    with pytest.raises(ValueError, match="malformed version-1 metadata"):
        mt.load_checkpoint(path, model, optimizer)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    shutil.rmtree(tmp_path, ignore_errors=True)
