"""Shared test settings and helpers.

Hypothesis: no per-example deadline (timings on a loaded CI machine vary),
modest example counts; ``HYPOTHESIS_PROFILE=thorough pytest`` runs many more
examples. The example scripts: a runner, an importer and the skip when the
real data is absent (used by tests/examples/)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

settings.register_profile("minitorch_np", deadline=None, max_examples=25)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "minitorch_np"))

# Test modules import helpers from this fixture module and load it as a plugin
# (``pytest_plugins``): pytest's assertion rewriting must know it first.
pytest.register_assert_rewrite("download_fixtures")


# ---------------------------------------------------------------------- examples
# Shared by the tests in tests/examples/ (``from conftest import ...``).
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SUMMARY = re.compile(r"test accuracy (\d+\.\d\d)% in (\d+\.\d) s")

#: Skip a test that reads the real MNIST/Fashion-MNIST files when no data
#: folder is configured (CI sets MINITORCH_NP_DATA).
needs_data = pytest.mark.skipif(
    not os.environ.get("MINITORCH_NP_DATA"),
    reason="MINITORCH_NP_DATA is not set (folder with mnist/, fashion-mnist/); real-data runs skipped",
)


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py as a module (importing must not train)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(
    script: str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run examples/<script> with ``args`` (in ``env``, default: this process's
    environment); with ``check`` it must exit with 0."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stderr
    return result


def final_accuracy(stdout: str) -> float:
    """The percentage of the summary line, which must be the last line."""
    match = SUMMARY.fullmatch(stdout.strip().splitlines()[-1])
    assert match, stdout
    return float(match.group(1))
