"""Benchmarks of ``async_lru`` beside ``anyio.functools.lru_cache`` and async-lru 2.4.0.

Run ``python -m benchmarks`` for the full table (one to two minutes),
``python -m benchmarks --quick`` for a smoke run of a few seconds (CI),
``python -m benchmarks --output DIR`` to also write the table and a chart of hit and
miss costs into DIR, and ``python -m benchmarks --profile CASE [--backend trio]`` to
see one case under cProfile. async-lru 2.4.0 runs on asyncio only; pip downloads its
wheel into the user's cache directory on the first run, and without a network its
rows are left out. Nothing here asserts on timings.
"""
