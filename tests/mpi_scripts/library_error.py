"""A script run through ``minitorch_np.cli.run_main`` in which one rank stops
on a library error (a ValueError from minitorch_np, printed as a message, exit
status 2) while the other goes on into a collective: the whole job must end
instead of leaving that rank waiting (tests/test_distributed_training.py)."""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import sys  # noqa: E402

import minitorch_np as mt  # noqa: E402
from minitorch_np import distributed  # noqa: E402
from minitorch_np.cli import run_main  # noqa: E402


def main(argv: list[str]) -> None:
    model = mt.Sequential(mt.Linear(3, 2, rng=0))
    if distributed.rank() == 1:
        mt.Linear(0, 2)  # ValueError: in_features must be a positive int
    distributed.broadcast_parameters(model)  # rank 0 waits here for rank 1
    print(f"rank {distributed.rank()} passed the collective", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(run_main(main, prog="library_error.py"))
