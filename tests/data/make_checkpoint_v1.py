"""Writes checkpoint_v1.npz with minitorch_np 0.1.0 (checkpoint format 1) and
checkpoint_v1_continued.npz, the parameters after two more steps of the same
run. Kept to document how the fixture was made; it needs minitorch_np 0.1.0
(git show 8fe8aff) on the path:

    PYTHONPATH=<checkout of 8fe8aff> python tests/data/make_checkpoint_v1.py
"""

from pathlib import Path

import numpy as np

import minitorch_np as mt

HERE = Path(__file__).resolve().parent


def build():
    model = mt.Sequential(
        mt.Linear(4, 3, rng=0),
        mt.ReLU(),
        mt.Dropout(0.5, rng=1),
        mt.Linear(3, 2, rng=2),
    )
    optimizer = mt.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = mt.StepLR(optimizer, step_size=1, gamma=0.5)
    return model, optimizer, scheduler


def data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((10, 4)).astype(np.float32), rng.integers(0, 2, 10)


def steps(model, optimizer, loader, n):
    loss_fn = mt.SoftmaxCrossEntropy()
    batches = iter(loader)
    for _ in range(n):
        xb, yb = next(batches)
        optimizer.zero_grad()
        loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        optimizer.step()


if __name__ == "__main__":
    model, optimizer, scheduler = build()
    x, y = data()
    loader = mt.DataLoader(x, y, batch_size=2, rng=3)
    steps(model, optimizer, loader, 3)
    scheduler.step()
    mt.save_checkpoint(
        HERE / "checkpoint_v1.npz", model, optimizer, epoch=1,
        train_loader=loader, scheduler=scheduler,
    )  # fmt: skip
    steps(model, optimizer, loader, 2)
    np.savez(HERE / "checkpoint_v1_continued.npz", **model.state_dict())
