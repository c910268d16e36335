"""The catalogue is the one list of feeds and marts: nothing exists outside it, and a new feed needs nothing else."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandera.polars as pa
import polars as pl

from pipelines.brief.exports import DAY_MARTS
from pipelines.brief.render import FEED_NAMES
from pipelines.cli.main import build_parser
from pipelines.definitions import build_definitions, defs
from pipelines.storage.warehouse import SQL_DIR, ensure_schema
from schemas import catalogue
from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import unique_in_file
from schemas.registry import FEEDS_DIR
from tests.support.warehouse import Env

REPO = Path(__file__).resolve().parents[1]
CREATED = re.compile(r"create table if not exists (\w+\.\w+)", re.IGNORECASE)


def test_every_sql_file_is_in_the_catalogue_and_every_catalogue_file_exists():
    on_disk = {p.stem for p in SQL_DIR.glob("*.sql")}
    known = catalogue.sql_files()
    assert on_disk - known == set(), "sql/ files with no catalogue entry (a feed, mart or SUPPORT_SQL)"
    assert known - on_disk == set(), "catalogue names SQL files that do not exist"


def test_every_sql_file_opens_with_a_purpose_line():
    for path in SQL_DIR.glob("*.sql"):
        assert path.read_text(encoding="utf-8").startswith("-- purpose: "), path.name


def test_every_warehouse_table_has_a_catalogue_entry():
    created = set(CREATED.findall(catalogue.tables_ddl()))
    assert created == catalogue.warehouse_tables()


def test_every_feed_folder_and_contract_module_is_a_catalogue_feed():
    names = set(catalogue.feed_names())
    assert {p.name for p in Path(FEEDS_DIR).iterdir() if p.is_dir()} <= names
    # A module under schemas/ with a SPEC is a feed's contract: it must be registered.
    contracts = {p.stem for p in (REPO / "schemas").glob("*.py") if re.search(r"^SPEC = ", p.read_text(), re.M)}
    publications = {p.name for p in catalogue.PUBLICATIONS}
    # A publication's contract module is registered as a Publication (each is written by its own loader's author).
    assert names <= contracts <= names | publications
    assert all(f.spec.feed == f.name for f in catalogue.FEEDS)


def test_every_asset_comes_from_the_catalogue():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    expected = (
        {f"raw/{f}" for f in catalogue.feed_names()}
        | {f"marts/{t}" for t in catalogue.mart_tables()}
        | {"/".join(f.name.split(".")) for f in catalogue.FORECASTS}
        | {f"ref/{r.table}" for r in catalogue.REFERENCE}
        | {"reports/morning_brief", "reports/published_marts"}
        | {"/".join(catalogue.RECONCILIATION.name.split("."))}
        | {f"national/{p.name}" for p in catalogue.PUBLICATIONS}
    )
    assert keys == expected


def test_every_list_of_feeds_and_marts_is_derived_from_the_catalogue():
    feed_choice = next(
        a for a in build_parser()._subparsers._group_actions[0].choices["refresh"]._actions if a.dest == "feed"
    )
    assert tuple(feed_choice.choices) == catalogue.feed_names()
    assert set(FEED_NAMES) - {""} == set(catalogue.feed_names())
    assert DAY_MARTS == catalogue.exported_tables()
    assert {j.name for j in defs.get_repository_def().get_all_jobs()} >= {
        f"refresh_{f}" for f in catalogue.feed_names()
    }
    every = {f for feeds in catalogue.section_feeds().values() for f in feeds}
    assert every == set(catalogue.feed_names())
    for table in catalogue.mart_tables():
        assert catalogue.feed_of_table(table) in catalogue.feed_names(), table


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(n.lineno, n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_no_module_keeps_its_own_list_of_feeds_or_marts():
    # A feed or mart name written out as a string in code is how hand-kept lists start; the catalogue
    # owns them. The midday OPEL schedule is about one feed by nature. bench/ is left out on purpose:
    # the floor and the volume generator are a second implementation that knows each layout itself.
    allowed = {("pipelines/definitions.py", "opel_submissions")}
    names = set(catalogue.feed_names()) | set(catalogue.mart_tables())
    found = []
    for folder in ("pipelines", "assets"):
        for path in (REPO / folder).rglob("*.py"):
            relative = path.relative_to(REPO).as_posix()
            found += [
                (relative, line, value)
                for line, value in _string_constants(path)
                if value in names and (relative, value) not in allowed
            ]
    assert found == []


# A throw-away feed: daily open beds per site. Its layout, file and raw table are written below; nothing
# else in the code base knows it.
SPEC = FeedSpec(
    feed="bed_state",
    key=("site_code",),
    columns=(
        Canonical("date", "date", required=True),
        Canonical("site_code", "text", required=True),
        Canonical("beds_open", "integer", required=True),
    ),
)


def contract(reference: Reference, day: date) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "date": pa.Column(pl.Date, pa.Check.eq(day, error=f"date is the partition day {day}")),
            "site_code": pa.Column(
                str,
                [
                    pa.Check.isin(reference.sites, error="known site code (ref.sites)"),
                    unique_in_file(["site_code"], "duplicate site in this file"),
                ],
            ),
            "beds_open": pa.Column(pl.Int64, pa.Check.ge(0, error="beds open not negative")),
            "extracted_at_utc": pa.Column(pl.Datetime("us", "UTC")),
        },
        name="bed_state",
        strict=False,
    )


BEDS_FEED = catalogue.Feed(
    "bed_state",
    "Bed state",
    __name__,  # this module holds the feed's SPEC and contract, as schemas/<feed>.py does
    group="beds",
    section="opel",
    sender_covers_all=False,
    day_from="date",
    description="Open beds per site per day.",
)
BEDS_LAYOUT = """feed: bed_state
provider_code: RTG
provider_name: University Hospitals of Derby and Burton
landing_dir: bed_state/uhdb
file_pattern: '^BEDS_(?P<activity_date>\\d{8})_(?P<extracted_at>\\d{8}T\\d{4})\\.csv$'
activity_date_format: '%Y%m%d'
extracted_at_format: '%Y%m%dT%H%M'
columns:
  date: Day
  site_code: Site
  beds_open: Beds
