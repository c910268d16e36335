"""docs/domain.md §7.5: a provider whose file names carry no extract time, its `_v2` re-sends, and its active dates."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest.freshness import arrival
from pipelines.ingest.landing import list_folder
from pipelines.resources import FeedFilesResource
from schemas.clock import LONDON
from schemas.registry import FeedConfig, RegistryError, _parse_config, load_feed_configs
from tests.support.ingest import ingest
from tests.support.rows import UHDB_COLUMNS, uhdb_row
from tests.support.warehouse import Env

# Tameside and Glossop's own names: the activity day only, and `_v2` on a re-send (issue 20).
TGICFT = """
feed: ed_attendances
provider_code: RMP
provider_name: Tameside and Glossop Integrated Care
landing_dir: ed_attendances/tgicft
file_pattern: '^TGICFT_ED_(?P<activity_date>\\d{{8}})(?P<version>_v\\d+)?\\.csv$'
activity_date_format: '%Y%m%d'
extracted_at: {rule}
datetime_formats: ['%Y-%m-%d %H:%M:%S']
columns:
  record_id: ATTENDANCE_ID
  site_code: {{constant: RMP01}}
  department_type: {{column: UNIT, values: {{AED: 1}}}}
  arrival_at: ARRIVAL_DTTM
  departure_at: DEPARTURE_DTTM
  arrival_mode: {{column: ARRIVAL_MODE, values: {{'1': ambulance, '2': other}}}}
{extra}"""
SITE = "RMP01,Tameside General Hospital,RMP,Tameside and Glossop Integrated Care NHS Foundation Trust,QOP,NHS Greater "
SITE += "Manchester ICB,no\n"


def onboard(env: Env, tmp_path: Path, rule: str, extra: str = "") -> Path:
    """The shipped layouts and reference data plus Tameside's layout and site; returns its landing folder."""
    feeds, reference = env.own_configuration(tmp_path)
    (feeds / "ed_attendances" / "tgicft.yaml").write_text(TGICFT.format(rule=rule, extra=extra))
    with (reference / "sites.csv").open("a") as sites:
        sites.write(SITE)
    folder = env.landing / "ed_attendances" / "tgicft"
    folder.mkdir(parents=True)
    return folder


def land(folder: Path, name: str, rows: list[dict[str, str]], arrived_utc: datetime | None = None) -> Path:
    path = folder / name
    pl.DataFrame(rows, schema={c: pl.Utf8 for c in UHDB_COLUMNS}).write_csv(path)
    if arrived_utc:
        stamp = arrived_utc.replace(tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))
    return path


def layout(rule: str, extra: str = "") -> FeedConfig:
    return _parse_config(f"tgicft-{rule}-{extra}.yaml", TGICFT.format(rule=rule, extra=extra))


# --- the layout: which keys go with which rule ------------------------------------------------------------------


def test_existing_layouts_keep_their_file_name_rule():
    uhdb = _parse_config("uhdb.yaml", (Path(FeedFilesResource().feeds_dir) / "ed_attendances/uhdb.yaml").read_text())
    assert uhdb.extracted_at.source == "file_name"
    assert uhdb.match("UHDB_ED_20250115_20250116T0600.csv") == (date(2025, 1, 15), datetime(2025, 1, 16, 6, 0))


@pytest.mark.parametrize(
    "rule, extra, problem",
    [
        ("file_name", "", "file_pattern needs a named group 'extracted_at'"),
        ("fixed", "", "needs 'at'"),
        ("{from: arrival, at: '06:00'}", "", "apply only to 'from: fixed'"),
        ("arrival", "extracted_at_format: '%Y%m%d'\n", "drop file_pattern's 'extracted_at' group"),
        ("arrival", "active_from: 2025-03-29\nactive_to: 2025-03-01\n", "active_from 2025-03-29 is after active_to"),
    ],
)
def test_a_rule_without_what_it_needs_is_refused_by_name(rule: str, extra: str, problem: str):
    with pytest.raises(RegistryError, match=problem):
        layout(rule, extra)


def test_a_fixed_rule_places_the_extract_and_versions_order_its_ties():
    config = layout("{from: fixed, at: '03:00', days_after: 1}")
    day, first = config.match("TGICFT_ED_20250615.csv")
    assert (day, first) == (date(2025, 6, 15), datetime(2025, 6, 16, 3, 0))
    # Every file of the day gets 03:00: the version orders them, by number (v10 after v9, though "_v10" sorts
    # before "_v9" as text), as a microsecond each, which is what the warehouse orders versions by.
    times = [config.match(f"TGICFT_ED_20250615{v}.csv")[1] for v in ("", "_v2", "_v9", "_v10")]
    assert [t - first for t in times] == [timedelta(microseconds=n) for n in (0, 2, 9, 10)]
    assert config.match("TGICFT_ED_20251345.csv") is None  # not a date: never placed


