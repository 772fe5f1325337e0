"""model.summary(input_shape): rows, shapes, counts, and no side effects."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from minitorch_np.layers.activation import ReLU
from minitorch_np.layers.batchnorm import BatchNorm1d
from minitorch_np.layers.dropout import Dropout
from minitorch_np.layers.flatten import Flatten
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.summary import summary


def mlp() -> Sequential:
    return Sequential(
        Linear(784, 256, rng=0),
        ReLU(),
        Linear(256, 256, rng=1),
        ReLU(),
        Linear(256, 10, rng=2),
    )


def table_rows(text: str) -> list[list[str]]:
    """The body rows between the two '=' rules, split on runs of 2+ spaces."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    return [
        [cell for cell in line.split("  ") if cell.strip()]
        for line in lines[rules[0] + 1 : rules[1]]
    ]


def footer(text: str) -> dict[str, str]:
    return dict(
        line.split(": ")
        for line in text.splitlines()
        if line.endswith(tuple("0123456789")) and ": " in line
    )


def test_mlp_784_256_256_10_has_269322_parameters():
    model = mlp()
    text = model.summary((784,))
    assert isinstance(text, str)
    assert text.splitlines()[0] == 'Model: "Sequential"'
    assert [[cell.strip() for cell in row] for row in table_rows(text)] == [
        ["0 (Linear)", "(None, 256)", "200,960"],
        ["1 (ReLU)", "(None, 256)", "0"],
        ["2 (Linear)", "(None, 256)", "65,792"],
        ["3 (ReLU)", "(None, 256)", "0"],
        ["4 (Linear)", "(None, 10)", "2,570"],
    ]
    assert footer(text) == {
        "Total params": "269,322",
        "Trainable params": "269,322",
        "Non-trainable params": "0",
    }
    assert model.num_parameters() == 269_322


def test_summary_method_and_function_agree_and_nothing_is_printed(capsys):
    model = mlp()
    assert model.summary((784,)) == summary(model, (784,)) == summary(model, 784)
    assert capsys.readouterr().out == ""


def test_flatten_reshapes_and_batchnorm_buffers_are_non_trainable():
    model = Sequential(
        Flatten(), Linear(12, 5, rng=0), BatchNorm1d(5), Dropout(0.5, rng=0)
    )
    text = model.summary((3, 4))
    rows = [[cell.strip() for cell in row] for row in table_rows(text)]
    assert rows == [
        ["0 (Flatten)", "(None, 12)", "0"],
        ["1 (Linear)", "(None, 5)", "65"],
        ["2 (BatchNorm1d)", "(None, 5)", "20"],  # gamma, beta + running mean, var
        ["3 (Dropout)", "(None, 5)", "0"],
    ]
    assert footer(text) == {
        "Total params": "85",
        "Trainable params": "75",
        "Non-trainable params": "10",
    }


def test_a_single_layer_is_its_own_row():
    rows = table_rows(Linear(3, 4, rng=0).summary((3,)))
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["linear (Linear)", "(None, 4)", "16"]
    ]


def test_float64_models_are_probed_in_float64():
    model = mlp().to(np.float64)
    assert footer(model.summary((784,)))["Total params"] == "269,322"


def test_the_model_is_left_untouched():
    model = Sequential(
        Linear(4, 3, rng=0), BatchNorm1d(3), Dropout(0.5, rng=1), Linear(3, 2, rng=2)
    )
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    model.forward(x)  # fills caches and running statistics
    state = model.state_dict()
    grad_output = np.ones((5, 2), dtype=np.float32)
    expected = copy.deepcopy(model).backward(grad_output)  # from the caches of x
    rng_state = model[2].rng.bit_generator.state
    model.summary((4,))
    assert model.training and all(layer.training for layer in model)
    np.testing.assert_array_equal(model.backward(grad_output), expected)
    assert model[2].rng.bit_generator.state == rng_state
    after = model.state_dict()
    assert all(np.array_equal(state[key], after[key]) for key in state)


def test_columns_widen_for_long_names():
    model = Sequential(*[Linear(2, 2, rng=i) for i in range(12)])
    lines = model.summary((2,)).splitlines()
    body = lines[4:16]
    assert body[-1].startswith("11 (Linear)")
    starts = {line.index("(None, 2)") for line in body}
    assert len(starts) == 1  # the Output Shape column is aligned
    assert len(lines[1]) >= max(len(line) for line in body)


@pytest.mark.parametrize("shape", [(), (0,), (784.0,), "784", (True,), None])
def test_bad_input_shape_is_rejected(shape):
    with pytest.raises(ValueError, match="summary: expected input_shape"):
        mlp().summary(shape)


def test_a_shape_mismatch_names_the_layer():
    with pytest.raises(
        ValueError,
        match=r"summary: layer 2 \(Linear\) failed on an input of shape \(None, 20\)",
    ):
        Sequential(Linear(10, 20, rng=0), ReLU(), Linear(30, 5, rng=1)).summary((10,))
