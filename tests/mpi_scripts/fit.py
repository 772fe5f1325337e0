"""A small float64 training run, the same code on one process or under
``mpiexec -n K``: tests/test_distributed_training.py compares the two.

Writes ``<out>/rank<r>.npz`` on every rank: the final parameters (by name)
and the History as JSON (key ``history``). The run is data-parallel when
started by an MPI launcher (or with --distributed), single-process otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402

import minitorch_np as mt  # noqa: E402
from minitorch_np.training import Callback, Trainer  # noqa: E402
from minitorch_np.training.collective import launched_world_size  # noqa: E402


def make_data(samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of 6 features, float64; not linearly trivial."""
    rng = np.random.default_rng(1234)
    x = rng.normal(size=(samples, 6))
    y = (np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 0.8)
    return x, y


def build(optimizer_name: str, dropout: float = 0.0) -> tuple[mt.Layer, mt.Optimizer]:
    rng = np.random.default_rng(7)
    layers = [mt.Linear(6, 16, rng=rng), mt.Tanh(), mt.Linear(16, 3, rng=rng)]
    if dropout:
        layers.insert(2, mt.Dropout(dropout, rng=11))
    model = mt.Sequential(*layers).to(np.float64)
    if optimizer_name == "sgd":
        optimizer: mt.Optimizer = mt.SGD(
            model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3
        )
    else:
        optimizer = mt.Adam(model.parameters(), lr=0.01)
    return model, optimizer


class FailAt(Callback):
    """Raise on one rank at the end of an epoch (the others go on into the
    next epoch's collectives)."""

    def __init__(self, epoch: int, rank: int) -> None:
        self.epoch, self.rank = epoch, rank

    def on_epoch_end(self, epoch: int, logs: object) -> None:
        from minitorch_np import distributed

        if epoch == self.epoch and distributed.rank() == self.rank:
            raise RuntimeError(f"planned failure on rank {self.rank}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=53)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", required=True)
    parser.add_argument("--save", help="checkpoint written after the run")
    parser.add_argument("--resume", help="checkpoint to resume from")
    parser.add_argument("--fail-epoch", type=int, help="raise on rank 1 then")
    parser.add_argument("--distributed", action="store_true")
    parser.add_argument("--reduction", choices=("mean", "sum"), default="mean")
    parser.add_argument("--dropout", type=float, default=0.0)
    args = parser.parse_args(argv)

    x, y = make_data(args.samples)
    x_val, y_val = make_data(11)
    model, optimizer = build(args.optimizer, args.dropout)
    shard = None
    rank = 0
    if args.distributed or launched_world_size() > 1:
        from minitorch_np import distributed

        distributed.broadcast_parameters(model)
        distributed.seed_layer_generators(model, 5)
        optimizer = distributed.DistributedOptimizer(
            optimizer, loss_reduction=args.reduction
        )
        shard, rank = "auto", distributed.rank()
    scheduler = mt.CosineAnnealingLR(optimizer, T_max=5)
    loss = mt.SoftmaxCrossEntropy(reduction=args.reduction)
    trainer = Trainer(model, loss, optimizer, scheduler=scheduler)
    loader = mt.DataLoader(x, y, batch_size=args.batch_size, rng=3, shard=shard)
    callbacks = [FailAt(args.fail_epoch, 1)] if args.fail_epoch else []
    history = trainer.fit(
        loader, args.epochs, val_data=(x_val, y_val), callbacks=callbacks,
        progress="line", resume_from=args.resume,
    )  # fmt: skip
    if args.save:
        trainer.save_checkpoint(args.save)
    columns = history.to_dict()
    columns.pop("seconds", None)
    params = {name: p.data for name, p in model.named_parameters()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / f"rank{rank}.npz", history=json.dumps(columns), **params)
    print(f"rank {rank} done", file=sys.stderr)


if __name__ == "__main__":
    main()
