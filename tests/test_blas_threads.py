"""minitorch_np.blas_threads: how numpy's OpenBLAS workers wait between products."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from minitorch_np import blas_threads
from minitorch_np.blas_threads import (
    OPENBLAS_VARIABLE,
    POLICY_VARIABLE,
    apply_default_wait_policy,
    set_blas_wait_policy,
)

controllable = bool(blas_threads._pthreads_openblas_libraries())
needs_openblas = pytest.mark.skipif(
    not controllable, reason="numpy's BLAS is not an OpenBLAS with pthreads workers"
)


def test_an_unknown_policy_is_refused_by_name():
    with pytest.raises(
        ValueError,
        match=r"policy must be one of \['active', 'brief', 'passive'\], got 'lazy'",
    ):
        set_blas_wait_policy("lazy")


def test_a_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.delenv(OPENBLAS_VARIABLE, raising=False)
    monkeypatch.setenv(POLICY_VARIABLE, "sleepy")
    with pytest.raises(
        ValueError, match=rf"{POLICY_VARIABLE} must be one of .* got 'sleepy'"
    ):
        apply_default_wait_policy()


def test_openblas_own_variable_wins(monkeypatch):
    monkeypatch.setenv(OPENBLAS_VARIABLE, "10")
    monkeypatch.setenv(POLICY_VARIABLE, "active")

    def must_not_run() -> list:
        raise AssertionError("the library must leave OpenBLAS's own setting alone")

    monkeypatch.setattr(blas_threads, "_pthreads_openblas_libraries", must_not_run)
    assert apply_default_wait_policy() is False


def test_without_openblas_nothing_changes(monkeypatch):
    monkeypatch.setattr(blas_threads, "_loaded_openblas_paths", lambda: [])
    before = dict(os.environ)
    assert set_blas_wait_policy("passive") is False
    assert dict(os.environ) == before


@needs_openblas
def test_switching_keeps_products_exact_and_the_environment_unchanged(monkeypatch):
    monkeypatch.delenv(OPENBLAS_VARIABLE, raising=False)
    a = np.random.default_rng(0).standard_normal((300, 200))
    expected = a @ a.T
    for policy in ("active", "passive", "brief"):  # ends on the default
        assert set_blas_wait_policy(policy) is True
        assert OPENBLAS_VARIABLE not in os.environ
        np.testing.assert_array_equal(a @ a.T, expected)


IDLE_CPU_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import minitorch_np as mt  # applies the default policy
    if sys.argv[1] != "default":
        assert mt.set_blas_wait_policy(sys.argv[1])
    a = np.ones((400, 400), np.float32)
    a @ a
    start = time.process_time()
    time.sleep(0.4)  # the workers are idle: do they burn the CPU?
    print(time.process_time() - start)
    """
)


def idle_cpu_seconds(policy: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != OPENBLAS_VARIABLE}
    env.update(OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    env.pop(POLICY_VARIABLE, None)
    done = subprocess.run(
        [sys.executable, "-c", IDLE_CPU_SCRIPT, policy],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(done.stdout.strip())


@needs_openblas
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="OpenBLAS runs one thread")
def test_idle_workers_spin_only_as_long_as_the_policy_says():
    # active: OpenBLAS's 2^28 cycles (about 0.1 s); brief (the default after
    # the import): 2^18 cycles; passive: 2^4
    assert idle_cpu_seconds("default") < 0.02
    assert idle_cpu_seconds("brief") < 0.02
    assert idle_cpu_seconds("passive") < 0.02
    assert idle_cpu_seconds("active") > 0.03
