"""The examples under ``mpiexec -n 2``: data-parallel with no change but the
launcher, printing once, reaching the single-process accuracy (tiny runs on
the real MNIST files; skipped without MINITORCH_NP_DATA)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from mpi_launch import ROOT, check_ok, requires_mpiexec, run_mpi, run_python

from minitorch_np.layers import Linear, Sequential
from minitorch_np.training import load_checkpoint

pytestmark = [
    requires_mpiexec,
    pytest.mark.skipif(
        not os.environ.get("MINITORCH_NP_DATA"),
        reason="MINITORCH_NP_DATA is not set (folder with mnist/)",
    ),
]
EXAMPLES = ROOT / "examples"


def final_accuracy(stdout: str) -> float:
    lines = [line for line in stdout.splitlines() if line.startswith("test accuracy")]
    assert len(lines) == 1, stdout  # printed once, by rank 0
    match = re.match(r"test accuracy (\d+\.\d\d)%", lines[0])
    assert match, lines[0]
    return float(match.group(1))


def test_mlp_example_trains_data_parallel_to_the_single_process_accuracy() -> None:
    args = [str(EXAMPLES / "mlp_mnist.py"), "--limit-train", "3000", "--epochs", "2",
            "--dropout", "0"]  # fmt: skip
    parallel = check_ok(run_mpi(2, *args, timeout=120))
    single = check_ok(run_python(*args, timeout=120))
    assert parallel.count('Model: "Sequential"') == 1
    assert parallel.count("epoch 2/2") == 1
    # the same run up to float32 rounding: the same accuracy within a few images
    assert abs(final_accuracy(parallel) - final_accuracy(single)) <= 0.1


def test_cnn_example_trains_data_parallel_like_one_process() -> None:
    """Random shifts drawn for the whole batch, each rank its rows: the same
    run as one process, up to the rounding of the averaged gradients."""
    args = [str(EXAMPLES / "cnn_mnist.py"), "--limit-train", "1024", "--epochs", "1",
            "--dropout", "0", "--shift", "2"]  # fmt: skip
    parallel = check_ok(run_mpi(2, *args, timeout=180))
    single = check_ok(run_python(*args, timeout=180))
    assert parallel.count('Model: "Sequential"') == 1
    assert parallel.count("random shifts of up to 2 pixels") == 1
    assert abs(final_accuracy(parallel) - final_accuracy(single)) <= 0.1


def test_softmax_example_writes_one_checkpoint_and_prints_once(tmp_path: Path) -> None:
    checkpoint = tmp_path / "softmax.npz"
    args = [str(EXAMPLES / "softmax_mnist.py"), "--epochs", "1",
            "--checkpoint", str(checkpoint)]  # fmt: skip
    result = run_mpi(2, *args, timeout=120)
    assert final_accuracy(check_ok(result)) > 88.0
    assert result.stderr.count("epoch 1/1 - loss") == 1
    assert load_checkpoint(checkpoint, Sequential(Linear(784, 10))).epoch == 1
    assert [path.name for path in tmp_path.iterdir()] == ["softmax.npz"]
