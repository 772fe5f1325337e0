"""Misuse under ``mpiexec`` gets the same clear error on every rank (no rank
is left waiting in a collective), and broadcast_parameters makes the ranks'
models equal (tests/mpi_scripts/checks.py)."""

from __future__ import annotations

import pytest
from mpi_launch import SCRIPTS, check_ok, requires_mpiexec, run_mpi

pytestmark = requires_mpiexec
CHECKS = str(SCRIPTS / "checks.py")


def outcomes(mode: str, ranks: int = 2) -> dict[int, str]:
    """``{rank: outcome line}`` of one launch of checks.py."""
    lines = check_ok(run_mpi(ranks, CHECKS, mode, timeout=30)).splitlines()
    by_rank = {}
    for line in lines:
        rank, _, outcome = line.partition(": ")
        by_rank[int(rank.removeprefix("rank "))] = outcome
    assert sorted(by_rank) == list(range(ranks)), lines
    return by_rank


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
def test_misuse_raises_the_same_error_on_every_rank(mode: str, message: str) -> None:
    for outcome in outcomes(mode).values():
        assert outcome.startswith(message), outcome


def test_broadcast_parameters_copies_parameters_and_buffers_from_the_root() -> None:
    assert outcomes("broadcast", ranks=3) == {
        0: "equal=True changed=True",
        1: "equal=True changed=False",  # the root
        2: "equal=True changed=True",
    }
