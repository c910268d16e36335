"""Where every process finds its settings: the environment first, then one `.env` file.

`uec`, `make demo`, `dagster dev`, the daemon, its run workers and the tests all call `load_settings()`
(the code location does so on import), so the pseudonymisation key and every UEC_* setting are found
the same way whoever starts the process. Production sets real environment variables, which always win.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values, load_dotenv, set_key

from pipelines import REPO_ROOT

ENV_FILE_VARIABLE = "UEC_ENV_FILE"


def env_file() -> Path:
    """UEC_ENV_FILE, or `.env` in the project root (git ignores it)."""
    return Path(os.environ.get(ENV_FILE_VARIABLE) or REPO_ROOT / ".env")


def load_settings() -> Path:
    """Put the .env file's settings into the environment where a variable is not already set."""
    path = env_file()
    if path.is_file():
        load_dotenv(path, override=False)
    return path


def file_setting(name: str) -> str | None:
    """A setting as the .env file holds it (not the environment), or None."""
    path = env_file()
    return dotenv_values(path).get(name) if path.is_file() else None


def write_setting(name: str, value: str) -> Path:
    """Add or replace one setting in the .env file, created readable by its owner only."""
    path = env_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
    set_key(str(path), name, value, quote_mode="never")
    return path


HOME_SYSTEM_VARIABLE = "UEC_HOME_SYSTEM"
DEFAULT_HOME_SYSTEM = "QJ2"  # Derby and Derbyshire ICB: the SCC the brief is made for


def home_system() -> str:
    """The system (ICB code in ref.sites) the morning brief is made for: UEC_HOME_SYSTEM, else QJ2.

    The warehouse may hold other systems' providers (one trust sending for two ICBs, a neighbour's feed); their
    figures stay in the rollups under their own system, never in this system's tiles or series.
    """
    return (os.environ.get(HOME_SYSTEM_VARIABLE) or DEFAULT_HOME_SYSTEM).strip().upper()


EXPORT_HISTORY_VARIABLE = "UEC_EXPORT_HISTORY_DAYS"
DEFAULT_EXPORT_HISTORY_DAYS = 28


def export_history_days() -> int:
    """How many days, ending on the brief's day, each sheet of the call-pack workbook holds: UEC_EXPORT_HISTORY_DAYS,
    else 28 (four weeks: the same weekday four times over)."""
    text = (os.environ.get(EXPORT_HISTORY_VARIABLE) or str(DEFAULT_EXPORT_HISTORY_DAYS)).strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{EXPORT_HISTORY_VARIABLE} must be a whole number of days, 1 or more (it is {text!r}).")
    return int(text)
