"""docs/api.md documents every public name, with the code's signatures.

Every name in ``minitorch_np.__all__``, ``minitorch_np.data.__all__``,
``minitorch_np.testing.__all__`` and every public top-level definition of
``minitorch_np.functional`` and ``minitorch_np.init`` needs a heading in
docs/api.md that starts with the name in backticks: ``### `Linear(...)` ``
for the top-level package, ``### `functional.softmax(...)` `` for the others.
Method headings (level 4) under a class heading are checked against that
class. A heading that shows a signature must list exactly the code's
parameters, in order, with the code's default values.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import minitorch_np
import minitorch_np.data
import minitorch_np.testing

API = Path(__file__).resolve().parents[1] / "docs" / "api.md"
HEADING = re.compile(r"^(?P<level>#{2,4}) `(?P<name>[\w.]+)(?P<signature>\(.*\))?`")


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    name: str
    signature: str | None  # the text inside the parentheses, or None
    owner: str | None  # the class heading a level-4 heading belongs to


def api_headings() -> list[Heading]:
    headings: list[Heading] = []
    owner = None
    for number, line in enumerate(API.read_text(encoding="utf-8").splitlines(), 1):
        match = HEADING.match(line)
        if match is None:
            continue
        level = len(match["level"])
        signature = match["signature"][1:-1] if match["signature"] else None
        if level < 4:
            owner = match["name"] if is_class(match["name"]) else None
        headings.append(
            Heading(
                number, level, match["name"], signature, owner if level == 4 else None
            )
        )
    return headings


def is_class(dotted: str) -> bool:
    try:
        return inspect.isclass(resolve(dotted))
    except (AttributeError, ImportError):
        return False  # reported by test_every_heading_names_something_that_exists


def resolve(dotted: str, owner: str | None = None) -> object:
    """``"Linear"`` -> minitorch_np.Linear, ``"testing.check_layer"`` -> the
    function (importing the submodule if needed); with ``owner``, a member of
    that class."""
    if owner is not None:
        return inspect.getattr_static(resolve(owner), dotted)
    value: object = minitorch_np
    for part in dotted.split("."):
        if hasattr(value, part):
            value = getattr(value, part)
        elif isinstance(value, ModuleType):
            if f"{value.__name__}.{part}" == "minitorch_np.distributed":
                pytest.importorskip("mpi4py", reason="needs the mpi extra")
            value = importlib.import_module(f"{value.__name__}.{part}")
        else:
            raise AttributeError(f"cannot resolve {dotted!r}")
    return value


def public_definitions(module: ModuleType) -> list[str]:
    """Names defined (def, class, assignment) at the top level of ``module``'s
    source that do not start with an underscore."""
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("_")]


def documented_names() -> set[str]:
    return {heading.name for heading in api_headings() if heading.level < 4}


def required_names() -> list[str]:
    names = list(minitorch_np.__all__)
    names += [f"testing.{name}" for name in minitorch_np.testing.__all__]
    names += [
        f"data.{name}"
        for name in minitorch_np.data.__all__
        if name not in minitorch_np.__all__
    ]
    names += [f"functional.{n}" for n in public_definitions(minitorch_np.functional)]
    names += [f"init.{n}" for n in public_definitions(minitorch_np.init)]
    return names


def test_every_public_name_has_a_heading_in_api_md() -> None:
    missing = [name for name in required_names() if name not in documented_names()]
    assert not missing, (
        f"docs/api.md has no heading for {missing}; add e.g. ### `{missing[0]}(...)` "
        "with its shapes, defaults and errors"
    )


def test_the_public_names_include_the_kit_functional_and_init() -> None:
    names = required_names()
    assert {"Linear", "testing.check_layer", "functional.log_softmax"} <= set(names)
    assert {"init.get_initializer", "init.INITIALIZERS"} <= set(names)


def test_every_heading_names_something_that_exists() -> None:
    unknown = []
    for heading in api_headings():
        try:
            resolve(heading.name, heading.owner)
        except (AttributeError, ImportError):
            unknown.append(f"line {heading.line}: {heading.name}")
    assert not unknown, f"docs/api.md documents names the code does not have: {unknown}"


def signature_headings() -> list[Heading]:
    return [h for h in api_headings() if h.signature is not None]


@pytest.mark.parametrize(
    "heading", signature_headings(), ids=lambda h: f"{h.owner or ''}.{h.name}"
)
def test_a_documented_signature_matches_the_code(heading: Heading) -> None:
    target = resolve(heading.name, heading.owner)
    if isinstance(target, (staticmethod, classmethod)):
        target = target.__func__
    if isinstance(target, property):
        pytest.fail(
            f"line {heading.line}: {heading.name} is a property: no parentheses"
        )
    code = [
        p
        for p in inspect.signature(target).parameters.values()  # type: ignore[arg-type]
        if p.name not in ("self", "cls")
    ]
    documented = [
        part
        for part in split_parameters(heading.signature or "")
        if part not in ("*", "/")
    ]
    where = f"docs/api.md line {heading.line} ({heading.name})"
    assert [name_of(part) for part in documented] == [p.name for p in code], where
    for part, parameter in zip(documented, code):
        assert_default_matches(part, parameter, where)


def split_parameters(text: str) -> list[str]:
    """Split at the commas that are not inside brackets or quotes."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def name_of(part: str) -> str:
    return part.split("=")[0].strip().lstrip("*")


def assert_default_matches(part: str, parameter: inspect.Parameter, where: str) -> None:
    has_default = parameter.default is not inspect.Parameter.empty
    if "=" not in part:
        assert not has_default, (
            f"{where}: {parameter.name} has the default {parameter.default!r}; show it"
        )
        return
    assert has_default, f"{where}: {parameter.name} has no default in the code"
    if repr(parameter.default) == "<factory>":  # a dataclass default_factory
        return
    text = part.split("=", 1)[1].strip()
    value = eval(text, {"np": np, "inf": float("inf")})
    assert value == parameter.default, (
        f"{where}: {parameter.name}={text} but the code's default is {parameter.default!r}"
    )


def test_the_signature_check_reads_defaults_and_markers() -> None:
    parts = split_parameters('a, b=(1, 2), *, c="x, y", d=np.float32')
    assert parts == ["a", "b=(1, 2)", "*", 'c="x, y"', "d=np.float32"]
    assert [name_of(p) for p in split_parameters("*layers, **kw")] == ["layers", "kw"]
    assert dataclasses.is_dataclass(minitorch_np.GradcheckReport)
