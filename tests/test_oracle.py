"""Every daily mart row the pipeline builds from the samples equals an independent recomputation (issue 19 item 8).

The oracle (tests/oracle/) reads the landing files itself and applies the brief's rules, section 7 included, in
plain Python. A difference prints the first mismatches (table, key, column, pipeline value, oracle value) and what
the oracle's rules did to records on the days concerned (duplicates, reused ids, values set to unknown), which is
usually the cause.
"""

from __future__ import annotations

import math
import shutil
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from schemas.catalogue import daily_marts
from tests.oracle import build_marts
from tests.oracle.build import FEEDS, Marts
from tests.support.rows import uhdb_row
from tests.support.samples import SAMPLE_RANGE
from tests.support.warehouse import Env

SHOWN = 25  # mismatches printed per table; the count by column covers the rest
DAILY = {m.table: m for m in daily_marts()}


@pytest.fixture(scope="module")
def oracle() -> Marts:
    return build_marts()


def _same(pipeline: object, oracle: object) -> bool:
    if pipeline is None or oracle is None:
        return pipeline is None and oracle is None
    if isinstance(pipeline, bool) or isinstance(oracle, bool):
        return bool(pipeline) == bool(oracle) and type(pipeline) is type(oracle)
    if isinstance(pipeline, int | float) and isinstance(oracle, int | float):
        return math.isclose(pipeline, oracle, rel_tol=1e-9, abs_tol=1e-6)
    return pipeline == oracle


def _day_of(key: tuple) -> date | None:
    first = key[0]
    return first.date() if isinstance(first, datetime) else first if isinstance(first, date) else None


def compare(table: str, key: tuple[str, ...], pipeline: list[dict], oracle: list[dict]) -> list[tuple]:
    """(key, column, pipeline value, oracle value) for every cell that differs; a missing row is one entry."""
    ours = {tuple(r[k] for k in key): r for r in oracle}
    theirs = {tuple(r[k] for k in key): r for r in pipeline}
    assert len(ours) == len(oracle), f"the oracle's {table} repeats a key"
    found = []
    for k in sorted(set(ours) | set(theirs), key=lambda k: tuple((v is None, str(v)) for v in k)):
        if k not in theirs:
            found.append((k, "(row)", "missing", "present"))
        elif k not in ours:
            found.append((k, "(row)", "present", "missing"))
        else:
            found += [
                (k, column, theirs[k][column], ours[k][column])
                for column in theirs[k]
                if column not in key and not _same(theirs[k][column], ours[k][column])
            ]
    return found


def report(table: str, key: tuple[str, ...], mismatches: list[tuple], oracle: Marts) -> str:
    lines = [f"marts.{table}: {len(mismatches)} differences (key {', '.join(key)})"]
    lines += [f"  by column: {dict(Counter(m[1] for m in mismatches))}"]
    lines += [f"  {k} {column}: pipeline {p!r}, oracle {o!r}" for k, column, p, o in mismatches[:SHOWN]]
    days = sorted({d for m in mismatches if (d := _day_of(m[0]))})
    notes = [e for e in oracle.events if e.day in days]
    if notes:
        lines.append("  what the oracle's rules did on those days:")
        lines += [f"    {e}" for e in notes[:SHOWN]]
    return "\n".join(lines)


def test_the_oracle_applies_section_7_to_hand_made_files(tmp_path: Path):
    # The oracle's own rules, on files small enough to check by eye: UHDB's layout made a full re-sender.
    feeds = tmp_path / "feeds"
    shutil.copytree(FEEDS, feeds)
    with (feeds / "ed_attendances" / "uhdb.yaml").open("a") as layout:
        layout.write("resend: full\n")
    env = Env(tmp_path)
    a = uhdb_row("RDH250301AED0001", "2025-03-01 10:00:00", "2025-03-01 12:00:00")
    b = uhdb_row("RDH250301AED0002", "2025-03-01 23:40:00", "2025-03-02 05:00:00")  # 320 minutes: a breach
    c = uhdb_row("RDH250301AED0003", "2025-03-01 11:00:00", "2025-03-01 12:00:00")
    env.write_uhdb("20250301", "20250302T0600", [a, a, b, c])  # a sent twice byte for byte
    env.write_uhdb(
        "20250302",
        "20250303T0600",
        [
            uhdb_row("RDH250302AED0001", "2025-03-01 23:50:00", "2025-03-02 01:00:00"),  # yesterday's arrival
            uhdb_row("RDH250301AED0001", "2025-03-02 09:00:00", "2025-03-02 10:00:00"),  # a's id, 23 hours on
            uhdb_row("RDH250302AED0002", "2025-03-02 08:00:00", "2025-03-02 07:00:00"),  # leaves before arriving
        ],
    )
    # The full re-send of 1 March corrects b's departure (200 minutes) and no longer holds c.
    env.write_uhdb("20250301", "20250304T0600", [a, {**b, "DEPARTURE_DTTM": "2025-03-02 03:00:00"}])

    marts = build_marts(env.landing, feeds)

    # 1 March: a once, b as corrected, and the 23:50 arrival from 2 March's file; c withdrawn; 2 March: nothing.
    counts = [
        (r["date"], r["site_code"], r["attendances"], r["within_4h"], r["breaches"])
        for r in marts.tables["ed_four_hour_daily"]
    ]
    assert counts == [(date(2025, 3, 1), "RTG01", 3, 3, 0)]
    assert sorted((e.what, e.ref) for e in marts.events) == [
        ("duplicate row counted once", "RDH250301AED0001"),
        ("quarantined: departure before arrival", "RDH250302AED0002"),
        ("reused id ignored", "RDH250301AED0001"),
        ("withdrawn by a full re-send", "RDH250301AED0003"),
    ]


