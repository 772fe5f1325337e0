"""Trainer: fitting, the NaN guard, progress output and argument errors
(reproducibility and exact resume: test_trainer_resume.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from trainer_fixtures import (
    N_CLASSES,
    N_FEATURES,
    ModeRecorder,
    assert_same_arrays,
    blobs,
    mlp,
    weights,
)

from minitorch_np.data import DataLoader
from minitorch_np.layers import Layer, Linear, Sequential
from minitorch_np.losses import MSELoss, SoftmaxCrossEntropy
from minitorch_np.metrics import accuracy, count_correct
from minitorch_np.optim import SGD
from minitorch_np.parameter import Parameter
from minitorch_np.training import Callback, Trainer


# ---------------------------------------------------------------------- fitting
def test_overfits_64_samples_to_full_train_accuracy():
    x, y = blobs(64, seed=0)
    y = np.random.default_rng(1).permutation(
        y
    )  # random labels: only memorisation works
    model = mlp(seed=0, hidden=64)
    trainer = Trainer(
        model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1, momentum=0.9)
    )
    history = trainer.fit(
        DataLoader(x, y, batch_size=16, rng=0), epochs=150, progress=False
    )
    assert history.acc[-1] == 1.0
    assert trainer.evaluate(x, y)["acc"] == 1.0
    assert history.loss[-1] < 0.05 < history.loss[0]


def test_history_columns_and_logs():
    x, y = blobs(200, seed=0)
    model = mlp(seed=0)
    optimizer = SGD(model.parameters(), lr=0.05)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer)
    history = trainer.fit(
        DataLoader(x, y, batch_size=32, rng=0), 3, val_data=blobs(50, 1), progress=False
    )
    assert history is trainer.history and trainer.epoch == 3 and len(history) == 3
    assert list(history) == ["loss", "acc", "val_loss", "val_acc", "lr", "seconds"]
    assert history.lr == [0.05] * 3
    assert all(s > 0 for s in history.seconds)
    assert all(0 <= a <= 1 for a in history.acc + history.val_acc)
    assert history["val_loss"] is history.val_loss


def test_epoch_loss_is_the_per_sample_mean_with_a_short_last_batch():
    x, y = blobs(10, seed=0)
    model = mlp(seed=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.0))
    history = trainer.fit(
        DataLoader(x, y, batch_size=4, shuffle=False), 1, progress=False
    )
    # lr = 0: the weights never move, so the epoch mean equals one full-batch loss
    full = SoftmaxCrossEntropy()(model.forward(x), y)
    assert history.loss[0] == pytest.approx(full, rel=1e-6)


def test_regression_loss_records_no_accuracy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)).astype(np.float32)
    model = Sequential(Linear(3, 1, rng=0))
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.1))
    history = trainer.fit(
        DataLoader(x, y, batch_size=16, rng=0), 20, val_data=(x, y), progress=False
    )
    assert history.acc == [] and history.val_acc == []
    assert list(history) == ["loss", "val_loss", "lr", "seconds"]
    assert history.loss[-1] < 1e-3
    assert set(trainer.evaluate(x, y)) == {"loss"}


def test_train_mode_for_fitting_eval_mode_for_evaluation():
    x, y = blobs(40, seed=0)
    recorder = ModeRecorder()
    model = Sequential(Linear(N_FEATURES, N_CLASSES, rng=0), recorder)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    trainer.fit(
        DataLoader(x, y, batch_size=20, rng=0), 1, val_data=(x, y), progress=False
    )
    # fit first checks val_data with one eval-mode forward of one sample, then
    # two training batches, one validation batch
    assert recorder.modes == [False, True, True, False]
    model.eval()
    trainer.evaluate(x, y)
    assert model.training is False  # evaluate restores the previous mode
    model.train()
    trainer.predict(x)
    assert model.training is True and recorder.modes[-1] is False


def test_evaluate_and_predict_batching_does_not_change_results():
    x, y = blobs(103, seed=0)
    model = mlp(seed=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    small, large = (
        trainer.evaluate(x, y, batch_size=10),
        trainer.evaluate(x, y, batch_size=1000),
    )
    assert small["acc"] == large["acc"]
    # float32: a product of a 7-row slice may round differently from the same
    # rows inside the whole matrix product (BLAS blocks differently), by a few ulp
    assert small["loss"] == pytest.approx(large["loss"], rel=1e-5)
    np.testing.assert_allclose(
        trainer.predict(x, batch_size=7), model.forward(x), rtol=1e-5, atol=1e-6
    )
    assert trainer.predict(x, batch_size=7).shape == (103, N_CLASSES)


def test_accuracy_metrics_take_labels_or_one_hot_rows():
    logits = np.array(
        [[2.0, 1.0, 0.0], [0.0, 0.5, 3.0], [1.0, 4.0, 0.0], [0.0, 0.0, 1.0]]
    )
    labels = np.array([0, 2, 0, 1])
    assert count_correct(logits, labels) == 2
    assert accuracy(logits, labels) == 0.5
    assert accuracy(logits, np.eye(3)[labels]) == 0.5
    with pytest.raises(ValueError, match=r"targets of shape \(4,\)"):
        accuracy(logits, labels[:3])
    with pytest.raises(ValueError, match=r"outputs of shape \(N, K\)"):
        accuracy(logits[0], labels)
    with pytest.raises(ValueError, match="empty"):
        accuracy(np.zeros((0, 3)), np.zeros(0, np.int64))


# ---------------------------------------------------------------------- NaN guard
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_divergent_learning_rate_stops_with_a_clear_error():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32) * 10
    y = rng.normal(size=(64, 1)).astype(np.float32)
    model = Sequential(Linear(5, 1, rng=0))
    seen_losses = []

    class Recorder(Callback):
        def on_epoch_end(self, epoch, logs):
            seen_losses.append(logs["loss"])

    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=5.0))
    with pytest.raises(FloatingPointError) as caught:
        trainer.fit(
            DataLoader(x, y, batch_size=8, rng=0),
            100,
            callbacks=[Recorder()],
            progress=False,
        )
    message = str(caught.value)
    # MSELoss sums its squares in float64, so the float32 weights' gradient
    # overflows before the loss does: the gradient check stops the run
    loss_blew_up = re.search(r"loss is (nan|inf) at epoch (\d+), step (\d+)", message)
    gradient_blew_up = re.search(
        r"at epoch (\d+), step (\d+) the loss was finite but the gradient of '0\.weight' "
        r"was not: SGD\.step: .* nothing was updated",
        message,
    )
    assert loss_blew_up or gradient_blew_up, message
    if loss_blew_up:
        assert re.search(r"last finite loss: \d[\d.e+]*; learning rate: 5\. ", message)
    epoch = int((loss_blew_up or gradient_blew_up).group(2 if loss_blew_up else 1))
    assert epoch == len(seen_losses) + 1  # no epoch was completed after the blow-up
    assert trainer.epoch == len(seen_losses)


def test_nan_input_stops_at_the_first_step_and_applies_no_update():
    x, y = blobs(32, seed=0)
    x[0, 0] = np.nan
    model = mlp(seed=0)
    before = weights(model)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(
        FloatingPointError,
        match=r"epoch 1, step 1 .*last finite loss: none \(this was the first step\)",
    ):
        trainer.fit(DataLoader(x, y, batch_size=32, shuffle=False), 2, progress=False)
    assert_same_arrays(weights(model), before)
    assert trainer.optimizer.step_count == 0


# ---------------------------------------------------------------------- progress
def fit_quietly(progress, epochs: int = 3) -> None:
    x, y = blobs(64, seed=0)
    model = mlp(seed=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    trainer.fit(
        DataLoader(x, y, batch_size=8, rng=0),
        epochs,
        val_data=(x, y),
        progress=progress,
    )


def test_progress_without_a_terminal_is_one_line_per_epoch_without_carriage_returns(
    capsys,
):
    fit_quietly("auto", epochs=3)
    out, err = capsys.readouterr()
    assert out == ""
    assert "\r" not in err
    lines = err.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"epoch {epoch}/3 - loss ")
        assert " - acc " in line and " - val_loss " in line and " - lr 0.1 - " in line


def test_progress_false_is_silent_and_bar_draws_tqdm_bars(capsys):
    fit_quietly(False)
    assert capsys.readouterr() == ("", "")
    fit_quietly("bar", epochs=2)
    err = capsys.readouterr().err
    assert (
        "epoch 1/2 - loss" in err and "epoch 2/2 - loss" in err
    )  # summary lines above the bars
    assert "training: 100%" in err  # the epoch bar
    assert "batch" in err


def test_progress_rejects_unknown_modes():
    with pytest.raises(ValueError, match="progress"):
        fit_quietly("verbose")


# ---------------------------------------------------------------------- errors
def test_argument_errors_name_the_problem():
    x, y = blobs(16, seed=0)
    model = mlp(seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    loader = DataLoader(x, y, batch_size=8, rng=0)
    with pytest.raises(TypeError, match="expected model to be a Layer"):
        Trainer(object(), SoftmaxCrossEntropy(), optimizer)
    with pytest.raises(TypeError, match="loss_fn"):
        Trainer(model, lambda a, b: 0.0, optimizer)
    with pytest.raises(ValueError, match="not parameters of the model"):
        Trainer(mlp(seed=1), SoftmaxCrossEntropy(), optimizer)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer)
    with pytest.raises(ValueError, match="epochs"):
        trainer.fit(loader, 0)
    with pytest.raises(TypeError, match="val_data"):
        trainer.fit(loader, 1, val_data=x)
    with pytest.raises(ValueError, match="same number of samples"):
        trainer.fit(loader, 1, val_data=(x, y[:3]))
    with pytest.raises(TypeError, match="wrap it"):
        trainer.fit(loader, 1, callbacks=Callback())
    with pytest.raises(ValueError, match="no batches"):
        trainer.fit([], 1, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        trainer.evaluate(x, y, batch_size=0)


def test_a_non_finite_gradient_under_a_finite_loss_stops_fit_naming_the_parameter():
    class Explode(Layer):
        """The identity, whose parameter gets an infinite gradient."""

        def __init__(self) -> None:
            super().__init__()
            self.w = Parameter(np.ones(1, dtype=np.float32))

        def forward(self, x: np.ndarray) -> np.ndarray:
            return x

        def backward(self, grad_output: np.ndarray) -> np.ndarray:
            self.w.grad += np.float32(np.inf)
            return grad_output

    x, y = blobs(16, seed=0)
    model = Sequential(Linear(x.shape[1], N_CLASSES, rng=0), Explode())
    before = model.state_dict()
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer)
    with pytest.raises(
        FloatingPointError, match=r"epoch 1, step 1 .* gradient of '1.w'"
    ):
        trainer.fit(DataLoader(x, y, batch_size=16), epochs=3, progress=False)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert optimizer.step_count == 0


def test_evaluate_and_predict_give_every_layer_its_own_mode_back():
    from minitorch_np.layers import BatchNorm1d, Dropout

    model = Sequential(
        Linear(3, 4, rng=0), BatchNorm1d(4), Dropout(0.5, rng=0), Linear(4, 2, rng=1)
    )
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    model.train()
    model[1].eval()  # a frozen BatchNorm stays frozen
    x = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    y = np.array([0, 1, 0, 1, 1, 0])
    for run in (lambda: trainer.evaluate(x, y), lambda: trainer.predict(x)):
        run()
        modes = [layer.training for layer in (model, *model)]
        assert modes == [True, True, False, True, True]
