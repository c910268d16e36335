# The two commands a fresh clone needs: `make demo` and `make test`.
# Each creates .venv from the pinned lock (uv.lock) when it is missing or stale.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# DAGSTER_HOME holds run history and schedules; it points at the repo's dagster.yaml.
export DAGSTER_HOME := $(CURDIR)/.dagster
export GX_ANALYTICS_ENABLED := false

.PHONY: demo test lint format install browser dev validate samples bench bench-england bench-forecast clean dictionary

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv comes from PyPI into the venv; --inexact keeps it there after the sync.
# --compile-bytecode writes the .pyc files at install: where PYTHONDONTWRITEBYTECODE is set (as on the
# CI machines) Python would otherwise recompile every module on every start, and great-expectations
# alone then takes 13 s to import instead of 6 s.
$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact --quiet --compile-bytecode
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@ln -sf ../dagster.yaml $@

# The DuckDB 1.x Pythons tests/test_published.py reads the published marts with, each synced from its own lock under
# tests/duckdb_1x/ now, while the registry is reachable, so the test never needs it (tests/support/duckdb_1x.py).
$(VENV)/.duckdb-1x: $(VENV)/.installed $(wildcard tests/duckdb_1x/*/uv.lock) tests/support/duckdb_1x.py
	$(BIN)/python -m tests.support.duckdb_1x
	@touch $@

install: $(VENV)/.installed $(VENV)/.duckdb-1x $(DAGSTER_HOME)/dagster.yaml

## Install, then run the whole pipeline on the bundled samples and print the figures.
demo: install
	$(BIN)/python -m pipelines.cli.demo

# The brief's browser test drives Debian's Chromium (no browser download at test time); root or sudo installs it.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# The suite's temporary folders go to tmpfs where the machine has 4 GiB of it to spare: its Dagster instances commit
# to SQLite (and its warehouses checkpoint) thousands of times, and on disk every commit waits for an fsync, which
# three workers on one disk turn into minutes. One session's folders (about 0.5 GiB) are kept, not pytest's three.
TEST_TMPDIR := $(shell [ -w /dev/shm ] && [ "$$(df -Pk /dev/shm | awk 'NR==2 {print $$4}')" -gt 4194304 ] && echo /dev/shm)

## Install (with Chromium for the browser test), lint and check formatting with ruff, then run the test suite.
test: install browser lint
	$(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR) )$(BIN)/python -m pytest -q $(if $(TEST_TMPDIR),-o tmp_path_retention_count=1)

## ruff: lint and check formatting, then mypy: type-check pipelines/, assets/ and schemas/ (what `make test` and CI
## run); `make format` rewrites the files. mypy's settings and file list are in pyproject.toml, its cache in .venv.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Rewrite docs/data-dictionary.md from the catalogue (tests/test_dictionary.py fails while it is out of date).
dictionary: install
	$(BIN)/python -m pipelines.storage.dictionary

## Start the Dagster UI and daemon against the persistent instance in .dagster/.
# The instance's storage is created (or migrated) first: the webserver, daemon and code server start
# together and would otherwise race to create a fresh SQLite schema.
# The reports folder is served beside the UI, so its links to the brief and Data Docs open with a click.
# pipelines/servers/dev.py owns both servers and stops them within seconds of Ctrl-C or SIGTERM; the UI's port and
# bind address are settings (UEC_UI_PORT, UEC_UI_HOST), like the reports server's port (UEC_REPORTS_PORT,
# or `make dev REPORTS_PORT=...`).
dev: install
	$(BIN)/dagster instance migrate > /dev/null
	$(if $(REPORTS_PORT),UEC_REPORTS_PORT=$(REPORTS_PORT)) exec $(BIN)/python -m pipelines.servers.dev

validate: install
	$(BIN)/dagster definitions validate

## The pipeline end to end against plain DuckDB on the same files (one Derbyshire day by default).
bench: install
	$(BIN)/python -m bench.run $(ARGS)

## England volume (180 sites): 30 days and a whole year, against the floor; the year is generated once.
bench-england: install
	$(BIN)/python -m bench.run --england 30 --england 365

## The forecasts on real ambulance demand (SWAST 2013-2019) by Monks et al.'s protocol, beside their figures.
bench-forecast: install
	$(BIN)/python -m bench.forecast $(ARGS)

## Regenerate the bundled sample files (deterministic: same seed, same bytes).
samples: install
	$(BIN)/python -m data_samples.generate

clean:
	rm -rf $(VENV) .dagster warehouse reports .bench-data
