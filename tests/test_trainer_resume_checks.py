"""Trainer.fit(resume_from=...): a checkpoint whose History has other columns
than the resumed fit logs (val_data or accuracy not as in the saved run) is
refused before anything is restored or trained, and a History that refuses an
epoch's row leaves the epoch counter and the History consistent."""

from __future__ import annotations

import re

import pytest
from trainer_fixtures import assert_same_arrays, blobs, mlp, weights

from minitorch_np.data import DataLoader
from minitorch_np.losses import SoftmaxCrossEntropy
from minitorch_np.optim import SGD
from minitorch_np.training import History, Trainer, load_checkpoint
from minitorch_np.training.checkpoint import read_checkpoint

VAL_DATA = blobs(30, seed=6)


def make(seed: int, accuracy: bool | str = "auto") -> tuple[Trainer, DataLoader]:
    model = mlp(seed=seed)
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, accuracy=accuracy)
    x, y = blobs(80, seed=5)
    return trainer, DataLoader(x, y, batch_size=16, rng=seed)


def saved_run(tmp_path, validated: bool, accuracy: bool | str = "auto"):
    trainer, loader = make(seed=1, accuracy=accuracy)
    trainer.fit(loader, 2, val_data=VAL_DATA if validated else None, progress=False)
    return trainer, trainer.save_checkpoint(tmp_path / "run.npz")


def assert_untouched(trainer: Trainer, before: dict, loader: DataLoader, rng_state):
    assert trainer.epoch == 0 and len(trainer.history) == 0
    assert trainer.optimizer.step_count == 0
    assert_same_arrays(weights(trainer.model), before)
    assert loader.rng.bit_generator.state == rng_state


@pytest.mark.parametrize(
    ("saved_with_val", "missing", "new", "hint"),
    [
        (True, "['val_loss', 'val_acc']", "[]", "pass the same val_data"),
        (False, "[]", "['val_loss', 'val_acc']", "resume without val_data"),
    ],
)
def test_a_resume_with_other_val_data_is_refused_before_any_batch(
    tmp_path, saved_with_val, missing, new, hint
):
    _, path = saved_run(tmp_path, validated=saved_with_val)
    resumed, loader = make(seed=2)
    before, rng_state = weights(resumed.model), loader.rng.bit_generator.state
    with pytest.raises(ValueError) as raised:
        resumed.fit(
            loader, 4, val_data=None if saved_with_val else VAL_DATA,
            progress=False, resume_from=path,
        )  # fmt: skip
    message = str(raised.value)
    assert "resume_from=" in message and "val_data" in message
    assert f"missing here: {missing}, new here: {new}" in message
    assert hint in message and "Nothing was trained or restored" in message
    assert_untouched(resumed, before, loader, rng_state)


def test_a_resume_with_another_accuracy_setting_is_refused(tmp_path):
    _, path = saved_run(tmp_path, validated=True, accuracy=True)
    resumed, loader = make(seed=2, accuracy=False)
    before, rng_state = weights(resumed.model), loader.rng.bit_generator.state
    with pytest.raises(ValueError, match=re.escape("accuracy=True, as it was")):
        resumed.fit(loader, 4, val_data=VAL_DATA, progress=False, resume_from=path)
    assert_untouched(resumed, before, loader, rng_state)


@pytest.mark.parametrize("validated", [True, False])
def test_a_resume_as_saved_still_continues_the_run(tmp_path, validated):
    val_data = VAL_DATA if validated else None
    straight, straight_loader = make(seed=1)
    straight.fit(straight_loader, 4, val_data=val_data, progress=False)
    _, path = saved_run(tmp_path, validated=validated)
    resumed, loader = make(seed=2)
    history = resumed.fit(
        loader, 4, val_data=val_data, progress=False, resume_from=path
    )
    assert resumed.epoch == 4 and len(history) == 4
    assert bool(history.val_loss) == validated
    assert history.loss == straight.history.loss
    assert_same_arrays(weights(resumed.model), weights(straight.model))
    saved = resumed.save_checkpoint(tmp_path / "again.npz")
    assert (
        read_checkpoint(saved).epoch == 4 and len(read_checkpoint(saved).history) == 4
    )


def test_a_checkpoint_of_epoch_zero_resumes_with_or_without_val_data(tmp_path):
    trainer, _ = make(seed=1)
    path = trainer.save_checkpoint(tmp_path / "start.npz")  # empty History
    resumed, loader = make(seed=2)
    with pytest.warns(UserWarning, match="no train-loader RNG state"):
        history = resumed.fit(
            loader, 1, val_data=VAL_DATA, progress=False, resume_from=path
        )
    assert len(history) == 1 and len(history.val_loss) == 1


def test_read_checkpoint_restores_nothing_and_names_a_bad_file(tmp_path):
    trainer, path = saved_run(tmp_path, validated=True)
    checkpoint = read_checkpoint(path)
    assert checkpoint.epoch == 2 and checkpoint.history == trainer.history
    other, _ = make(seed=2)
    assert checkpoint.history == load_checkpoint(path, other.model).history
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=re.escape(f"read_checkpoint({str(bad)!r})")):
        read_checkpoint(bad)


def test_an_epoch_the_history_refuses_is_not_counted_nor_saved(tmp_path, monkeypatch):
    append = History.append

    def refuse_the_third_row(history: History, logs) -> None:
        if len(history) == 2:
            raise ValueError("History: refused")
        append(history, logs)

    monkeypatch.setattr(History, "append", refuse_the_third_row)
    trainer, loader = make(seed=1)
    with pytest.raises(ValueError, match="History: refused"):
        trainer.fit(loader, 3, progress=False)
    assert trainer.epoch == 2 and len(trainer.history) == 2
    with pytest.raises(RuntimeError, match="interrupted in epoch 3"):
        trainer.save_checkpoint(tmp_path / "three.npz")
    assert not (tmp_path / "three.npz").exists()
