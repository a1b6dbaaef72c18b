"""The tests of an application that caches with alru_cache.

This file makes the folder a package, so that pytest and mypy name its modules
after it (``testing.conftest``) and they do not clash with another ``conftest.py``
of the project.
"""
