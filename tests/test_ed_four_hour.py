"""Hand-worked 4-hour and 12-hour figures: boundaries, clock changes, open attendances, re-sends."""

from __future__ import annotations

from tests.support.rows import uhdb_row
from tests.support.warehouse import Env


def _daily(env: Env, day: str):
    return env.query(
        "select * from marts.ed_four_hour_daily where date = $d and site_code = 'RTG01' and department_type = 1",
        d=day,
    ).row(0, named=True)


def test_spring_day_hand_worked(env: Env):
    # Sunday 30 March 2025: clocks go forward at 01:00 GMT -> 02:00 BST. First extract at 01:00 on
    # 31 March (the cut-off for open attendances); a correction for one record arrives at 06:00.
    rows = [
        uhdb_row("R1", "2025-03-30 10:00:00", "2025-03-30 14:00:00"),  # 240 min: within (<= 240)
        uhdb_row("R2", "2025-03-30 10:00:00", "2025-03-30 14:01:00"),  # 241 min: breach
        # 00:30 GMT = 00:30 UTC; 05:10 BST = 04:10 UTC: 220 min, within (wall-clock says 280, a breach).
        uhdb_row("R3", "2025-03-30 00:30:00", "2025-03-30 05:10:00"),
        # Open; cut-off 01:00 BST 31 Mar = 00:00 UTC; 20:00 BST = 19:00 UTC: 300 min elapsed > 240: breach.
        uhdb_row("R4", "2025-03-30 20:00:00"),
        # Open; 22:30 BST = 21:30 UTC: 150 min elapsed <= 240: pending, out of the ratio.
        uhdb_row("R5", "2025-03-30 22:30:00"),
        # Open at first extract (23:00 BST = 22:00 UTC, 120 min elapsed) but re-sent below with a departure.
        uhdb_row("R6", "2025-03-30 23:00:00"),
        uhdb_row("R7", "2025-03-30 08:00:00", "2025-03-30 20:01:00"),  # 721 min: breach, over 12 hours
        uhdb_row("R8", "2025-03-30 09:00:00", "2025-03-30 21:00:00"),  # 720 min: breach, not over 12 hours
    ]
    env.write_uhdb("20250330", "20250331T0100", rows)
    env.materialize("2025-03-30")
    first = _daily(env, "2025-03-30")
    # attendances 8 = within 2 (R1, R3) + breaches 4 (R2, R4, R7, R8) + pending 2 (R5, R6)
    assert (first["attendances"], first["within_4h"], first["breaches"], first["pending"]) == (8, 2, 4, 2)

    # UHDB re-sends its whole day (its layout says resend: full). At 06:00 BST (05:00 UTC) R6 has departed
    # 00:30 on 31 March = 90 min: within. R5 is still open, now measured to 06:00: 22:30 -> 06:00 BST = 450 min,
    # a breach. The latest version of each wins.
    env.write_uhdb(
        "20250330",
        "20250331T0600",
        [
            r if r["ATTENDANCE_ID"] != "R6" else uhdb_row("R6", "2025-03-30 23:00:00", "2025-03-31 00:30:00")
            for r in rows
        ],
    )
    env.materialize("2025-03-30")
    row = _daily(env, "2025-03-30")
    # attendances 8 = within 3 (R1, R3, R6) + breaches 5 (R2, R4, R5, R7, R8) + pending 0
    assert row["attendances"] == 8
    assert row["within_4h"] == 3
    assert row["breaches"] == 5
    assert row["pending"] == 0
    assert row["over_12h"] == 1  # R7 only (R4: 20:00 -> 06:00 = 600 min)
    assert abs(row["pct_within_4h"] - 100 * 3 / 8) < 1e-9  # 3 / (3 + 5) = 37.5%
    assert abs(row["pct_over_12h"] - 100 * 1 / 8) < 1e-9  # 1 / 8 = 12.5%

    # Both versions of R6 are kept for audit; only the latest is current.
    versions = env.query(
        "select source_file, departure_utc from raw.ed_attendances where record_id = 'R6' order by source_file"
    )
    assert versions.height == 2
    current = env.query("select departure_at from raw.ed_attendances_current where record_id = 'R6'")
    assert str(current.item()) == "2025-03-31 00:30:00"


