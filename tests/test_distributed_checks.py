"""Misuse under ``mpiexec`` gets the same clear error on every rank (no rank
is left waiting in a collective), and broadcast_parameters makes the ranks'
models equal (tests/mpi_scripts/checks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpi_launch import SCRIPTS, check_ok, requires_mpiexec, run_mpi

pytestmark = requires_mpiexec
CHECKS = str(SCRIPTS / "checks.py")


def outcomes(folder: Path, mode: str, ranks: int = 2) -> dict[int, str]:
    """``{rank: outcome}`` of one launch of checks.py."""
    check_ok(run_mpi(ranks, CHECKS, mode, str(folder), timeout=30))
    files = sorted(folder.glob("rank*.txt"))
    assert [f.name for f in files] == [f"rank{r}.txt" for r in range(ranks)]
    return {
        r: (folder / f"rank{r}.txt").read_text(encoding="utf-8") for r in range(ranks)
    }


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (
            "shapes",
            "ValueError: DistributedOptimizer.step: the ranks' optimizers differ in "
            "parameter shapes and dtypes: rank 0 has [((2, 4), 'float32'), ((2,), "
            "'float32')], rank 1 has [((3, 4), 'float32'), ((3,), 'float32')]",
        ),
        (
            "loader",
            "ValueError: DataLoader(shard='auto'): the ranks' loaders differ in "
            "number of samples: rank 0 has 20, rank 1 has 21",
        ),
        (
            "seed",
            "ValueError: DataLoader(shard='auto'): the ranks' loaders differ in "
            "shuffling generator state (the rng seed)",
        ),
        (
            "models",
            "ValueError: broadcast_parameters: the ranks' models differ in parameters "
            "and buffers (name, shape, dtype): rank 0 has [('weight', (2, 3), "
            "'float32'), ('bias', (2,), 'float32')], rank 1 has [('weight', (2, 4),",
        ),
    ],
)
def test_misuse_raises_the_same_error_on_every_rank(
    tmp_path: Path, mode: str, message: str
) -> None:
    for outcome in outcomes(tmp_path, mode).values():
        assert outcome.startswith(message), outcome


def test_broadcast_parameters_copies_parameters_and_buffers_from_the_root(
    tmp_path: Path,
) -> None:
    assert outcomes(tmp_path, "broadcast", ranks=3) == {
        0: "equal=True changed=True",
        1: "equal=True changed=False",  # the root
        2: "equal=True changed=True",
    }
