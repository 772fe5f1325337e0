"""Seconds per MNIST training epoch: minitorch_np, its matrix-product floor and PyTorch.

    python benchmarks/bench_train.py                 # every configuration, 5 timed epochs each
    python benchmarks/bench_train.py --repeats 9 --threads 1 --only mlp-b256-adam
    python benchmarks/bench_train.py --no-torch --json results.jsonl

Configurations (float32, the 60000 MNIST training images per epoch, reshuffled
every epoch): softmax regression 784-10 with SGD + momentum at batch 256, and the
784-256-256-10 ReLU MLP at batches 128 and 256 with SGD + Nesterov momentum and
with Adam (the hyperparameters of examples/softmax_mnist.py and
examples/mlp_mnist.py; they do not change the time).

Implementations, timed in the same process, one epoch each in turn
(step loop, Trainer.fit, floor, PyTorch, step loop, ...), so a change of load
on the machine hits all of them alike; the median over ``--repeats`` epochs is
reported, after one untimed warm-up epoch each. Before every timed epoch the
script sleeps ``--pause`` seconds (0.3 by default): OpenBLAS's worker threads
keep spinning for about 0.1 s after a matrix product, and without the pause
they would eat into the next implementation's epoch.

* step loop: the public API as the examples use it. ``DataLoader`` (shuffled),
  then per batch ``optimizer.zero_grad()``, ``model(xb)``, ``loss_fn(out, yb)``,
  ``model.accumulate_grad(loss_fn.backward())`` (``backward`` minus the
  gradient of the input batch, as ``Trainer`` does), ``optimizer.step()``.
* Trainer.fit: ``Trainer(...).fit(loader, 1, progress=False)`` on its own copy
  of the model (adds the NaN guard and the running loss/accuracy).
* matmul floor: only the matrix products of those steps, with the same shapes,
  dtype, batch sizes (the last batch is smaller) and thread count, back to
  back into preallocated outputs: per batch the forward x W^T of every layer,
  the weight gradient G^T x of every layer and the input gradient G W of every
  layer but the first (8 products for the MLP, 2 for softmax regression).
* PyTorch, twice: the same network (``nn.Linear``/``nn.ReLU``,
  ``CrossEntropyLoss``, ``torch.optim.SGD``/``Adam``) with
  ``torch.set_num_threads(threads)``. "PyTorch loader" takes its batches from
  ``torch.utils.data.DataLoader(TensorDataset(x, y), batch_size, shuffle=True)``,
  the loop of PyTorch's tutorials and the counterpart of minitorch_np's
  ``DataLoader`` (it is how the issue's PyTorch figures come out: about 0.3 s
  per softmax-regression epoch). "PyTorch tuned" gathers them with
  ``index_select`` from a shuffled ``randperm``, as fast as a torch loop over
  in-memory tensors gets. Skipped when torch is not installed (it is never a
  dependency of minitorch_np) or with ``--no-torch``.

Columns: s/epoch (median), samples/s, effective GFLOP/s (the floor's product
FLOPs divided by the epoch time, for every row), the ratio to the floor and to
each PyTorch loop. The ratios are paired: each repeat's epoch time is divided by
the floor's (PyTorch's) epoch of the same repeat, timed a few seconds apart, and
the median of those ratios is reported; on a shared machine whose speed drifts
by tens of percent from one minute to the next (it does, here) they are far
steadier than a ratio of medians. The target check also prints the range
of the per-repeat ratios and how many repeats were within the bound. Then
one JSON line per row, with every epoch time and every per-repeat ratio
(``ratio_to_floor_per_repeat`` and so on). ``--threads``
(default: the CPU count) sets numpy's BLAS threads (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, MKL_NUM_THREADS, set before numpy is imported) and
PyTorch's; minitorch_np's own elementwise work runs on the calling thread.

Data: MNIST is looked up like ``load_mnist`` does (--data, else MINITORCH_NP_DATA).
"""

