"""Benchmarks of ``async_lru`` against the performance contract (DESIGN.md section 5).

Run ``python -m benchmarks`` for the full table (under two minutes),
``python -m benchmarks --quick`` for a smoke run of a few seconds (CI), and
``python -m benchmarks --profile CASE [--backend trio]`` to see one case under
cProfile. Nothing here asserts on timings: missed targets are reported, never fatal.
"""
