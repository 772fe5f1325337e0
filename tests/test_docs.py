"""The documentation runs: every ```python block of README.md and docs/*.md.

Each page's ```python blocks form one script: they run in order, in one shared
namespace, in a fresh Python process whose working folder is a temporary
directory (so a page may write files). Any other fence (```text, ```bash, ...)
is shown, never run. The script keeps every block at its line in the page, so
a traceback points at the failing line of the Markdown file itself.

A page that needs the real MNIST files carries the line
``<!-- docs-test: needs MINITORCH_NP_DATA -->``; it is skipped, saying why,
when that variable is unset. Every other page must run on tiny synthetic data.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NEEDS_DATA = "<!-- docs-test: needs MINITORCH_NP_DATA -->"
# Info strings a fence may carry: ```python runs, the others are shown only.
LANGUAGES = {"python", "text", "bash", "console", "toml", "ini", "json"}
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>.*)$")
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Block:
    language: str
    first_line: int  # 1-based line number of the first code line
    lines: tuple[str, ...]


def code_blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, its contents dedented by the fence's indent.

    Raises ValueError for a fence that is never closed."""
    blocks: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        number += 1
        if opening is None:
            continue
        indent, language = len(opening["indent"]), opening["info"].strip()
        start, body = number, []
        while number < len(lines) and lines[number].strip() != "```":
            body.append(lines[number][indent:])
            number += 1
        if number == len(lines):
            raise ValueError(
                f"{page.name}:{start}: the ```{language} fence is never closed"
            )
        number += 1  # the closing fence
        blocks.append(Block(language, start + 1, tuple(body)))
    return blocks


def page_script(page: Path) -> str:
    """The page's ```python blocks as one script, each line at its line number
    in the page (everything else blank)."""
    script = [""] * len(page.read_text(encoding="utf-8").splitlines())
    for block in code_blocks(page):
        if block.language == "python":
            for offset, line in enumerate(block.lines):
                script[block.first_line - 1 + offset] = line
    return "\n".join(script) + "\n"


def runnable_pages() -> list[Path]:
    return [
        page
        for page in PAGES
        if any(block.language == "python" for block in code_blocks(page))
    ]


def short_name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


RUNNER = """
import sys
page = sys.argv[1]
with open(sys.argv[2], encoding="utf-8") as script:
    code = compile(script.read(), page, "exec")
exec(code, {"__name__": "__main__"})
"""


@pytest.mark.parametrize("page", runnable_pages(), ids=short_name)
def test_the_python_blocks_of_the_page_run(page: Path, tmp_path: Path) -> None:
    if NEEDS_DATA in page.read_text(encoding="utf-8") and not os.environ.get(
        "MINITORCH_NP_DATA"
    ):
        pytest.skip(
            f"{short_name(page)} trains on the real MNIST files: set "
            "MINITORCH_NP_DATA to the folder holding mnist/ (see docs/data.md)"
        )
    script = tmp_path / "page_script.py"
    script.write_text(page_script(page), encoding="utf-8")
    environment = dict(os.environ)
    # One BLAS thread: the docs' matrices are small, and on shared cores
    # spinning BLAS threads can make a run many times slower (docs/benchmarks.md).
    for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        environment.setdefault(variable, "1")
    environment["MPLBACKEND"] = "Agg"
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), environment.get("PYTHONPATH")])
    )
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(page), str(script)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"a ```python block of {short_name(page)} failed "
        f"(line numbers are the page's):\n{result.stderr[-5000:]}"
    )


@pytest.mark.parametrize("page", PAGES, ids=short_name)
def test_every_fence_says_whether_it_runs(page: Path) -> None:
    """A bare ``` or a typo such as ```py would silently never run."""
    unknown = [
        f"line {block.first_line - 1}: ```{block.language}"
        for block in code_blocks(page)
        if block.language not in LANGUAGES
    ]
    assert not unknown, (
        f"{short_name(page)}: fences must be ```python (executed by this test) or "
        f"one of {sorted(LANGUAGES - {'python'})} (shown only); got {unknown}"
    )


def test_the_collector_finds_the_pages_and_their_blocks() -> None:
    names = {short_name(page) for page in runnable_pages()}
    assert {"README.md", "docs/custom_layer.md", "docs/tutorial.md"} <= names


def test_the_script_keeps_each_line_at_its_line_in_the_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n```python\nx = 1\n```\n\n- item\n\n  ```python\n  y = x + 1\n  ```\n"
        "\n```text\nnot code\n```\n",
        encoding="utf-8",
    )
    lines = page_script(page).splitlines()
    assert lines[3] == "x = 1" and lines[9] == "y = x + 1"
    assert "not code" not in lines
    namespace: dict[str, object] = {}
    exec(compile(page_script(page), str(page), "exec"), namespace)
    assert namespace["y"] == 2


def test_an_unclosed_fence_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("text\n```python\nx = 1\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"page.md:2: the ```python fence is never closed"
    ):
        code_blocks(page)
