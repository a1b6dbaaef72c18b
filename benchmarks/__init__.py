"""Benchmarks of ``async_lru``, checked against its performance targets.

Run ``python -m benchmarks`` for the full table (under a minute),
``python -m benchmarks --quick`` for a smoke run of a few seconds (CI), and
``python -m benchmarks --profile CASE [--backend trio]`` to see one case under
cProfile. Beside this library the table measures ``anyio.functools.lru_cache`` and,
on asyncio, async-lru 2.4.0 itself, whose wheel pip downloads into the user's cache
directory on the first run. Nothing here asserts on timings: missed targets are
reported, never fatal.
"""