def test_oracle_covers_the_whole_sample_range(oracle: Marts):
    assert (oracle.first.isoformat(), oracle.last.isoformat()) == SAMPLE_RANGE
    assert set(oracle.tables) == set(DAILY), "every daily mart in the catalogue has an oracle function"


@pytest.mark.parametrize("table", sorted(DAILY))
def test_daily_mart_equals_the_oracle(table: str, whole_samples: Env, oracle: Marts):
    key = DAILY[table].key
    pipeline = whole_samples.query(f"select * from marts.{table}").to_dicts()
    # A column the pipeline adds must be recomputed here too, or this test would stop checking it.
    uncovered = set(whole_samples.query(f"select * from marts.{table} limit 0").columns) - set(oracle.tables[table][0])
    assert not uncovered, f"the oracle does not compute marts.{table} columns {sorted(uncovered)}"
    mismatches = compare(table, key, pipeline, oracle.tables[table])
    assert not mismatches, report(table, key, mismatches, oracle)


def test_pipeline_and_oracle_agree_on_an_unknown_type_and_a_resend_with_faults(tmp_path: Path):
    # UHDB made a full re-sender. 3 March: four attendances, one from a unit no mapping knows (type unknown).
    feeds = tmp_path / "feeds"
    shutil.copytree(FEEDS, feeds)
    with (feeds / "ed_attendances" / "uhdb.yaml").open("a") as layout:
        layout.write("resend: full\n")
    env = Env(tmp_path)
    env.feeds_dir = str(feeds)
    rows = [
        uhdb_row("RDH250303AED0001", "2025-03-03 10:00:00", "2025-03-03 11:00:00"),  # 60 min
        uhdb_row("RDH250303AED0002", "2025-03-03 10:00:00", "2025-03-03 15:00:00"),  # 300 min: a breach
        uhdb_row("RDH250303AED0003", "2025-03-03 10:00:00", "2025-03-03 12:00:00"),  # 120 min
        uhdb_row("RDH250303XYZ0004", "2025-03-03 10:00:00", "2025-03-03 11:30:00", UNIT="XYZ"),  # type unknown
    ]
    env.write_uhdb("20250303", "20250304T0600", rows)
    # The full re-send: 0002 now leaves before it arrived (fails: its first version stays), 0003 is gone
    # (withdrawn), 0001 and the unknown-type 0004 as before.
    env.write_uhdb(
        "20250303",
        "20250305T0600",
        [rows[0], {**rows[1], "DEPARTURE_DTTM": "2025-03-03 09:00:00"}, rows[3]],
    )
    env.materialize("2025-03-03", selection="*raw/ed_attendances*")
    pipeline = env.query("select * from marts.ed_four_hour_daily").to_dicts()
    oracle = build_marts(env.landing, feeds)
    # Worked by hand: type 1 (AED) holds 0001 (within) and 0002 (breach, its first version): 2 attendances,
    # 1 within, 1 breach; type unknown holds 0004 (90 min, within): 1 attendance. 0003 withdrawn.
    counts = sorted((r["department_type"] or 0, r["attendances"], r["within_4h"], r["breaches"]) for r in pipeline)
    assert counts == [(0, 1, 1, 0), (1, 2, 1, 1)]
    key = DAILY["ed_four_hour_daily"].key
    mismatches = compare("ed_four_hour_daily", key, pipeline, oracle.tables["ed_four_hour_daily"])
    assert not mismatches, report("ed_four_hour_daily", key, mismatches, oracle)
    # The all-types figure for Royal Derby counts the unknown type: 3 attendances, 2 within; type 1 does not.
    rollup = env.query(
        "select scope, attendances, within_4h from marts.ed_four_hour_rollup where level = 'site' "
        "and period = 'day' order by scope"
    ).rows()
    assert rollup == [("all_types", 3, 2), ("type_1", 2, 1)]
