"""The real winter sitrep (six winters as NHS England published them) loads with every row accounted for."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.national.load import load_publication
from pipelines.storage.warehouse import ensure_schema
from schemas.national_layouts import PublicationLayoutError, load_publication_layouts
from tests.support.reference import WINTER_SITREP
from tests.support.winter_sitrep import COUNTS, expected

WINTERS = sorted(WINTER_SITREP.glob("winter_sitrep_*.csv"))


def _land(root: Path, files: list[Path]) -> Path:
    folder = root / "landing" / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    for file in files:
        shutil.copy(file, folder)
    return root / "landing"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("winter_sitrep")
    conn = duckdb.connect(str(root / "uec.duckdb"))
    ensure_schema(conn)
    results, faults = load_publication(conn, "winter_sitrep", _land(root, WINTERS))
    assert faults == []
    assert [r.file_name for r in results] == [w.name for w in WINTERS]
    return conn


def test_six_winters_are_in_the_reference_folder():
    assert [w.name[14:21] for w in WINTERS] == ["2017_18", "2018_19", "2019_20", "2020_21", "2021_22", "2022_23"]


@pytest.mark.parametrize("winter", WINTERS, ids=lambda w: w.stem)
def test_every_row_is_accounted_for(loaded, winter):
    want = expected(winter)
    got = loaded.execute(
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate from ops.publication_files "
        "where file_name = ?",
        [winter.name],
    ).fetchone()
    assert got == (want.rows_read, want.rows_loaded, want.rows_quarantined, want.rows_duplicate)
    assert got[0] == got[1] + got[2] + got[3]
    # Each quarantined row is listed, by the row a spreadsheet shows, with its reason.
    listed = loaded.execute(
        "select count(distinct source_row) from ops.quarantine where file_name = ? and action = 'record quarantined'",
        [winter.name],
    ).fetchone()
    assert listed == (want.rows_quarantined,)


@pytest.mark.parametrize("winter", WINTERS, ids=lambda w: w.stem)
def test_sums_per_trust_equal_the_csv(loaded, winter):
    want = expected(winter)
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    rows = loaded.execute(
        f"select org_code, {sums} from national.winter_sitrep where source_file = ? group by org_code", [winter.name]
    ).fetchall()
    got = {code: {c: v for c, v in zip(COUNTS, values) if v is not None} for code, *values in rows}
    got = {code: columns for code, columns in got.items() if columns}  # trusts whose every figure is unknown
    assert got == {code: {c: v for c, v in columns.items()} for code, columns in want.sums.items()}


def test_sanity_figure_from_the_readme(loaded):
    # RTG on 14 Nov 2022: 1,391 G&A beds open, 1,288 occupied (92.6%), 33 delayed 30-60 minutes, 11 over 60.
    row = loaded.execute(
        "select ga_beds_open, ga_beds_occupied, round(ga_occupancy_rate, 3), handover_delays_30_60, "
        "handover_delays_over_60, org_level, region from national.winter_sitrep "
        "where org_code = 'RTG' and date = '2022-11-14'"
    ).fetchone()
    assert row == (1391, 1288, 0.926, 33, 11, "trust", "Midlands")


def test_conflicting_last_week_rows_are_quarantined_naming_each_other(loaded):
    # 2020-21's last week was published twice: each trust-day whose two copies differ is quarantined whole.
    reasons = loaded.execute(
        "select source_row, reason from ops.quarantine where file_name = 'winter_sitrep_2020_21.csv' "
        "and record_key = 'RTG / 2021-03-28'"
    ).fetchall()
    assert len(reasons) == 2
    (first, first_reason), (second, second_reason) = sorted(reasons)
    assert f"differs from row(s) {second}" in first_reason
    assert f"differs from row(s) {first}" in second_reason


def test_totals_are_placed_as_england(loaded):
    levels = loaded.execute(
        "select org_code, org_level, count(*) from national.winter_sitrep where org_level <> 'trust' group by all "
        "order by 1"
    ).fetchall()
    assert [(code, level) for code, level, _ in levels] == [("ENG", "england"), ("ENG-T1", "england")]


def test_the_early_winters_zero_occupancy_rate_is_unknown_not_zero(loaded):
    # 2017-18 to 2019-20 publish a G&A occupancy rate of 0 beside beds occupied: inconsistent, so unknown.
    row = loaded.execute(
        "select ga_beds_occupied, ga_occupancy_rate from national.winter_sitrep "
        "where org_code = 'R0A' and date = '2017-11-20'"
    ).fetchone()
    assert row == (1808, None)
    unknown = loaded.execute(
        "select count(*) from ops.quarantine where file_name = 'winter_sitrep_2017_18.csv' "
        "and column_name = 'ga_occupancy_rate' and action = 'value set to unknown'"
    ).fetchone()
    assert unknown is not None and unknown[0] > 10_000


def test_reloading_changes_nothing(loaded, tmp_path):
    before = loaded.execute("select count(*), sum(ga_beds_open) from national.winter_sitrep").fetchone()
    results, _ = load_publication(loaded, "winter_sitrep", _land(tmp_path, WINTERS[-1:]))
    assert [r.skipped for r in results] == ["already loaded (same sha256)"]
    assert loaded.execute("select count(*), sum(ga_beds_open) from national.winter_sitrep").fetchone() == before


def _edition(folder: Path, name: str, rtg_open: str, fetched: str | None) -> None:
    with (WINTER_SITREP / "winter_sitrep_2022_23.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for _, r in zip(range(400), csv.DictReader(handle))]
    for row in rows:
        if row["org_code"] == "RTG" and row["date"] == "2022-11-14":
            row["ga_beds_open"] = rtg_open
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if fetched:
        sidecar = {
            "publication": "winter_sitrep",
            "source_url": f"http://example.invalid/{name}",
            "fetched_at_utc": fetched,
        }
        (folder / f"{name}.provenance.json").write_text(json.dumps(sidecar), encoding="utf-8")


@pytest.mark.parametrize("later_first", [False, True])
def test_the_later_edition_wins_whatever_the_load_order(tmp_path, later_first):
    folder = tmp_path / "landing" / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    conn = duckdb.connect(str(tmp_path / "uec.duckdb"))
    ensure_schema(conn)
    editions = [
        ("winter_sitrep_2022_23.csv", "1391", "2023-01-10T09:00:00Z"),
        ("winter_sitrep_2022_24.csv", "1400", "2023-02-10T09:00:00Z"),  # the restated edition
    ]
    for name, rtg_open, fetched in reversed(editions) if later_first else editions:
        _edition(folder, name, rtg_open, fetched)
        load_publication(conn, "winter_sitrep", tmp_path / "landing")
    row = conn.execute(
        "select ga_beds_open, source_file, published_at_utc from national.winter_sitrep "
        "where org_code = 'RTG' and date = '2022-11-14'"
    ).fetchone()
    assert row == (1400, "winter_sitrep_2022_24.csv", datetime(2023, 2, 10, 9, 0))
    # Both editions hold the same organisation-days: one row each (400 rows, three of them RM3's second spelling).
    assert conn.execute("select count(*) from national.winter_sitrep").fetchone() == (397,)
    ledger = conn.execute(
        "select file_name, source_url, fetched_at_utc, published_at_utc from ops.publication_files order by 1"
    ).fetchall()
    assert ledger == [
        (name, f"http://example.invalid/{name}", datetime.fromisoformat(f[:-1]), datetime.fromisoformat(f[:-1]))
        for name, _, f in editions
    ]


def test_a_broken_layout_is_named_by_its_file(tmp_path):
    folder = tmp_path / "winter_sitrep"
    folder.mkdir()
    (folder / "long_form.yaml").write_text(
        "publication: winter_sitrep\nname: x\nfile_pattern: '(unclosed'\ncolumns: {}\n", encoding="utf-8"
    )
    with pytest.raises(PublicationLayoutError, match=r"long_form\.yaml is invalid: file_pattern: .*regular expression"):
        load_publication_layouts("winter_sitrep", tmp_path)


def test_a_file_changed_since_it_was_fetched_is_not_loaded(tmp_path):
    folder = tmp_path / "landing" / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    _edition(folder, "winter_sitrep_2022_23.csv", "1391", "2023-01-10T09:00:00Z")
    sidecar = folder / "winter_sitrep_2022_23.csv.provenance.json"
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "sha256": "0" * 64}), encoding="utf-8")
    conn = duckdb.connect(str(tmp_path / "uec.duckdb"))
    ensure_schema(conn)
    results, faults = load_publication(conn, "winter_sitrep", tmp_path / "landing")
    assert results == []
    assert faults == [
        "publication winter_sitrep, file winter_sitrep_2022_23.csv: its sha256 is not the one its provenance "
        "sidecar winter_sitrep_2022_23.csv.provenance.json records"
    ]
    assert conn.execute("select count(*) from ops.publication_files").fetchone() == (0,)
