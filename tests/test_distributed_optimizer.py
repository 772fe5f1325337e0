"""minitorch_np.distributed in a world of one rank (this process, not started
by mpiexec): DistributedOptimizer is an Optimizer that behaves as the one it
wraps; the row weights; argument errors; and import hygiene (the rest of the
library never imports mpi4py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import minitorch_np as mt
from minitorch_np.training import Trainer

distributed = pytest.importorskip(
    "minitorch_np.distributed", reason="mpi4py is not installed (the mpi extra)"
)
DistributedOptimizer = distributed.DistributedOptimizer


def model_and_batch(seed: int = 0) -> tuple[mt.Layer, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = mt.Sequential(mt.Linear(3, 4, rng=rng), mt.Tanh(), mt.Linear(4, 2, rng=rng))
    return model.to(np.float64), rng.normal(size=(6, 3)), rng.integers(0, 2, 6)


def one_step(model: mt.Layer, optimizer: mt.Optimizer, x, y, rows=None) -> None:
    loss = mt.SoftmaxCrossEntropy()
    loss(model.forward(x), y)
    optimizer.zero_grad()
    model.accumulate_grad(loss.backward())
    if rows is not None:
        optimizer.set_batch_rows(*rows)
    optimizer.step()


def test_a_world_of_one_rank() -> None:
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (
        0,
        1,
        True,
    )


@pytest.mark.parametrize("rows", [None, (6, 6)])
def test_in_a_world_of_one_it_updates_as_the_wrapped_optimizer(rows) -> None:
    model_a, x, y = model_and_batch()
    model_b, _, _ = model_and_batch()
    plain = mt.Adam(model_a.parameters(), lr=0.01)
    wrapped = DistributedOptimizer(mt.Adam(model_b.parameters(), lr=0.01))
    for _ in range(3):
        one_step(model_a, plain, x, y)
        one_step(model_b, wrapped, x, y, rows)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert wrapped.step_count == plain.step_count == 3


def test_the_gradient_is_weighted_by_the_ranks_share_of_rows() -> None:
    model, x, y = model_and_batch()
    optimizer = DistributedOptimizer(mt.SGD(model.parameters(), lr=1.0))
    before = [p.data.copy() for p in model.parameters()]
    loss = mt.SoftmaxCrossEntropy()
    loss(model.forward(x), y)
    optimizer.zero_grad()
    model.accumulate_grad(loss.backward())
    gradients = [p.grad.copy() for p in model.parameters()]
    optimizer.set_batch_rows(2, 8)  # this rank holds a quarter of the batch
    optimizer.step()
    for p, old, g in zip(model.parameters(), before, gradients):
        np.testing.assert_allclose(p.data, old - 0.25 * g, rtol=1e-12)


def test_with_a_sum_loss_every_ranks_gradient_has_weight_one() -> None:
    model, x, y = model_and_batch()
    optimizer = DistributedOptimizer(
        mt.SGD(model.parameters(), lr=1.0), loss_reduction="sum"
    )
    before = [p.data.copy() for p in model.parameters()]
    loss = mt.SoftmaxCrossEntropy(reduction="sum")
    loss(model.forward(x), y)
    optimizer.zero_grad()
    model.accumulate_grad(loss.backward())
    gradients = [p.grad.copy() for p in model.parameters()]
    optimizer.set_batch_rows(2, 8)  # a quarter of the rows, but summed: weight 1
    optimizer.step()
    for p, old, g in zip(model.parameters(), before, gradients):
        np.testing.assert_array_equal(p.data, old - g)


def test_trainer_refuses_a_loss_of_the_other_reduction() -> None:
    model, _, _ = model_and_batch()
    optimizer = DistributedOptimizer(mt.SGD(model.parameters(), lr=0.1))
    with pytest.raises(
        ValueError,
        match=r"Trainer: the loss reduces with reduction='sum' but the data-parallel "
        r"optimizer combines the ranks' gradients for loss_reduction='mean'; build it "
        r"as DistributedOptimizer\(optimizer, loss_reduction='sum'\)",
    ):
        Trainer(model, mt.SoftmaxCrossEntropy(reduction="sum"), optimizer)
    summed = DistributedOptimizer(
        mt.SGD(model.parameters(), lr=0.1), loss_reduction="sum"
    )
    Trainer(model, mt.SoftmaxCrossEntropy(reduction="sum"), summed)
    with pytest.raises(ValueError, match=r"loss_reduction='mean'"):
        Trainer(model, mt.SoftmaxCrossEntropy(), summed)


def test_a_rank_without_rows_contributes_zero_even_from_a_nan_gradient() -> None:
    model, _, _ = model_and_batch()
    optimizer = DistributedOptimizer(mt.SGD(model.parameters(), lr=1.0))
    before = [p.data.copy() for p in model.parameters()]
    for p in model.parameters():
        p.grad[...] = np.nan
    optimizer.set_batch_rows(0, 5)
    optimizer.step()
    for p, old in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, old)


def test_it_is_the_wrapped_optimizer_for_trainer_schedulers_and_checkpoints(
    tmp_path,
) -> None:
    model, x, y = model_and_batch()
    inner = mt.SGD(model.parameters(), lr=0.1, momentum=0.9)
    optimizer = DistributedOptimizer(inner)
    assert isinstance(optimizer, mt.Optimizer)
    assert optimizer.params is inner.params and optimizer.state is inner.state
    assert optimizer.hyperparameters() == inner.hyperparameters()
    optimizer.momentum = 0.5  # hyperparameters are read and written through
    assert inner.momentum == optimizer.momentum == 0.5
    scheduler = mt.ExponentialLR(optimizer, gamma=0.5)
    trainer = Trainer(model, mt.SoftmaxCrossEntropy(), optimizer, scheduler=scheduler)
    trainer.fit(mt.DataLoader(x, y, 4, rng=0), 2, progress=False)
    assert inner.lr == optimizer.lr == pytest.approx(0.025)
    assert optimizer.state_dict()["type"] == "SGD"
    path = trainer.save_checkpoint(tmp_path / "run.npz")
    fresh, _, _ = model_and_batch(seed=1)
    plain = mt.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    mt.load_checkpoint(path, fresh, plain)  # readable without any wrapper
    assert plain.step_count == optimizer.step_count == 4
    for name, value in inner.state_dict()["state"][0].items():
        np.testing.assert_array_equal(plain.state[0][name], value)
    assert repr(optimizer).startswith("DistributedOptimizer(SGD(lr=0.025")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda o: o.set_batch_rows(3, 2), ValueError, "local_rows <= global_rows"),
        (lambda o: o.set_batch_rows(-1, 2), ValueError, "local_rows >= 0, got -1"),
        (lambda o: o.set_batch_rows(1, 0), ValueError, "global_rows >= 1, got 0"),
        (lambda o: o.set_batch_rows(1.0, 2), TypeError, "local_rows to be an int"),
        (lambda o: DistributedOptimizer(o), TypeError, "got DistributedOptimizer"),
        (lambda o: DistributedOptimizer(object()), TypeError, "got object"),
        (
            lambda o: DistributedOptimizer(o.optimizer, loss_reduction="none"),
            ValueError,
            "expected loss_reduction 'mean' or 'sum', got 'none'",
        ),
    ],
)
def test_argument_errors(call, error: type, message: str) -> None:
    model, _, _ = model_and_batch()
    optimizer = DistributedOptimizer(mt.SGD(model.parameters(), lr=0.1))
    with pytest.raises(error, match="DistributedOptimizer") as caught:
        call(optimizer)
    assert message in str(caught.value)


def test_broadcast_parameters_argument_errors() -> None:
    model, _, _ = model_and_batch()
    with pytest.raises(ValueError, match=r"root in \[0, 1\), got 1"):
        distributed.broadcast_parameters(model, root=1)
    with pytest.raises(TypeError, match="expected model to be a Layer, got list"):
        distributed.broadcast_parameters([])
    distributed.broadcast_parameters(model)  # a world of one: nothing changes


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )


def test_the_library_and_a_single_process_fit_never_import_mpi4py() -> None:
    code = (
        "import sys, numpy as np, minitorch_np as mt\n"
        "model = mt.Linear(3, 2, rng=0)\n"
        "x, y = np.ones((5, 3), np.float32), np.zeros(5, np.int64)\n"
        "trainer = mt.Trainer(model, mt.SoftmaxCrossEntropy(), mt.SGD(model.parameters(), lr=0.1))\n"
        "trainer.fit(mt.DataLoader(x, y, 2, rng=0, shard=(0, 1)), 1, progress=False)\n"
        "trainer.evaluate(x, y)\n"
        "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr


def test_without_mpi4py_the_import_error_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['mpi4py'] = None  # as if not installed\n"
        "import minitorch_np.distributed\n"
    )
    result = run_python(code)
    assert result.returncode != 0
    assert (
        'ImportError: minitorch_np.distributed needs mpi4py and an MPI library: pip install "minitorch_np[mpi]"'
        in result.stderr
    )


def test_seed_layer_generators_gives_each_random_layer_its_own_stream() -> None:
    shared = np.random.default_rng(0)
    model = mt.Sequential(
        mt.Linear(3, 4, rng=0), mt.Dropout(0.5, rng=shared), mt.Dropout(0.5, rng=shared)
    )
    distributed.seed_layer_generators(model, 5)
    first, second = model[1].rng, model[2].rng
    assert first is not shared and second is not shared and first is not second
    expected = np.random.default_rng([5, 0, 0]).random(3)  # (seed, rank, position)
    np.testing.assert_array_equal(first.random(3), expected)
    with pytest.raises(ValueError, match="non-negative int, got -1"):
        distributed.seed_layer_generators(model, -1)
