"""The test suite; the settings below apply to every test process and the subprocesses they start."""

import os

# Three workers share two cores (pyproject's addopts), each with `uec` and Dagster subprocesses: DuckDB's and polars'
# thread pools, each sized to every core, would wait on one another. One thread each did the same work with about 7%
# less CPU (425 s against 453-475 s for the suite). Set here, before conftest imports polars: it sizes its pool then.
# Subprocesses inherit both; the daemon test passes Dagster no UEC_* setting, so its runs keep DuckDB's default.
os.environ.setdefault("UEC_DUCKDB_THREADS", "1")
os.environ.setdefault("POLARS_MAX_THREADS", "1")