def test_autumn_day_hand_worked(env: Env):
    # Sunday 26 October 2025: clocks go back at 02:00 BST -> 01:00 GMT; 01:00-01:59 happens twice.
    env.write_uhdb(
        "20251026",
        "20251027T0600",
        [
            # 00:30 BST = 23:30 UTC (25 Oct); 03:31 GMT = 03:31 UTC: 241 min, a breach (wall-clock says 181).
            uhdb_row("A1", "2025-10-26 00:30:00", "2025-10-26 03:31:00"),
            # 00:30 BST = 23:30 UTC; 03:30 GMT = 03:30 UTC: exactly 240 min, within.
            uhdb_row("A2", "2025-10-26 00:30:00", "2025-10-26 03:30:00"),
            # Arrival 01:20 read as the first (BST) 01:20 = 00:20 UTC. Departure 01:10 can only be the
            # second (GMT) 01:10 = 01:10 UTC, since the first would be before arrival: 50 min, within.
            uhdb_row("A3", "2025-10-26 01:20:00", "2025-10-26 01:10:00"),
        ],
    )
    env.materialize("2025-10-26")
    row = _daily(env, "2025-10-26")
    assert (row["attendances"], row["within_4h"], row["breaches"], row["pending"]) == (3, 2, 1, 0)
    minutes = env.query(
        "select record_id, date_diff('minute', arrival_utc, departure_utc) as m from raw.ed_attendances order by 1"
    ).rows()
    assert minutes == [("A1", 241), ("A2", 240), ("A3", 50)]


def test_open_attendance_closes_on_resend(env: Env):
    # Open at the 01:00 cut-off after 120 min (pending); the next extract closes it at 300 min (breach).
    env.write_uhdb(
        "20250115",
        "20250116T0100",
        [uhdb_row("X1", "2025-01-15 23:00:00"), uhdb_row("X2", "2025-01-15 12:00:00", "2025-01-15 13:00:00")],
    )
    env.materialize("2025-01-15")
    first = _daily(env, "2025-01-15")
    assert (first["attendances"], first["within_4h"], first["breaches"], first["pending"]) == (2, 1, 0, 1)
    assert first["pct_within_4h"] == 100.0  # 1 / (1 + 0): the pending attendance is out of the ratio

    # UHDB re-sends the whole day (resend: full): X1 closed, X2 as before.
    env.write_uhdb(
        "20250115",
        "20250117T0600",
        [
            uhdb_row("X1", "2025-01-15 23:00:00", "2025-01-16 04:00:00"),
            uhdb_row("X2", "2025-01-15 12:00:00", "2025-01-15 13:00:00"),
        ],
    )
    env.materialize("2025-01-15")
    second = _daily(env, "2025-01-15")
    # X1 now 300 min: breach. 1 within, 1 breach: 50%.
    assert (second["attendances"], second["within_4h"], second["breaches"], second["pending"]) == (2, 1, 1, 0)
    assert second["pct_within_4h"] == 50.0


def test_a_record_moved_to_another_day_by_a_later_file_counts_only_there(env: Env):
    # R1 came in the 15th's file arriving 23:50; the 16th's later file corrects its arrival to 00:10 on the
    # 16th. The latest version wins across days: R1 is the 16th's attendance and not the 15th's, even though
    # each day's mart ranks only the records its own files hold.
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("R1", "2025-01-15 23:50:00", "2025-01-16 01:00:00"),
            uhdb_row("R2", "2025-01-15 10:00:00", "2025-01-15 11:00:00"),
        ],
    )
    env.write_uhdb("20250116", "20250117T0600", [uhdb_row("R1", "2025-01-16 00:10:00", "2025-01-16 01:00:00")])
    env.materialize("2025-01-15", "2025-01-16")
    attendances = dict(env.query("select date, sum(attendances) from marts.ed_four_hour_daily group by date").rows())
    # 15th: R2 only = 1. 16th: R1 = 1.
    assert {str(d): n for d, n in attendances.items()} == {"2025-01-15": 1, "2025-01-16": 1}
