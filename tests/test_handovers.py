"""Hand-worked handover delays and hours lost; sitrep input; quarantine, re-sends and re-runs."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.support.rows import emas_row
from tests.support.warehouse import Env

TABLES = ["raw.ambulance_handovers", "ops.source_files", "ops.quarantine", "marts.handover_daily"]


def _site(env: Env, day: str, site: str = "RTG01") -> dict:
    return env.query("select * from marts.handover_daily where date = $d and site_code = $s", d=day, s=site).row(
        0, named=True
    )


def test_hours_lost_hand_worked_on_the_spring_clock_change(env: Env):
    # Sunday 30 March 2025 at Royal Derby; clocks go forward at 01:00 GMT -> 02:00 BST.
    env.write_emas(
        "20250330",
        "20250331040000",
        [
            emas_row("H1", "30-Mar-2025 10:00:00", "30-Mar-2025 10:10:00", "30-Mar-2025 10:30:00"),  # 10 min
            emas_row("H2", "30-Mar-2025 10:00:00", "30-Mar-2025 10:15:00"),  # exactly 15: not over 15
            emas_row("H3", "30-Mar-2025 11:00:00", "30-Mar-2025 11:30:00"),  # exactly 30: over 15 only
            emas_row("H4", "30-Mar-2025 12:00:00", "30-Mar-2025 12:45:00"),  # exactly 45: over 15, 30
            emas_row("H5", "30-Mar-2025 13:00:00", "30-Mar-2025 14:00:00"),  # exactly 60: over 15, 30, 45
            # 00:40 GMT = 00:40 UTC; 02:30 BST = 01:30 UTC: 50 min (the wall-clock says 110).
            emas_row("H6", "30-Mar-2025 00:40:00", "30-Mar-2025 02:30:00"),
            emas_row("H7", "30-Mar-2025 16:00:00", "30-Mar-2025 17:30:00", "30-Mar-2025 17:50:00"),  # 90 min
            emas_row("H8", "30-Mar-2025 18:00:00"),  # handover time unknown
        ],
    )
    env.materialize("2025-03-30")
    row = _site(env, "2025-03-30")
    assert row["source"] == "conveyances"
    assert (row["arrivals"], row["known"], row["unknown"]) == (8, 7, 1)
    # over 15: H3-H7 = 5; over 30: H4-H7 = 4; over 45: H5-H7 = 3; over 60: H7 = 1 (strictly greater)
    assert (row["over_15"], row["over_30"], row["over_45"], row["over_60"]) == (5, 4, 3, 1)
    # Proportions over known handovers (7); unknown over all handovers (8).
    assert row["pct_over_15"] == pytest.approx(100 * 5 / 7)
    assert row["pct_over_30"] == pytest.approx(100 * 4 / 7)
    assert row["pct_over_45"] == pytest.approx(100 * 3 / 7)
    assert row["pct_over_60"] == pytest.approx(100 * 1 / 7)
    assert row["pct_unknown"] == pytest.approx(100 * 1 / 8)
    # Hours lost: excess over 15 per handover = 0 + 0 + 15 + 30 + 45 + 35 + 75 = 200 min = 3.333 h.
    # "Total minus 15 x known" would give (10+15+30+45+60+50+90) - 15 x 7 = 300 - 105 = 195 min: wrong.
    assert row["hours_lost"] == pytest.approx(200 / 60)
    assert row["hours_lost"] != pytest.approx((300 - 15 * 7) / 60)
    assert row["hours_lost_over_60"] == pytest.approx(30 / 60)  # only H7: 90 - 60
    assert row["mean_minutes"] == pytest.approx(300 / 7)
    # Sorted known: 10, 15, 30, 45, 50, 60, 90. p90 at position 0.9 x 6 = 5.4: 60 + 0.4 x 30 = 72.
    assert row["p90_minutes"] == pytest.approx(72)
    assert row["p95_minutes"] == pytest.approx(81)  # position 5.7: 60 + 0.7 x 30
    # Turnaround (clear - arrival): H1 30, H7 110 -> 70. Handover to clear: H1 20, H7 20 -> 20.
    assert row["mean_turnaround_minutes"] == pytest.approx(70)
    assert row["mean_handover_to_clear_minutes"] == pytest.approx(20)


def test_bad_conveyances_are_quarantined_or_counted_with_an_unknown_handover(env: Env):
    env.write_emas(
        "20250115",
        "20250116040000",
        [
            emas_row("G1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00"),  # good (row 2)
            emas_row("B1", "15-Jan-2025 10:00:00", "15-Jan-2025 09:50:00"),  # handover before arrival (row 3)
            emas_row("B2", "15-Jan-2025 10:00:00", "16-Jan-2025 11:00:00"),  # handover over 24 hours (row 4)
            emas_row("B3", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00", hospital="NGH"),  # unmapped hospital (row 5)
            emas_row(
                "B4", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00", "15-Jan-2025 10:10:00"
            ),  # handover after the vehicle cleared (row 6)
            emas_row("D1", "15-Jan-2025 12:00:00", "15-Jan-2025 12:20:00"),  # duplicate (row 7)
            emas_row("D1", "15-Jan-2025 12:00:00", "15-Jan-2025 12:25:00"),  # duplicate (row 8)
        ],
    )
    env.materialize("2025-01-15")
    files = env.query("select * from ops.source_files where feed = 'ambulance_handovers'").row(0, named=True)
    # docs/domain.md §7.2: a bad handover time is an unknown handover, the conveyance counts. 7 read = 4 loaded (G1;
    # B1, B2, B4 with the handover unknown) + 3 quarantined (B3 has no known site; the two different D1 rows).
    counts = ("rows_read", "rows_loaded", "rows_quarantined", "rows_with_unknown_values")
    assert tuple(files[c] for c in counts) == (7, 4, 3, 3)
    reasons = {
        (r[0], r[1]): r[2:]
        for r in env.query(
            "select source_row, column_name, reason, action from ops.quarantine where feed = 'ambulance_handovers'"
        ).rows()
    }
    unknown = "value set to unknown"
    assert reasons[(3, "handover_utc")] == ("handover not before arrival", unknown)
    assert reasons[(4, "handover_utc")] == ("handover within 24 hours of arrival", unknown)
    assert "code not in the mapping for site_code" in reasons[(5, "site_code")][0]
    assert reasons[(6, "handover_utc")] == ("handover not after the vehicle cleared", unknown)
    assert reasons[(7, "incident_id")][0].startswith("duplicate") and reasons[(8, "incident_id")][0].startswith("dup")
    assert {action for key, (_, action) in reasons.items() if key[0] in (5, 7, 8)} == {"record quarantined"}
    site = _site(env, "2025-01-15")
    # Arrivals G1, B1, B2, B4 = 4; known 1 (G1, 20 min); unknown 3: 3 / 4 = 75% unknown, as a missing one is.
    assert (site["arrivals"], site["known"], site["unknown"]) == (4, 1, 3)
    assert site["pct_unknown"] == 75.0 and site["mean_minutes"] == 20.0


def test_resent_record_replaces_and_rerun_is_identical(env: Env):
    env.write_emas(
        "20250115",
        "20250116040000",
        [
            emas_row("R1", "15-Jan-2025 10:00:00"),  # unknown at first
            emas_row("R2", "15-Jan-2025 11:00:00", "15-Jan-2025 11:10:00"),
        ],
    )
    env.materialize("2025-01-15")
    assert (_site(env, "2025-01-15")["known"], _site(env, "2025-01-15")["unknown"]) == (1, 1)

    # A later extract supplies R1's handover: 40 min. Known 2; over 15: R1; hours lost (40-15)/60.
    env.write_emas("20250115", "20250117040000", [emas_row("R1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:40:00")])
    env.materialize("2025-01-15")
    row = _site(env, "2025-01-15")
    assert (row["arrivals"], row["known"], row["unknown"], row["over_15"]) == (2, 2, 0, 1)
    assert row["hours_lost"] == pytest.approx(25 / 60)

    first = {t: env.query(f"select * from {t} order by all") for t in TABLES}
    env.materialize("2025-01-15")
    for table in TABLES:
        assert first[table].equals(env.query(f"select * from {table} order by all")), table


def test_sitrep_row_reproduces_its_published_proportions(env: Env):
    # A published sitrep row for Burton: 180 handovers, 173 known, 7 unknown; over 15/30/45/60 =
    # 58/21/9/4. Published proportions (of known): 58/173 = 0.3353, 21/173 = 0.1214,
    # 9/173 = 0.0520, 4/173 = 0.0231; unknown 7/180 = 0.0389.
    published = {
        "pct_over_15": 0.3353,
        "pct_over_30": 0.1214,
        "pct_over_45": 0.0520,
        "pct_over_60": 0.0231,
        "pct_unknown": 0.0389,
    }
    env.write_sitrep(
        "20250310",
        "20250311T0900",
        [
            {
                "Period": "2025-03-10",
                "Org Code": "RTGFG",
                "All handovers": "180",
                "Handover time known": "173",
                "Over 15 minutes": "58",
                "Over 30 minutes": "21",
                "Over 45 minutes": "9",
                "Over 60 minutes": "4",
                "Handover time unknown": "7",
                "Total hours": "72.5",
                "Mean (minutes)": "25.1",
            }
        ],
    )
    env.materialize("2025-03-10")
    row = _site(env, "2025-03-10", "RTGFG")
    assert row["source"] == "sitrep"
    for column, proportion in published.items():
        assert round(row[column] / 100, 4) == proportion, column
    assert row["mean_minutes"] == 25.1 and row["total_minutes"] == pytest.approx(72.5 * 60)
    # What the sitrep cannot support stays null, not zero.
    for column in ("hours_lost", "hours_lost_over_60", "p90_minutes", "p95_minutes", "mean_turnaround_minutes"):
        assert row[column] is None, column


def test_conveyances_win_over_sitrep_and_rollup_refuses_a_partial_sum(env: Env):
    sitrep = {
        "Org Code": "RTGFG",
        "All handovers": "10",
        "Handover time known": "10",
        "Over 15 minutes": "2",
        "Over 30 minutes": "1",
        "Over 45 minutes": "0",
        "Over 60 minutes": "0",
        "Handover time unknown": "0",
        "Total hours": "2",
        "Mean (minutes)": "12",
    }
    env.write_sitrep(
        "20250310",
        "20250311T0900",
        [
            {"Period": "2025-03-10", **sitrep},
            {"Period": "2025-03-10", **sitrep, "Org Code": "RTG01"},  # Royal Derby also has conveyances
        ],
    )
    env.write_emas("20250310", "20250311040000", [emas_row("C1", "10-Mar-2025 09:00:00", "10-Mar-2025 09:45:00")])
    env.materialize("2025-03-10")
    assert _site(env, "2025-03-10", "RTG01")["source"] == "conveyances"
    trust = env.query(
        "select * from marts.handover_trust where org_code = 'RTG' and period = 'day' and date = '2025-03-10'"
    ).row(0, named=True)
    assert trust["sources"] == "conveyances+sitrep"
    assert trust["arrivals"] == 11 and trust["over_15"] == 3  # 1 conveyance + 10 sitrep; 1 + 2 over 15
    assert trust["pct_within_15"] == pytest.approx(100 * 8 / 11)  # (11 known - 3 over) / 11
    # Burton's sitrep has no hours lost, so the trust's hours lost cannot be summed: null, not 0.5.
    assert trust["hours_lost"] is None
    # Mean over the trust = total minutes / known = (45 + 2 x 60) / 11 = 15 min.
    assert trust["mean_minutes"] == pytest.approx(165 / 11)


def test_missing_daily_file_is_named_but_an_occasional_sitrep_is_not(env: Env):
    env.write_emas("20250115", "20250116040000", [emas_row("H1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00")])
    with dg.DagsterInstance.ephemeral() as instance:
        # Every feed, not only the one with files: the others' missing files are the point.
        result = env.materialize("2025-01-15", instance=instance, selection="*")
        warnings = [e.user_message for e in instance.all_logs(result.run_id) if e.level == 30]  # logging.WARNING
    # EMAS sent its file; ED from RTG and RFS, hub cases from DHU and OPEL from the portal did not.
    assert any("no ed_attendances file from RTG" in w for w in warnings)
    assert any("no ed_attendances file from RFS" in w for w in warnings)
    assert not any("ambulance_handovers file" in w for w in warnings)
    assert not any("handover_sitrep" in w for w in warnings)  # sent only when needed