def test_arrival_takes_the_landing_time_and_a_tie_goes_to_the_higher_version(env: Env, tmp_path: Path):
    folder = onboard(env, tmp_path, "arrival")
    # Copied in by one job: both files landed within the same second, the v10 first.
    land(folder, "TGICFT_ED_20250115_v10.csv", [], datetime(2025, 1, 16, 5, 30, 0))
    land(folder, "TGICFT_ED_20250115_v9.csv", [], datetime(2025, 1, 16, 5, 30, 0))
    os.utime(folder / "TGICFT_ED_20250115_v9.csv", (datetime(2025, 1, 16, 5, 30, 0, 700000, UTC).timestamp(),) * 2)
    [config] = [c for c in _layouts(env) if c.provider_code == "RMP"]
    files = list_folder(config, env.landing).by_day[date(2025, 1, 15)]
    assert [f.path.name for f in files] == ["TGICFT_ED_20250115_v9.csv", "TGICFT_ED_20250115_v10.csv"]
    # 05:30 UTC is 05:30 in London in January; the v10 is 10 microseconds on, the v9 9 (its 0.7 s dropped).
    assert [f.extracted_at_utc for f in files] == [
        datetime(2025, 1, 16, 5, 30, 0, 9, UTC),
        datetime(2025, 1, 16, 5, 30, 0, 10, UTC),
    ]
    with pytest.raises(ValueError, match="give its path"):
        config.match("TGICFT_ED_20250115.csv")  # a bare name has no arrival time to read


def _layouts(env: Env) -> list[FeedConfig]:
    return load_feed_configs("ed_attendances", env.feeds_dir)


# --- loading: the extract time each file gets, and what an open attendance is measured to -----------------------


def test_a_fixed_rule_gives_every_row_its_extract_time_in_london(env: Env, tmp_path: Path):
    folder = onboard(env, tmp_path, "{from: fixed, at: '03:00', days_after: 1}")
    land(folder, "TGICFT_ED_20250615.csv", [uhdb_row("F1", "2025-06-15 23:15:00")])
    result = ingest(env, other=None, day="2025-06-15")
    # 03:00 on 16 June in London is 02:00 UTC (British Summer Time).
    assert result.file("TGICFT_ED_20250615.csv")["extracted_at_utc"] == datetime(2025, 6, 16, 2, 0)
    assert result.rows(provider_code="RMP")["extracted_at_utc"].to_list() == [datetime(2025, 6, 16, 2, 0)]


def test_a_fixed_rule_measures_an_open_attendance_to_its_extract_time(env: Env, tmp_path: Path):
    folder = onboard(env, tmp_path, "{from: fixed, at: '03:00', days_after: 1}")
    land(
        folder,
        "TGICFT_ED_20250615.csv",
        [
            uhdb_row("F1", "2025-06-15 23:15:00"),  # open: 23:15 -> 03:00 = 225 min, within so far: pending
            uhdb_row("F2", "2025-06-15 22:30:00"),  # open: 22:30 -> 03:00 = 270 min: a breach already
            uhdb_row("F3", "2025-06-15 10:00:00", "2025-06-15 14:30:00"),  # 270 min: breach
            uhdb_row("F4", "2025-06-15 10:00:00", "2025-06-15 12:00:00"),  # 120 min: within
        ],
    )
    env.materialize("2025-06-15")
    mart = env.query(
        "select attendances, within_4h, breaches, pending, over_12h from marts.ed_four_hour_daily "
        "where site_code = 'RMP01'"
    ).row(0)
    # Were 03:00 read as UTC (04:00 London), F1 would be 285 min, a breach: (4, 1, 3, 0, 0).
    assert mart == (4, 1, 2, 1, 0)


