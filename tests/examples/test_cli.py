"""Examples print library errors as a short message with the fix and exit 2,
without a traceback; --debug or MINITORCH_NP_DEBUG=1 shows the traceback."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import run_example

from minitorch_np.cli import DEBUG_ENV, run_main
from minitorch_np.data import MNIST
from minitorch_np.optim import SGD
from minitorch_np.parameter import Parameter


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


def offline_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("MINITORCH_NP_DATA", DEBUG_ENV)
    }
    env.update(
        XDG_CACHE_HOME=str(tmp_path / "cache"), MINITORCH_NP_MIRRORS=closed_port_url()
    )
    env.update(extra)
    return env


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_example(script, *args, env=env, timeout=120, check=False)


@pytest.mark.parametrize("script", ["softmax_mnist.py", "mlp_mnist.py", "cnn_mnist.py"])
def test_missing_data_offline_is_a_short_message_and_exit_2(
    tmp_path: Path, script: str
) -> None:
    result = run(script, "--data", str(tmp_path / "empty"), env=offline_env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "DownloadError: MNIST file train-images-idx3-ubyte.gz" in result.stderr
    assert "To install by hand" in result.stderr and "--debug" in result.stderr


def test_a_checksum_mismatch_is_a_short_message(tmp_path: Path) -> None:
    folder = (
        tmp_path / "data"
    )  # searched, but not where downloads go: kept and reported
    folder.mkdir(parents=True)
    for file in MNIST.files:
        (folder / file.filename.removesuffix(".gz")).write_bytes(
            b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"
        )
    result = run(
        "softmax_mnist.py", "--data", str(tmp_path / "data"), env=offline_env(tmp_path)
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        "ChecksumError" in result.stderr
        and "Replace it by a correct copy" in result.stderr
    )


@pytest.mark.parametrize("how", ["--debug", "env"])
def test_the_traceback_on_request(tmp_path: Path, how: str) -> None:
    args = ["--data", str(tmp_path / "empty")] + (
        ["--debug"] if how == "--debug" else []
    )
    env = offline_env(tmp_path, **({DEBUG_ENV: "1"} if how == "env" else {}))
    result = run("softmax_mnist.py", *args, env=env)
    assert (
        result.returncode == 1 and "Traceback (most recent call last)" in result.stderr
    )


def bad_learning_rate(argv: list[str]) -> None:
    SGD([Parameter(np.zeros(2, np.float32))], lr=-1.0)


def test_run_main_turns_a_library_error_into_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_main(bad_learning_rate, [], prog="demo") == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "demo: error: ValueError: SGD: expected lr in [0.0, inf], got -1.0"
    )
    assert "Traceback" not in err


def test_errors_of_the_script_itself_keep_their_traceback() -> None:
    def buggy(argv: list[str]) -> None:
        raise ValueError("a bug in the script, not a library error")

    with pytest.raises(ValueError, match="a bug in the script"):
        run_main(buggy, [], prog="demo")


def test_debug_flag_and_environment_let_the_error_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="lr"):
        run_main(bad_learning_rate, ["--debug"], prog="demo")
    monkeypatch.setenv(DEBUG_ENV, "1")
    with pytest.raises(ValueError, match="lr"):
        run_main(bad_learning_rate, [], prog="demo")


def test_ctrl_c_is_exit_130_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted(argv: list[str]) -> None:
        raise KeyboardInterrupt

    assert run_main(interrupted, [], prog="demo") == 130
    assert capsys.readouterr().err == "demo: interrupted\n"


def test_checkpointing_writes_every_epoch_and_resumes_only_from_an_existing_file(
    tmp_path: Path,
) -> None:
    from minitorch_np.cli import checkpointing
    from minitorch_np.training import ModelCheckpoint

    assert checkpointing(None) == ([], None)
    path = str(tmp_path / "run.npz")
    said: list[str] = []
    callbacks, resume_from = checkpointing(path, say=said.append)
    assert [type(c) for c in callbacks] == [ModelCheckpoint] and resume_from is None
    assert said == []
    Path(path).write_bytes(b"")
    callbacks, resume_from = checkpointing(path, say=said.append)
    assert resume_from == path and said == [f"resuming from {path}"]


def test_data_parallel_leaves_a_single_process_alone(monkeypatch) -> None:
    """Started without an MPI launcher: the optimizer, no shard, rank 0, the
    model untouched and mpi4py not imported (the distributed path itself is
    tested under mpiexec in test_distributed_examples.py)."""
    import sys

    from minitorch_np import cli
    from minitorch_np.layers import Dropout, Linear, Sequential
    from minitorch_np.training.collective import LAUNCHER_SIZE_VARIABLES

    for name in LAUNCHER_SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    rng = np.random.default_rng(0)
    model = Sequential(Linear(3, 2, rng=rng), Dropout(0.5, rng=rng))
    weights = model[0].weight.data.copy()
    optimizer = SGD(model.parameters(), lr=0.1)
    modules_before = set(sys.modules)
    assert cli.data_parallel(model, optimizer, seed=0) == (optimizer, None, 0)
    assert model[1].rng is rng
    np.testing.assert_array_equal(model[0].weight.data, weights)
    assert not any(m.startswith("mpi4py") for m in set(sys.modules) - modules_before)
