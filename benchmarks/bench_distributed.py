"""Data-parallel training on this machine, and the ring-allreduce projection.

    python benchmarks/bench_distributed.py                  # 5 paired repeats
    python benchmarks/bench_distributed.py --repeats 7 --samples 60000
    python benchmarks/bench_distributed.py --worker ...     # one run (internal)

Measures the 784-256-256-10 ReLU MLP (float32, Adam, global batch 256, the
MNIST training images reshuffled) in three set-ups, each a fresh process (or
job) that loads the data, warms up on 10 batches, then times one epoch with
``Trainer.fit`` (the History's ``seconds``, the slowest rank's):

* ``1x1``: one process, one BLAS thread;
* ``1x2``: one process, two BLAS threads (and two library threads);
* ``2x1``: ``mpiexec -n 2``, one thread per rank, ``DistributedOptimizer``.

The three run in turn within each repeat (the order rotates), so a change of
load on the shared machine hits all alike; the ratio 2x1 / 1x2 is taken pair
by pair and its median reported. The ``2x1`` job also times the Allreduce of
the packed gradient on its own (median of 200, each after a barrier), and
``1x1`` the optimizer step and the forward+backward per image.

From those figures it prints the ring-allreduce cost model
``T(K) = 2 (K-1)/K * bytes / bandwidth + 2 (K-1) * latency`` against the
compute of a step, for the MLP and for the CNN of issue 14 at K = 2, 8, 64 on
10 and 100 Gb/s networks (docs/distributed.md explains the assumptions).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import json_path, positive_float, positive_int

HERE = Path(__file__).resolve().parent
#: Parameters of the CNN of issue 14: conv(1->32, 3x3) conv(32->64, 3x3)
#: Linear(3136, 128) Linear(128, 10), weights and biases.
CNN_PARAMETERS = (
    (32 * 9 + 32) + (64 * 32 * 9 + 64) + (3136 * 128 + 128) + (128 * 10 + 10)
)
#: Multiply-adds of one image's forward pass (28x28 input, padding 1).
CNN_FORWARD_MACS = 28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 3136 * 128 + 128 * 10
MLP_PARAMETERS = (784 * 256 + 256) + (256 * 256 + 256) + (256 * 10 + 10)
MLP_FORWARD_MACS = 784 * 256 + 256 * 256 + 256 * 10
NETWORKS = {"10 Gb/s": (10e9, 20e-6), "100 Gb/s": (100e9, 3e-6)}  # bits/s, latency


# ---------------------------------------------------------------------- the model
def ring_allreduce_seconds(
    nbytes: float, ranks: int, bits_per_second: float, latency: float
) -> float:
    """The ring allreduce's time: each rank sends and receives 2 (K-1)/K of
    the buffer, in 2 (K-1) messages."""
    if ranks == 1:
        return 0.0
    return (
        2 * (ranks - 1) / ranks * nbytes * 8 / bits_per_second
        + 2 * (ranks - 1) * latency
    )


def step_seconds(per_image: float, fixed: float, rows: float, comm: float) -> float:
    """One rank's step: ``rows`` images of compute, the optimizer's fixed
    cost, and the (not overlapped) allreduce."""
    return rows * per_image + fixed + comm


def efficiency(
    per_image: float, fixed: float, global_batch: int, ranks: int, comm: float
) -> float:
    """Throughput on K ranks over K times one process's, same global batch."""
    one = step_seconds(per_image, fixed, global_batch, 0.0)
    many = step_seconds(per_image, fixed, global_batch / ranks, comm)
    return one / (ranks * many)


def rows_per_rank_for(per_image: float, comm: float, share: float = 0.1) -> float:
    """Rows per rank from which the allreduce is at most ``share`` of the step's
    compute: ``rows * per_image >= comm / share``."""
    return comm / share / per_image


# ---------------------------------------------------------------------- one run
def worker(args: argparse.Namespace) -> None:
    import numpy as np

    import minitorch_np as mt
    from minitorch_np.training.collective import launched_world_size

    x, y = mt.load_mnist("train")
    x, y = x[: args.samples], y[: args.samples]
    rng = np.random.default_rng(0)
    model = mt.Sequential(
        mt.Linear(784, 256, rng=rng), mt.ReLU(), mt.Linear(256, 256, rng=rng),
        mt.ReLU(), mt.Linear(256, 10, rng=rng),
    )  # fmt: skip
    optimizer: mt.Optimizer = mt.Adam(model.parameters(), lr=1e-3)
    shard, collective = None, None
    if launched_world_size() > 1:
        from minitorch_np import distributed

        distributed.broadcast_parameters(model)
        optimizer = distributed.DistributedOptimizer(optimizer)
        shard, collective = "auto", distributed.world()
    trainer = mt.Trainer(model, mt.SoftmaxCrossEntropy(), optimizer)
    warm = mt.DataLoader(x[:2560], y[:2560], batch_size=256, rng=1, shard=shard)
    trainer.fit(warm, 1, progress=False)
    loader = mt.DataLoader(x, y, batch_size=256, rng=0, shard=shard)
    seconds = trainer.fit(loader, 1, progress=False).seconds[0]
    result: dict[str, float] = {"epoch_seconds": seconds, "samples": len(x)}
    grad = optimizer.packed_parameters()[0].grad
    result["gradient_bytes"] = grad.nbytes
    if collective is not None:
        result["allreduce_seconds"] = time_allreduce(collective, grad)
    else:
        result.update(time_step_parts(model, trainer, x, y))
    if collective is None or collective.rank == 0:
        print(json.dumps(result))


