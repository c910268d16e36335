"""A sitrep delay band out of nesting with its neighbour: both values unknown, the row counts (docs/domain.md §7.2)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.storage.warehouse import build_schema, sql
from tests.oracle import build_marts
from tests.support.ingest import ingest
from tests.support.rows import emas_row
from tests.support.warehouse import TEST_KEY, Env

DAY = "2025-01-15"
FILE = "UHDB_Handover_Sitrep_20250115_20250116T0900.csv"


def _row(site: str, all_: int, known: int, bands: tuple[str, str, str, str], hours: str = "10") -> dict[str, str]:
    over_15, over_30, over_45, over_60 = bands
    return {
        "Period": DAY,
        "Org Code": site,
        "All handovers": str(all_),
        "Handover time known": str(known),
        "Over 15 minutes": over_15,
        "Over 30 minutes": over_30,
        "Over 45 minutes": over_45,
        "Over 60 minutes": over_60,
        "Handover time unknown": str(all_ - known),
        "Total hours": hours,
        "Mean (minutes)": "20",
    }


def _bands(result, site: str) -> tuple:
    [row] = (
        result.rows(site_code=site)
        .select("all_handovers", "known", "unknown", "over_15", "over_30", "over_45", "over_60", "total_hours")
        .rows()
    )
    return row


@pytest.mark.parametrize(
    ("bands", "unknown", "reason"),
    [
        # Over 60 (7) above over 45 (5), as in 17 of NHS England's 252 published trust-days: both unknown.
        (("40", "20", "5", "7"), ("Over 45 minutes", "Over 60 minutes"), "over 60 not more than over 45"),
        (("40", "20", "25", "3"), ("Over 30 minutes", "Over 45 minutes"), "over 45 not more than over 30"),
        (("40", "45", "5", "3"), ("Over 15 minutes", "Over 30 minutes"), "over 30 not more than over 15"),
        # Over 15 above known (96): known is borne out by all = known + unknown (100 = 96 + 4), so only over 15 goes.
        (("97", "20", "5", "3"), ("Over 15 minutes",), "over 15 not more than known"),
        # No over 45 given: over 60 nests in over 30 directly.
        (
            ("40", "20", "", "21"),
            ("Over 30 minutes", "Over 60 minutes"),
            "over 60 not more than over 30 (over 45 not given)",
        ),
    ],
)
def test_a_band_out_of_nesting_becomes_unknown_with_its_neighbour_and_the_row_counts(
    env: Env, bands: tuple, unknown: tuple, reason: str
):
    env.write_sitrep(
        "20250115",
        "20250116T0900",
        [_row("RTGFG", 100, 96, bands), _row("RTG01", 50, 48, ("20", "10", "5", "2"))],
    )
    result = ingest(env, "handover_sitrep", other=None)
    # Read 2, loaded 2 (Burton's with unknown values), none quarantined or repeated.
    assert result.counts(FILE) == (2, 2, 0, 0, 1)
    expected = dict(zip(("Over 15 minutes", "Over 30 minutes", "Over 45 minutes", "Over 60 minutes"), bands))
    for column in unknown:
        expected[column] = None
    burton = _bands(result, "RTGFG")
    assert burton[:3] == (100, 96, 4) and burton[7] == 10.0  # arrivals, known, unknown and hours still count
    assert burton[3:7] == tuple(None if v in (None, "") else int(v) for v in expected.values())
    assert result.actions(FILE) == [(2, column, reason, "value set to unknown") for column in unknown]
    # The consistent row stays as it was.
    assert _bands(result, "RTG01") == (50, 48, 2, 20, 10, 5, 2, 10.0)


def test_arrivals_that_are_not_known_plus_unknown_still_quarantine_the_row(env: Env):
    # 100 arrivals, 96 known, 5 unknown: 96 + 5 = 101. Which of the three is wrong cannot be told, and arrivals is the
    # figure every band is read against, so the row is not counted (the module's rule, docs/domain.md §7.2).
    row = _row("RTGFG", 100, 96, ("40", "20", "5", "3")) | {"Handover time unknown": "5"}
    env.write_sitrep("20250115", "20250116T0900", [row])
    result = ingest(env, "handover_sitrep", other=None)
    assert result.counts(FILE) == (1, 0, 1, 0, 0)
    assert result.actions(FILE) == [(2, "All handovers", "all handovers = known + unknown", "record quarantined")]


def _rollup(env: Env, level: str, org: str, day: str, period: str) -> dict:
    return env.query(
        "select * from marts.handover_rollup where level = $l and org_code = $o and date = $d and period = $p",
        l=level,
        o=org,
        d=day,
        p=period,
    ).row(0, named=True)


def test_a_sitrep_day_with_an_unknown_band_counts_and_the_month_says_so(env: Env):
    # Queen's Burton sends its sitrep; 10 March: 10 arrivals, all known, over 15/30/45/60 = 4/3/1/2 (over 60 above
    # over 45: both unknown). 11 March: 20 arrivals, 18 known, 2 unknown, 6/4/0/0. Royal Derby on the 11th: one
    # conveyance of 50 minutes (over 15, 30 and 45, not 60).
    env.write_sitrep(
        "20250310", "20250311T0900", [_row("RTGFG", 10, 10, ("4", "3", "1", "2"), hours="5") | {"Period": "2025-03-10"}]
    )
    env.write_sitrep(
        "20250311", "20250312T0900", [_row("RTGFG", 20, 18, ("6", "4", "0", "0"), hours="9") | {"Period": "2025-03-11"}]
    )
    env.write_emas("20250311", "20250312040000", [emas_row("C1", "11-Mar-2025 09:00:00", "11-Mar-2025 09:50:00")])
    env.materialize("2025-03-10", "2025-03-11")

    daily = env.query(
        "select arrivals, known, unknown, over_15, over_30, over_45, over_60, pct_over_45, total_minutes "
        "from marts.handover_daily where site_code = 'RTGFG' order by date"
    ).rows()
    # The 10th counts (arrivals, known, over 15 and 30, total time); its over 45 and 60 are unknown, not 0.
    assert daily == [(10, 10, 0, 4, 3, None, None, None, 300.0), (20, 18, 2, 6, 4, 0, 0, 0.0, 540.0)]
    day = _rollup(env, "site", "RTGFG", "2025-03-10", "day")
    assert (day["over_45"], day["site_days_over_45_unknown"], day["no_handover_over_45"]) == (None, 1, None)

    burton = _rollup(env, "site", "RTGFG", "2025-03-11", "month_to_date")
    # Arrivals 10 + 20 = 30, known 10 + 18 = 28, over 15 4 + 6 = 10, over 30 3 + 4 = 7: both days count.
    assert (burton["arrivals"], burton["known"], burton["over_15"], burton["over_30"]) == (30, 28, 10, 7)
    # Over 45 and 60 only from the 11th, where they are known: 0 and 0 of its 18 known.
    assert (burton["over_45"], burton["over_60"]) == (0, 0)
    assert (burton["site_days_with_unknown_values"], burton["trust_days_with_unknown_values"]) == (1, 1)
    assert burton["pct_within_15"] == pytest.approx(100 * (28 - 10) / 28)
    assert burton["pct_over_45"] == 0.0 and burton["pct_within_60"] == pytest.approx(100.0)  # 18 - 0 of 18
    # None over 45 on the days known, but the 10th cannot say: no verdict, not "none".
    assert burton["no_handover_over_45"] is None and burton["site_days_over_45_unknown"] == 1

    trust = _rollup(env, "trust", "RTG", "2025-03-11", "month_to_date")
    # Burton's 30 arrivals + Royal Derby's 1; over 45: 0 (Burton, the 11th) + 1 (the 50-minute conveyance) of
    # 18 + 1 = 19 known on the days it is known.
    assert (trust["arrivals"], trust["known"], trust["over_45"]) == (31, 29, 1)
    assert trust["pct_over_45"] == pytest.approx(100 * 1 / 19)
    assert (trust["site_days_with_unknown_values"], trust["trust_days_with_unknown_values"]) == (1, 1)
    assert trust["no_handover_over_45"] is False

    # The mart's own consistency check finds nothing, and the oracle computes the same daily rows.
    found = env.query(sql("check_handover_daily"), first="2025-03-10", last="2025-03-11")
    assert found.height == 0
    oracle = {
        (r["date"], r["site_code"]): r for r in build_marts(env.landing, Path(env.feeds_dir)).tables["handover_daily"]
    }
    pipeline = env.query("select * from marts.handover_daily").to_dicts()
    assert len(pipeline) == len(oracle) == 3
    for row in pipeline:
        assert row == pytest.approx(oracle[(row["date"], row["site_code"])]), row


def test_the_brief_does_not_call_an_unknown_over_45_none(env: Env, monkeypatch):
    # 10 March 2025 (the 45-minute standard in force): Burton's sitrep has over 60 (2) above over 45 (1), so its over
    # 45 is unknown; Royal Derby's one conveyance took 20 minutes, none over 45.
    env.write_sitrep(
        "20250310", "20250311T0900", [_row("RTGFG", 10, 10, ("4", "3", "1", "2")) | {"Period": "2025-03-10"}]
    )
    env.write_emas("20250310", "20250311040000", [emas_row("C1", "10-Mar-2025 09:00:00", "10-Mar-2025 09:20:00")])
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    env.materialize("2025-03-10", brief=True)
    html = (env.root / "reports" / "brief-2025-03-10.html").read_text(encoding="utf-8")
    burton = html[html.index('data-org="RTGFG"') :]
    burton = burton[: burton.index("\n  </div>")]
    assert 'class="meets"' not in burton and "not known for 1 site-day" in burton
    [message] = re.findall(r'<li data-rule="handover_45"[^>]*>([^<]*)</li>', html)
    # Royal Derby is cleared by name; Burton's day is said to lack the count, never "none".
    assert message == (
        "No handover took over 45 minutes at Royal Derby Hospital. Not known for 1 site-day (Queen&#39;s Hospital "
        "Burton): no usable count."
    )


def test_an_older_warehouse_takes_an_unknown_band(tmp_path: Path):
    # As warehouses built before bands could be unknown: the sitrep's and the daily mart's bands were not null.
    with duckdb.connect(str(tmp_path / "old.duckdb")) as conn:
        build_schema(conn)
        for table in ("raw.handover_sitrep", "marts.handover_daily"):
            for band in ("over_15", "over_30", "over_60"):
                conn.execute(f"alter table {table} alter column {band} set not null")
        build_schema(conn)
        nullable = conn.sql(
            "select table_name, column_name from information_schema.columns where table_name in "
            "('handover_sitrep', 'handover_daily') and column_name like 'over_%' and is_nullable = 'YES' order by all"
        ).fetchall()
    assert nullable == [(t, f"over_{b}") for t in ("handover_daily", "handover_sitrep") for b in (15, 30, 45, 60)]
