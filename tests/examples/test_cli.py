"""Examples print library errors as a short message with the fix and exit 2,
without a traceback; --debug or MINITORCH_NP_DEBUG=1 shows the traceback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from conftest import load_example, needs_data, run_example

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


@pytest.mark.parametrize(
    ("kind", "good", "bad", "message"),
    [
        ("positive_int", {"1": 1, "12": 12}, ["0", "-3"], "expected a positive int"),
        ("non_negative_int", {"0": 0, "5": 5}, ["-1"], "expected an int >= 0"),
        ("positive_float", {"0.1": 0.1, "2": 2.0}, ["0", "-1", "nan", "inf"],
         "expected a positive float"),
        ("non_negative_float", {"0": 0.0, "1e-4": 1e-4}, ["-0.1", "nan", "inf"],
         "expected a float >= 0"),
        ("fraction", {"0": 0.0, "0.9": 0.9}, ["1", "-0.1", "nan"],
         "expected a float in [0, 1)"),
    ],
)  # fmt: skip
def test_the_argparse_types_take_their_range_and_refuse_the_rest(
    kind: str, good: dict[str, float], bad: list[str], message: str
) -> None:
    import argparse

    from minitorch_np import cli

    check = getattr(cli, kind)
    assert kind in cli.__all__ and check.__doc__
    for text, value in good.items():
        assert check(text) == value
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(message)):
            check(text)
    with pytest.raises(ValueError):  # argparse says "invalid <kind> value: 'x'"
        check("x")


def cosine_checkpoint(path: Path, epochs: int, done: int) -> None:
    """What an example leaves after ``done`` epochs of a run of ``epochs``
    (T_max = ``epochs``), on a tiny synthetic problem."""
    from minitorch_np.data import DataLoader
    from minitorch_np.layers import Linear, Sequential
    from minitorch_np.losses import SoftmaxCrossEntropy
    from minitorch_np.optim.lr_scheduler import CosineAnnealingLR
    from minitorch_np.training import ModelCheckpoint, Trainer

    rng = np.random.default_rng(0)
    model = Sequential(Linear(3, 2, rng=rng))
    optimizer = SGD(model.parameters(), lr=0.1)
    trainer = Trainer(
        model, SoftmaxCrossEntropy(), optimizer,
        scheduler=CosineAnnealingLR(optimizer, T_max=epochs),
    )  # fmt: skip
    x = rng.normal(size=(8, 3)).astype(np.float32)
    loader = DataLoader(x, rng.integers(0, 2, size=8), batch_size=4, rng=rng)
    trainer.fit(loader, done, callbacks=[ModelCheckpoint(path)], progress=False)


def test_checkpointing_refuses_a_checkpoint_of_another_schedule_length(
    tmp_path: Path,
) -> None:
    from minitorch_np.cli import checkpointing

    path = tmp_path / "run.npz"
    cosine_checkpoint(path, epochs=2, done=1)
    said: list[str] = []
    with pytest.raises(ValueError) as refused:
        checkpointing(str(path), say=said.append, epochs=3)
    assert str(refused.value) == (
        f"--epochs 3 does not fit the checkpoint {path}: it was saved by a run of "
        f"2 epochs (its cosine schedule ends there); resume with --epochs 2, or "
        f"start a new run without --checkpoint or with another path"
    )
    assert said == []  # refused before "resuming from"
    callbacks, resume_from = checkpointing(str(path), say=said.append, epochs=2)
    assert resume_from == str(path) and said == [f"resuming from {path}"]
    assert checkpointing(str(path), epochs=None, say=said.append)[1] == str(path)


def test_checkpointing_leaves_an_unreadable_file_to_the_trainer(tmp_path: Path) -> None:
    from minitorch_np.cli import checkpointing

    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a checkpoint")
    assert checkpointing(str(path), say=lambda text: None, epochs=3)[1] == str(path)


def test_run_main_prints_the_refusal_as_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from minitorch_np.cli import checkpointing

    path = tmp_path / "run.npz"
    cosine_checkpoint(path, epochs=1, done=1)

    def resume_with_three_epochs(argv: list[str]) -> None:
        checkpointing(str(path), epochs=3)

    assert run_main(resume_with_three_epochs, [], prog="demo") == 2
    err = capsys.readouterr().err
    assert err.startswith("demo: error: ValueError: --epochs 3 does not fit")
    assert "resume with --epochs 1" in err and "Traceback" not in err


def stop_after_the_first_epoch() -> Callable[..., object]:
    """`minitorch_np.cli.checkpointing` with one more callback that ends the run after
    its first epoch, once the checkpoint is written: as if the run had been
    interrupted there."""
    from minitorch_np.cli import checkpointing
    from minitorch_np.training import Callback

    class Stop(Callback):
        def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
            self.trainer.stop_training = True

    def stopping(*args: Any, **kwargs: Any) -> tuple[list[Callback], str | None]:
        callbacks, resume_from = checkpointing(*args, **kwargs)
        return [*callbacks, Stop()], resume_from

    return stopping


@needs_data
@pytest.mark.parametrize(
    ("script", "extra"),
    [("softmax_mnist", []), ("cnn_mnist", ["--limit-train", "256", "--shift", "1"])],
)
def test_an_interrupted_run_resumes_only_with_its_own_epochs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    script: str,
    extra: list[str],
) -> None:
    checkpoint = tmp_path / "run.npz"
    args = [*extra, "--checkpoint", str(checkpoint)]
    with mock.patch.dict(os.environ):  # the scripts set BLAS thread variables
        module = load_example(script)
    monkeypatch.setattr(module, "checkpointing", stop_after_the_first_epoch())
    module.main([*args, "--epochs", "2"])  # stopped after epoch 1 of 2
    capsys.readouterr()

    def saved_epoch() -> int:  # the completed epochs, from the JSON metadata
        with np.load(checkpoint, allow_pickle=False) as archive:
            return json.loads(archive["metadata"].item())["epoch"]

    assert saved_epoch() == 1

    refused = run(f"{script}.py", *args, "--epochs", "3", env=dict(os.environ))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (
        f"error: ValueError: --epochs 3 does not fit the checkpoint {checkpoint}: "
        "it was saved by a run of 2 epochs" in refused.stderr
    )
    assert "resume with --epochs 2" in refused.stderr
    assert "epoch 1/3" not in refused.stderr and saved_epoch() == 1

    resumed = run(f"{script}.py", *args, "--epochs", "2", env=dict(os.environ))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from {checkpoint}" in resumed.stdout
    assert "epoch 1/2" not in resumed.stderr and "epoch 2/2" in resumed.stderr
    assert saved_epoch() == 2
