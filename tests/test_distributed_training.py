"""A run on K ranks is the same training run as on one process (issue 15).

Each test launches tests/mpi_scripts/fit.py under ``mpiexec -n K`` (float64,
53 samples in global batches of 16: neither divides evenly by 2 or 3 ranks,
3 epochs with a cosine schedule and validation data) and compares what every
rank wrote with a single-process run of the same script.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from mpi_launch import SCRIPTS, check_ok, requires_mpiexec, run_mpi, run_python

pytestmark = requires_mpiexec
FIT = str(SCRIPTS / "fit.py")
RELATIVE = 1e-9


def load_run(folder: Path, rank: int = 0) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(folder / f"rank{rank}.npz") as saved:
        params = {key: saved[key] for key in saved.files if key != "history"}
        history = json.loads(saved["history"].item())
    return params, history


def assert_same_params(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for name in expected:
        scale = np.abs(expected[name]).max()
        error = np.abs(actual[name] - expected[name]).max() / scale
        assert error <= RELATIVE, f"{name}: relative difference {error:.3g}"


def assert_same_history(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for column in expected:
        np.testing.assert_allclose(actual[column], expected[column], rtol=RELATIVE)


@pytest.fixture(scope="module")
def single_process(tmp_path_factory: pytest.TempPathFactory):
    """``{optimizer: folder}`` of uninterrupted single-process 3-epoch runs."""
    runs = {}
    for optimizer in ("sgd", "adam"):
        out = tmp_path_factory.mktemp(f"single-{optimizer}")
        check_ok(run_python(FIT, "--optimizer", optimizer, "--out", str(out)))
        runs[optimizer] = out
    return runs


@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_k_ranks_train_the_single_process_run(
    single_process, tmp_path: Path, ranks: int, optimizer: str
) -> None:
    result = run_mpi(ranks, FIT, "--optimizer", optimizer, "--out", str(tmp_path))
    output = check_ok(result)
    expected_params, expected_history = load_run(single_process[optimizer])
    first_params, first_history = load_run(tmp_path, 0)
    assert_same_params(first_params, expected_params)
    assert_same_history(first_history, expected_history)
    for rank in range(1, ranks):
        params, history = load_run(tmp_path, rank)
        for name in first_params:  # the same updates: bit for bit the same
            np.testing.assert_array_equal(params[name], first_params[name])
        assert history == first_history
    # progress is printed by rank 0 only: one line per epoch
    assert result.stderr.count("epoch 3/3") == 1, result.stderr
    assert output == ""


@pytest.mark.parametrize(("first", "second"), [(2, 1), (1, 2)])
def test_checkpoint_resumes_with_another_number_of_ranks(
    single_process, tmp_path: Path, first: int, second: int
) -> None:
    checkpoint = tmp_path / "epoch2.npz"

    def launch(ranks: int, *argv: str):
        return run_mpi(ranks, FIT, *argv) if ranks > 1 else run_python(FIT, *argv)

    common = ("--optimizer", "adam")
    check_ok(launch(first, *common, "--epochs", "2", "--save", str(checkpoint),
                    "--out", str(tmp_path / "first")))  # fmt: skip
    check_ok(launch(second, *common, "--epochs", "3", "--resume", str(checkpoint),
                    "--out", str(tmp_path / "second")))  # fmt: skip
    expected_params, expected_history = load_run(single_process["adam"])
    for rank in range(second):
        params, history = load_run(tmp_path / "second", rank)
        assert_same_params(params, expected_params)
        assert_same_history(history, expected_history)


def test_an_exception_on_one_rank_ends_the_job(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run_mpi(2, FIT, "--epochs", "3", "--fail-epoch", "1",
                     "--out", str(tmp_path), timeout=30)  # fmt: skip
    assert time.monotonic() - start < 30
    assert result.returncode != 0
    assert "RuntimeError: planned failure on rank 1" in result.stderr
    assert "[rank 1] uncaught exception; aborting every rank" in result.stderr
    assert not (tmp_path / "rank0.npz").exists()


def test_a_sum_loss_trains_the_single_process_run(tmp_path: Path) -> None:
    # the ranks' gradients of a summed loss add up (weight 1), where those of a
    # mean loss are weighted by the ranks' shares of the batch
    common = ("--optimizer", "sgd", "--reduction", "sum")
    check_ok(run_python(FIT, *common, "--out", str(tmp_path / "single")))
    check_ok(run_mpi(2, FIT, *common, "--out", str(tmp_path / "two")))
    expected_params, expected_history = load_run(tmp_path / "single")
    for rank in range(2):
        params, history = load_run(tmp_path / "two", rank)
        assert_same_params(params, expected_params)
        assert_same_history(history, expected_history)


def test_a_library_error_on_one_rank_ends_the_job_through_run_main() -> None:
    start = time.monotonic()
    result = run_mpi(2, SCRIPTS / "library_error.py", timeout=30)
    assert time.monotonic() - start < 30
    assert result.returncode != 0
    assert (
        "library_error.py: error: ValueError: Linear: expected in_features"
        in result.stderr
    )
    assert "passed the collective" not in result.stderr


def test_a_resumed_run_with_dropout_continues_every_ranks_masks(tmp_path: Path) -> None:
    # each rank draws its own masks; the checkpoint (written by rank 0) holds
    # every rank's generator, and each rank takes its own back on resume
    common = ("--optimizer", "adam", "--dropout", "0.3")
    check_ok(run_mpi(2, FIT, *common, "--out", str(tmp_path / "full")))
    checkpoint = tmp_path / "epoch2.npz"
    check_ok(run_mpi(2, FIT, *common, "--epochs", "2", "--save", str(checkpoint),
                     "--out", str(tmp_path / "first")))  # fmt: skip
    check_ok(run_mpi(2, FIT, *common, "--resume", str(checkpoint),
                     "--out", str(tmp_path / "resumed")))  # fmt: skip
    for rank in range(2):
        expected_params, expected_history = load_run(tmp_path / "full", rank)
        params, history = load_run(tmp_path / "resumed", rank)
        assert_same_params(params, expected_params)
        assert_same_history(history, expected_history)


def test_resuming_on_more_ranks_gives_each_its_own_stream_with_a_warning(
    tmp_path: Path,
) -> None:
    common = ("--optimizer", "adam", "--dropout", "0.3")
    checkpoint = tmp_path / "single.npz"
    check_ok(run_python(FIT, *common, "--epochs", "2", "--save", str(checkpoint),
                        "--out", str(tmp_path / "first")))  # fmt: skip
    result = run_mpi(2, FIT, *common, "--resume", str(checkpoint),
                     "--out", str(tmp_path / "resumed"))  # fmt: skip
    check_ok(result)
    assert "holds the layer generators of a single process, this run has 2" in (
        result.stderr
    )
