"""The lab report's two softmax-regression implementations, timed next to the library.

    python benchmarks/report_baseline.py                  # 5 timed epochs each (median)
    python benchmarks/report_baseline.py --per-sample-fraction 1   # the whole per-sample epoch

The report trained softmax regression on MNIST (theta of shape (10, 784), no
bias, SGD with lr 1e-4, batch 600) with hand-written numpy loops: 1000 epochs
in 2102 s, 2.1 s per epoch. Its two implementations, as code of the same shape:

* per-sample loop: for every batch of 600, the gradient is accumulated one
  sample and one class at a time (p = softmax(theta @ x_i); for j:
  grad[j] += (p[j] - [y_i == j]) * x_i), then averaged and applied. This is
  slow, so by default only the first fraction of an epoch
  (``--per-sample-fraction``, 1/6 = 10000 images) is timed and the time is
  extrapolated to the 60000 images (the printout says so).
* vectorised: the same update with whole-batch arrays: scores = X theta^T,
  softmax per row, P[range, y] -= 1, grad = P^T X / 600.

Both run in float64 (numpy's default, what ``images / 255.0`` gives) and, for
comparison, in float32. The library runs the same model,
``Sequential(Linear(784, 10, bias=False, init="zeros"))`` with
``SoftmaxCrossEntropy`` and ``SGD(lr=1e-4)``, in float32 at batch 600 (the
report's setting) and at batch 256 (the training benchmark's), as a step loop
(zero_grad, forward, loss, accumulate_grad, step) and as ``Trainer.fit``.
Epochs are interleaved and the median is reported; every implementation
reshuffles every epoch. ``--threads`` (default: the CPU count) is set before
numpy is imported.
"""

from __future__ import annotations

import sys

from _common import set_thread_environment, threads_from_argv

if __name__ == "__main__":
    set_thread_environment(threads_from_argv(sys.argv[1:]))

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    argument_parser,
    data_folder,
    default_threads,
    environment_lines,
    load_mnist_train,
    median,
    positive_int,
)

from minitorch_np.data import DataLoader  # noqa: E402
from minitorch_np.layers import Linear, Sequential  # noqa: E402
from minitorch_np.losses import SoftmaxCrossEntropy  # noqa: E402
from minitorch_np.optim import SGD  # noqa: E402
from minitorch_np.training import Trainer  # noqa: E402

LR = 1e-4
REPORT_BATCH = 600
CLASSES = 10
REPORT_SECONDS_PER_EPOCH = 2102 / 1000


class ReportPerSample:
    """The report's per-sample, per-class gradient loop, one update per batch."""

    def __init__(
        self, x: np.ndarray, y: np.ndarray, dtype: type, fraction: float, seed: int
    ) -> None:
        self.x, self.y = x.astype(dtype), y
        self.theta = np.zeros((CLASSES, x.shape[1]), dtype=dtype)
        self.rng = np.random.default_rng(seed)
        self.n_timed = max(
            REPORT_BATCH, int(round(len(x) * fraction / REPORT_BATCH)) * REPORT_BATCH
        )

    def epoch(self) -> None:
        order = self.rng.permutation(len(self.x))[: self.n_timed]
        for start in range(0, len(order), REPORT_BATCH):
            index = order[start : start + REPORT_BATCH]
            xb, yb = self.x[index], self.y[index]
            grad = np.zeros_like(self.theta)
            for i in range(len(xb)):
                scores = self.theta @ xb[i]
                exps = np.exp(scores - scores.max())
                p = exps / exps.sum()
                for j in range(CLASSES):
                    grad[j] += (p[j] - (yb[i] == j)) * xb[i]
            self.theta -= LR * grad / len(xb)


class ReportVectorised:
    """The report's whole-batch version of the same update."""

    def __init__(self, x: np.ndarray, y: np.ndarray, dtype: type, seed: int) -> None:
        self.x, self.y = x.astype(dtype), y
        self.theta = np.zeros((CLASSES, x.shape[1]), dtype=dtype)
        self.rng = np.random.default_rng(seed)

    def epoch(self) -> None:
        order = self.rng.permutation(len(self.x))
        for start in range(0, len(order), REPORT_BATCH):
            index = order[start : start + REPORT_BATCH]
            xb, yb = self.x[index], self.y[index]
            scores = xb @ self.theta.T
            scores -= scores.max(axis=1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(yb)), yb] -= 1
            grad = probs.T @ xb / len(yb)
            self.theta -= LR * grad


