"""The empty warehouse a new one is copied from: built once a machine for each schema version, in the user's cache.

Building the schema statement by statement (19 scripts and about 1,340 COMMENT ON) takes about 350 ms, a copy of
this file about 20 ms. Each new warehouse paid the 350 ms: a test's, a scratch copy's, and every process loading the
definitions built one in memory for the column types. The file holds no data, only tables, views, macros and their
comments, and is named for its schema digest and DuckDB version, so a changed schema or DuckDB never meets an old one.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import platformdirs

# Templates nobody has used for this long (an older schema's, an older DuckDB's) go when a new one is written.
UNUSED_SECONDS = 30 * 24 * 3600


def folder() -> Path:
    """Where the templates are kept: the user's cache folder (~/.cache/uec/schema on Linux)."""
    return Path(platformdirs.user_cache_dir("uec")) / "schema"


def template(digest: str, build: Callable[[duckdb.DuckDBPyConnection], None]) -> Path | None:
    """The template for this schema digest, built by `build` first if missing; None where it cannot be kept."""
    home = folder()
    path = home / f"{digest[:32]}-duckdb-{duckdb.__version__}.duckdb"
    try:
        if path.is_file():
            os.utime(path)  # used: kept by the pruning below
            return path
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = home / f".{path.name}.{os.getpid()}.partial"
        partial.unlink(missing_ok=True)
        with duckdb.connect(str(partial)) as conn:
            build(conn)
        # A rename: a process attaching the template sees the whole file or none (two building at once both
        # write whole files, and the last rename wins).
        os.replace(partial, path)
        _prune(home, path)
    except (OSError, duckdb.Error) as exc:
        logging.getLogger("uec.warehouse").info("No schema template (%s): the schema is built in place", exc)
        return None
    return path


def discard(path: Path) -> None:
    """Remove a template that could not be copied (damaged): the next process builds it again."""
    logging.getLogger("uec.warehouse").warning("Schema template %s could not be read: removed", path)
    path.unlink(missing_ok=True)


def _prune(home: Path, keep: Path) -> None:
    cutoff = time.time() - UNUSED_SECONDS
    for other in home.glob("*.duckdb*"):
        if other != keep and other.stat().st_mtime < cutoff:
            other.unlink(missing_ok=True)
