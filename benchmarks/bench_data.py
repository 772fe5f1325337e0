"""Timings of the data pipeline on MNIST train (60000 x 784).

    python benchmarks/bench_data.py [--repeats 5]

Finds MNIST like load_mnist does (set MINITORCH_NP_DATA, e.g. to ../shared/data).
Prints:
- cold load: the first load_mnist("train") in a fresh Python process, reading
  a copy of the four files in a new temporary folder (root=...). The copy
  was just written, so the files are in the OS page cache: "cold" means a
  fresh process (first-touch memory, no warm allocator), not a cold disk.
  The package import time of that process is printed separately.
- warm load: load_mnist("train") repeated in this process (median, best).
  Both include gunzip, SHA-256 verification of every file, and the float32
  conversion; no decompressed cache exists.
- one shuffled epoch of DataLoader(x, y, batch_size=128).
- four ways to gather shuffled batches, per epoch of 128-sample batches.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _common import positive_int

import minitorch_np.data
from minitorch_np.data import MNIST, DataLoader, load_mnist
from minitorch_np.data.locations import search_locations

BATCH = 128


def timings(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls to ``fn``."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def report(label: str, seconds: list[float]) -> None:
    print(
        f"{label:<48} median {statistics.median(seconds) * 1e3:8.1f} ms   best {min(seconds) * 1e3:8.1f} ms"
    )


def mnist_folder() -> Path:
    for loc in search_locations(MNIST.name):
        if all((loc.folder / f.filename).is_file() for f in MNIST.files):
            return loc.folder
    sys.exit(
        "MNIST not found: set MINITORCH_NP_DATA to a folder with mnist/ (e.g. ../shared/data)"
    )


COLD_SCRIPT = """
import sys, time
t0 = time.perf_counter()
from minitorch_np.data import load_mnist
t1 = time.perf_counter()
x, y = load_mnist("train", root=sys.argv[1], download=False, progress=False)
t2 = time.perf_counter()
print(f"{t1 - t0:.6f} {t2 - t1:.6f}")
"""


def cold_load(folder: Path, repeats: int) -> None:
    imports, loads = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(folder, Path(tmp) / MNIST.name)
            result = subprocess.run(
                [sys.executable, "-c", COLD_SCRIPT, tmp],
                capture_output=True,
                text=True,
                check=True,
                env=_env(),
            )
            t_import, t_load = map(float, result.stdout.split())
            imports.append(t_import)
            loads.append(t_load)
    report("cold: import minitorch_np.data (fresh process)", imports)
    report("cold: first load_mnist('train') (fresh process)", loads)


def _env() -> dict[str, str]:
    """This environment, with the imported package first on the child's path."""
    package_root = str(Path(minitorch_np.data.__file__).resolve().parents[2])
    path = os.pathsep.join(
        p for p in [package_root, os.environ.get("PYTHONPATH", "")] if p
    )
    return {**os.environ, "PYTHONPATH": path}


def warm_load(folder: Path, repeats: int) -> tuple[np.ndarray, np.ndarray]:
    load_mnist("train", root=folder, download=False, progress=False)
    report("warm: load_mnist('train') (same process)", timings(
        lambda: load_mnist("train", root=folder, download=False, progress=False), repeats
    ))  # fmt: skip
    return load_mnist("train", root=folder, download=False, progress=False)


def epoch(x: np.ndarray, y: np.ndarray, repeats: int) -> None:
    loader = DataLoader(x, y, BATCH, rng=0)

    def run() -> None:
        for _xb, _yb in loader:
            pass

    report(
        f"DataLoader epoch, batch {BATCH} ({len(loader)} batches)",
        timings(run, repeats),
    )


def gathers(x: np.ndarray, y: np.ndarray, repeats: int) -> None:
    rng = np.random.default_rng(0)
    n = len(x)
    bx, by = np.empty((BATCH, *x.shape[1:]), x.dtype), np.empty(BATCH, y.dtype)
    ex, ey = np.empty_like(x), np.empty_like(y)

    def per_batch_fresh() -> None:
        order = rng.permutation(n)
        for s in range(0, n, BATCH):
            idx = order[s : s + BATCH]
            x.take(idx, axis=0), y.take(idx)

    def per_batch_out() -> None:
        order = rng.permutation(n)
        for s in range(0, n, BATCH):
            idx = order[s : s + BATCH]
            k = len(idx)
            np.take(x, idx, axis=0, out=bx[:k]), np.take(y, idx, out=by[:k])

    def per_epoch_reused() -> None:
        order = rng.permutation(n)
        np.take(x, order, axis=0, out=ex), np.take(y, order, out=ey)
        for s in range(0, n, BATCH):
            ex[s : s + BATCH], ey[s : s + BATCH]

    def per_epoch_fresh() -> None:
        order = rng.permutation(n)
        sx, sy = x.take(order, axis=0), y.take(order)
        for s in range(0, n, BATCH):
            sx[s : s + BATCH], sy[s : s + BATCH]

    print(f"gather strategies (one epoch of batch {BATCH}):")
    for label, fn in [
        ("  per-batch take, new arrays (used)", per_batch_fresh),
        ("  per-batch take, out= reused buffer", per_batch_out),
        ("  per-epoch take, out= reused buffer + slices", per_epoch_reused),
        ("  per-epoch take, new array + slices", per_epoch_fresh),
    ]:
        fn()
        report(label, timings(fn, repeats))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=positive_int, default=5)
    args = parser.parse_args()
    folder = mnist_folder()
    print(
        f"MNIST from {folder}; numpy {np.__version__}; python {sys.version.split()[0]}"
    )
    cold_load(folder, args.repeats)
    x, y = warm_load(folder, args.repeats)
    epoch(x, y, args.repeats)
    gathers(x, y, args.repeats)


if __name__ == "__main__":
    main()
