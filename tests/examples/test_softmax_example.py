"""examples/softmax_mnist.py (the report's softmax regression): a smoke run
with a checkpoint and a resume, its flags and defaults, the accuracy of its
defaults, and the same model trained in-process on a slice of MNIST."""

from __future__ import annotations

import importlib.util
import os
import re
from unittest import mock

import numpy as np
from conftest import load_example, needs_data, run_example

from minitorch_np.data import DataLoader, load_mnist
from minitorch_np.layers import Linear, Sequential
from minitorch_np.losses import SoftmaxCrossEntropy
from minitorch_np.optim import SGD
from minitorch_np.training import Trainer, load_checkpoint


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

    # another --epochs is refused: the saved cosine schedule ends after 1 epoch
    args = ["--checkpoint", str(checkpoint)]
    result = run_example("softmax_mnist.py", *args, "--epochs", "2", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--epochs 2 does not fit the checkpoint" in result.stderr
    assert "resume with --epochs 1" in result.stderr

    # the same --epochs resumes: nothing is left to train (and it plots, if it can;
    # an interrupted run resuming is tested in test_cli.py)
    png = tmp_path / "curves.png"
    plotting = importlib.util.find_spec("matplotlib") is not None
    result = run_example(
        "softmax_mnist.py",
        *args,
        "--epochs",
        "1",
        *(["--plot", str(png)] if plotting else []),
    )
    assert "resuming from" in result.stdout
    assert "epoch 1/1" not in result.stderr
    assert load_checkpoint(checkpoint, Sequential(Linear(784, 10))).epoch == 1
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
    with mock.patch.dict(os.environ):  # the script sets BLAS thread variables
        module = load_example("softmax_mnist")
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


@needs_data
def test_softmax_regression_on_an_mnist_slice_beats_88_percent():
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    x, y = x[:12000], y[:12000]
    model = Sequential(Linear(784, 10, init="zeros"))
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer)
    history = trainer.fit(DataLoader(x, y, batch_size=128, rng=0), 3, progress=False)
    result = trainer.evaluate(x_test, y_test)
    assert history.loss[-1] < history.loss[0]
    assert result["acc"] >= 0.88, result
    predicted = trainer.predict(x_test[:500]).argmax(axis=1)
    assert np.mean(predicted == y_test[:500]) >= 0.85
