"""examples/custom_layer.py: its GELU and Residual layers (gradcheck, formula,
errors) and runs of the script on spirals and on an MNIST slice."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import final_accuracy, load_example, needs_data, run_example


# ---------------------------------------------------------------------- custom_layer.py
def test_custom_gelu_and_residual_pass_gradcheck_in_float32_nets():
    from minitorch_np.gradcheck import gradcheck

    example = load_example("custom_layer")
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(5, 4))
    gradcheck(example.GELU(), x)
    gradcheck(example.residual_block(4, 6, rng), x)
    model = example.build_model(4, 8, 3, rng)
    assert [name for name, _ in model.named_parameters()][2:4] == [
        "2.branch.0.weight",
        "2.branch.0.bias",
    ]
    y = model.forward(x.astype(np.float32))
    assert y.shape == (5, 3) and y.dtype == np.float32
    assert model.backward(np.ones_like(y)).dtype == np.float32


def test_custom_gelu_matches_its_formula_and_reference_values():
    example = load_example("custom_layer")
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    # tanh-GELU reference values (PyTorch gelu(approximate="tanh"))
    expected = np.array([-0.0036373, -0.1588080, 0.0, 0.8411920, 2.9963627])
    np.testing.assert_allclose(example.GELU().forward(x), expected, atol=1e-6)


def test_residual_rejects_a_branch_that_changes_the_shape():
    from minitorch_np.layers import Linear

    example = load_example("custom_layer")
    block = example.Residual(Linear(4, 3, rng=0))
    with pytest.raises(
        ValueError,
        match=r"Residual: the branch must keep the input's shape.*\(2, 4\).*\(2, 3\)",
    ):
        block.forward(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(
        TypeError, match="Residual: expected the branch to be a Layer, got list"
    ):
        example.Residual([Linear(4, 4)])


def test_custom_layer_script_checks_and_trains_on_spirals():
    pytest.importorskip("hypothesis")
    stdout = run_example("custom_layer.py", "--synthetic", "--epochs", "15").stdout
    assert re.search(
        r"^gradcheck GELU: input: max relative error \S+$", stdout, flags=re.M
    )
    assert "gradcheck Residual(Linear-GELU-Linear): input, branch.0.weight" in stdout
    assert (
        "check_layer GELU: passed" in stdout
        and "check_layer Residual: passed" in stdout
    )
    assert "spirals: 1500 training samples, 15 epochs" in stdout
    assert final_accuracy(stdout) >= 93.0  # seeds 0-3 gave 96.5-99.3


@needs_data
def test_custom_layer_script_trains_on_an_mnist_slice():
    stdout = run_example(
        "custom_layer.py", "--epochs", "1", "--limit-train", "6000"
    ).stdout
    assert "MNIST: 6000 training samples, 1 epochs" in stdout
    assert final_accuracy(stdout) >= 88.0  # seeds 0-3 gave 90.5-91.4


def test_custom_layer_script_runs_without_data_and_without_hypothesis(tmp_path):
    if Path("/usr/share/datasets/mnist").exists():
        pytest.skip("MNIST is installed system-wide, so the script finds it")
    blocker = tmp_path / "blocker" / "hypothesis"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(
        'raise ImportError("hypothesis is blocked for this test")\n'
    )
    env = {
        key: value for key, value in os.environ.items() if key != "MINITORCH_NP_DATA"
    }
    env["XDG_CACHE_HOME"] = str(
        tmp_path / "empty-cache"
    )  # no MNIST in the user cache either
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(blocker.parent), env.get("PYTHONPATH")])
    )
    stdout = run_example("custom_layer.py", "--epochs", "3", env=env).stdout
    assert (
        "MNIST not found" in stdout
        and "spirals: 1500 training samples, 3 epochs" in stdout
    )
    assert "gradcheck GELU" in stdout and "check_layer skipped" in stdout
    assert final_accuracy(stdout) > 100 / 3  # better than chance after 3 epochs
