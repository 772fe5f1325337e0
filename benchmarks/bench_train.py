"""Seconds per MNIST training epoch: minitorch_np, its matrix-product floor and PyTorch.

    python benchmarks/bench_train.py                 # every configuration, 5 timed epochs each
    python benchmarks/bench_train.py --repeats 9 --threads 1 --only mlp-b256-adam
    python benchmarks/bench_train.py --no-torch --json results.jsonl
    python benchmarks/bench_train.py --wide --samples 20000   # also 784-1024-1024-10, 784-2048-2048-10
    python benchmarks/bench_train.py --scaling --samples 20000  # s/epoch against the hidden width

Configurations (float32, the 60000 MNIST training images per epoch or the first
``--samples``, reshuffled every epoch): softmax regression 784-10 with SGD +
momentum at batch 256, and the 784-256-256-10 ReLU MLP at batches 128 and 256
with SGD + Nesterov momentum and with Adam (the hyperparameters of
examples/softmax_mnist.py and examples/mlp_mnist.py; they do not change the
time). ``--wide`` adds the 784-1024-1024-10 and 784-2048-2048-10 MLPs at batch
256 with both optimizers; ``--scaling`` times the 784-H-H-10 MLP with Adam over
a range of hidden widths H (step loop, floor and PyTorch tuned only) and
prints s/epoch and the two ratios against H.

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
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    argument_parser,
    data_folder,
    default_threads,
    environment_lines,
    json_path,
    load_average,
    load_mnist_train,
    median,
    non_negative_float,
    positive_int,
)
from _train_impls import (  # noqa: E402
    Config,
    MatmulFloor,
    StepLoop,
    TorchLoop,
    TrainerEpoch,
    torch_available,
)

STEP_LOOP, TRAINER, FLOOR = "step loop", "Trainer.fit", "matmul floor"
#: PyTorch as its users write it (torch.utils.data.DataLoader over a TensorDataset)
#: and PyTorch hand-tuned (batches gathered with index_select, no DataLoader).
TORCH_LOADER, TORCH_TUNED = "PyTorch loader", "PyTorch tuned"
TORCH_IMPLEMENTATIONS = (TORCH_LOADER, TORCH_TUNED)
IMPLEMENTATIONS = (STEP_LOOP, TRAINER, FLOOR, *TORCH_IMPLEMENTATIONS)


CONFIGS = [
    Config("softmax-b256-sgd", (784, 10), 256, "sgd"),
    Config("mlp-b128-sgd", (784, 256, 256, 10), 128, "sgd"),
    Config("mlp-b128-adam", (784, 256, 256, 10), 128, "adam"),
    Config("mlp-b256-sgd", (784, 256, 256, 10), 256, "sgd"),
    Config("mlp-b256-adam", (784, 256, 256, 10), 256, "adam"),
    Config("mlp1024-b256-sgd", (784, 1024, 1024, 10), 256, "sgd"),
    Config("mlp1024-b256-adam", (784, 1024, 1024, 10), 256, "adam"),
    Config("mlp2048-b256-sgd", (784, 2048, 2048, 10), 256, "sgd"),
    Config("mlp2048-b256-adam", (784, 2048, 2048, 10), 256, "adam"),
]
#: The default run: the report's sizes (the wide ones take minutes: --only or --wide).
DEFAULT_CONFIGS = [c.name for c in CONFIGS if max(c.sizes[1:-1], default=0) <= 256]
#: --scaling: the 784-H-H-10 MLP, batch 256, Adam, over these hidden widths H.
SCALING_WIDTHS = (128, 256, 512, 1024, 2048)

#: Acceptance bounds of the speed issues: (configuration, against, largest ratio).
TARGETS = [
    ("mlp-b256-adam", FLOOR, 1.6),
    ("mlp-b256-adam", TORCH_LOADER, 0.7),
    ("mlp-b256-adam", TORCH_TUNED, 0.7),
    ("mlp-b128-adam", FLOOR, 1.8),
    ("softmax-b256-sgd", FLOOR, 4.0),
    ("softmax-b256-sgd", TORCH_LOADER, 0.5),
    ("softmax-b256-sgd", TORCH_TUNED, 0.5),
    ("mlp1024-b256-adam", FLOOR, 1.4),
    ("mlp1024-b256-adam", TORCH_TUNED, 1.2),
    ("mlp1024-b256-sgd", FLOOR, 1.4),
    ("mlp1024-b256-sgd", TORCH_TUNED, 1.2),
    ("mlp2048-b256-adam", FLOOR, 1.4),
    ("mlp2048-b256-adam", TORCH_TUNED, 1.2),
    ("mlp2048-b256-sgd", FLOOR, 1.4),
    ("mlp2048-b256-sgd", TORCH_TUNED, 1.2),
]

#: The JSON/table key of the ratio to each reference implementation.
RATIO_KEYS = {
    FLOOR: "ratio_to_floor",
    TORCH_LOADER: "ratio_to_torch_loader",
    TORCH_TUNED: "ratio_to_torch_tuned",
}


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
    implementations: tuple[str, ...],
    pause: float,
) -> dict[tuple[str, str], list[float]]:
    """Epoch times per (configuration, implementation), interleaved."""
    runners: dict[tuple[str, str], Callable[[], None]] = {}
    builders: dict[str, Callable[[Config], Callable[[], None]]] = {
        STEP_LOOP: lambda config: StepLoop(config, x, y, seed=0).epoch,
        TRAINER: lambda config: TrainerEpoch(config, x, y, seed=0).epoch,
        FLOOR: lambda config: MatmulFloor(config, len(x), seed=0).epoch,
        TORCH_LOADER: lambda config: (
            TorchLoop(config, x, y, seed=0, threads=threads, tuned=False).epoch
        ),
        TORCH_TUNED: lambda config: (
            TorchLoop(config, x, y, seed=0, threads=threads, tuned=True).epoch
        ),
    }
    for config in configs:
        for name in implementations:
            runners[config.name, name] = builders[name](config)
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
        floor = row["ratio_to_floor"]
        loader, tuned = row["ratio_to_torch_loader"], row["ratio_to_torch_tuned"]
        print(
            f"{row['config']:<18} {row['implementation']:<14} "
            f"{row['seconds_per_epoch']:>8.3f} {row['samples_per_second']:>10,.0f} "
            f"{row['effective_gflops']:>8.1f} {'-' if floor is None else f'{floor:.2f}':>8} "
            f"{'-' if loader is None else f'{loader:.2f}':>14} "
            f"{'-' if tuned is None else f'{tuned:.2f}':>13}"
        )


def print_targets(table: list[dict[str, Any]]) -> None:
    found = {(row["config"], row["implementation"]): row for row in table}
    print("\nacceptance bounds, step loop and Trainer.fit:")
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
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeats", "--epochs", type=positive_int, default=5, dest="repeats",
        help="timed epochs per implementation and configuration (median reported; default 5)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=positive_int, default=default_threads(),
        help="BLAS and PyTorch threads (default: the CPU count)",
    )  # fmt: skip
    parser.add_argument(
        "--only", action="append", choices=[config.name for config in CONFIGS],
        help="run only this configuration (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--wide", action="store_true",
        help="also the 784-1024-1024-10 and 784-2048-2048-10 configurations",
    )  # fmt: skip
    parser.add_argument(
        "--scaling", action="store_true",
        help="the scaling table instead: 784-H-H-10, batch 256, Adam, over the "
        f"widths H = {', '.join(map(str, SCALING_WIDTHS))} (step loop, floor, PyTorch tuned)",
    )  # fmt: skip
    parser.add_argument(
        "--samples", type=positive_int, default=None,
        help="train on the first N MNIST images per epoch (default: all 60000)",
    )  # fmt: skip
    parser.add_argument(
        "--implementations", default=",".join(IMPLEMENTATIONS),
        help=f"comma-separated subset of: {', '.join(IMPLEMENTATIONS)}",
    )  # fmt: skip
    parser.add_argument(
        "--pause", type=non_negative_float, default=0.3,
        help="seconds of sleep before each timed epoch (default 0.3)",
    )  # fmt: skip
    parser.add_argument(
        "--no-torch", action="store_true", help="skip PyTorch even if installed"
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=json_path,
        help="also write the JSON lines to PATH",
    )
    parser.add_argument(
        "--data", default=None, type=data_folder,
        help="folder with mnist/ (default: MINITORCH_NP_DATA)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.implementations = tuple(args.implementations.split(","))
    unknown = set(args.implementations) - set(IMPLEMENTATIONS)
    if unknown:
        parser.error(f"unknown implementations {sorted(unknown)}")
    if args.scaling:
        args.implementations = (STEP_LOOP, FLOOR, TORCH_TUNED)
    return args


def chosen_configs(args: argparse.Namespace) -> list[Config]:
    if args.scaling:
        return [
            Config(f"mlp{width}-b256-adam", (784, width, width, 10), 256, "adam")
            for width in SCALING_WIDTHS
        ]
    if args.only:
        return [config for config in CONFIGS if config.name in args.only]
    return [c for c in CONFIGS if args.wide or c.name in DEFAULT_CONFIGS]


def print_scaling(configs: list[Config], table: list[dict[str, Any]]) -> None:
    """s/epoch, x floor and x PyTorch (tuned) of the step loop against the width."""
    found = {(row["config"], row["implementation"]): row for row in table}
    print("\nscaling, 784-H-H-10, batch 256, Adam (step loop):")
    print(
        f"{'H':>6} {'s/epoch':>8} {'floor s':>8} {'torch s':>8} {'x floor':>8} {'x torch':>8}"
    )
    for config in configs:
        mine, floor = found[config.name, STEP_LOOP], found[config.name, FLOOR]
        torch_row = found.get((config.name, TORCH_TUNED))
        torch_text = (
            "-" if torch_row is None else f"{torch_row['seconds_per_epoch']:.3f}"
        )
        ratio = mine["ratio_to_torch_tuned"]
        print(
            f"{config.sizes[1]:>6} {mine['seconds_per_epoch']:>8.3f} "
            f"{floor['seconds_per_epoch']:>8.3f} {torch_text:>8} "
            f"{mine['ratio_to_floor']:>8.2f} {'-' if ratio is None else f'{ratio:.2f}':>8}"
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configs = chosen_configs(args)
    use_torch = not args.no_torch and torch_available()
    implementations = tuple(
        name
        for name in args.implementations
        if use_torch or name not in TORCH_IMPLEMENTATIONS
    )
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
    if not implementations:
        sys.exit(
            f"bench_train.py: nothing to time: --implementations {','.join(args.implementations)} "
            "holds only PyTorch loops, and PyTorch is skipped"
        )
    x, y = load_mnist_train(args.data)
    if args.samples is not None:
        if args.samples > len(x):
            sys.exit(
                f"bench_train.py: --samples {args.samples}: MNIST has {len(x)} training images"
            )
        x, y = x[: args.samples], y[: args.samples]
    times = run(configs, x, y, args.repeats, args.threads, implementations, args.pause)
    table = rows(configs, times, n_samples=len(x))
    print(
        f"\nmedian of {args.repeats} epochs (ratios: median of the paired ratios), "
        f"load average after: {load_average()}\n"
    )
    print_table(table)
    print_targets(table)
    if args.scaling:
        print_scaling(configs, table)
    print()
    lines = [json.dumps({**row, "threads": args.threads}) for row in table]
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
