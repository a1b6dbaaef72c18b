"""async-lru 2.4.0 itself, fetched at run time, to measure beside this library.

Its import name, ``async_lru``, is this project's too, so the two cannot be installed
side by side. Instead pip downloads the upstream wheel into a cache directory, its one
module is extracted there, and loaded under another module name. Without a network the
reference rows are left out, never fatal.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, cast

VERSION: Final = "2.4.0"
WHEEL_NAME: Final = f"async_lru-{VERSION}-py3-none-any.whl"
# The benchmark executes the downloaded code, so only the wheel published on PyPI will do.
WHEEL_SHA256: Final = "1b46a96419ef91fe11431d58db98d792c9b4250001427191a40faf1031934212"
WHEEL_MODULE: Final = "async_lru/__init__.py"
MODULE_NAME: Final = "async_lru_2_4_0"  # not "async_lru", which is this project
SOCKET_TIMEOUT_SECONDS: Final = 5.0  # pip's --timeout, per connection attempt
DOWNLOAD_TIMEOUT_SECONDS: Final = 30.0  # the whole pip run, whatever it is stuck on


class ReferenceCache(Protocol):
    """What the benchmarks use of a function decorated by async-lru 2.4.0."""

    def __call__(self, key: int, /) -> Coroutine[Any, Any, int]: ...

    def cache_clear(self) -> None: ...


class ReferenceDecorator(Protocol):
    """async-lru 2.4.0's ``alru_cache``, as far as the benchmarks call it."""

    def __call__(
        self, maxsize: int | None = 128
    ) -> Callable[[Callable[[int], Coroutine[Any, Any, int]]], ReferenceCache]: ...


class UpstreamUnavailableError(Exception):
    """async-lru 2.4.0 could not be fetched or loaded; the message says why."""


@dataclass(frozen=True)
class Upstream:
    """async-lru 2.4.0's decorator and the wheel it came from, or None and None.

    *note* is the report's line about it: what was measured, or why it was not.
    """

    alru_cache: ReferenceDecorator | None
    note: str
    wheel: Path | None = None


def cache_directory() -> Path:
    """Return where the wheel and its extracted module are kept between runs."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "async-lru-anyio-benchmarks"


@functools.cache
def load_upstream() -> Upstream:
    """Fetch async-lru 2.4.0 (once per process) and return its decorator, or why it is missing."""
    directory = cache_directory()
    try:
        wheel = _fetch_wheel(directory)
        decorator = _load_module(_extract_module(wheel, directory))
    except UpstreamUnavailableError as error:
        return Upstream(None, f"async-lru {VERSION} not measured: {error}")
    note = f"async-lru {VERSION} from the wheel published on PyPI (sha256 checked)"
    return Upstream(decorator, note, wheel)


def _fetch_wheel(directory: Path) -> Path:
    """Return the verified wheel in *directory*, downloading it with pip unless already there."""
    wheel = directory / WHEEL_NAME
    if not wheel.is_file():
        print(f"downloading async-lru {VERSION} into {directory}...", file=sys.stderr, flush=True)
        _download(directory)
    if not wheel.is_file():
        raise UpstreamUnavailableError(f"pip saved no {WHEEL_NAME} in {directory}")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise UpstreamUnavailableError(
            f"{wheel} has sha256 {digest}, not PyPI's {WHEEL_SHA256}; delete it to download again"
        )
    return wheel


def _download(directory: Path) -> None:
    """Have pip download the wheel alone (no dependencies: they are installed already)."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        # No network should cost seconds, not pip's default of retrying for minutes.
        f"--timeout={SOCKET_TIMEOUT_SECONDS:g}",
        "--retries=1",
        f"async-lru=={VERSION}",
        "-d",
        str(directory),
    ]
    try:
        subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=DOWNLOAD_TIMEOUT_SECONDS
        )
    except subprocess.CalledProcessError as error:
        lines = (error.stderr or error.stdout or "").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {error.returncode}"
        raise UpstreamUnavailableError(f"pip download failed ({reason})") from error
    except subprocess.TimeoutExpired as error:
        raise UpstreamUnavailableError(
            f"pip download took over {DOWNLOAD_TIMEOUT_SECONDS:g} s"
        ) from error
    except OSError as error:
        raise UpstreamUnavailableError(f"could not run pip ({error})") from error


def _extract_module(wheel: Path, directory: Path) -> Path:
    """Write the wheel's one module to *directory* as MODULE_NAME.py and return its path.

    It is extracted from the verified wheel on every run, so that an edited or stale copy
    is never what gets measured; the write goes through a temporary file and a rename, so
    that a run starting meanwhile never loads half a file.
    """
    module = directory / f"{MODULE_NAME}.py"
    partial = directory / f"{MODULE_NAME}.py.{os.getpid()}.tmp"
    try:
        with zipfile.ZipFile(wheel) as archive:
            partial.write_bytes(archive.read(WHEEL_MODULE))
        partial.replace(module)
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        raise UpstreamUnavailableError(f"could not extract {WHEEL_MODULE} ({error})") from error
    return module


def _load_module(path: Path) -> ReferenceDecorator:
    """Import *path* as MODULE_NAME and return its ``alru_cache``."""
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise UpstreamUnavailableError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: its dataclass looks its module up.
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # e.g. no typing_extensions on Python 3.10
        del sys.modules[MODULE_NAME]
        raise UpstreamUnavailableError(f"importing it failed ({error!r})") from error
    return cast("ReferenceDecorator", module.alru_cache)
