"""Smoke runs of the example scripts with tiny settings (real data via MINITORCH_NP_DATA)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from minitorch_np.layers import Linear, Sequential
from minitorch_np.training import load_checkpoint

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
needs_data = pytest.mark.skipif(
    not os.environ.get("MINITORCH_NP_DATA"),
    reason="MINITORCH_NP_DATA is not set (folder with mnist/); example smoke runs skipped",
)


def run_example(script: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


@needs_data
def test_softmax_mnist_prints_the_summary_checkpoints_and_resumes(tmp_path):
    checkpoint = tmp_path / "softmax.npz"
    result = run_example(
        "softmax_mnist.py", "--epochs", "1", "--checkpoint", str(checkpoint)
    )
    summary = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(
        r"test accuracy (\d+\.\d\d)% in (\d+\.\d) s \(report: 91\.5% in 2102 s\)",
        summary,
    )
    assert match, summary
    assert float(match.group(1)) > 88.0
    assert (
        "\r" not in result.stderr and "epoch 1/1 - loss" in result.stderr
    )  # not a terminal: lines
    loaded = load_checkpoint(checkpoint, Sequential(Linear(784, 10)))
    assert loaded.epoch == 1 and len(loaded.history.val_acc) == 1

    # a second run with the same checkpoint resumes at epoch 2 of 2 (and plots, if it can)
    args = ["--epochs", "2", "--checkpoint", str(checkpoint)]
    png = tmp_path / "curves.png"
    plotting = importlib.util.find_spec("matplotlib") is not None
    result = run_example(
        "softmax_mnist.py", *args, *(["--plot", str(png)] if plotting else [])
    )
    assert "resuming from" in result.stdout
    assert "epoch 1/2" not in result.stderr and "epoch 2/2 - loss" in result.stderr
    assert load_checkpoint(checkpoint, Sequential(Linear(784, 10))).epoch == 2
    if plotting:
        assert png.read_bytes()[:4] == b"\x89PNG"


def test_softmax_mnist_help_lists_the_flags():
    result = run_example("softmax_mnist.py", "--help")
    for flag in (
        "--epochs",
        "--lr",
        "--batch-size",
        "--momentum",
        "--weight-decay",
        "--seed",
        "--data",
        "--checkpoint",
        "--plot",
    ):
        assert flag in result.stdout


def test_softmax_mnist_imports_without_training_and_has_the_tuned_defaults():
    spec = importlib.util.spec_from_file_location(
        "softmax_mnist", EXAMPLES / "softmax_mnist.py"
    )
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(
        os.environ
    ):  # the script sets BLAS thread variables; keep ours
        spec.loader.exec_module(module)  # importing must not train
    args = module.parse_args([])
    assert (args.epochs, args.batch_size, args.seed) == (20, 128, 0)
    assert np.isclose(args.lr, 0.2) and np.isclose(args.momentum, 0.9)


@needs_data
def test_softmax_mnist_defaults_reach_92_5_percent_on_the_test_set():
    """The converged softmax regression is about 92.6%; the defaults (chosen on
    the validation split) must get there. Its time target is a benchmark."""
    result = run_example("softmax_mnist.py")
    summary = result.stdout.strip().splitlines()[-1]
    accuracy = float(re.match(r"test accuracy (\d+\.\d\d)%", summary).group(1))
    assert accuracy >= 92.5, summary
