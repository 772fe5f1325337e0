"""Every numeric flag of every example is checked by argparse: a value out of
range is refused by the flag's name, with exit status 2, before anything is
loaded or trained (minitorch_np.cli's argparse types)."""

from __future__ import annotations

import argparse
import os
from types import ModuleType
from unittest import mock

import pytest
from conftest import load_example, run_example

from minitorch_np import cli

#: A bad value of each numeric flag and what argparse says about it.
BAD_VALUES = {
    "--epochs": ("0", "expected a positive int, got 0"),
    "--batch-size": ("-1", "expected a positive int, got -1"),
    "--limit-train": ("-3", "expected a positive int, got -3"),
    "--seed": ("-1", "expected an int >= 0, got -1"),
    "--shift": ("-1", "expected an int >= 0, got -1"),
    "--lr": ("0", "expected a positive float, got 0"),
    "--momentum": ("1", "expected a float in [0, 1), got 1"),
    "--dropout": ("1", "expected a float in [0, 1), got 1"),
    "--weight-decay": ("-0.1", "expected a float >= 0, got -0.1"),
}
#: The numeric flags of each example.
NUMERIC_FLAGS = {
    "softmax_mnist": [
        "--epochs", "--lr", "--batch-size", "--momentum", "--weight-decay", "--seed",
    ],
    "mlp_mnist": [
        "--epochs", "--lr", "--batch-size", "--momentum", "--weight-decay",
        "--dropout", "--seed", "--limit-train",
    ],
    "cnn_mnist": [
        "--epochs", "--batch-size", "--lr", "--dropout", "--shift", "--seed",
        "--limit-train",
    ],
    "custom_layer": ["--epochs", "--lr", "--batch-size", "--seed", "--limit-train"],
}  # fmt: skip
CLI_TYPES = {
    cli.positive_int,
    cli.non_negative_int,
    cli.positive_float,
    cli.non_negative_float,
    cli.fraction,
}


def example(name: str) -> ModuleType:
    with mock.patch.dict(os.environ):  # the scripts set BLAS thread variables
        return load_example(name)


def parser_of(module: ModuleType) -> argparse.ArgumentParser:
    """The parser ``module.parse_args`` builds (caught as it parses)."""
    parsers: list[argparse.ArgumentParser] = []
    parse = argparse.ArgumentParser.parse_args

    def catch(self, *args, **kwargs):
        parsers.append(self)
        return parse(self, *args, **kwargs)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", catch):
        module.parse_args([])
    return parsers[0]


@pytest.mark.parametrize("script", sorted(NUMERIC_FLAGS))
def test_every_typed_flag_uses_a_checking_type_of_the_cli_module(script):
    typed = {
        action.option_strings[-1]: action.type
        for action in parser_of(example(script))._actions
        if action.type is not None
    }
    assert sorted(typed) == sorted(NUMERIC_FLAGS[script])
    assert all(kind in CLI_TYPES for kind in typed.values()), typed


@pytest.mark.parametrize(
    ("script", "flag"),
    [(script, flag) for script, flags in NUMERIC_FLAGS.items() for flag in flags],
)
def test_a_value_out_of_range_is_refused_by_the_flags_name(script, flag, capsys):
    value, message = BAD_VALUES[flag]
    with pytest.raises(SystemExit) as exit:
        example(script).parse_args([flag, value])
    assert exit.value.code == 2
    assert f"argument {flag}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize("script", sorted(NUMERIC_FLAGS))
def test_a_negative_seed_is_exit_2_without_a_traceback(script):
    result = run_example(f"{script}.py", "--seed", "-1", timeout=60, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "argument --seed: expected an int >= 0, got -1" in result.stderr


@pytest.mark.parametrize("limit", ["-3", "0"])
def test_custom_layer_refuses_a_limit_below_one(limit):
    result = run_example(
        "custom_layer.py", "--synthetic", "--limit-train", limit, "--epochs", "1",
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"argument --limit-train: expected a positive int, got {limit}" in (
        result.stderr
    )
    assert "gradcheck" not in result.stdout  # refused before anything ran


def test_custom_layer_still_takes_a_limit_and_an_explicit_zero_seed():
    args = example("custom_layer").parse_args(
        ["--limit-train", "7", "--seed", "0", "--lr", "0.5", "--epochs", "1"]
    )
    assert (args.limit_train, args.seed, args.lr, args.epochs) == (7, 0, 0.5, 1)
