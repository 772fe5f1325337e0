"""Helpers shared by the training benchmarks: thread settings, a description of
the machine, MNIST loading and small statistics.

`set_thread_environment` must run before numpy is imported (BLAS reads its
thread count once, when it loads), so the scripts call it at the very top.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from typing import Any

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Variables that change which OpenBLAS kernel runs (see docs/benchmarks.md).
BLAS_TUNING_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_from_argv(argv: Sequence[str]) -> int:
    """The value of ``--threads N`` / ``--threads=N`` in ``argv`` (else the CPU
    count), read before argparse runs because numpy must not be imported yet."""
    for index, arg in enumerate(argv):
        if arg == "--threads" and index + 1 < len(argv):
            return int(argv[index + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return default_threads()


def set_thread_environment(threads: int) -> None:
    """Give numpy's BLAS (OpenBLAS, or MKL/OpenMP builds) ``threads`` threads.
    Call before importing numpy."""
    if "numpy" in sys.modules:
        raise RuntimeError("set_thread_environment must run before numpy is imported")
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_description() -> str:
    """Which BLAS numpy uses, its kernel (architecture) and thread count, via
    threadpoolctl when it is installed (it is optional)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed (pip install threadpoolctl to show the BLAS kernel)"
    parts = []
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            parts.append(
                f"{pool.get('internal_api')} {pool.get('version')}, kernel "
                f"{pool.get('architecture')}, {pool.get('num_threads')} threads"
            )
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


def environment_lines(threads: int) -> list[str]:
    import numpy as np

    tuning = ", ".join(
        f"{name}={os.environ[name]}" if name in os.environ else f"{name} unset"
        for name in BLAS_TUNING_VARIABLES
    )
    return [
        f"machine: {cpu_model()}, {default_threads()} CPUs, load average {load_average()}",
        f"python {platform.python_version()}, numpy {np.__version__}, threads {threads}",
        f"BLAS: {blas_description()}",
        f"BLAS tuning: {tuning}",
    ]


def load_mnist_train(root: str | None) -> tuple[Any, Any]:
    """MNIST training images (60000, 784) float32 in [0, 1] and int64 labels,
    or exit with a hint when the files cannot be found."""
    from minitorch_np.data import load_mnist

    try:
        return load_mnist("train", root=root)
    except Exception as error:  # noqa: BLE001 - any failure ends the benchmark the same way
        sys.exit(
            f"MNIST not available ({type(error).__name__}); set MINITORCH_NP_DATA to a "
            "folder with mnist/ or pass --data"
        )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
