"""The Dagster code location and the layers under it: ingest, the warehouse, the brief and the command line."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
