"""Every code example of README.rst and of the documentation is a program that runs.

The examples are files under docs/examples/, which mypy and pyright check with the
rest of the project; the pages show them with ``literalinclude``, and README.rst,
which is read where includes do not work, repeats them verbatim. A top-level
example defines ``async def main()`` and ends with one of three ways to run it, which
say on which backends it runs here: ``anyio.run(main)`` on both, ``asyncio.run(main())``
on asyncio, ``trio.run(main)`` on trio. Examples in subfolders are run by tests of
their own.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import textwrap
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import anyio
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
PAGES = sorted(DOCS.glob("*.rst"))
RUNNERS = {
    "anyio.run(main)": ("asyncio", "trio"),
    "asyncio.run(main())": ("asyncio",),
    "trio.run(main)": ("trio",),
}
_GUARD = re.compile(r'^if __name__ == "__main__":\n    (?P<runner>.+)\n\Z', re.MULTILINE)
_INCLUDE = re.compile(r"^\s*\.\. literalinclude:: (?P<path>\S+)", re.MULTILINE)
_PYTHON_BLOCK = re.compile(r"^\s*\.\. (code-block|code|sourcecode):: (python|py|pycon)\b", re.M)


def code_blocks(text: str) -> Iterator[str]:
    """Yield the ``.. code-block:: python`` blocks of an rst text, dedented."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not re.fullmatch(r"\.\. code-block:: python", line.strip()):
            continue
        body = itertools.takewhile(
            lambda body_line: not body_line or body_line.startswith(" "), lines[index + 1 :]
        )
        yield textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def top_level_examples() -> list[Path]:
    """Return the examples that this module runs."""
    return sorted(EXAMPLES.glob("*.py"))


def backends_of(path: Path) -> tuple[str, ...]:
    """Return the backends on which the example at *path* runs, from its last lines."""
    match = _GUARD.search(path.read_text())
    assert match is not None, f"{path.name} must end with an `if __name__ == '__main__':` block"
    runner = match["runner"]
    assert runner in RUNNERS, f"{path.name} runs main with {runner!r}, not one of {list(RUNNERS)}"
    return RUNNERS[runner]


def load(path: Path) -> ModuleType:
    """Import a fresh copy of the example at *path*, as a module of its own."""
    spec = importlib.util.spec_from_file_location(f"docs_example_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def included_files() -> set[Path]:
    """Return the files that the pages of the documentation include."""
    return {
        (page.parent / match["path"]).resolve()
        for page in PAGES
        for match in _INCLUDE.finditer(page.read_text())
    }


RUNS = [
    pytest.param(path, backend, id=f"{path.stem}-{backend}")
    for path in top_level_examples()
    for backend in backends_of(path)
]


@pytest.mark.parametrize(("path", "backend"), RUNS)
def test_example_runs_to_completion(path: Path, backend: str) -> None:
    """Each example's main() runs to its end (its own asserts included) on its backends."""
    main = cast("Callable[[], Coroutine[Any, Any, None]]", load(path).main)
    anyio.run(main, backend=backend)


def test_every_readme_example_is_an_example_file() -> None:
    """README.rst's Python blocks are example files, verbatim, so they run and are checked."""
    examples = {path.read_text(): path for path in EXAMPLES.rglob("*.py")}
    blocks = list(code_blocks((ROOT / "README.rst").read_text()))
    assert blocks, "README.rst has no Python example"
    missing = [block for block in blocks if block not in examples]
    assert not missing, f"README.rst blocks that are no file of docs/examples/: {missing}"


def test_pages_show_python_only_from_example_files() -> None:
    """No page writes Python inline: all of it comes from files that run and are checked."""
    inline = [page.name for page in PAGES if _PYTHON_BLOCK.search(page.read_text())]
    assert not inline, f"pages with inline Python blocks: {inline}"


def test_every_included_file_exists() -> None:
    """Every ``literalinclude`` names a file of the project."""
    assert all(path.is_file() for path in included_files())


def test_every_example_file_is_shown() -> None:
    """Every example file appears in a page or in README.rst, so none is left to rot."""
    readme_blocks = set(code_blocks((ROOT / "README.rst").read_text()))
    shown = included_files()
    orphans = [
        path.relative_to(ROOT).as_posix()
        for path in EXAMPLES.rglob("*.py")
        if path.resolve() not in shown and path.read_text() not in readme_blocks
    ]
    assert not orphans, f"example files that no page shows: {orphans}"


def test_readme_development_commands_are_those_of_ci() -> None:
    """README's Development commands are the ones that CI runs, in the same order."""
    readme = (ROOT / "README.rst").read_text()
    section = readme.split("\nDevelopment\n", 1)[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    start = ci.index('python -m pip install --quiet -e ".[test]"')
    ci_commands = [line for line in ci[start + 1 :] if line and not line.startswith("#")]
    readme_commands = [
        line.strip()
        for line in section.splitlines()
        if line.startswith("    ") and not line.strip().startswith("python -m pip install")
    ]
    assert readme_commands == ci_commands
