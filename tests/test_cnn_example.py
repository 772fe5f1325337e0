"""examples/cnn_mnist.py: flags and defaults, the network, and a short run on
real data (skipped without MINITORCH_NP_DATA) that checkpoints and resumes."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
needs_data = pytest.mark.skipif(
    not os.environ.get("MINITORCH_NP_DATA"),
    reason="MINITORCH_NP_DATA is not set (folder with mnist/); real-data runs skipped",
)


def load_cnn_example():
    spec = importlib.util.spec_from_file_location(
        "cnn_mnist", EXAMPLES / "cnn_mnist.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # importing must not train
    return module


def run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "cnn_mnist.py"), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_defaults_depend_on_the_dataset_and_flags_override_them():
    cnn = load_cnn_example()
    mnist = cnn.parse_args([])
    assert (mnist.epochs, mnist.dropout, mnist.batch_size, mnist.lr) == (
        cnn.DEFAULTS["mnist"]["epochs"], cnn.DEFAULTS["mnist"]["dropout"], 128, 1e-3,
    )  # fmt: skip
    fashion = cnn.parse_args(["--dataset", "fashion-mnist", "--epochs", "3"])
    assert fashion.epochs == 3
    assert fashion.dropout == cnn.DEFAULTS["fashion-mnist"]["dropout"]
    assert mnist.shift == cnn.DEFAULTS["mnist"]["shift"]
    assert cnn.parse_args(["--shift", "3"]).shift == 3


def test_the_network_is_the_documented_one():
    cnn = load_cnn_example()
    model = cnn.build_model(0.25, False, np.random.default_rng(0))
    assert model.num_parameters() == 320 + 18_496 + 401_536 + 1_290
    y = model(np.zeros((2, 1, 28, 28), np.float32))
    assert y.shape == (2, 10) and y.dtype == np.float32
    with_bn = cnn.build_model(0.0, True, np.random.default_rng(0))
    assert "BatchNorm2d" in repr(with_bn) and "Dropout" not in repr(with_bn)


def test_help_lists_the_flags():
    stdout = run("--help")
    for flag in (
        "--dataset",
        "--epochs",
        "--batch-size",
        "--data",
        "--checkpoint",
        "--plot",
        "--shift",
    ):
        assert flag in stdout


def test_a_negative_shift_is_refused_by_the_flag_name():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "cnn_mnist.py"), "--shift", "-1"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "argument --shift: expected an int >= 0, got -1" in result.stderr


@needs_data
def test_a_short_run_prints_the_summary_line_and_resumes_from_its_checkpoint(tmp_path):
    checkpoint = tmp_path / "cnn.npz"
    args = ["--limit-train", "512", "--shift", "1", "--checkpoint", str(checkpoint)]
    stdout = run(*args, "--epochs", "1")
    match = re.fullmatch(
        r"test accuracy (\d+\.\d\d)% in (\d+\.\d) s", stdout.splitlines()[-1]
    )
    assert match, stdout
    assert float(match.group(1)) > 25.0  # 4 steps; chance is 10%
    stdout = run(*args, "--epochs", "1")  # the same --epochs: nothing left to train
    assert f"resuming from {checkpoint}" in stdout
    assert match.group(1) in stdout.splitlines()[-1]  # the same model, tested again
