"""Static type tests: modules checked by mypy and pyright, never collected by pytest."""
