"""Where every process finds its settings: the environment first, then one `.env` file.

`settings()` is the one reader: real environment variables win (one set, even empty, hides the file's), then the
`.env` file (UEC_ENV_FILE, else `.env` in the project root), then each setting's default. The file is merged into
the environment once per process (`load_settings()`), where variables already set are kept: the processes `make dev`
starts inherit it, and the libraries that read the environment themselves find what it holds (DagsterInstance.get()
reads DAGSTER_HOME, an SMTP password is in the variable its password_env names). Settings reads that environment as
it is when a setting is asked for, so a test's monkeypatch.setenv or delenv is seen at the next read.

This module is the one writer of os.environ: that merge, and DAGSTER_HOME, GX_ANALYTICS_ENABLED and a newly made
pseudonymisation key below. Production sets real environment variables, which always win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values, load_dotenv, set_key

from pipelines import REPO_ROOT

ENV_FILE_VARIABLE = "UEC_ENV_FILE"
WAREHOUSE_VARIABLE = "UEC_WAREHOUSE"
DEFAULT_WAREHOUSE = "warehouse/uec.duckdb"
DUCKDB_MEMORY_LIMIT_VARIABLE = "UEC_DUCKDB_MEMORY_LIMIT"
# DuckDB's own default is 80% of RAM, and it keeps that much of a year's backfill resident (16 GiB of a 24 GiB
# machine on 6 December); beyond this cap it spills to disk, which cost the capped England year no time.
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"
DUCKDB_THREADS_VARIABLE = "UEC_DUCKDB_THREADS"
REPORTS_VARIABLE = "UEC_REPORTS"
DEFAULT_REPORTS = REPO_ROOT / "reports"
PUBLISHED_VARIABLE = "UEC_PUBLISHED"
PUBLISHED_KEEP_VARIABLE = "UEC_PUBLISHED_KEEP"
DEFAULT_PUBLISHED_KEEP = 3
REPORTS_URL_VARIABLE = "UEC_REPORTS_URL"
FEEDS_DIR_VARIABLE = "UEC_FEEDS_DIR"
DEFAULT_FEEDS_DIR = REPO_ROOT / "schemas" / "feeds"
LANDING_VARIABLE = "UEC_LANDING"
DEFAULT_LANDING = REPO_ROOT / "data_samples" / "landing"
REFERENCE_DIR_VARIABLE = "UEC_REFERENCE_DIR"
DEFAULT_REFERENCE_DIR = REPO_ROOT / "schemas" / "reference"
SENSOR_INTERVAL_VARIABLE = "UEC_SENSOR_INTERVAL_SECONDS"
DEFAULT_SENSOR_INTERVAL_SECONDS = 60
UI_HOST_VARIABLE = "UEC_UI_HOST"
DEFAULT_UI_HOST = "127.0.0.1"
UI_PORT_VARIABLE = "UEC_UI_PORT"
DEFAULT_UI_PORT = 3000
REPORTS_PORT_VARIABLE = "UEC_REPORTS_PORT"
DEFAULT_REPORTS_PORT = 3001
ALERTS_FILE_VARIABLE = "UEC_ALERTS_FILE"
DEFAULT_ALERTS_FILE = REPO_ROOT / "alerts.yaml"
KEY_VARIABLE = "UEC_PSEUDONYMISATION_KEY"
HOME_SYSTEM_VARIABLE = "UEC_HOME_SYSTEM"
DEFAULT_HOME_SYSTEM = "QJ2"  # Derby and Derbyshire ICB: the SCC the brief is made for
EXPORT_HISTORY_VARIABLE = "UEC_EXPORT_HISTORY_DAYS"
DEFAULT_EXPORT_HISTORY_DAYS = 28
NATIONAL_BASE_URL_VARIABLE = "UEC_NATIONAL_BASE_URL"
DAGSTER_HOME_VARIABLE = "DAGSTER_HOME"
DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster"


@dataclass(frozen=True)
class Settings:
    """Every setting the code reads, typed. Numbers are parsed as they are read, not when the object is made, so a
    mistyped setting fails only what uses it (a bad UEC_UI_PORT must not stop the code location loading)."""

    env_file: Path
    # The process's environment with the .env file merged in (or a plain mapping, to try values out). Hidden from
    # repr: it holds the key and any password.
    environment: Mapping[str, str] = field(repr=False)

    def get(self, name: str) -> str | None:
        """A variable as the process sees it: the environment's if set there (even empty), else the .env file's."""
        return self.environment.get(name)

    @property
    def warehouse(self) -> str:
        """UEC_WAREHOUSE, or warehouse/uec.duckdb under the repo."""
        return self.get(WAREHOUSE_VARIABLE) or str(REPO_ROOT / DEFAULT_WAREHOUSE)

    @property
    def duckdb_memory_limit(self) -> str:
        """UEC_DUCKDB_MEMORY_LIMIT (e.g. 3GB, or 80% for DuckDB's own default), as DuckDB takes it; else 2GB."""
        return self.get(DUCKDB_MEMORY_LIMIT_VARIABLE) or DEFAULT_DUCKDB_MEMORY_LIMIT

    @property
    def duckdb_threads(self) -> str | None:
        """UEC_DUCKDB_THREADS, as DuckDB takes it; None leaves DuckDB's own default (every core)."""
        return self.get(DUCKDB_THREADS_VARIABLE) or None

    @property
    def reports_dir(self) -> str:
        """UEC_REPORTS, or reports/ under the repo."""
        value = self.get(REPORTS_VARIABLE)
        return str(DEFAULT_REPORTS) if value is None else value

    @property
    def published_dir(self) -> str:
        """UEC_PUBLISHED; empty means published/ inside the reports folder."""
        return self.get(PUBLISHED_VARIABLE) or ""

    @property
    def published_keep(self) -> int:
        """UEC_PUBLISHED_KEEP, else 3."""
        return int(self.get(PUBLISHED_KEEP_VARIABLE) or DEFAULT_PUBLISHED_KEEP)

    @property
    def reports_url(self) -> str:
        """UEC_REPORTS_URL: where a web server serves the reports folder; empty for file:// links."""
        return self.get(REPORTS_URL_VARIABLE) or ""

    @property
    def feeds_dir(self) -> str:
        value = self.get(FEEDS_DIR_VARIABLE)
        return str(DEFAULT_FEEDS_DIR) if value is None else value

    @property
    def landing_dir(self) -> str:
        value = self.get(LANDING_VARIABLE)
        return str(DEFAULT_LANDING) if value is None else value

    @property
    def reference_dir(self) -> str:
        value = self.get(REFERENCE_DIR_VARIABLE)
        return str(DEFAULT_REFERENCE_DIR) if value is None else value

    @property
    def sensor_interval_seconds(self) -> int:
        """UEC_SENSOR_INTERVAL_SECONDS, else 60 (the daemon test uses 5)."""
        value = self.get(SENSOR_INTERVAL_VARIABLE)
        return int(str(DEFAULT_SENSOR_INTERVAL_SECONDS) if value is None else value)

    @property
    def ui_host(self) -> str:
        """UEC_UI_HOST: where the UI and the reports server listen; loopback unless set."""
        return self.get(UI_HOST_VARIABLE) or DEFAULT_UI_HOST

    @property
    def ui_port(self) -> int:
        return int(self.get(UI_PORT_VARIABLE) or DEFAULT_UI_PORT)

    @property
    def reports_port(self) -> int:
        return int(self.get(REPORTS_PORT_VARIABLE) or DEFAULT_REPORTS_PORT)

    @property
    def alerts_file(self) -> Path:
        """UEC_ALERTS_FILE, or alerts.yaml in the project root."""
        return Path(self.get(ALERTS_FILE_VARIABLE) or DEFAULT_ALERTS_FILE)

    @property
    def pseudonymisation_key(self) -> str:
        """UEC_PSEUDONYMISATION_KEY; empty when not set."""
        return self.get(KEY_VARIABLE) or ""

    @property
    def national_base_url(self) -> str:
        """UEC_NATIONAL_BASE_URL: scheme and host that replace NHS England's in schemas/national/sources.yaml (a
        mirror, or a local server in the tests); empty fetches from the addresses as configured."""
        return (self.get(NATIONAL_BASE_URL_VARIABLE) or "").strip()

    @property
    def dagster_home(self) -> str | None:
        """DAGSTER_HOME; None when not set (persistent_instance then uses .dagster/ in the repo)."""
        return self.get(DAGSTER_HOME_VARIABLE) or None

    @property
    def home_system(self) -> str:
        """UEC_HOME_SYSTEM, upper-cased, else QJ2."""
        return (self.get(HOME_SYSTEM_VARIABLE) or DEFAULT_HOME_SYSTEM).strip().upper()

    @property
    def export_history_days(self) -> int:
        """UEC_EXPORT_HISTORY_DAYS, else 28; anything but a whole number of days, 1 or more, is refused in words."""
        text = (self.get(EXPORT_HISTORY_VARIABLE) or str(DEFAULT_EXPORT_HISTORY_DAYS)).strip()
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{EXPORT_HISTORY_VARIABLE} must be a whole number of days, 1 or more (it is {text!r}).")
        return int(text)


# The .env files merged into this process's environment: each once, so a variable a test deletes stays deleted.
_loaded: set[Path] = set()


def env_file() -> Path:
    """UEC_ENV_FILE, or `.env` in the project root (git ignores it); only the environment can move it."""
    return Path(os.environ.get(ENV_FILE_VARIABLE) or REPO_ROOT / ".env")


def settings() -> Settings:
    """The settings: the .env file merged into the environment on first use, then the environment as it is now.

    Cheap enough to call wherever a setting is needed (a microsecond): nothing is copied or parsed until read.
    """
    path = env_file()
    if path not in _loaded:
        load_settings()
    return Settings(env_file=path, environment=os.environ)


def forget_loaded_env_files() -> None:
    """Forget which .env files were merged, so the next `settings()` merges the file again (for tests)."""
    _loaded.clear()


def load_settings() -> Path:
    """Merge the .env file into the environment where a variable is not already set (the file is read again)."""
    path = env_file()
    if path.is_file():
        load_dotenv(path, override=False)
    _loaded.add(path)
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


def export_setting(name: str, value: str) -> None:
    """Set a variable for this process and the ones it starts (a key just made, so children use the same one)."""
    os.environ[name] = value


def export_dagster_home() -> str:
    """DAGSTER_HOME, set to .dagster/ in the repo when it is not: Dagster and the processes it starts read it."""
    home = settings().dagster_home or str(DEFAULT_DAGSTER_HOME)
    if os.environ.get(DAGSTER_HOME_VARIABLE) != home:
        export_setting(DAGSTER_HOME_VARIABLE, home)
    return home


def disable_gx_analytics() -> None:
    """Great Expectations sends usage analytics unless GX_ANALYTICS_ENABLED says otherwise; one set wins."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def child_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment (the .env file exported into it) with some settings replaced, for a child."""
    return {**os.environ, **overrides}


def home_system() -> str:
    """The system (ICB code in ref.sites) the morning brief is made for: UEC_HOME_SYSTEM, else QJ2.

    The warehouse may hold other systems' providers (one trust sending for two ICBs, a neighbour's feed); their
    figures stay in the rollups under their own system, never in this system's tiles or series.
    """
    return settings().home_system


def export_history_days() -> int:
    """How many days, ending on the brief's day, each sheet of the call-pack workbook holds: UEC_EXPORT_HISTORY_DAYS,
    else 28 (four weeks: the same weekday four times over)."""
    return settings().export_history_days
