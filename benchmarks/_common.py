"""Helpers shared by the training benchmarks: thread settings, a description of
the machine, MNIST loading and small statistics.

`set_thread_environment` must run before numpy is imported (BLAS reads its
thread count once, when it loads), so the scripts call it at the very top.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Variables that change which OpenBLAS kernel runs (see docs/benchmarks.md).
BLAS_TUNING_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# The argparse types below mirror minitorch_np.cli's, which cannot be imported
# here: it loads numpy, which must wait for set_thread_environment.
def positive_int(text: str) -> int:
    """argparse ``type=``: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive int, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {value}")
    return value


def non_negative_float(text: str) -> float:
    """argparse ``type=``: a finite float >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number >= 0, got {text!r}"
        ) from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse ``type=``: a finite float > 0."""
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a number > 0, got 0")
    return value


def json_path(text: str) -> str:
    """argparse ``type=``: a file path whose folder exists (checked before the
    run, not after it)."""
    folder = Path(text).resolve().parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(folder)!r} does not exist")
    return text


def data_folder(text: str) -> str:
    """argparse ``type=``: a folder holding MNIST's training files (in it or
    in its mnist/), so that --data is what the benchmark reads."""
    folder = Path(text)
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    found = all(
        any((place / f"{name}{suffix}").is_file() for place in (folder, folder / "mnist")
            for suffix in ("", ".gz"))
        for name in names
    )  # fmt: skip
    if not found:
        raise argparse.ArgumentTypeError(
            f"no MNIST training files ({', '.join(names)}, or .gz) in {text!r} or its mnist/"
        )
    return text


def argument_parser(description: str) -> argparse.ArgumentParser:
    """The scripts' parser: no abbreviated options (``--thread`` must not pass
    for the ``--threads`` that `threads_from_argv` reads before it)."""
    return argparse.ArgumentParser(description=description, allow_abbrev=False)


def threads_from_argv(argv: Sequence[str]) -> int:
    """The value of ``--threads N`` / ``--threads=N`` in ``argv`` (the last one,
    as argparse takes it; else the CPU count), read before the script's own
    parser runs because numpy must not be imported yet. A bad value ends the
    script with argparse's usage error."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--threads", type=positive_int)
    known, _ = parser.parse_known_args(list(argv))
    return known.threads if known.threads is not None else default_threads()


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
