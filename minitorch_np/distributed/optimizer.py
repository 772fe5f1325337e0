"""`DistributedOptimizer`: the gradient of the global batch, then the update.

Every rank holds the whole model and computes the gradient of the mean loss
over its own ``n_r`` rows of a global batch of ``N = sum_r n_r`` rows. The
gradient of the mean over the global batch is the row-weighted mean of the
ranks' gradients::

    g = (1 / N) sum_i grad l_i = sum_r (n_r / N) g_r,   g_r = (1 / n_r) sum_{i in r} grad l_i

so each rank scales its packed gradient by ``n_r / N`` and one ``Allreduce``
(sum) per dtype group of contiguous storage (`Optimizer.packed_parameters`)
gives ``g`` on every rank. The wrapped optimizer then applies the same update
everywhere, so the parameters stay identical without being re-broadcast.
"""

from __future__ import annotations

import numbers
from typing import Any

from minitorch_np.distributed._mpi import MPICollective, world
from minitorch_np.optim.optimizer import Optimizer
from minitorch_np.optim.packing import PackedParameters
from minitorch_np.parameter import Parameter

#: Attributes that live on the wrapper itself; every other one is the wrapped
#: optimizer's (read and written through).
_OWN = frozenset(
    {
        "optimizer",
        "collective",
        "loss_reduction",
        "_rows",
        "_checked_ranks",
        "hyperparameter_specs",
        "hyperparameter_names",
    }
)