"""
BEDS_TABLE = """create table raw.bed_state (
    partition_date date not null, provider_code varchar not null, date date not null, site_code varchar not null,
    beds_open bigint not null, extracted_at_utc timestamp not null, source_file varchar not null,
    source_sha256 varchar not null, source_row integer not null)"""


def test_a_feed_registered_in_the_catalogue_alone_gets_its_asset_checks_job_and_sensor(env: Env, tmp_path: Path):
    feeds_dir = tmp_path / "feeds"
    (feeds_dir / "bed_state").mkdir(parents=True)
    (feeds_dir / "bed_state" / "uhdb.yaml").write_text(BEDS_LAYOUT)
    env.feeds_dir = str(feeds_dir)
    landed = env.landing / "bed_state" / "uhdb" / "BEDS_20250115_20250116T0600.csv"
    landed.parent.mkdir(parents=True)
    # Rows 2 and 3 load; row 4 names an unknown site and is quarantined.
    landed.write_text("Day,Site,Beds\n2025-01-15,RTG01,812\n2025-01-15,RTGFG,140\n2025-01-15,XXX99,5\n")
    env.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(env.warehouse)) as conn:
        ensure_schema(conn)
        conn.execute(BEDS_TABLE)

    extended = build_definitions(feeds=(*catalogue.FEEDS, BEDS_FEED))
    graph = extended.resolve_asset_graph()
    beds = dg.AssetKey(["raw", "bed_state"])
    assert graph.get(beds).group_name == "beds"
    assert extended.resolve_job_def("refresh_bed_state") is not None
    sensor = extended.resolve_sensor_def("landing_files")
    assert "refresh_bed_state" in {t.job_name for t in sensor.targets}
    assert {c.name for c in graph.get(beds).check_keys} >= {
        "rows_in_equal_loaded_plus_quarantined",
        "every_expected_provider_present",
        "no_gaps_in_daily_series",
    }

    assets = [
        a for a in extended.assets if a.keys & {beds, dg.AssetKey(["ref", "sites"]), dg.AssetKey(["ref", "providers"])}
    ]
    result = dg.materialize(assets, resources=env.resources(), partition_key="2025-01-15")
    assert result.success
    assert env.query("select site_code, beds_open from raw.bed_state order by 1").rows() == [
        ("RTG01", 812),
        ("RTGFG", 140),
    ]
    assert env.query(
        "select rows_read, rows_loaded, rows_quarantined from ops.source_files where feed = 'bed_state'"
    ).rows() == [(3, 2, 1)]
    assert env.query("select distinct source_row from ops.quarantine where feed = 'bed_state'").item() == 4
