"""Running a script's ``main(argv)`` so that library errors read as messages.

An error raised by minitorch_np (missing data offline, a checksum mismatch,
a bad argument, a diverged run, ...) already names what is wrong and how to
fix it; a traceback around it only hides that. `run_main` prints such an
error as one short message on stderr and returns exit status 2 (as argparse
does for bad command lines); ``--debug`` among the arguments, or the
environment variable ``MINITORCH_NP_DEBUG=1``, lets the error through with
its full traceback. Errors that do not come from the library (a bug in the
script) always keep their traceback. Ctrl-C prints ``interrupted`` and
returns 130::

    if __name__ == "__main__":
        sys.exit(run_main(main))
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from minitorch_np.training import Callback, ModelCheckpoint
from minitorch_np.training.checkpoint import read_checkpoint
from minitorch_np.training.collective import launched_world_size

if TYPE_CHECKING:
    from minitorch_np.layers import Layer
    from minitorch_np.optim import Optimizer

__all__ = [
    "DEBUG_ENV",
    "EXIT_ERROR",
    "add_checkpoint_flag",
    "add_debug_flag",
    "checkpointing",
    "data_parallel",
    "fraction",
    "is_library_error",
    "non_negative_float",
    "non_negative_int",
    "positive_float",
    "positive_int",
    "run_main",
]

#: Set to 1 to see the traceback of every error.
DEBUG_ENV = "MINITORCH_NP_DEBUG"
#: The exit status after a library error.
EXIT_ERROR = 2
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
_PACKAGE = Path(__file__).resolve().parent
#: The kinds of error the library raises for problems a user can fix.
_USER_ERRORS = (
    ValueError,
    TypeError,
    OSError,
    ArithmeticError,
    LookupError,
    RuntimeError,
)


def add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug`` (show full tracebacks) to a script's argument parser."""
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"show the full traceback of an error (or set {DEBUG_ENV}=1)",
    )


def add_checkpoint_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--checkpoint PATH`` (see `checkpointing`) to a script's parser."""
    parser.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="save a checkpoint after every epoch; resume from it if the file exists "
        "(with the --epochs of the run that wrote it)",
    )


def checkpointing(
    path: str | None,
    say: Callable[[str], object] = print,
    *,
    epochs: int | None = None,
) -> tuple[list[Callback], str | None]:
    """What ``--checkpoint PATH`` asks of `Trainer.fit`: the callbacks (a
    `ModelCheckpoint` writing PATH after every epoch) and the file to resume
    from (PATH when it exists already, announced with ``say``).

    ``epochs``: the run's ``--epochs``, which is also its cosine schedule's
    ``T_max``. Resuming restores the saved schedule (as PyTorch does), so a
    checkpoint whose schedule was made for another number of epochs is refused
    here, before anything is trained: a ValueError naming ``--epochs`` and the
    checkpoint's value. A file that cannot be read is left to `Trainer.fit`,
    which says what is wrong with it."""
    if not path:
        return [], None
    resume_from = path if os.path.exists(path) else None
    if resume_from:
        if epochs is not None:
            _check_schedule_length(resume_from, epochs)
        say(f"resuming from {path}")
    return [ModelCheckpoint(path)], resume_from


def _check_schedule_length(path: str, epochs: int) -> None:
    """Refuse to resume ``path`` with ``--epochs epochs`` if its saved
    scheduler has another ``T_max``."""
    try:
        saved = read_checkpoint(path).metadata["scheduler"]["T_max"]
    except (ValueError, KeyError, TypeError):  # Trainer.fit reports it in detail
        return
    if isinstance(saved, int) and saved != epochs:
        raise ValueError(
            f"--epochs {epochs} does not fit the checkpoint {path}: it was saved "
            f"by a run of {saved} epochs (its cosine schedule ends there); resume "
            f"with --epochs {saved}, or start a new run without --checkpoint or "
            f"with another path"
        )