def library_model() -> tuple[Sequential, SGD]:
    model = Sequential(Linear(784, CLASSES, bias=False, init="zeros"))
    return model, SGD(model.parameters(), lr=LR)


class LibraryStepLoop:
    def __init__(
        self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int
    ) -> None:
        self.model, self.optimizer = library_model()
        self.loss_fn = SoftmaxCrossEntropy()
        self.loader = DataLoader(x, y, batch_size=batch_size, rng=seed)

    def epoch(self) -> None:
        for xb, yb in self.loader:
            self.optimizer.zero_grad()
            self.loss_fn(self.model(xb), yb)
            self.model.accumulate_grad(self.loss_fn.backward())
            self.optimizer.step()


class LibraryTrainer:
    def __init__(
        self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int
    ) -> None:
        model, optimizer = library_model()
        self.trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer)
        self.loader = DataLoader(x, y, batch_size=batch_size, rng=seed)

    def epoch(self) -> None:
        self.trainer.fit(self.loader, 1, progress=False)


def timed(epoch: Callable[[], None]) -> float:
    start = time.perf_counter()
    epoch()
    return time.perf_counter() - start


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", "--epochs", type=positive_int, default=5, dest="repeats",
                        help="timed epochs per implementation (median reported; default 5)")  # fmt: skip
    parser.add_argument("--per-sample-fraction", type=float, default=1 / 6,
                        help="fraction of an epoch the per-sample loop runs (default 1/6)")  # fmt: skip
    parser.add_argument("--threads", type=positive_int, default=default_threads(),
                        help="BLAS threads (default: the CPU count)")  # fmt: skip
    parser.add_argument(
        "--data", default=None, type=data_folder,
        help="folder with mnist/ (default: MINITORCH_NP_DATA)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not 0 < args.per_sample_fraction <= 1:  # (also refuses nan)
        parser.error("--per-sample-fraction must be in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    for line in environment_lines(args.threads):
        print(line)
    x, y = load_mnist_train(args.data)
    n = len(x)
    per_sample = {
        dtype: ReportPerSample(x, y, dtype, args.per_sample_fraction, seed=0)
        for dtype in (np.float64, np.float32)
    }
    scale = n / per_sample[np.float64].n_timed  # extrapolation to a whole epoch
    runners: dict[str, tuple[Callable[[], None], float]] = {
        "report per-sample loop, float64": (per_sample[np.float64].epoch, scale),
        "report per-sample loop, float32": (per_sample[np.float32].epoch, scale),
        "report vectorised, batch 600, float64": (
            ReportVectorised(x, y, np.float64, 0).epoch,
            1.0,
        ),
        "report vectorised, batch 600, float32": (
            ReportVectorised(x, y, np.float32, 0).epoch,
            1.0,
        ),
        "library step loop, batch 600": (
            LibraryStepLoop(x, y, REPORT_BATCH, 0).epoch,
            1.0,
        ),
        "library Trainer.fit, batch 600": (
            LibraryTrainer(x, y, REPORT_BATCH, 0).epoch,
            1.0,
        ),
        "library step loop, batch 256": (LibraryStepLoop(x, y, 256, 0).epoch, 1.0),
        "library Trainer.fit, batch 256": (LibraryTrainer(x, y, 256, 0).epoch, 1.0),
    }
    for epoch, _ in runners.values():  # warm-up
        epoch()
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, (epoch, factor) in runners.items():
            times[name].append(timed(epoch) * factor)
    seconds = {name: median(values) for name, values in times.items()}
    library = seconds["library step loop, batch 600"]
    print(
        f"\nseconds per epoch of {n} images, median of {args.repeats}; the per-sample loop "
        f"ran {per_sample[np.float64].n_timed} images per epoch, extrapolated x{scale:.2f}\n"
    )
    print(f"{'implementation':<40} {'s/epoch':>9} {'library batch 600 is':>22}")
    print(f"{'report (as published: 2102 s / 1000 epochs)':<40} {REPORT_SECONDS_PER_EPOCH:>9.3f} "
          f"{REPORT_SECONDS_PER_EPOCH / library:>20.1f}x faster")  # fmt: skip
    for name, value in seconds.items():
        print(f"{name:<40} {value:>9.3f} {value / library:>20.1f}x faster")


if __name__ == "__main__":
    main()
