"""The example CNN (examples/cnn_mnist.py) on MNIST: per-layer forward and
backward times and seconds per training epoch, minitorch_np against PyTorch CPU.

    python benchmarks/bench_conv.py                      # layers, then epochs; 5 repeats
    python benchmarks/bench_conv.py --threads 1 --repeats 7 --json conv.jsonl
    python benchmarks/bench_conv.py --only layers --no-torch

Network (float32, batch 128): Conv2d(1, 32, 3, padding=1) - MaxPool2d(2) - ReLU -
Conv2d(32, 64, 3, padding=1) - MaxPool2d(2) - ReLU - Flatten - Linear(3136, 128) -
ReLU - Linear(128, 10), softmax cross-entropy, Adam(lr=1e-3); the example's
dropout is left out of both implementations.

Layers: each layer of the network on its own input of batch 128, forward
and backward (backward includes the parameter gradients; the first
convolution's input needs no gradient, so it is timed with
``accumulate_grad`` here and with ``requires_grad=False`` in PyTorch);
median over ``--repeats`` rounds of ``--calls`` calls, interleaved.

Epochs, timed in the same process, one epoch each in turn (minitorch_np,
matmul floor, PyTorch, minitorch_np, ...), after one untimed warm-up epoch
each, with ``--pause`` seconds of sleep before each (OpenBLAS threads spin
for a while after a product):

* minitorch_np: ``DataLoader`` (shuffled, 60000 images of (1, 28, 28)), then
  per batch ``optimizer.zero_grad()``, ``model(xb)``, ``loss_fn(out, yb)``,
  ``model.accumulate_grad(loss_fn.backward())``, ``optimizer.step()``.
* matmul floor: only the matrix products of those steps with the same shapes
  and thread count, into preallocated outputs: per batch both convolutions'
  forward cols @ W^T and weight gradient G^T @ cols, the second one's input
  gradient G @ W (per kernel offset, as `Conv2d` does), and the Linear layers'
  three products (the first conv needs no input gradient).
* PyTorch: the same network (``nn.Conv2d``, ``nn.MaxPool2d``...), the same
  loss and optimizer, ``torch.set_num_threads(threads)``, batches gathered
  with ``index_select`` from a shuffled ``randperm`` of in-memory tensors (its
  fastest loop). Skipped when torch is missing (never a dependency) or with
  ``--no-torch``.

Ratios are paired: each repeat's time divided by PyTorch's (or the floor's)
of the same repeat, median over repeats, which holds when the speed of a
shared machine drifts. One JSON line per row follows the table.
``--threads`` (default: the CPU count) sets numpy's BLAS threads (before
numpy is imported) and PyTorch's.
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
from _conv_references import (  # noqa: E402
    BATCH,
    MatmulFloor,
    TorchLoop,
    torch_layer,
)

from minitorch_np.data import DataLoader  # noqa: E402
from minitorch_np.layers import (  # noqa: E402
    Conv2d,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from minitorch_np.losses import SoftmaxCrossEntropy  # noqa: E402
from minitorch_np.optim import Adam  # noqa: E402

#: (name, factory of the minitorch_np layer, input shape of one sample,
#:  whether backward needs dL/dx). Inputs as in the network.
LAYERS: list[tuple[str, Callable[[], Layer], tuple[int, ...], bool]] = [
    ("conv1 1->32 3x3 28x28", lambda: Conv2d(1, 32, 3, padding=1, rng=0), (1, 28, 28), False),
    ("maxpool1 32x28x28", lambda: MaxPool2d(2), (32, 28, 28), True),
    ("relu1 32x14x14", ReLU, (32, 14, 14), True),
    ("conv2 32->64 3x3 14x14", lambda: Conv2d(32, 64, 3, padding=1, rng=0), (32, 14, 14), True),
    ("maxpool2 64x14x14", lambda: MaxPool2d(2), (64, 14, 14), True),
    ("linear1 3136->128", lambda: Linear(3136, 128, rng=0), (3136,), True),
]  # fmt: skip
MINE, FLOOR, TORCH = "minitorch_np", "matmul floor", "PyTorch"


def build_model(rng: np.random.Generator) -> Sequential:
    return Sequential(
        Conv2d(1, 32, 3, padding=1, rng=rng), MaxPool2d(2), ReLU(),
        Conv2d(32, 64, 3, padding=1, rng=rng), MaxPool2d(2), ReLU(),
        Flatten(), Linear(3136, 128, rng=rng), ReLU(), Linear(128, 10, rng=rng),
    )  # fmt: skip


# ---------------------------------------------------------------------- epochs
class StepLoop:
    def __init__(self, x: np.ndarray, y: np.ndarray, limit: int | None) -> None:
        self.model = build_model(np.random.default_rng(0))
        self.optimizer = Adam(self.model.parameters(), lr=1e-3)
        self.loss_fn = SoftmaxCrossEntropy()
        self.loader = DataLoader(x, y, batch_size=BATCH, rng=0)
        self.limit = limit

    def epoch(self) -> None:
        for step, (xb, yb) in enumerate(self.loader):
            if step == self.limit:
                break
            self.optimizer.zero_grad()
            self.loss_fn(self.model(xb), yb)
            self.model.accumulate_grad(self.loss_fn.backward())
            self.optimizer.step()


# ---------------------------------------------------------------------- layers
def mine_layer_calls(
    factory: Callable[[], Layer], shape: tuple[int, ...], grad_x: bool
):
    layer = factory()
    x = np.random.default_rng(0).standard_normal((BATCH, *shape), dtype=np.float32)
    g = np.random.default_rng(1).standard_normal(layer(x).shape, dtype=np.float32)
    backward = layer.backward if grad_x else layer.accumulate_grad
    return (lambda: layer(x)), (lambda: (layer(x), backward(g)))


def torch_layer_calls(torch: Any, name: str, shape: tuple[int, ...], grad_x: bool):
    layer = torch_layer(torch, name)
    x = torch.randn((BATCH, *shape), requires_grad=grad_x)
    g = torch.randn(layer(x).shape)

    def forward() -> None:
        with torch.no_grad():
            layer(x)

    def forward_backward() -> None:
        layer.zero_grad(set_to_none=True)
        x.grad = None
        layer(x).backward(g)

    return forward, forward_backward


def timed(function: Callable[[], Any], calls: int = 1, pause: float = 0.0) -> float:
    time.sleep(pause)
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def run_interleaved(
    runners: dict[Any, Callable[[], Any]], repeats: int, calls: int, pause: float
) -> dict[Any, list[float]]:
    for function in runners.values():  # warm-up
        timed(function, 1)
    times: dict[Any, list[float]] = {key: [] for key in runners}
    for repeat in range(repeats):
        for key, function in runners.items():
            times[key].append(timed(function, calls, pause))
        print(
            f"repeat {repeat + 1}/{repeats}, load average {load_average()}",
            file=sys.stderr,
        )
    return times


def paired(mine: list[float], reference: list[float]) -> list[float]:
    return [a / b for a, b in zip(mine, reference)]


def layer_rows(args: argparse.Namespace, torch: Any) -> list[dict[str, Any]]:
    runners: dict[tuple[str, str, str], Callable[[], Any]] = {}
    for name, factory, shape, grad_x in LAYERS:
        forward, both = mine_layer_calls(factory, shape, grad_x)
        runners[name, MINE, "forward"], runners[name, MINE, "forward+backward"] = (
            forward,
            both,
        )
        if torch is not None:
            forward, both = torch_layer_calls(torch, name, shape, grad_x)
            (
                runners[name, TORCH, "forward"],
                runners[name, TORCH, "forward+backward"],
            ) = forward, both
    times = run_interleaved(runners, args.repeats, args.calls, 0.0)
    rows = []
    for (name, implementation, part), seconds in times.items():
        if implementation != MINE:
            continue
        reference = times.get((name, TORCH, part))
        ratios = paired(seconds, reference) if reference else []
        rows.append({
            "kind": "layer", "layer": name, "part": part, "ms": 1e3 * median(seconds),
            "torch_ms": 1e3 * median(reference) if reference else None,
            "ratio_to_torch": median(ratios) if ratios else None,
            "ratio_to_torch_per_repeat": ratios,
        })  # fmt: skip
    return rows


def epoch_rows(args: argparse.Namespace, torch: Any) -> list[dict[str, Any]]:
    x, y = load_mnist_train(args.data)
    x = x.reshape(-1, 1, 28, 28)
    runners: dict[str, Callable[[], None]] = {
        MINE: StepLoop(x, y, args.limit).epoch,
        FLOOR: MatmulFloor(len(x), args.limit).epoch,
    }
    if torch is not None:
        runners[TORCH] = TorchLoop(x, y, args.threads, args.limit).epoch
    times = run_interleaved(runners, args.repeats, 1, args.pause)
    rows = []
    for implementation, seconds in times.items():
        row = {"kind": "epoch", "implementation": implementation, "seconds_per_epoch": median(seconds),
               "epoch_seconds": seconds}  # fmt: skip
        for reference, key in ((FLOOR, "ratio_to_floor"), (TORCH, "ratio_to_torch")):
            ratios = paired(seconds, times[reference]) if reference in times else []
            row[key] = median(ratios) if ratios else None
            row[key + "_per_repeat"] = ratios
        rows.append(row)
    return rows


def show(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_tables(rows: list[dict[str, Any]], threads: int) -> None:
    layers = [row for row in rows if row["kind"] == "layer"]
    if layers:
        print(
            f"\nper layer, batch {BATCH}, {threads} threads (ms, medians; ratio: median of paired ratios)"
        )
        print(
            f"{'layer':<24} {'part':<17} {'minitorch_np':>12} {'PyTorch':>8} {'x PyTorch':>9}"
        )
        for row in layers:
            print(f"{row['layer']:<24} {row['part']:<17} {row['ms']:>12.2f} "
                  f"{show(row['torch_ms']):>8} {show(row['ratio_to_torch']):>9}")  # fmt: skip
    epochs = [row for row in rows if row["kind"] == "epoch"]
    if epochs:
        print(f"\ntraining epoch, batch {BATCH}, Adam, {threads} threads")
        print(
            f"{'implementation':<14} {'s/epoch':>8} {'x floor':>8} {'x PyTorch':>9}  per-repeat x PyTorch"
        )
        for row in epochs:
            spread = row["ratio_to_torch_per_repeat"]
            spread_text = f"{min(spread):.2f}-{max(spread):.2f}" if spread else "-"
            print(f"{row['implementation']:<14} {row['seconds_per_epoch']:>8.2f} "
                  f"{show(row['ratio_to_floor']):>8} {show(row['ratio_to_torch']):>9}  {spread_text}")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=5,
        help="timed rounds (median reported; default 5)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=default_threads(),
        help="BLAS and PyTorch threads (default: the CPU count)",
    )
    parser.add_argument(
        "--only", choices=["layers", "epochs"], help="run one part only"
    )
    parser.add_argument(
        "--calls",
        type=positive_int,
        default=10,
        help="calls per timed layer round (default 10)",
    )
    parser.add_argument(
        "--limit",
        type=positive_int,
        help="stop each epoch after this many batches (quick runs)",
    )
    parser.add_argument(
        "--pause",
        type=non_negative_float,
        default=0.3,
        help="seconds of sleep before each timed epoch",
    )
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
        "--data",
        type=data_folder,
        help="folder with mnist/ (default: MINITORCH_NP_DATA)",
    )
    return parser.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    for line in environment_lines(args.threads):
        print(line)
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch: not installed, skipped")
    if torch is not None:
        print(f"PyTorch {torch.__version__}, {args.threads} threads")
    rows = [] if args.only == "epochs" else layer_rows(args, torch)
    rows += [] if args.only == "layers" else epoch_rows(args, torch)
    print_tables(rows, args.threads)
    lines = [json.dumps({**row, "threads": args.threads}) for row in rows]
    print("\n" + "\n".join(lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
