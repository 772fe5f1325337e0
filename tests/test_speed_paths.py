"""The fast paths of a training step give the same numbers as the plain ones:
``accumulate_grad`` against ``backward``, the lazy ``zero_grad`` and
``Parameter.add_to_grad``, the optimizers' in-place updates, the loss and ReLU
fast paths and the shared constant arrays; plus the training benchmark's FLOP
count and matrix-product floor."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_np import _workspace
from minitorch_np.layers.activation import ReLU, Tanh
from minitorch_np.layers.dropout import Dropout
from minitorch_np.layers.flatten import Flatten
from minitorch_np.layers.layer import Layer, has_parameters
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.losses.softmax_cross_entropy import SoftmaxCrossEntropy
from minitorch_np.optim.adam import Adam, AdamW
from minitorch_np.optim.rmsprop import RMSprop
from minitorch_np.optim.sgd import SGD
from minitorch_np.parameter import Parameter
from minitorch_np.training.trainer import Trainer

seeds = st.integers(0, 2**32 - 1)
dtypes = st.sampled_from([np.float32, np.float64])


def grads_of(model: Layer) -> dict[str, np.ndarray]:
    return {name: p.grad.copy() for name, p in model.named_parameters()}


# ---------------------------------------------------------------------- accumulate_grad
@given(
    n=st.integers(1, 6),
    widths=st.lists(st.integers(1, 7), min_size=2, max_size=4),
    bias=st.booleans(),
    dtype=dtypes,
    seed=seeds,
)
def test_accumulate_grad_gives_the_parameter_gradients_of_backward(
    n, widths, bias, dtype, seed
):
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        layers += [Linear(n_in, n_out, bias=bias, dtype=dtype, rng=rng), Tanh()]
    full = Sequential(*layers)
    fast = copy.deepcopy(full)
    x = rng.standard_normal((n, widths[0])).astype(dtype)
    grad_y = rng.standard_normal((n, widths[-1])).astype(dtype)

    full.forward(x)
    full.backward(grad_y)
    fast.forward(x)
    assert fast.accumulate_grad(grad_y) is None
    for name, grad in grads_of(full).items():
        # Same products in the same order: bit-identical.
        np.testing.assert_array_equal(dict(fast.named_parameters())[name].grad, grad)


def test_accumulate_grad_adds_like_backward():
    rng = np.random.default_rng(0)
    layer = Linear(5, 3, rng=rng)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    g = rng.standard_normal((4, 3)).astype(np.float32)
    layer.forward(x)
    layer.accumulate_grad(g)
    once = grads_of(layer)
    layer.accumulate_grad(g)
    for name, grad in grads_of(layer).items():
        np.testing.assert_allclose(grad, 2 * once[name], rtol=1e-6)


def test_sequential_skips_the_layers_before_the_first_parameter():
    calls = []

    class Spy(Flatten):
        def backward(self, grad_output: np.ndarray) -> np.ndarray:
            calls.append("spy")
            return super().backward(grad_output)

    rng = np.random.default_rng(1)
    model = Sequential(
        Spy(), Dropout(0.0), Linear(6, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng)
    )
    reference = copy.deepcopy(model)
    x = rng.standard_normal((3, 2, 3)).astype(np.float32)
    g = rng.standard_normal((3, 2)).astype(np.float32)
    model.forward(x)
    model.accumulate_grad(g)
    reference.forward(x)
    reference.backward(g)
    assert calls == ["spy"]  # only the reference's full backward reached it
    for name, grad in grads_of(reference).items():
        np.testing.assert_array_equal(dict(model.named_parameters())[name].grad, grad)


def test_a_model_without_parameters_accumulates_nothing():
    model = Sequential(Flatten(), ReLU())
    model.forward(np.ones((2, 3), dtype=np.float32))
    model.accumulate_grad(np.ones((2, 3), dtype=np.float32))  # nothing to do, no error
    assert not has_parameters(model)


def test_default_accumulate_grad_runs_backward_of_a_user_layer():
    class Scale(Layer):
        """y = a * x with one learnable scalar a."""

        def __init__(self) -> None:
            super().__init__()
            self.a = Parameter(np.array([2.0]))
            self.backward_calls = 0

        def forward(self, x: np.ndarray) -> np.ndarray:
            self._x = x
            return self.a.data * x

        def backward(self, grad_output: np.ndarray) -> np.ndarray:
            self.backward_calls += 1
            self.a.grad += np.sum(grad_output * self._x)
            return grad_output * self.a.data

    layer = Scale()
    layer.forward(np.array([1.0, 3.0]))
    layer.accumulate_grad(np.array([1.0, 1.0]))
    assert layer.backward_calls == 1
    np.testing.assert_array_equal(layer.a.grad, [4.0])


def test_accumulate_grad_errors_name_the_layer():
    model = Sequential(Linear(3, 2))
    with pytest.raises(
        RuntimeError,
        match=r"Sequential\[0\] \(Linear\) accumulate_grad: .*before forward",
    ):
        model.accumulate_grad(np.ones((1, 2), dtype=np.float32))
    model.forward(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(
        ValueError, match=r"expected grad_output of shape \(4, 2\).*got \(4, 3\)"
    ):
        model.accumulate_grad(np.ones((4, 3), dtype=np.float32))


def test_trainer_steps_equal_a_loop_with_full_backward():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 5)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    model = Sequential(Linear(5, 8, rng=rng), ReLU(), Linear(8, 3, rng=rng))
    by_hand = copy.deepcopy(model)
    Trainer(
        model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1, momentum=0.9)
    ).fit([(x[:20], y[:20]), (x[20:], y[20:])], epochs=2, progress=False)
    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(by_hand.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        for xb, yb in ((x[:20], y[:20]), (x[20:], y[20:])):
            loss_fn(by_hand.forward(xb), yb)
            optimizer.zero_grad()
            by_hand.backward(loss_fn.backward())
            optimizer.step()
    for name, value in by_hand.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], value)


# ---------------------------------------------------------------------- lazy zero_grad
def test_zero_grad_reads_as_zeros_and_keeps_the_array():
    param = Parameter(np.ones((2, 3), dtype=np.float32))
    array = param.grad
    array += 5
    param.zero_grad()
    assert param.grad is array
    assert not param.grad.any()


def test_add_to_grad_overwrites_after_zero_grad_and_adds_otherwise():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    param = Parameter(np.zeros((3, 2)))
    param.grad += 100.0
    param.zero_grad()
    param.add_to_grad(np.matmul, a, b)
    np.testing.assert_array_equal(param.grad, a @ b)
    param.add_to_grad(np.matmul, a, b)
    np.testing.assert_allclose(param.grad, 2 * (a @ b), rtol=1e-15)
    param.add_to_grad(np.sum, a, axis=1, keepdims=True)  # options are passed through
    np.testing.assert_allclose(
        param.grad, 2 * (a @ b) + a.sum(axis=1)[:, None], rtol=1e-14
    )


def test_hand_written_accumulation_after_zero_grad_is_kept():
    param = Parameter(np.zeros(3))
    param.zero_grad()
    param.grad += 1.0  # reads the zeros first, then adds
    param.add_to_grad(np.multiply, np.ones(3), 2.0)  # must add, not overwrite
    np.testing.assert_array_equal(param.grad, [3.0, 3.0, 3.0])


def test_an_unused_parameter_is_updated_with_a_zero_gradient():
    used, unused = Parameter(np.ones(2)), Parameter(np.ones(2))
    unused.grad += 7.0  # stale values from an earlier step
    optimizer = SGD([used, unused], lr=0.5)
    optimizer.zero_grad()
    used.grad += 1.0
    optimizer.step()
    np.testing.assert_array_equal(used.data, [0.5, 0.5])
    np.testing.assert_array_equal(unused.data, [1.0, 1.0])


def test_deepcopy_keeps_a_pending_zero():
    param = Parameter(np.ones(2))
    param.grad += 3.0
    param.zero_grad()
    twin = copy.deepcopy(param)
    assert not twin.grad.any()


# ---------------------------------------------------------------------- optimizer checks
def test_a_bad_hyperparameter_set_between_steps_is_still_caught():
    param = Parameter(np.ones(3))
    optimizer = Adam([param], lr=0.1)
    optimizer.step()
    optimizer.lr = -1.0
    with pytest.raises(ValueError, match="lr"):
        optimizer.step()
    optimizer.lr = float("nan")
    with pytest.raises(ValueError, match="lr"):
        optimizer.step()
    optimizer.lr = 0.1
    optimizer.betas = (0.9, 1.5)
    with pytest.raises(ValueError, match="betas"):
        optimizer.step()


OPTIMIZERS = [
    lambda ps: Adam(ps, lr=1e-2),
    lambda ps: Adam(ps, lr=1e-2, weight_decay=0.1),
    lambda ps: AdamW(ps, lr=1e-2, weight_decay=0.1),
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: RMSprop(ps, lr=1e-3),
    lambda ps: RMSprop(ps, lr=1e-3, momentum=0.5),
]


@pytest.mark.parametrize("build", OPTIMIZERS)
def test_a_step_updates_in_place_and_reuses_its_work_arrays(build):
    rng = np.random.default_rng(0)
    params = [
        Parameter(rng.standard_normal(shape).astype(np.float32))
        for shape in [(5, 4), (4,)]
    ]
    optimizer = build(params)
    arrays = [param.data for param in params]
    for param in params:
        param.grad[...] = rng.standard_normal(param.shape)
    optimizer.step()
    work = dict(optimizer._scratch)
    state = [dict(s) for s in optimizer.state]
    before = [param.data.copy() for param in params]
    optimizer.step()
    assert all(param.data is array for param, array in zip(params, arrays))
    assert all(optimizer._scratch[key] is array for key, array in work.items())
    assert all(
        s[name] is array
        for s, old in zip(optimizer.state, state)
        for name, array in old.items()
    )
    assert all(not np.array_equal(p.data, b) for p, b in zip(params, before))
    assert all(param.data.dtype == np.float32 for param in params)


def test_work_arrays_are_not_optimizer_state():
    param = Parameter(np.ones((2, 2), dtype=np.float32))
    optimizer = Adam([param])
    param.grad += 1
    optimizer.step()
    assert sorted(optimizer.state_dict()["state"][0]) == ["exp_avg", "exp_avg_sq"]


# ---------------------------------------------------------------------- loss, ReLU, constants
@settings(max_examples=25)
@given(n=st.integers(1, 9), k=st.integers(1, 12), seed=seeds)
def test_cross_entropy_gradient_is_a_fresh_array_each_time(n, k, seed):
    rng = np.random.default_rng(seed)
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(rng.standard_normal((n, k)).astype(np.float32), rng.integers(0, k, n))
    first = loss_fn.backward()
    kept = first.copy()
    first[...] = 123.0
    np.testing.assert_array_equal(loss_fn.backward(), kept)
    assert first.shape == (n, k)


def test_relu_of_infinities_and_nan_and_any_rank():
    x = np.array([[-np.inf, np.inf, np.nan, -0.0, 2.0]], dtype=np.float32)
    y = ReLU().forward(x)
    np.testing.assert_array_equal(y, [[0.0, np.inf, np.nan, 0.0, 2.0]])
    for shape in [(), (3,), (2, 3, 4)]:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        np.testing.assert_array_equal(ReLU().forward(x), np.maximum(x, 0))


def test_workspace_constants_are_shared_and_read_only():
    ones = _workspace.ones(4, np.dtype(np.float32))
    assert ones is _workspace.ones(4, np.dtype(np.float32))
    assert ones.dtype == np.float32 and np.all(ones == 1)
    zeros = _workspace.zeros(3, np.dtype(np.float64))
    assert zeros is _workspace.zeros(3, np.dtype(np.float64)) and not zeros.any()
    for array in (ones, zeros):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 5


# ---------------------------------------------------------------------- the benchmark
def load_benchmark():
    folder = Path(__file__).resolve().parent.parent / "benchmarks"
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_train", folder / "bench_train.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_train"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


def test_benchmark_counts_the_issue_flops_and_runs_its_floor():
    bench = load_benchmark()
    configs = {config.name: config for config in bench.CONFIGS}
    mlp = configs["mlp-b256-adam"]
    # 72.7 GFLOP per 60000-image epoch: 8 products per step, not 9.
    assert mlp.matmul_flops_per_sample() * 60000 == pytest.approx(72.68e9, rel=1e-3)
    assert configs["softmax-b256-sgd"].matmul_flops_per_sample() == 2 * 2 * 784 * 10
    floor = bench.MatmulFloor(
        bench.Config("tiny", (6, 5, 3), 4, "sgd"), n_samples=10, seed=0
    )
    assert floor.batch_sizes == [4, 4, 2]
    floor.epoch()
    inputs, grads, _, input_grads = floor.arrays[2]
    np.testing.assert_allclose(input_grads[1], grads[1] @ floor.weights[1], rtol=1e-6)


def test_benchmark_ratios_are_paired_per_repeat():
    bench = load_benchmark()
    # A machine twice as slow in the second repeat: the ratio of medians
    # would drift, the paired ratios do not.
    assert bench.paired_ratio([1.0, 2.0, 1.1], [0.5, 1.0, 0.55]) == pytest.approx(2.0)
    config = bench.Config("tiny", (4, 3), 2, "sgd")
    times = {
        ("tiny", bench.STEP_LOOP): [1.0, 2.0, 1.2],
        ("tiny", bench.TRAINER): [1.0, 2.0, 1.2],
        ("tiny", bench.FLOOR): [0.5, 1.0, 0.5],
    }
    rows = bench.rows([config], times, n_samples=6)
    step = next(row for row in rows if row["implementation"] == bench.STEP_LOOP)
    assert step["ratio_to_floor"] == pytest.approx(2.0)
    assert step["ratio_to_floor_per_repeat"] == pytest.approx([2.0, 2.0, 2.4])
    assert step["ratio_to_torch_loader"] is None  # no PyTorch rows
    assert step["ratio_to_torch_tuned"] is None
    assert step["ratio_to_torch_tuned_per_repeat"] == []
    assert step["seconds_per_epoch"] == pytest.approx(1.2)
    assert step["samples_per_second"] == pytest.approx(5.0)


def test_benchmark_target_check_counts_the_repeats_within_the_bound(capsys):
    bench = load_benchmark()
    config = bench.Config("mlp-b256-adam", (4, 3, 2), 2, "adam")
    times = {
        ("mlp-b256-adam", bench.STEP_LOOP): [1.5, 1.7, 1.55],
        ("mlp-b256-adam", bench.FLOOR): [1.0, 1.0, 1.0],
    }
    bench.print_targets(bench.rows([config], times, n_samples=6))
    line = next(
        line for line in capsys.readouterr().out.splitlines() if "floor" in line
    )
    assert "1.55 x matmul floor" in line and "ok" in line
    assert "per repeat 1.50-1.70, 2 of 3 within" in line


def test_benchmark_torch_loops_train_when_torch_is_installed():
    torch = pytest.importorskip("torch")
    bench = load_benchmark()
    config = bench.Config("tiny", (6, 5, 3), 4, "adam")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 6), dtype=np.float32)
    y = rng.integers(0, 3, 10)
    for tuned in (False, True):
        loop = bench.TorchLoop(config, x, y, seed=0, threads=1, tuned=tuned)
        before = [p.detach().clone() for p in loop.model.parameters()]
        batches = list(loop.batches())
        assert [len(xb) for xb, _ in batches] == [4, 4, 2]
        seen = torch.cat([yb for _, yb in batches]).sort().values
        assert torch.equal(seen, torch.from_numpy(np.sort(y)))
        loop.epoch()
        after = list(loop.model.parameters())
        assert all(not torch.equal(a, b) for a, b in zip(before, after))
