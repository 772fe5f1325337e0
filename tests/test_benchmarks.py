"""The benchmark scripts: what they count and compute (not how fast anything is)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest


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


def test_benchmark_default_run_is_the_report_sizes_and_wide_adds_the_wide_ones():
    bench = load_benchmark()
    names = [config.name for config in bench.chosen_configs(bench.parse_args([]))]
    assert names == [
        "softmax-b256-sgd", "mlp-b128-sgd", "mlp-b128-adam", "mlp-b256-sgd", "mlp-b256-adam",
    ]  # fmt: skip
    wide = bench.chosen_configs(bench.parse_args(["--wide"]))
    assert {c.sizes for c in wide} >= {(784, 1024, 1024, 10), (784, 2048, 2048, 10)}
    scaling = bench.chosen_configs(bench.parse_args(["--scaling"]))
    assert [c.sizes[1] for c in scaling] == list(bench.SCALING_WIDTHS)


# ---------------------------------------------------------------------- arguments
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize(
    ("script", "arguments", "message"),
    [
        (
            "bench_train.py",
            ["--threads", "abc"],
            "argument --threads: expected a positive int, got 'abc'",
        ),
        ("bench_train.py", ["--thread", "1"], "unrecognized arguments: --thread 1"),
        (
            "bench_train.py",
            ["--pause", "nan"],
            "argument --pause: expected a finite number >= 0",
        ),
        (
            "bench_train.py",
            ["--samples", "0"],
            "argument --samples: expected a positive int, got 0",
        ),
        (
            "bench_train.py",
            ["--json", "/no/such/folder/x.jsonl"],
            "argument --json: the folder",
        ),
        (
            "bench_conv.py",
            ["--limit", "0"],
            "argument --limit: expected a positive int, got 0",
        ),
        (
            "bench_conv.py",
            ["--threads", "0"],
            "argument --threads: expected a positive int, got 0",
        ),
        (
            "report_baseline.py",
            ["--threads", "-3"],
            "argument --threads: expected a positive int",
        ),
        (
            "bench_data.py",
            ["--repeats", "0"],
            "argument --repeats: expected a positive int, got 0",
        ),
        (
            "bench_distributed.py",
            ["--repeats", "0"],
            "argument --repeats: expected a positive int",
        ),
    ],
)
def test_bad_arguments_are_usage_errors_naming_the_flag(script, arguments, message):
    import subprocess

    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_data_must_hold_mnist(tmp_path):
    import subprocess

    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_train.py"), "--data", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "argument --data: no MNIST training files" in result.stderr
    assert not (tmp_path / "mnist").exists()  # nothing downloaded
