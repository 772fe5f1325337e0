"""How numpy's BLAS worker threads wait between two matrix products.

OpenBLAS, the BLAS in numpy's wheels, keeps its idle worker threads spinning
for 2^28 clock cycles (about 0.1 s) after each product, so that the next
product starts without waking them. In a training step the next product is
rarely that close: element-wise work runs in between, on the library's own
threads (`minitorch_np.parallel`), and a spinning worker holds the core that
this work needs (docs/benchmarks.md, "Threads"). OpenBLAS reads the spin
time from ``OPENBLAS_THREAD_TIMEOUT`` (2^n cycles, n from 4 to 30), but only
when it loads, that is when numpy is imported, usually before this library.

`set_blas_wait_policy` changes it in a running process: it sets the
variable, has OpenBLAS read its environment again and restarts its workers,
which read the spin time when they start. The policies (``"active"`` and
``"passive"`` as in OpenMP's ``OMP_WAIT_POLICY``):

* ``"active"``: OpenBLAS's own default, 2^28 cycles (about 0.1 s).
* ``"brief"``: 2^18 cycles (a thousandth of that), then sleep: long enough to bridge
  the short element-wise steps between the products of a small net, short
  enough to leave the cores to longer work. The library's default, applied
  by `apply_default_wait_policy` when it is imported.
* ``"passive"``: idle workers sleep at once (2^4 cycles).

It works with an OpenBLAS that runs its own (pthreads) workers, as in numpy's
wheels on Linux. With another BLAS (MKL, Accelerate), an OpenMP build of
OpenBLAS (``OMP_WAIT_POLICY`` is then the setting) or another system, it
changes nothing and returns False.
"""

from __future__ import annotations

import ctypes
import os
import threading

#: Policy name -> OpenBLAS's spin exponent (idle workers spin 2^n cycles).
WAIT_POLICIES = {"passive": 4, "brief": 18, "active": 28}
#: Environment variable that chooses the policy applied at import.
POLICY_VARIABLE = "MINITORCH_NP_BLAS_WAIT_POLICY"
#: OpenBLAS's own variable; when the user sets it, the library leaves it alone.
OPENBLAS_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"

_PTHREADS = 1  # openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP
_PARALLEL_QUERIES = (
    "openblas_get_parallel",
    "openblas_get_parallel64_",
    "scipy_openblas_get_parallel",
    "scipy_openblas_get_parallel64_",
)
_RESTART_FUNCTIONS = ("openblas_read_env", "blas_thread_shutdown_", "blas_thread_init")
_lock = threading.Lock()


def set_blas_wait_policy(policy: str) -> bool:
    """Set how long numpy's OpenBLAS workers spin when idle before they
    sleep: ``"active"`` (OpenBLAS's default), ``"brief"`` or ``"passive"``
    (see the module's docstring).

    Returns True when applied, False when numpy's BLAS is not an OpenBLAS with
    its own worker threads (nothing is changed then). Call it while no other
    thread is inside a numpy matrix product: the workers are restarted.
    """
    if policy not in WAIT_POLICIES:
        raise ValueError(
            f"set_blas_wait_policy: policy must be one of {sorted(WAIT_POLICIES)}, "
            f"got {policy!r}"
        )
    libraries = _pthreads_openblas_libraries()
    if not libraries:
        return False
    with _lock:
        previous = os.environ.get(OPENBLAS_VARIABLE)
        os.environ[OPENBLAS_VARIABLE] = str(WAIT_POLICIES[policy])
        try:
            for library in libraries:
                library.openblas_read_env()
                library.blas_thread_shutdown_()
                library.blas_thread_init()
        finally:
            if previous is None:
                del os.environ[OPENBLAS_VARIABLE]
            else:
                os.environ[OPENBLAS_VARIABLE] = previous
    return True


def apply_default_wait_policy() -> bool:
    """Apply the policy the environment asks for: none when
    ``OPENBLAS_THREAD_TIMEOUT`` is set (OpenBLAS read it already), else
    ``MINITORCH_NP_BLAS_WAIT_POLICY`` when set, else ``"brief"``.
    Returns whether a policy was applied."""
    if os.environ.get(OPENBLAS_VARIABLE, "").strip():
        return False
    policy = os.environ.get(POLICY_VARIABLE, "").strip() or "brief"
    if policy not in WAIT_POLICIES:
        raise ValueError(
            f"{POLICY_VARIABLE} must be one of {sorted(WAIT_POLICIES)}, got {policy!r}"
        )
    return set_blas_wait_policy(policy)


def _pthreads_openblas_libraries() -> list[ctypes.CDLL]:
    """The OpenBLAS libraries loaded in this process that run pthreads workers
    and export what a restart needs."""
    libraries = []
    for path in _loaded_openblas_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        if all(hasattr(library, name) for name in _RESTART_FUNCTIONS) and (
            _parallel_mode(library) == _PTHREADS
        ):
            libraries.append(library)
    return libraries


def _loaded_openblas_paths() -> list[str]:
    """Paths of the loaded shared libraries named like OpenBLAS (Linux)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            lines = maps.read().splitlines()
    except OSError:  # not Linux
        return []
    paths: list[str] = []
    for line in lines:
        fields = line.split(maxsplit=5)  # address perms offset dev inode [path]
        path = fields[5] if len(fields) == 6 else ""
        name = os.path.basename(path)
        if "openblas" in name and ".so" in name and path not in paths:
            paths.append(path)
    return paths


def _parallel_mode(library: ctypes.CDLL) -> int | None:
    for name in _PARALLEL_QUERIES:
        if hasattr(library, name):
            query = getattr(library, name)
            query.restype = ctypes.c_int
            return int(query())
    return None