def time_allreduce(collective: object, grad: object, repeats: int = 200) -> float:
    times = []
    for _ in range(repeats):
        collective.barrier()  # type: ignore[attr-defined]
        start = time.perf_counter()
        collective.sum_in_place(grad)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_step_parts(model, trainer, x, y, repeats: int = 30) -> dict[str, float]:
    """Median seconds of the optimizer step, and of forward + backward per image."""
    loss = trainer.loss_fn
    xb, yb = x[:256], y[:256]
    compute, step = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        loss(model.forward(xb), yb)
        trainer.optimizer.zero_grad()
        model.accumulate_grad(loss.backward())
        middle = time.perf_counter()
        trainer.optimizer.step()
        compute.append(middle - start)
        step.append(time.perf_counter() - middle)
    return {
        "per_image_seconds": statistics.median(compute) / len(xb),
        "optimizer_step_seconds": statistics.median(step),
    }


# ---------------------------------------------------------------------- the driver
def launch(setup: str, samples: int, timeout: float) -> dict[str, float]:
    ranks, threads = (int(part) for part in setup.split("x"))
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    command = [
        sys.executable,
        str(Path(__file__)),
        "--worker",
        "--samples",
        str(samples),
    ]
    if ranks > 1:
        mpiexec = Path(sys.executable).with_name("mpiexec")
        command = [str(mpiexec), "-launcher", "fork", "-n", str(ranks), *command]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_all(args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    setups = ["2x1", "1x2", "1x1"]
    runs: dict[str, list[dict[str, float]]] = {setup: [] for setup in setups}
    print(f"load average before: {os.getloadavg()}", flush=True)
    for repeat in range(args.repeats):
        order = setups[repeat % 3 :] + setups[: repeat % 3]
        for setup in order:
            runs[setup].append(launch(setup, args.samples, args.timeout))
            print(f"repeat {repeat + 1} {setup}: {runs[setup][-1]}", flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)
    return runs


def report(runs: dict[str, list[dict[str, float]]]) -> str:
    lines = ["| set-up | epoch s (median) | min | max |", "| --- | --- | --- | --- |"]
    for setup, results in runs.items():
        seconds = [r["epoch_seconds"] for r in results]
        lines.append(
            f"| {setup} | {statistics.median(seconds):.2f} | {min(seconds):.2f} | "
            f"{max(seconds):.2f} |"
        )
    ratios = [
        a["epoch_seconds"] / b["epoch_seconds"]
        for a, b in zip(runs["2x1"], runs["1x2"])
    ]
    lines.append(
        f"\nratio 2x1 / 1x2, paired: median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f}, {len(ratios)} pairs)"
    )
    allreduce = statistics.median(r["allreduce_seconds"] for r in runs["2x1"])
    nbytes = runs["2x1"][0]["gradient_bytes"]
    lines.append(
        f"Allreduce of the packed gradient ({nbytes:.0f} bytes), 2 ranks on this "
        f"machine: {allreduce * 1e6:.0f} us per step"
    )
    per_image = statistics.median(r["per_image_seconds"] for r in runs["1x1"])
    fixed = statistics.median(r["optimizer_step_seconds"] for r in runs["1x1"])
    lines.append(projection(per_image, fixed))
    return "\n".join(lines)


def projection(mlp_per_image: float, mlp_fixed: float, batch: int = 256) -> str:
    """The cost model's table for the MLP and the CNN (float32 gradients)."""
    cnn_per_image = mlp_per_image * CNN_FORWARD_MACS / MLP_FORWARD_MACS
    cnn_fixed = mlp_fixed * CNN_PARAMETERS / MLP_PARAMETERS
    models = {
        "MLP": (MLP_PARAMETERS * 4, mlp_per_image, mlp_fixed),
        "CNN": (CNN_PARAMETERS * 4, cnn_per_image, cnn_fixed),
    }
    lines = [
        f"\nper image (1 thread): MLP {mlp_per_image * 1e6:.1f} us, CNN "
        f"{cnn_per_image * 1e6:.1f} us (MLP x MACs ratio); optimizer step MLP "
        f"{mlp_fixed * 1e3:.2f} ms, CNN {cnn_fixed * 1e3:.2f} ms",
        "| model | network | K | allreduce ms | efficiency at B=256 | rows/rank for "
        "comm <= 10% of compute | global batch |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, (nbytes, per_image, fixed) in models.items():
        for network, (bandwidth, latency) in NETWORKS.items():
            for ranks in (2, 8, 64):
                comm = ring_allreduce_seconds(nbytes, ranks, bandwidth, latency)
                rows = rows_per_rank_for(per_image, comm)
                lines.append(
                    f"| {name} | {network} | {ranks} | {comm * 1e3:.2f} | "
                    f"{efficiency(per_image, fixed, batch, ranks, comm):.0%} | "
                    f"{rows:.0f} | {rows * ranks:.0f} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--samples", type=positive_int, default=60000)
    parser.add_argument("--repeats", type=positive_int, default=5)
    parser.add_argument("--timeout", type=positive_float, default=300.0, help="per run")
    parser.add_argument(
        "--json", type=json_path, help="append the raw runs to this file"
    )
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    runs = run_all(args)
    if args.json:
        with open(args.json, "a", encoding="utf-8") as out:
            out.write(json.dumps(runs) + "\n")
    print(report(runs))


if __name__ == "__main__":
    main()