def test_tameside_own_names_load_with_arrival_times_and_the_v2_wins(env: Env, tmp_path: Path):
    folder = onboard(env, tmp_path, "arrival", "active_from: 2025-01-15\n")
    land(
        folder,
        "TGICFT_ED_20250115.csv",
        [
            uhdb_row("T1", "2025-01-15 09:00:00", "2025-01-15 12:00:00"),
            uhdb_row("T2", "2025-01-15 10:00:00", "2025-01-15 13:30:00"),
            uhdb_row("T3", "2025-01-15 22:00:00"),
        ],
        arrived_utc=datetime(2025, 1, 16, 5, 30),
    )
    # Two days later the re-send: T2 left at 15:00, not 13:30; T3 still in the department.
    land(
        folder,
        "TGICFT_ED_20250115_v2.csv",
        [
            uhdb_row("T1", "2025-01-15 09:00:00", "2025-01-15 12:00:00"),
            uhdb_row("T2", "2025-01-15 10:00:00", "2025-01-15 15:00:00"),
            uhdb_row("T3", "2025-01-15 22:00:00"),
        ],
        arrived_utc=datetime(2025, 1, 17, 14, 0),
    )
    result = env.materialize("2025-01-14", "2025-01-15", expectations=True)
    assert result.success
    files = env.query(
        "select file_name, extracted_at_utc, received_at_utc, rows_loaded from ops.source_files "
        "where provider_code = 'RMP' order by file_name"
    ).rows()
    assert files == [
        ("TGICFT_ED_20250115.csv", datetime(2025, 1, 16, 5, 30), datetime(2025, 1, 16, 5, 30), 3),
        ("TGICFT_ED_20250115_v2.csv", datetime(2025, 1, 17, 14, 0, 0, 2), datetime(2025, 1, 17, 14, 0), 3),
    ]
    mart = env.query(
        "select attendances, within_4h, breaches, pending, over_12h from marts.ed_four_hour_daily "
        "where site_code = 'RMP01' and date = '2025-01-15'"
    ).row(0)
    # v2 wins: T1 180 min within; T2 300 min breach; T3 open, measured to v2's extract, 22:00 15 Jan -> 14:00
    # 17 Jan = 2,400 min, a breach and over 12 hours. Had the first file won: T2 210 within, T3 450 min (to 05:30),
    # (3, 2, 1, 0, 0).
    assert mart == (3, 1, 2, 0, 1)

    checks = {e.check_name: e for e in result.get_asset_check_evaluations() if e.asset_key.path[-1] == "ed_attendances"}
    # Nothing expected from Tameside on the 14th, before its active_from; the two shipped ED providers sent nothing.
    present = checks["every_expected_provider_present"]
    assert present.description == "4 row(s) failed: 2025-01-14 RFS, 2025-01-14 RTG, 2025-01-15 RFS, 2025-01-15 RTG"
    fresh = checks["every_provider_arrived_on_time"]
    assert "RMP" not in fresh.description and fresh.description.count("MISSING") == 4


# --- active dates: nothing missing before active_from, in the freshness check and `uec status` -----------------


def test_active_from_silences_missing_days_before_it(env: Env, tmp_path: Path):
    folder = onboard(env, tmp_path, "arrival", "active_from: 2025-03-29\nactive_to: 2025-03-31\n")
    land(folder, "TGICFT_ED_20250327.csv", [], datetime(2025, 3, 28, 5, 0))  # a back-fill from before go-live
    [config] = [c for c in _layouts(env) if c.provider_code == "RMP"]
    now = datetime(2025, 4, 2, 12, 0, tzinfo=LONDON)
    states = {d: arrival(config, env.landing, date(2025, 3, d), now).state for d in (27, 28, 29, 31)}
    assert states == {27: "outside active dates", 28: "inactive", 29: "missing", 31: "missing"}
    assert arrival(config, env.landing, date(2025, 4, 1), now).state == "inactive"  # after active_to
    assert [d for d in states if arrival(config, env.landing, date(2025, 3, d), now).is_problem] == [29, 31]


def test_uec_status_says_not_active_rather_than_missing(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pipelines.cli.status import status

    onboard(env, tmp_path, "arrival", "active_from: 2025-03-29\n")
    monkeypatch.setenv("UEC_FEEDS_DIR", env.feeds_dir)
    monkeypatch.setenv("UEC_LANDING", str(env.landing))
    monkeypatch.setenv("UEC_WAREHOUSE", str(env.warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    now = datetime(2025, 4, 2, 12, 0, tzinfo=LONDON)

    def rmp_line(day: date) -> str:
        lines: list[str] = []
        status(day, lines.append, now)
        [line] = [x for x in lines if x.split()[:2] == ["ed_attendances", "RMP"]]
        return line

    assert "none (not active that day)" in rmp_line(date(2025, 3, 28)) and "MISSING" not in rmp_line(date(2025, 3, 28))
    assert "MISSING, overdue" in rmp_line(date(2025, 3, 29))