class DistributedOptimizer(Optimizer):
    """Data-parallel wrapper of an `Optimizer`: ``step()`` replaces every
    rank's gradient by the global-batch mean, then runs ``optimizer.step()``.

    Everything else is the wrapped optimizer's: ``lr`` and the other
    hyperparameters (read and assigned through, so schedulers work),
    ``params``, ``state``, ``step_count``, ``state_dict()`` and
    ``load_state_dict()`` (so checkpoints are interchangeable with a
    single-process run's).

    Args:
        optimizer: the optimizer to wrap, built on every rank from the same
            model (``broadcast_parameters`` makes the starting values equal).
        collective: the ranks that train together; default: every rank of
            ``MPI.COMM_WORLD``.
        loss_reduction: how the loss reduces over the rows, as the loss's
            ``reduction``: ``"mean"`` (the default; the global gradient is the
            rows-weighted mean of the ranks') or ``"sum"`` (the global gradient
            is the sum of the ranks'). `Trainer` refuses a loss of the other
            reduction.

    Weights (``loss_reduction="mean"``): before ``step()``,
    ``set_batch_rows(local_rows, global_rows)`` gives this rank's rows and the
    global batch's (`Trainer` does it from a sharded `DataLoader`'s
    ``global_batch_rows``); without it the ranks' gradients are averaged with
    equal weights, which is the global mean when every rank holds the same
    number of rows. With ``"sum"`` every rank's gradient has weight 1.

    Raises (at the first ``step()``, on every rank): ValueError when the ranks
    hold a different optimizer type, hyperparameters, or parameter shapes or
    dtypes.
    """

    optimizer: Optimizer
    collective: MPICollective
    _rows: tuple[int, int] | None
    _checked_ranks: bool

    def __init__(
        self,
        optimizer: Optimizer,
        collective: MPICollective | None = None,
        *,
        loss_reduction: str = "mean",
    ) -> None:
        if not isinstance(optimizer, Optimizer) or isinstance(
            optimizer, DistributedOptimizer
        ):
            raise TypeError(
                "DistributedOptimizer: expected an Optimizer to wrap (e.g. "
                f"Adam(model.parameters())), got {type(optimizer).__name__}"
            )
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(
            self, "collective", world() if collective is None else collective
        )
        if loss_reduction not in ("mean", "sum"):
            raise ValueError(
                "DistributedOptimizer: expected loss_reduction 'mean' or 'sum', got "
                f"{loss_reduction!r}"
            )
        object.__setattr__(self, "loss_reduction", loss_reduction)
        object.__setattr__(self, "_rows", None)
        object.__setattr__(self, "_checked_ranks", False)
        # (the base class's are class attributes: these shadow them)
        object.__setattr__(self, "hyperparameter_specs", optimizer.hyperparameter_specs)
        object.__setattr__(self, "hyperparameter_names", optimizer.hyperparameter_names)

    # ------------------------------------------------------------------ the wrapped optimizer's
    def __getattr__(self, name: str) -> Any:
        if name in _OWN:  # not yet set: an attribute error, not a recursion
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.optimizer, name, value)

    @property  # type: ignore[override]
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = value

    @property  # type: ignore[override]
    def params(self) -> list[Parameter]:
        return self.optimizer.params

    @params.setter
    def params(self, value: list[Parameter]) -> None:
        self.optimizer.params = value

    @property  # type: ignore[override]
    def step_count(self) -> int:
        return self.optimizer.step_count

    @step_count.setter
    def step_count(self, value: int) -> None:
        self.optimizer.step_count = value

    @property  # type: ignore[override]
    def state(self) -> Any:
        return self.optimizer.state

    @state.setter
    def state(self, value: Any) -> None:
        self.optimizer.state = value

    def hyperparameters(self) -> dict[str, Any]:
        return self.optimizer.hyperparameters()

    def packed_parameters(self) -> list[PackedParameters]:
        return self.optimizer.packed_parameters()

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()

    def state_dict(self) -> dict[str, Any]:
        """The wrapped optimizer's ``state_dict()`` (same on every rank)."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state: Any) -> None:
        self.optimizer.load_state_dict(state)

    # ------------------------------------------------------------------ the step
    def set_batch_rows(self, local_rows: int, global_rows: int) -> None:
        """This rank's rows and the whole global batch's for the next
        ``step()``, which weights this rank's gradient by
        ``local_rows / global_rows`` (used by one step, then forgotten)."""
        local_rows = _check_rows("local_rows", local_rows, low=0)
        global_rows = _check_rows("global_rows", global_rows, low=1)
        if local_rows > global_rows:
            raise ValueError(
                f"DistributedOptimizer.set_batch_rows: expected local_rows <= "
                f"global_rows, got {local_rows} > {global_rows}"
            )
        self._rows = (local_rows, global_rows)

    def step(self) -> None:
        """Average the gradients over the ranks (one Allreduce per dtype
        group of the packed storage), then apply the wrapped optimizer's
        update. Every rank must call it, the same number of times."""
        if not self._checked_ranks:
            self._check_ranks_agree()
        rows, self._rows = self._rows, None
        for group in self.optimizer.packed_parameters():
            self._weight_local_gradient(group, rows)
            self.collective.sum_in_place(group.grad)
        self.optimizer.step()

    def _weight_local_gradient(
        self, group: PackedParameters, rows: tuple[int, int] | None
    ) -> None:
        if rows is not None and rows[0] == 0:  # no rows here: nothing (not 0 * NaN)
            group.grad.fill(0)
        elif self.loss_reduction == "sum":
            return  # the global gradient is the sum of the ranks'
        elif rows is None:
            if self.collective.world_size > 1:
                group.grad *= group.dtype.type(1.0 / self.collective.world_size)
        else:
            group.grad *= group.dtype.type(rows[0] / rows[1])

    def _check_ranks_agree(self) -> None:
        signature = {
            "type": type(self.optimizer).__name__,
            "loss_reduction": self.loss_reduction,
            "hyperparameters": self.optimizer.hyperparameters(),
            "parameter shapes and dtypes": [
                (p.shape, str(p.dtype)) for p in self.optimizer.params
            ],
        }
        self.collective.check_same("DistributedOptimizer.step", "optimizers", signature)
        self._checked_ranks = True

    def __repr__(self) -> str:
        return f"DistributedOptimizer({self.optimizer!r}, {self.collective!r})"


def _check_rows(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"DistributedOptimizer.set_batch_rows: expected {name} to be an int, "
            f"got {type(value).__name__}"
        )
    if value < low:
        raise ValueError(
            f"DistributedOptimizer.set_batch_rows: expected {name} >= {low}, got {value}"
        )
    return int(value)