def data_parallel(
    model: Layer, optimizer: Optimizer, seed: int
) -> tuple[Optimizer, str | None, int]:
    """What an example does to train data-parallel when an MPI launcher
    (``mpiexec -n K``) started it: every process starts from rank 0's weights,
    draws its own dropout masks (`distributed.seed_layer_generators`),
    averages the gradients with the others (`distributed.DistributedOptimizer`)
    and takes its share of every batch (the loader's ``shard="auto"``).

    Returns ``(optimizer, shard, rank)``: the optimizer to train with, the
    `DataLoader`'s ``shard`` and this process's rank; a process started alone
    gets ``(optimizer, None, 0)`` and mpi4py is not imported."""
    if launched_world_size() == 1:
        return optimizer, None, 0
    from minitorch_np import distributed

    distributed.broadcast_parameters(model)
    distributed.seed_layer_generators(model, seed)
    return distributed.DistributedOptimizer(optimizer), "auto", distributed.rank()


def run_main(
    main: Callable[[list[str]], object],
    argv: Sequence[str] | None = None,
    *,
    prog: str | None = None,
) -> int:
    """Call ``main(argv)`` (default ``sys.argv[1:]``); return the exit status:
    0, `EXIT_ERROR` after a library error (printed as ``prog: error: ...``),
    or 130 after Ctrl-C. Other errors propagate. Under an MPI launcher with
    several ranks, a library error ends the whole job (`_stop_the_job`): the
    other ranks would otherwise wait for this one in their next collective."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = prog or Path(sys.argv[0]).name or "script"
    try:
        main(args)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if _debugging(args) or not is_library_error(error):
            raise
        print(f"{name}: error: {_describe(error)}", file=sys.stderr)
        print(f"(for the full traceback: --debug or {DEBUG_ENV}=1)", file=sys.stderr)
        _stop_the_job(EXIT_ERROR)
        return EXIT_ERROR
    return 0


def _stop_the_job(status: int) -> None:
    """Abort every rank with ``status`` when this process is one of several
    ranks of an MPI job (`distributed.abort_job`); nothing otherwise."""
    if launched_world_size() > 1:
        from minitorch_np.distributed import abort_job

        abort_job(status)


def is_library_error(error: BaseException) -> bool:
    """Whether ``error`` is a user-fixable kind raised from inside minitorch_np."""
    if not isinstance(error, _USER_ERRORS):
        return False
    frames = traceback.extract_tb(error.__traceback__)
    return any(_in_library(frame) for frame in frames)


def _in_library(frame: traceback.FrameSummary) -> bool:
    """Whether ``frame`` runs minitorch_np's code; `run_main`'s own frame,
    which every error of a script passes through, does not count (the other
    helpers here do: their errors are the library's)."""
    path = Path(frame.filename).resolve()
    if path == Path(__file__).resolve() and frame.name == run_main.__name__:
        return False
    return _PACKAGE in path.parents


def _debugging(args: list[str]) -> bool:
    return "--debug" in args or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def _describe(error: BaseException) -> str:
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return f"{type(error).__name__}: {text}"


def positive_int(text: str) -> int:
    """argparse ``type=``: an int >= 1, so ``--epochs 0`` is refused by the
    flag's name ("argument --epochs: expected a positive int, got 0")."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse ``type=``: an int >= 0 ("expected an int >= 0, got -1")."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse ``type=``: a finite float > 0, e.g. a learning rate
    ("argument --lr: expected a positive float, got 0")."""
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive float, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """argparse ``type=``: a finite float >= 0, e.g. a weight decay
    ("expected a float >= 0, got -1")."""
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a float >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    """argparse ``type=``: a float in [0, 1), e.g. a drop probability or a
    momentum ("argument --dropout: expected a float in [0, 1), got 1")."""
    value = float(text)
    if not 0 <= value < 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a float in [0, 1), got {text}")
    return value
