"""Pythons with one DuckDB 1.x each, to open the published reader database as an older reader would.

Each version is a uv project of its own under tests/duckdb_1x/<version>/ (a pyproject pinning duckdb==<version> and
a uv.lock holding its wheels' hashes), synced into .cache/duckdb-<version>/. `make install` syncs them while it
fetches the project's own lock; after that the test needs no registry (uv takes the wheel from its cache). A sync
that fails is an error, never a skip: without the registry or the cache the compatibility the test guards would
otherwise go unchecked and the run still look green.

`python -m tests.support.duckdb_1x` syncs every version (what `make install` runs).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECTS = REPO / "tests" / "duckdb_1x"
# Oldest first: the oldest DuckDB the reader database is written for, and the newest 1.x (the CLI the issue met
# refusing storage version 69).
VERSIONS = tuple(
    sorted(
        (p.name for p in PROJECTS.iterdir() if (p / "uv.lock").is_file()),
        key=lambda v: tuple(int(part) for part in v.split(".")),
    )
)


class ReaderUnavailable(RuntimeError):
    """A DuckDB 1.x Python could not be made."""


def _installed(interpreter: Path) -> str | None:
    if not interpreter.exists():
        return None
    probe = subprocess.run(
        [interpreter, "-c", "import duckdb; print(duckdb.__version__)"], capture_output=True, text=True
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def reader_python(version: str) -> Path:
    """The interpreter of .cache/duckdb-<version>/, synced from tests/duckdb_1x/<version>/uv.lock if need be."""
    project = PROJECTS / version
    if not (project / "uv.lock").is_file():
        raise ReaderUnavailable(f"no lock for DuckDB {version}: expected {project / 'uv.lock'}")
    folder = REPO / ".cache" / f"duckdb-{version}"
    interpreter = folder / "bin" / "python"
    folder.parent.mkdir(exist_ok=True)
    # xdist workers share the folder: one syncs it while the others wait.
    with (folder.parent / f"duckdb-{version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(interpreter) == version:
            return interpreter
        sync = [
            Path(sys.executable).with_name("uv"),
            "sync",
            "--frozen",
            "--quiet",
            "--project",
            project,
            "--python",
            sys.executable,
        ]
        environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(folder)}
        # From uv's cache first (no registry needed), then from the registry the lock names.
        done = subprocess.run([*sync, "--offline"], env=environment, capture_output=True, text=True)
        if done.returncode != 0:
            done = subprocess.run(sync, env=environment, capture_output=True, text=True)
        found = _installed(interpreter)
        if done.returncode != 0 or found != version:
            raise ReaderUnavailable(
                f"could not make a Python with DuckDB {version} in {folder} from {project / 'uv.lock'} "
                f"(uv's cache lacks the wheel and the package registry did not provide it; `make install` syncs it "
                f"while the registry is reachable). Found {found or 'no duckdb'}. uv said: {done.stderr[-1000:]}"
            )
    return interpreter


def main() -> None:
    for version in VERSIONS:
        print(f"DuckDB {version}: {reader_python(version)}")


if __name__ == "__main__":
    main()
