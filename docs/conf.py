"""Sphinx configuration of the documentation of async-lru on anyio."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.nodes import Element, TextElement
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import async_lru  # noqa: E402  (the project root goes on the path first)

project = "async-lru on anyio"
author = "the async-lru-anyio authors"
copyright = "2026, the async-lru-anyio authors"
release = async_lru.__version__
version = release

extensions = ["sphinx.ext.autodoc"]
exclude_patterns = ["_build", "examples"]
nitpicky = True

html_theme = "furo"
html_title = f"async-lru on anyio {release}"
html_static_path = ["_static"]

add_module_names = False  # the decorated function's class is private: show its name alone
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings say what each parameter takes
autodoc_preserve_defaults = True

# Links to the documentation of Python, anyio and trio for the names these pages
# refer to. The builds run without a network, so instead of downloading inventories
# (intersphinx) the few names used are listed here; a reference to any other
# outside name still fails the nitpicky build.
PYTHON = "https://docs.python.org/3/library/"
ANYIO = "https://anyio.readthedocs.io/en/stable/api.html#"
TRIO = "https://trio.readthedocs.io/en/stable/reference-core.html#"
OUTSIDE: dict[str, str] = {
    "Exception": PYTHON + "exceptions.html#Exception",
    "RuntimeError": PYTHON + "exceptions.html#RuntimeError",
    "TypeError": PYTHON + "exceptions.html#TypeError",
    "ValueError": PYTHON + "exceptions.html#ValueError",
    "NotImplementedError": PYTHON + "exceptions.html#NotImplementedError",
    "UserWarning": PYTHON + "exceptions.html#UserWarning",
    "KeyboardInterrupt": PYTHON + "exceptions.html#KeyboardInterrupt",
    "SystemExit": PYTHON + "exceptions.html#SystemExit",
    "GeneratorExit": PYTHON + "exceptions.html#GeneratorExit",
    "TimeoutError": PYTHON + "exceptions.html#TimeoutError",
    "float": PYTHON + "functions.html#float",
    "int": PYTHON + "functions.html#int",
    "bool": PYTHON + "functions.html#bool",
    "str": PYTHON + "stdtypes.html#str",
    "dict": PYTHON + "stdtypes.html#dict",
    "None": "https://docs.python.org/3/library/constants.html#None",
    "True": "https://docs.python.org/3/library/constants.html#True",
    "False": "https://docs.python.org/3/library/constants.html#False",
    "functools.lru_cache": PYTHON + "functools.html#functools.lru_cache",
    "functools.partial": PYTHON + "functools.html#functools.partial",
    "functools.partialmethod": PYTHON + "functools.html#functools.partialmethod",
    "functools.wraps": PYTHON + "functools.html#functools.wraps",
    "time.monotonic": PYTHON + "time.html#time.monotonic",
    "asyncio.CancelledError": PYTHON + "asyncio-exceptions.html#asyncio.CancelledError",
    "asyncio.Task": PYTHON + "asyncio-task.html#asyncio.Task",
    "asyncio.current_task": PYTHON + "asyncio-task.html#asyncio.current_task",
    "asyncio.gather": PYTHON + "asyncio-task.html#asyncio.gather",
    "asyncio.run": PYTHON + "asyncio-runner.html#asyncio.run",
    "asyncio.timeout": PYTHON + "asyncio-task.html#asyncio.timeout",
    "asyncio.wait_for": PYTHON + "asyncio-task.html#asyncio.wait_for",
    "inspect.iscoroutinefunction": PYTHON + "inspect.html#inspect.iscoroutinefunction",
    "typing.ParamSpec": PYTHON + "typing.html#typing.ParamSpec",
    "typing.TypedDict": PYTHON + "typing.html#typing.TypedDict",
    "collections.abc.Callable": PYTHON + "collections.abc.html#collections.abc.Callable",
    "collections.abc.Hashable": PYTHON + "collections.abc.html#collections.abc.Hashable",
    "anyio.ClosedResourceError": ANYIO + "anyio.ClosedResourceError",
    "anyio.CancelScope": ANYIO + "anyio.CancelScope",
    "anyio.Event": ANYIO + "anyio.Event",
    "anyio.run": ANYIO + "anyio.run",
    "anyio.move_on_after": ANYIO + "anyio.move_on_after",
    "anyio.fail_after": ANYIO + "anyio.fail_after",
    "anyio.functools.lru_cache": ANYIO + "anyio.functools.lru_cache",
    "trio.run": TRIO + "trio.run",
    "trio.current_time": TRIO + "trio.current_time",
    "trio.CancelScope": TRIO + "trio.CancelScope",
    "trio.TooSlowError": TRIO + "trio.TooSlowError",
    "trio.Cancelled": TRIO + "trio.Cancelled",
    "trio.move_on_after": TRIO + "trio.move_on_after",
    "trio.fail_after": TRIO + "trio.fail_after",
    "trio.testing.MockClock": "https://trio.readthedocs.io/en/stable/reference-testing.html#trio.testing.MockClock",
}


def link_outside(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: TextElement
) -> Element | None:
    """Resolve a reference to one of the outside names above to its page."""
    del app, env
    url = OUTSIDE.get(node["reftarget"])
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference.append(contnode)
    return reference


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the resolver of outside references."""
    app.connect("missing-reference", link_outside)
    return {"parallel_read_safe": True}
