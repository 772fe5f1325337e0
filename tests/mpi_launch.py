"""Launching test scripts under ``mpiexec`` (MPICH's, from the ``mpi`` extra).

One place for the launcher's flags: ``-launcher fork`` starts every rank on
this machine as a child process (no ssh, which a sandbox or a CI runner may
not have); more ranks than cores is fine (the tests' models are tiny). Every
rank gets one BLAS thread, and every launch a time bound.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "mpi_scripts"
#: Seconds a launch may take before the test fails (and the job is killed).
TIMEOUT_SECONDS = 60


def find_mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python (a virtualenv's), else on PATH."""
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()

requires_mpiexec = pytest.mark.skipif(
    MPIEXEC is None,
    reason="mpiexec not found: install the mpi extra (pip install -e '.[mpi]')",
)


def one_thread_env() -> dict[str, str]:
    """The environment for a launched process: one BLAS (and library) thread,
    the project on the import path, and no launcher variables inherited."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PMI_", "PMIX_", "OMPI_", "HYDRA_", "MPI_"))
    }
    env.update(OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    return env


def run_mpi(
    ranks: int, *argv: str, timeout: float = TIMEOUT_SECONDS, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``mpiexec -n ranks python argv...``, its output captured."""
    assert MPIEXEC is not None
    command = [MPIEXEC, "-launcher", "fork", "-n", str(ranks), sys.executable, *argv]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout,
        env=one_thread_env(), cwd=cwd,
    )  # fmt: skip


def run_python(
    *argv: str, timeout: float = TIMEOUT_SECONDS, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python argv...`` as a single process (no launcher), output captured."""
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, timeout=timeout,
        env=one_thread_env(), cwd=cwd,
    )  # fmt: skip


def check_ok(result: subprocess.CompletedProcess[str]) -> str:
    """The run's stdout; fails the test with its stderr when it failed."""
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout
