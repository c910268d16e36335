"""docs/domain.md §7.1: one record counted once, on its own day, whatever order its files are loaded in."""

from __future__ import annotations

import dagster as dg

from tests.support.rows import uhdb_row
from tests.support.warehouse import Env

ED = "marts/ed_four_hour_daily"
# Only the ED path (its reference tables, raw feed, mart and rollups): the other feeds have no files here.
ED_PATH = "*raw/ed_attendances*"


def _by_day(env: Env) -> dict[str, tuple[int, int, int, int]]:
    rows = env.query(
        "select date, sum(attendances), sum(within_4h), sum(breaches), sum(pending) "
        "from marts.ed_four_hour_daily group by date order by date"
    ).rows()
    return {str(day): tuple(int(n) for n in counts) for day, *counts in rows}


def _land_a_correction_in_the_next_days_file(env: Env) -> None:
    # 12 March's file (taken 13 Mar 01:00): R1 still open at 180 min (pending), R2 10:00-11:00 (60 min, within).
    env.write_uhdb(
        "20250312",
        "20250313T0100",
        [uhdb_row("R1", "2025-03-12 22:00:00"), uhdb_row("R2", "2025-03-12 10:00:00", "2025-03-12 11:00:00")],
    )
    # 13 March's file (taken 14 Mar 05:00) carries R1 again, now departed 03:00 (300 min: a breach),
    # and R3 09:00-10:00 (within).
    env.write_uhdb(
        "20250313",
        "20250314T0500",
        [
            uhdb_row("R1", "2025-03-12 22:00:00", "2025-03-13 03:00:00"),
            uhdb_row("R3", "2025-03-13 09:00:00", "2025-03-13 10:00:00"),
        ],
    )


# 12 March: R1 (breach, from the 13th's file) + R2 (within) = 2 attendances, 1 within, 1 breach, 0 pending.
# 13 March: R3 alone = 1 attendance, 1 within.
EXPECTED = {"2025-03-12": (2, 1, 1, 0), "2025-03-13": (1, 1, 0, 0)}


def test_one_clean_load_counts_the_corrected_record_on_its_own_day(env: Env):
    _land_a_correction_in_the_next_days_file(env)
    env.materialize("2025-03-12", "2025-03-13", selection=ED_PATH)
    assert _by_day(env) == EXPECTED


def test_days_loaded_out_of_order_or_twice_give_the_same_figures(env: Env):
    _land_a_correction_in_the_next_days_file(env)
    instance = dg.DagsterInstance.ephemeral()
    # The case: 12th, then 13th, then the 12th again with no file changed (was 20 -> 19 attendances).
    for day in ("2025-03-12", "2025-03-13", "2025-03-12", "2025-03-13"):
        env.materialize(day, instance=instance, selection=ED_PATH)
        if day == "2025-03-13":
            assert _by_day(env) == EXPECTED
    assert _by_day(env) == EXPECTED
    # Nothing is left waiting to be rebuilt.
    assert env.query("select count(*) from ops.marts_to_rebuild").item() == 0


def test_a_run_for_one_day_rebuilds_and_reports_the_day_its_records_belong_to(env: Env):
    _land_a_correction_in_the_next_days_file(env)
    instance = dg.DagsterInstance.ephemeral()
    env.materialize("2025-03-12", instance=instance, selection=ED_PATH)
    assert _by_day(env)["2025-03-12"] == (2, 1, 0, 1)  # R1 open at the 12th's extract: pending
    result = env.materialize("2025-03-13", instance=instance, selection=ED_PATH)
    # The 13th's run moved R1's figures on the 12th: rebuilt in the same run, and shown as materialised.
    assert _by_day(env) == EXPECTED
    rebuilt = [
        m.partition
        for m in result.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey.from_user_string(ED)
        for m in [m.step_materialization_data.materialization]
    ]
    assert sorted(rebuilt) == ["2025-03-12", "2025-03-13"]


def test_the_day_first_loaded_later_still_gets_the_records_another_day_carried(env: Env):
    _land_a_correction_in_the_next_days_file(env)
    instance = dg.DagsterInstance.ephemeral()
    env.materialize("2025-03-13", instance=instance, selection=ED_PATH)
    env.materialize("2025-03-12", instance=instance, selection=ED_PATH)
    assert _by_day(env) == EXPECTED


def test_a_reused_id_is_listed_in_the_quarantine_and_never_replaces_the_first_record(env: Env):
    # U1 arrives 30 March 00:30; the next day's file sends U1 again for a different attendance at 00:30 on the
    # 31st: 24 hours apart, beyond the 12-hour window, so the id was reused. The first keeps counting.
    first = env.write_uhdb("20250330", "20250331T0500", [uhdb_row("U1", "2025-03-30 00:30:00", "2025-03-30 02:00:00")])
    env.write_uhdb(
        "20250331",
        "20250401T0500",
        [
            uhdb_row("U1", "2025-03-31 00:30:00", "2025-03-31 05:00:00"),  # reused: not counted
            uhdb_row("U2", "2025-03-31 09:00:00", "2025-03-31 10:00:00"),
        ],
    )
    instance = dg.DagsterInstance.ephemeral()
    # Loaded in reverse order: the judgement follows extract times, not the load order.
    env.materialize("2025-03-31", instance=instance, selection=ED_PATH)
    result = env.materialize("2025-03-30", instance=instance, selection=ED_PATH)
    # The run that made the reuse visible says so, though the reused version sits in the other day's file.
    check = next(c for c in result.get_asset_check_evaluations() if c.check_name == "every_record_id_names_one_record")
    assert not check.passed and check.metadata["versions_not_counted"].value == 1
    # 30 March: U1 (90 min, within) = 1. 31 March: U2 only = 1 (the reused U1 is not counted).
    assert _by_day(env) == {"2025-03-30": (1, 1, 0, 0), "2025-03-31": (1, 1, 0, 0)}
    listed = env.query(
        "select feed, provider_code, record_key, file_name, source_row, reason from ops.record_ids_reused"
    )
    assert listed.rows() == [
        (
            "ed_attendances",
            "RTG",
            "U1",
            "UHDB_ED_20250331_20250401T0500.csv",
            2,  # the file's line, counting the header as line 1
            f"record id reused for a different attendance (first seen {first.name}, arrival 2025-03-30 00:30)",
        )
    ]


def test_a_correction_within_the_window_replaces_the_earlier_version(env: Env):
    # C1's arrival is corrected by 20 minutes and its departure added: the same attendance, replaced.
    env.write_uhdb("20250310", "20250311T0500", [uhdb_row("C1", "2025-03-10 23:50:00")])
    env.write_uhdb("20250310", "20250311T0900", [uhdb_row("C1", "2025-03-10 23:30:00", "2025-03-11 04:00:00")])
    env.materialize("2025-03-10", selection=ED_PATH)
    # 23:30 -> 04:00 = 270 min: one breach, no longer pending.
    assert _by_day(env) == {"2025-03-10": (1, 0, 1, 0)}
    assert env.query("select count(*) from ops.record_ids_reused").item() == 0


def test_a_full_resend_withdraws_the_records_it_no_longer_holds(env: Env, tmp_path):
    feeds, _ = env.own_configuration(tmp_path)
    uhdb = feeds / "ed_attendances" / "uhdb.yaml"
    # Whatever the shipped layout says, this test is about a full re-send.
    uhdb.write_text(uhdb.read_text().replace("resend: full", "") + "\nresend: full\n")
    rows = [uhdb_row(f"W{i}", "2025-03-05 10:00:00", "2025-03-05 11:00:00") for i in range(1, 21)]
    env.write_uhdb("20250305", "20250306T0500", rows)
    env.materialize("2025-03-05", selection=ED_PATH)
    assert _by_day(env) == {"2025-03-05": (20, 20, 0, 0)}
    # The complete re-send no longer holds W16-W20: they are withdrawn, kept in history, not counted.
    env.write_uhdb("20250305", "20250307T0500", rows[:15])
    env.materialize("2025-03-05", selection=ED_PATH)
    assert _by_day(env) == {"2025-03-05": (15, 15, 0, 0)}
    standing = dict(
        env.query("select standing, count(distinct record_id) from raw.ed_attendances_versions() group by all").rows()
    )
    # 15 current (their first versions superseded), 5 withdrawn.
    assert standing == {"current": 15, "superseded": 15, "withdrawn": 5}


def _full_resend_layout(env: Env, tmp_path) -> None:
    feeds, _ = env.own_configuration(tmp_path)
    uhdb = feeds / "ed_attendances" / "uhdb.yaml"
    uhdb.write_text(uhdb.read_text().replace("resend: full", "") + "\nresend: full\n")


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    return next(c for c in result.get_asset_check_evaluations() if c.check_name == name)


def test_a_full_resend_whose_rows_all_fail_withdraws_nothing_and_says_so(env: Env, tmp_path):
    _full_resend_layout(env, tmp_path)
    rows = [uhdb_row(f"W{i}", "2025-03-05 10:00:00", "2025-03-05 11:00:00") for i in range(1, 21)]
    env.write_uhdb("20250305", "20250306T0500", rows)
    env.materialize("2025-03-05", selection=ED_PATH)
    # The re-send writes every arrival as 05/03/2025 10:00, a format the layout does not read: 20 rows, 0 loaded.
    resent = env.write_uhdb("20250305", "20250307T0500", [{**r, "ARRIVAL_DTTM": "05/03/2025 10:00"} for r in rows]).name
    result = env.materialize("2025-03-05", selection=ED_PATH)
    # Before: 20 attendances, all within. A full re-send that was never accepted says nothing about which records
    # it meant to hold: still 20, none withdrawn.
    assert _by_day(env) == {"2025-03-05": (20, 20, 0, 0)}
    assert env.query("select count(*) from ops.records_withdrawn").item() == 0
    check = _check(result, "every_resent_record_was_accepted")
    assert not check.passed and resent in check.description and "withdrew nothing" in check.description
    assert check.metadata["resends_refused_whole"].value == 1
    assert check.metadata["rows_resent_with_fault"].value == 20
    kept = env.query("select distinct file_name, kept_file, action from ops.records_resent_with_fault").rows()
    assert kept == [(resent, "UHDB_ED_20250305_20250306T0500.csv", "re-sent with a fault, earlier version kept")]


def test_a_bad_row_in_a_full_resend_keeps_its_earlier_version_and_withdrawals_are_counted(env: Env, tmp_path):
    _full_resend_layout(env, tmp_path)
    rows = [uhdb_row(f"W{i}", "2025-03-05 10:00:00", "2025-03-05 11:00:00") for i in range(1, 21)]
    first = env.write_uhdb("20250305", "20250306T0500", rows).name
    env.materialize("2025-03-05", selection=ED_PATH)
    # The re-send holds W1-W15 only, and W7's departure is now before its arrival (quarantined whole).
    resend = rows[:15]
    resend[6] = {**resend[6], "DEPARTURE_DTTM": "2025-03-05 09:00:00"}
    second = env.write_uhdb("20250305", "20250307T0500", resend).name
    result = env.materialize("2025-03-05", selection=ED_PATH)
    # W16-W20 are withdrawn (5); W7's re-sent row failed, so its first version (60 min, within) still counts:
    # 15 attendances, 15 within.
    assert _by_day(env) == {"2025-03-05": (15, 15, 0, 0)}
    withdrawn = env.query("select record_key, file_name, withdrawn_by from ops.records_withdrawn order by 1").rows()
    assert withdrawn == [(f"W{i}", first, second) for i in (16, 17, 18, 19, 20)]
    check = _check(result, "every_resent_record_was_accepted")
    assert not check.passed and check.metadata["records_withdrawn"].value == 5
    assert f"1 re-sent row(s) failed, earlier version kept from {first}" in check.description
    assert f"5 record(s) withdrawn by the full re-send {second}" in check.description