from __future__ import annotations

import sys

from _common import set_thread_environment, threads_from_argv

if __name__ == "__main__":
    set_thread_environment(threads_from_argv(sys.argv[1:]))

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    default_threads,
    environment_lines,
    load_average,
    load_mnist_train,
    median,
)

from minitorch_np.data import DataLoader  # noqa: E402
from minitorch_np.layers import Layer, Linear, ReLU, Sequential  # noqa: E402
from minitorch_np.losses import SoftmaxCrossEntropy  # noqa: E402
from minitorch_np.optim import SGD, Adam, Optimizer  # noqa: E402
from minitorch_np.training import Trainer  # noqa: E402

STEP_LOOP, TRAINER, FLOOR = "step loop", "Trainer.fit", "matmul floor"
#: PyTorch as its users write it (torch.utils.data.DataLoader over a TensorDataset)
#: and PyTorch hand-tuned (batches gathered with index_select, no DataLoader).
TORCH_LOADER, TORCH_TUNED = "PyTorch loader", "PyTorch tuned"
TORCH_IMPLEMENTATIONS = (TORCH_LOADER, TORCH_TUNED)


@dataclass(frozen=True)
class Config:
    """One benchmarked training setup."""

    name: str
    sizes: tuple[
        int, ...
    ]  # layer widths, input first: (784, 10) or (784, 256, 256, 10)
    batch_size: int
    optimizer: str  # "sgd" (with momentum) or "adam"

    @property
    def is_mlp(self) -> bool:
        return len(self.sizes) > 2

    def matmul_flops_per_sample(self) -> int:
        """Forward x W^T and weight gradient G^T x for every layer, input
        gradient G W for all but the first: 2 * in * out FLOPs each."""
        layers = list(zip(self.sizes[:-1], self.sizes[1:]))
        products = [2 * 2 * n_in * n_out for n_in, n_out in layers]
        products += [2 * n_in * n_out for n_in, n_out in layers[1:]]
        return sum(products)


CONFIGS = [
    Config("softmax-b256-sgd", (784, 10), 256, "sgd"),
    Config("mlp-b128-sgd", (784, 256, 256, 10), 128, "sgd"),
    Config("mlp-b128-adam", (784, 256, 256, 10), 128, "adam"),
    Config("mlp-b256-sgd", (784, 256, 256, 10), 256, "sgd"),
    Config("mlp-b256-adam", (784, 256, 256, 10), 256, "adam"),
]

#: The issue's acceptance bounds: (configuration, against, largest ratio). The
#: PyTorch bounds are checked against both PyTorch loops.
TARGETS = [
    ("mlp-b256-adam", FLOOR, 1.6),
    ("mlp-b256-adam", TORCH_LOADER, 0.7),
    ("mlp-b256-adam", TORCH_TUNED, 0.7),
    ("mlp-b128-adam", FLOOR, 1.8),
    ("softmax-b256-sgd", FLOOR, 4.0),
    ("softmax-b256-sgd", TORCH_LOADER, 0.5),
    ("softmax-b256-sgd", TORCH_TUNED, 0.5),
]

#: The JSON/table key of the ratio to each reference implementation.
RATIO_KEYS = {
    FLOOR: "ratio_to_floor",
    TORCH_LOADER: "ratio_to_torch_loader",
    TORCH_TUNED: "ratio_to_torch_tuned",
}


# ---------------------------------------------------------------------- minitorch_np
def build_model(config: Config, rng: np.random.Generator) -> Sequential:
    if not config.is_mlp:
        return Sequential(Linear(784, 10, init="zeros"))  # as examples/softmax_mnist.py
    layers: list[Layer] = []
    widths = config.sizes
    for index, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(Linear(n_in, n_out, rng=rng))
        if index < len(widths) - 2:
            layers.append(ReLU())
    return Sequential(*layers)


