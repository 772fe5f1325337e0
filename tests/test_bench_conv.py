"""benchmarks/bench_conv.py: its floor does the products it claims, ratios
are paired, and a tiny run prints the tables and JSON lines."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

FOLDER = Path(__file__).resolve().parent.parent / "benchmarks"


def load_bench_conv():
    sys.path.insert(0, str(FOLDER))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_conv", FOLDER / "bench_conv.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FOLDER))
    return module


def test_the_floor_runs_the_networks_products_per_batch():
    bench = load_bench_conv()
    floor = bench.MatmulFloor(n_samples=300, limit=None)
    assert floor.batches == [128, 128, 44]
    floor.epoch()
    cols, w, g, out, grad_w, grad_x = floor.arrays[44][1]  # the second convolution
    assert cols.shape == (44 * 196, 288) and out.shape == (44 * 196, 64)
    np.testing.assert_allclose(out, cols @ w.T, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(grad_x, g @ floor.blocks, rtol=1e-4, atol=1e-3)
    assert bench.MatmulFloor(n_samples=300, limit=2).batches == [128, 128]


def test_ratios_are_paired_per_repeat():
    bench = load_bench_conv()
    assert bench.paired([1.0, 2.0], [0.5, 0.5]) == [2.0, 4.0]


def test_the_network_is_the_examples_without_dropout():
    bench = load_bench_conv()
    model = bench.build_model(np.random.default_rng(0))
    assert model.num_parameters() == 421_642
    assert "Dropout" not in repr(model)


@pytest.mark.skipif(
    not os.environ.get("MINITORCH_NP_DATA"), reason="needs MINITORCH_NP_DATA"
)
def test_a_tiny_run_prints_both_tables_and_json(tmp_path, capsys):
    bench = load_bench_conv()
    out = tmp_path / "conv.jsonl"
    bench.main(["--no-torch", "--repeats", "1", "--calls", "1", "--limit", "2",
                "--pause", "0", "--json", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert "per layer, batch 128" in text and "training epoch, batch 128" in text
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {row["kind"] for row in rows} == {"layer", "epoch"}
    epoch = next(row for row in rows if row.get("implementation") == "minitorch_np")
    assert epoch["ratio_to_torch"] is None and epoch["ratio_to_floor"] > 0
