"""A small convolutional network on MNIST or Fashion-MNIST (Adam, cosine schedule).

    conv 3x3, 32 channels, padding 1 -> max-pool 2 -> ReLU      (N, 32, 14, 14)
    conv 3x3, 64 channels, padding 1 -> max-pool 2 -> ReLU      (N, 64, 7, 7)
    flatten -> dropout -> Linear(3136, 128) -> ReLU -> dropout -> Linear(128, 10)

Max-pooling comes before the ReLU: max(relu(a), relu(b)) = relu(max(a, b)),
so the network computes the same function as conv-ReLU-pool, with the ReLU
on a quarter of the values.

Training uses the first 55000 training images; the last 5000 are the
validation set, scored after every epoch. On MNIST every training image is
moved by up to 2 pixels in each direction, a new random shift each time it
is drawn (``--shift``, data augmentation with `RandomShift`). The defaults (DEFAULTS, per
dataset) were chosen by that validation accuracy, never by the test set,
which is scored once, at the end (docs/benchmarks.md has the runs). Run::

    python examples/cnn_mnist.py
    python examples/cnn_mnist.py --dataset fashion-mnist --plot curves.png
    python examples/cnn_mnist.py --epochs 2 --checkpoint cnn.npz   # resumable: rerun as is
    mpiexec -n 2 python examples/cnn_mnist.py       # data-parallel, 2 processes

Under an MPI launcher the same run is data-parallel (docs/distributed.md):
each process takes its share of every batch (and of its random shifts, drawn
for the whole batch), and the gradients are averaged.

Data: the files are looked up in --data, else in $MINITORCH_NP_DATA, the
user cache and /usr/share/datasets (see docs/data.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# One BLAS thread unless you say otherwise, as in the other examples: on
# shared cores a second OpenBLAS thread can spin and stall (docs/benchmarks.md).
# Must be set before numpy is imported. The library's own threads (im2col,
# pooling, the optimizer; OMP_NUM_THREADS or minitorch_np.set_num_threads) use
# every core: they sleep when idle, and pay on an idle and on a busy machine
# (docs/benchmarks.md, "Fourth session: the samples of a batch").
for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402

from minitorch_np.cli import (  # noqa: E402
    add_checkpoint_flag,
    add_debug_flag,
    checkpointing,
    data_parallel,
    fraction,
    non_negative_int,
    positive_float,
    positive_int,
    run_main,
)
from minitorch_np.data import (  # noqa: E402
    DataLoader,
    RandomShift,
    load_fashion_mnist,
    load_mnist,
)
from minitorch_np.layers import (  # noqa: E402
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from minitorch_np.losses import SoftmaxCrossEntropy  # noqa: E402
from minitorch_np.optim import Adam  # noqa: E402
from minitorch_np.optim.lr_scheduler import CosineAnnealingLR  # noqa: E402
from minitorch_np.training import Trainer  # noqa: E402

LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
VALIDATION_SIZE = 5000
#: Per-dataset defaults of the flags left unset, chosen by the accuracy on
#: the validation split (docs/benchmarks.md, "Convolutional network").
DEFAULTS: dict[str, dict[str, object]] = {
    "mnist": {"epochs": 8, "dropout": 0.25, "shift": 2},
    "fashion-mnist": {"epochs": 12, "dropout": 0.25, "shift": 0},
}


def build_model(
    dropout: float, batchnorm: bool, rng: np.random.Generator
) -> Sequential:
    """(N, 1, 28, 28) pixels in [0, 1] -> (N, 10) logits (the module docstring's net)."""
    layers: list[Layer] = []
    for in_channels, out_channels in ((1, 32), (32, 64)):
        layers.append(Conv2d(in_channels, out_channels, 3, padding=1, rng=rng))
        if batchnorm:
            layers.append(BatchNorm2d(out_channels))
        layers += [MaxPool2d(2), ReLU()]
    layers.append(Flatten())
    if dropout:
        layers.append(Dropout(dropout, rng=rng))
    layers += [Linear(64 * 7 * 7, 128, rng=rng), ReLU()]
    if dropout:
        layers.append(Dropout(dropout, rng=rng))
    layers.append(Linear(128, 10, rng=rng))
    return Sequential(*layers)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=sorted(LOADERS), default="mnist")
    parser.add_argument(
        "--epochs", type=positive_int, help="default: per dataset (DEFAULTS)"
    )
    parser.add_argument("--batch-size", type=positive_int, default=128)
    parser.add_argument(
        "--lr", type=positive_float, default=1e-3, help="Adam's initial learning rate (cosine decay to 0)"
    )  # fmt: skip
    parser.add_argument(
        "--dropout", type=fraction,
        help="drop probability before each Linear; default: per dataset",
    )  # fmt: skip
    parser.add_argument(
        "--shift", type=non_negative_int, metavar="PIXELS",
        help="augmentation: move each training image by up to PIXELS pixels in "
        "each direction (RandomShift); default: per dataset",
    )  # fmt: skip
    parser.add_argument(
        "--batchnorm", action="store_true", help="BatchNorm2d after each convolution"
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0,
        help="seed of the initialisation, dropout and shuffling",
    )  # fmt: skip
    parser.add_argument(
        "--data",
        help="folder with mnist/ or fashion-mnist/ (default: $MINITORCH_NP_DATA, then the library's lookup)",
    )
    parser.add_argument(
        "--limit-train", type=positive_int, metavar="N",
        help="train on the first N images only (quick runs)",
    )  # fmt: skip
    add_checkpoint_flag(parser)
    parser.add_argument(
        "--plot", metavar="PNG",
        help="save loss and accuracy curves per epoch (needs matplotlib)",
    )  # fmt: skip
    add_debug_flag(parser)
    args = parser.parse_args(argv)
    for name, value in DEFAULTS[args.dataset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    start = time.perf_counter()  # the reported time covers loading, training, testing
    rng = np.random.default_rng(args.seed)
    model = build_model(args.dropout, args.batchnorm, rng)
    optimizer, shard, rank = data_parallel(
        model, Adam(model.parameters(), lr=args.lr), args.seed
    )
    say = print if rank == 0 else lambda *text: None
    say(model.summary((1, 28, 28)))
    scheduler = CosineAnnealingLR(optimizer, T_max=args.epochs)
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, scheduler=scheduler)
    # before the data: a checkpoint of another schedule is refused up front
    callbacks, resume_from = checkpointing(args.checkpoint, say=say, epochs=args.epochs)

    load = LOADERS[args.dataset]
    x, y = load("train", root=args.data, flatten=False)
    x_test, y_test = load("test", root=args.data, flatten=False)
    x_train, y_train = x[:-VALIDATION_SIZE], y[:-VALIDATION_SIZE]
    x_train, y_train = x_train[: args.limit_train], y_train[: args.limit_train]
    x_val, y_val = x[-VALIDATION_SIZE:], y[-VALIDATION_SIZE:]

    transform = RandomShift(args.shift) if args.shift else None
    loader = DataLoader(
        x_train,
        y_train,
        batch_size=args.batch_size,
        rng=rng,
        transform=transform,
        shard=shard,
    )
    say(
        f"{TITLES[args.dataset]}: {len(x_train)} training and {len(x_val)} validation "
        f"images, {args.epochs} epochs of batch {args.batch_size}, adam lr {args.lr:g} "
        f"(cosine decay), dropout {args.dropout:g}"
        + (f", random shifts of up to {args.shift} pixels" if args.shift else "")
        + (", batchnorm" if args.batchnorm else "")
    )
    history = trainer.fit(
        loader,
        args.epochs,
        val_data=(x_val, y_val),
        callbacks=callbacks,
        resume_from=resume_from,
        progress="line",
    )
    test_accuracy = trainer.evaluate(x_test, y_test)["acc"]
    if args.plot and rank == 0:
        from minitorch_np.plot import plot_history

        plot_history(history, args.plot, title=f"CNN on {TITLES[args.dataset]}")
    say(f"test accuracy {test_accuracy:.2%} in {time.perf_counter() - start:.1f} s")
    return test_accuracy


if __name__ == "__main__":
    sys.exit(run_main(main))
