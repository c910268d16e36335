"""Settings: one reader (pipelines/settings.py), the environment over the .env file over the defaults."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from pipelines import REPO_ROOT
from pipelines import settings as settings_module
from pipelines.settings import Settings, settings

FILE_HOLDS = {
    "UEC_WAREHOUSE": "/from/file/uec.duckdb",
    "UEC_HOME_SYSTEM": " qop ",
    "UEC_UI_PORT": "4000",
    "UEC_REPORTS": "/from/file/reports",
    "UEC_TEST_SMTP_PASSWORD": "from-file",
}


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A .env file of this test's own, in a process that has merged no .env file yet; all put back afterwards."""
    for name in [*settings_module.__dict__.values(), *FILE_HOLDS]:
        if isinstance(name, str) and (name.startswith("UEC_") or name == "DAGSTER_HOME"):
            # Recorded as they are, so what merging the file adds is taken away again at the end: set first, since
            # monkeypatch records nothing when it deletes a variable that was never there, and one the .env file
            # then adds would outlive the test (UEC_HOME_SYSTEM=QOP reached a later test's `uec` in the same worker).
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
    monkeypatch.setattr(settings_module, "_loaded", set())
    path = tmp_path / ".env"
    monkeypatch.setenv("UEC_ENV_FILE", str(path))
    return path


def test_the_environment_wins_over_the_env_file(env_file: Path, monkeypatch: pytest.MonkeyPatch):
    env_file.write_text("".join(f"{name}={value}\n" for name, value in FILE_HOLDS.items()))
    monkeypatch.setenv("UEC_WAREHOUSE", "/from/env/uec.duckdb")
    monkeypatch.setenv("UEC_REPORTS", "")  # set, even empty, hides the file's
    config = settings()
    assert config.warehouse == "/from/env/uec.duckdb"
    assert config.reports_dir == ""
    assert (config.home_system, config.ui_port) == ("QOP", 4000)
    # A password its alerts channel names by variable, and every process the code starts, find the file's values.
    assert config.get("UEC_TEST_SMTP_PASSWORD") == "from-file"
    assert os.environ["UEC_UI_PORT"] == "4000" and os.environ["UEC_WAREHOUSE"] == "/from/env/uec.duckdb"


def test_unset_settings_take_their_defaults(env_file: Path):
    config = settings()
    assert config.warehouse == str(REPO_ROOT / "warehouse" / "uec.duckdb")
    assert (config.reports_dir, config.published_dir, config.published_keep, config.reports_url) == (
        str(REPO_ROOT / "reports"),
        "",
        3,
        "",
    )
    assert (config.feeds_dir, config.landing_dir, config.reference_dir) == (
        str(REPO_ROOT / "schemas" / "feeds"),
        str(REPO_ROOT / "data_samples" / "landing"),
        str(REPO_ROOT / "schemas" / "reference"),
    )
    assert (config.duckdb_memory_limit, config.duckdb_threads) == ("2GB", None)
    assert (config.ui_host, config.ui_port, config.reports_port, config.sensor_interval_seconds) == (
        "127.0.0.1",
        3000,
        3001,
        60,
    )
    assert config.alerts_file == REPO_ROOT / "alerts.yaml"
    assert (config.home_system, config.export_history_days) == ("QJ2", 28)
    assert (config.pseudonymisation_key, config.dagster_home, config.national_base_url) == ("", None, "")


def test_a_changed_environment_is_read_at_the_next_call(env_file: Path, monkeypatch: pytest.MonkeyPatch):
    env_file.write_text("UEC_HOME_SYSTEM=QOP\n")
    assert settings().home_system == "QOP"
    monkeypatch.setenv("UEC_HOME_SYSTEM", "QJ2")
    assert settings().home_system == "QJ2"
    # A variable a test deletes stays deleted: the file is merged once, not at every read.
    monkeypatch.delenv("UEC_HOME_SYSTEM")
    assert settings().home_system == "QJ2" and settings().get("UEC_HOME_SYSTEM") is None


def test_settings_can_be_tried_on_plain_values():
    config = Settings(env_file=Path("unused"), environment={"UEC_PUBLISHED_KEEP": "5", "UEC_LANDING": ""})
    assert (config.published_keep, config.landing_dir, config.feeds_dir) == (
        5,
        "",
        str(REPO_ROOT / "schemas" / "feeds"),
    )


def test_a_mistyped_number_fails_only_where_it_is_read(env_file: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UEC_UI_PORT", "three thousand")
    config = settings()
    assert config.warehouse  # the rest still read
    with pytest.raises(ValueError):
        _ = config.ui_port


def test_the_key_is_not_in_the_settings_repr(env_file: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UEC_PSEUDONYMISATION_KEY", "a-secret-key-0123456789abcdef")
    assert "a-secret-key" not in repr(settings())


SOURCES = [p for folder in ("pipelines", "assets", "schemas") for p in sorted((REPO_ROOT / folder).rglob("*.py"))]


def _reads_environment(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv", "putenv", "unsetenv"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(alias.name in ("environ", "environb", "getenv", "putenv", "unsetenv") for alias in node.names):
                lines.append(node.lineno)
    return sorted(lines)


def test_only_the_settings_module_touches_the_environment():
    found = {
        f"{path.relative_to(REPO_ROOT)}:{line}"
        for path in SOURCES
        if path != REPO_ROOT / "pipelines" / "settings.py"
        for line in _reads_environment(ast.parse(path.read_text(), str(path)))
    }
    assert not found, "read settings through pipelines.settings.settings(), not os.environ"


def _ignores_every_warning(tree: ast.AST) -> list[int]:
    """Lines that ignore warnings without naming a category: they would hide the next deprecation too."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        # The category's place among the positional arguments: filterwarnings(action, message, category, ...).
        place = {"filterwarnings": 2, "simplefilter": 1}.get(node.func.attr)
        if place is None or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        named = len(node.args) > place or any(k.arg == "category" for k in node.keywords)
        if node.args[0].value == "ignore" and not named:
            lines.append(node.lineno)
    return sorted(lines)


def test_no_warning_filter_ignores_every_category():
    found = {
        f"{path.relative_to(REPO_ROOT)}:{line}"
        # The bench and the sample generator too: a figure they print should not come with its warnings hidden.
        for path in [*SOURCES, *sorted((REPO_ROOT / "bench").rglob("*.py")), *(REPO_ROOT / "data_samples").glob("*.py")]
        for line in _ignores_every_warning(ast.parse(path.read_text(), str(path)))
    }
    assert not found, "name the warning's category (and module) to ignore"


def test_the_scans_find_what_they_look_for():
    assert _reads_environment(ast.parse("import os\nos.environ.get('X')\nfrom os import getenv")) == [2, 3]
    assert _ignores_every_warning(ast.parse("import warnings\nwarnings.filterwarnings('ignore')")) == [2]
    assert not _ignores_every_warning(ast.parse("warnings.filterwarnings('ignore', category=DeprecationWarning)"))
    assert _ignores_every_warning(ast.parse("warnings.simplefilter('ignore')")) == [1]