def build_optimizer(config: Config, model: Layer) -> Optimizer:
    if config.optimizer == "adam":
        return Adam(model.parameters(), lr=1e-3)
    if config.is_mlp:
        return SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    return SGD(model.parameters(), lr=0.1, momentum=0.9)


class StepLoop:
    """The five calls of a training step, over one shuffled epoch."""

    def __init__(self, config: Config, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        self.model = build_model(config, np.random.default_rng(seed))
        self.optimizer = build_optimizer(config, self.model)
        self.loss_fn = SoftmaxCrossEntropy()
        self.loader = DataLoader(x, y, batch_size=config.batch_size, rng=seed)

    def epoch(self) -> None:
        for xb, yb in self.loader:
            self.optimizer.zero_grad()
            outputs = self.model(xb)
            self.loss_fn(outputs, yb)
            self.model.accumulate_grad(self.loss_fn.backward())
            self.optimizer.step()


class TrainerEpoch:
    """``Trainer.fit`` for one epoch at a time (the model keeps training)."""

    def __init__(self, config: Config, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        model = build_model(config, np.random.default_rng(seed))
        self.trainer = Trainer(
            model, SoftmaxCrossEntropy(), build_optimizer(config, model)
        )
        self.loader = DataLoader(x, y, batch_size=config.batch_size, rng=seed)

    def epoch(self) -> None:
        self.trainer.fit(self.loader, 1, progress=False)


# ---------------------------------------------------------------------- floor
class MatmulFloor:
    """Only the matrix products of an epoch, back to back, into preallocated arrays."""

    def __init__(self, config: Config, n_samples: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        widths = config.sizes

        def random(*shape: int) -> np.ndarray:
            return rng.standard_normal(shape, dtype=np.float32)

        self.weights = [
            random(n_out, n_in) for n_in, n_out in zip(widths[:-1], widths[1:])
        ]
        self.weight_grads = [np.empty_like(w) for w in self.weights]
        full, last = divmod(n_samples, config.batch_size)
        self.batch_sizes = [config.batch_size] * full + ([last] if last else [])
        # Per batch size: layer inputs x, output gradients G, outputs, input gradients.
        self.arrays: dict[int, tuple[list[np.ndarray], ...]] = {}
        for n in set(self.batch_sizes):
            inputs = [random(n, width) for width in widths[:-1]]
            grads = [random(n, width) for width in widths[1:]]
            outputs = [np.empty((n, width), np.float32) for width in widths[1:]]
            input_grads = [np.empty((n, width), np.float32) for width in widths[:-1]]
            self.arrays[n] = (inputs, grads, outputs, input_grads)

    def epoch(self) -> None:
        weights, weight_grads = self.weights, self.weight_grads
        for n in self.batch_sizes:
            inputs, grads, outputs, input_grads = self.arrays[n]
            for layer, w in enumerate(weights):
                np.matmul(inputs[layer], w.T, out=outputs[layer])
            for layer in range(len(weights) - 1, -1, -1):
                np.matmul(grads[layer].T, inputs[layer], out=weight_grads[layer])
                if layer > 0:
                    np.matmul(grads[layer], weights[layer], out=input_grads[layer])


# ---------------------------------------------------------------------- PyTorch
class TorchLoop:
    """The same network and step in PyTorch.

    ``tuned=False``: batches from ``torch.utils.data.DataLoader(TensorDataset(x, y),
    batch_size, shuffle=True)``, the loop of PyTorch's tutorials (the loader
    indexes the dataset once per sample and stacks the samples of a batch).
    ``tuned=True``: batches gathered with ``index_select`` from a shuffled
    ``randperm``, as fast as a torch loop over in-memory tensors gets.
    """

    def __init__(
        self,
        config: Config,
        x: np.ndarray,
        y: np.ndarray,
        seed: int,
        threads: int,
        tuned: bool,
    ) -> None:
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.batch_size = config.batch_size
        self.generator = torch.Generator().manual_seed(seed)
        widths = config.sizes
        layers: list[Any] = []
        for index, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(torch.nn.Linear(n_in, n_out))
            if index < len(widths) - 2:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        params = self.model.parameters()
        if config.optimizer == "adam":
            self.optimizer = torch.optim.Adam(params, lr=1e-3)
        elif config.is_mlp:
            self.optimizer = torch.optim.SGD(
                params, lr=0.05, momentum=0.9, nesterov=True
            )
        else:
            self.optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(self.x, self.y),
            batch_size=config.batch_size,
            shuffle=True,
            generator=self.generator,
        )
        self.batches = self.tuned_batches if tuned else self.loader.__iter__

    def tuned_batches(self) -> Iterator[tuple[Any, Any]]:
        order = self.torch.randperm(len(self.x), generator=self.generator)
        for start in range(0, len(self.x), self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.x.index_select(0, index), self.y.index_select(0, index)

    def epoch(self) -> None:
        for xb, yb in self.batches():
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------- timing
def timed(epoch: Callable[[], None], pause: float = 0.0) -> float:
    time.sleep(pause)  # let the previous epoch's spinning threads go to sleep
    start = time.perf_counter()
    epoch()
    return time.perf_counter() - start


def run(
    configs: list[Config],
    x: np.ndarray,
    y: np.ndarray,
    repeats: int,
    threads: int,
    use_torch: bool,
    pause: float,
) -> dict[tuple[str, str], list[float]]:
    """Epoch times per (configuration, implementation), interleaved."""
    runners: dict[tuple[str, str], Callable[[], None]] = {}
    for config in configs:
        runners[config.name, STEP_LOOP] = StepLoop(config, x, y, seed=0).epoch
        runners[config.name, TRAINER] = TrainerEpoch(config, x, y, seed=0).epoch
        runners[config.name, FLOOR] = MatmulFloor(config, len(x), seed=0).epoch
        if use_torch:
            for name, tuned in ((TORCH_LOADER, False), (TORCH_TUNED, True)):
                runners[config.name, name] = TorchLoop(
                    config, x, y, seed=0, threads=threads, tuned=tuned
                ).epoch
    for epoch in runners.values():  # warm-up: caches, allocator, thread pools
        epoch()
    times: dict[tuple[str, str], list[float]] = {key: [] for key in runners}
    for repeat in range(repeats):
        for key, epoch in runners.items():
            times[key].append(timed(epoch, pause))
        print(
            f"repeat {repeat + 1}/{repeats} done, load average {load_average()}",
            file=sys.stderr,
        )
    return times


def rows(
    configs: list[Config], times: dict[tuple[str, str], list[float]], n_samples: int
) -> list[dict[str, Any]]:
    table = []
    for config in configs:
        flops = config.matmul_flops_per_sample() * n_samples
        for implementation in (STEP_LOOP, TRAINER, FLOOR, *TORCH_IMPLEMENTATIONS):
            if (config.name, implementation) not in times:
                continue
            epochs = times[config.name, implementation]
            seconds = median(epochs)
            row = {
                "config": config.name,
                "implementation": implementation,
                "batch_size": config.batch_size,
                "optimizer": config.optimizer,
                "seconds_per_epoch": seconds,
                "samples_per_second": n_samples / seconds,
                "effective_gflops": flops / seconds / 1e9,
            }
            for reference, key in RATIO_KEYS.items():
                reference_epochs = times.get((config.name, reference))
                ratios = paired_ratios(epochs, reference_epochs or [])
                row[key] = median(ratios) if ratios else None
                row[key + "_per_repeat"] = ratios
            table.append({**row, "epoch_seconds": epochs})
    return table


def paired_ratios(epochs: list[float], reference: list[float]) -> list[float]:
    """Per repeat: epoch time / reference epoch time of the same repeat."""
    return [mine / theirs for mine, theirs in zip(epochs, reference)]


def paired_ratio(epochs: list[float], reference: list[float]) -> float:
    """Median over repeats of epoch time / reference epoch time of the same repeat."""
    return median(paired_ratios(epochs, reference))


def print_table(table: list[dict[str, Any]]) -> None:
    header = (
        f"{'configuration':<18} {'implementation':<14} {'s/epoch':>8} {'samples/s':>10} "
        f"{'GFLOP/s':>8} {'x floor':>8} {'x torch loader':>14} {'x torch tuned':>13}"
    )
    print(header)
    print("-" * len(header))
    previous = None
    for row in table:
        if previous is not None and row["config"] != previous:
            print()
        previous = row["config"]
        loader, tuned = row["ratio_to_torch_loader"], row["ratio_to_torch_tuned"]
        print(
            f"{row['config']:<18} {row['implementation']:<14} "
            f"{row['seconds_per_epoch']:>8.3f} {row['samples_per_second']:>10,.0f} "
            f"{row['effective_gflops']:>8.1f} {row['ratio_to_floor']:>8.2f} "
            f"{'-' if loader is None else f'{loader:.2f}':>14} "
            f"{'-' if tuned is None else f'{tuned:.2f}':>13}"
        )


def print_targets(table: list[dict[str, Any]]) -> None:
    found = {(row["config"], row["implementation"]): row for row in table}
    print("\nacceptance (issue 6), step loop and Trainer.fit:")
    for config, against, bound in TARGETS:
        key = RATIO_KEYS[against]
        for implementation in (STEP_LOOP, TRAINER):
            row = found.get((config, implementation))
            if row is None or row[key] is None:
                continue
            verdict = "ok" if row[key] <= bound else "MISSED"
            ratios = row[key + "_per_repeat"]
            within = sum(ratio <= bound for ratio in ratios)
            print(
                f"  {config:<18} {implementation:<12} {row[key]:.2f} x {against:<14} "
                f"(target <= {bound}) {verdict:<6}  per repeat {min(ratios):.2f}-"
                f"{max(ratios):.2f}, {within} of {len(ratios)} within"
            )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeats", "--epochs", type=int, default=5, dest="repeats",
        help="timed epochs per implementation and configuration (median reported; default 5)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=default_threads(),
        help="BLAS and PyTorch threads (default: the CPU count)",
    )  # fmt: skip
    parser.add_argument(
        "--only", action="append", choices=[config.name for config in CONFIGS],
        help="run only this configuration (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--pause", type=float, default=0.3,
        help="seconds of sleep before each timed epoch (default 0.3)",
    )  # fmt: skip
    parser.add_argument(
        "--no-torch", action="store_true", help="skip PyTorch even if installed"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the JSON lines to PATH"
    )
    parser.add_argument(
        "--data", default=None, help="folder with mnist/ (default: MINITORCH_NP_DATA)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1 or args.pause < 0:
        parser.error("--repeats and --threads must be positive, --pause not negative")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configs = [c for c in CONFIGS if args.only is None or c.name in args.only]
    use_torch = not args.no_torch and torch_available()
    for line in environment_lines(args.threads):
        print(line)
    if use_torch:
        import torch

        print(f"PyTorch {torch.__version__}, {args.threads} threads")
    else:
        print(
            "PyTorch: skipped"
            + (" (--no-torch)" if args.no_torch else " (not installed)")
        )
    x, y = load_mnist_train(args.data)
    times = run(configs, x, y, args.repeats, args.threads, use_torch, args.pause)
    table = rows(configs, times, n_samples=len(x))
    print(
        f"\nmedian of {args.repeats} epochs (ratios: median of the paired ratios), "
        f"load average after: {load_average()}\n"
    )
    print_table(table)
    print_targets(table)
    print()
    lines = [json.dumps({**row, "threads": args.threads}) for row in table]
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
