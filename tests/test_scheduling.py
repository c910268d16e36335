"""Schedules pick the right London day; the landing sensor runs once per new or corrected file."""

from __future__ import annotations

import os
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.alerts.config import Readiness
from pipelines.definitions import defs
from pipelines.partitions import daily_partitions
from pipelines.schedules import midday_opel_refresh, overnight_refresh
from schemas.registry import load_feed_configs
from tests.support.rows import dhu_row, uhdb_row
from tests.support.warehouse import Env

landing_files = defs.get_sensor_def("landing_files")
LONDON = ZoneInfo("Europe/London")
REPO = Path(__file__).resolve().parents[1]


def _daily_at(schedule: dg.ScheduleDefinition) -> time:
    """The London time of day a once-a-day schedule ticks at, read from its cron string."""
    minute, hour, *every = schedule.cron_schedule.split()
    assert every == ["*", "*", "*"], f"{schedule.name} is not once a day: {schedule.cron_schedule}"
    return time(int(hour), int(minute))


def test_schedules_are_on_by_default_in_london_time():
    for schedule in (overnight_refresh, midday_opel_refresh):
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
        assert schedule.execution_timezone == "Europe/London"
    assert landing_files.default_status == dg.DefaultSensorStatus.RUNNING
    # The readiness alert starts no run; tests/test_alerts.py covers it and its sensors.
    assert {s.name for s in defs.schedules} == {"overnight_refresh", "midday_opel_refresh", "brief_readiness_alert"}


def test_each_schedule_ticks_when_its_description_and_the_docs_say_and_in_order_with_the_files_and_the_alert():
    for schedule in (overnight_refresh, midday_opel_refresh):
        at = f"{_daily_at(schedule):%H:%M}"
        assert f"at {at} London time" in schedule.description, (schedule.name, schedule.description)
        # The operations table (README and docs/operations.md) gives each schedule's time of day.
        for doc in ("README.md", "docs/operations.md"):
            row = f"| `{schedule.name}` schedule | {at} daily |"
            assert row in (REPO / doc).read_text(encoding="utf-8"), f"{doc} lacks {row!r}"
    # The midday run is for today's OPEL: after the portal's export of the day's submissions is due.
    opel_due = [c.arrives_by for c in load_feed_configs("opel_submissions") if c.arrives_days_after == 0]
    assert opel_due and _daily_at(midday_opel_refresh) > max(opel_due)
    # The overnight run has loaded yesterday before the readiness alert (by default) asks whether the brief is ready.
    assert _daily_at(overnight_refresh) < Readiness().at < _daily_at(midday_opel_refresh)


def test_overnight_run_is_for_yesterday_even_on_the_morning_after_a_clock_change():
    # 07:15 BST on Monday 31 March 2025 is 06:15 UTC; yesterday in London is Sunday the 30th.
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 31, 7, 15, tzinfo=LONDON))
    request = overnight_refresh(context)
    assert request.partition_key == "2025-03-30"
    # A tick time given in UTC is read in London: 23:30 UTC on 31 March is 00:30 BST on 1 April, so
    # yesterday is 31 March (reading the date in UTC would give the 30th).
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 31, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert overnight_refresh(context).partition_key == "2025-03-31"


def test_midday_opel_run_is_for_today_and_today_is_a_partition():
    today = datetime(2025, 1, 15, 12, 45, tzinfo=LONDON)
    request = midday_opel_refresh(dg.build_schedule_context(scheduled_execution_time=today))
    assert request.partition_key == "2025-01-15"
    assert midday_opel_refresh.job_name == "refresh_opel_submissions"
    # end_offset=1: the current London day exists as a partition for the midday run to target.
    now = datetime.now(LONDON).date().isoformat()
    assert daily_partitions.get_last_partition_key() == now


def _evaluate(env: Env, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(cursor=cursor, resources=env.sensor_resources())
    return landing_files(context)


def test_landing_sensor_runs_once_per_new_or_corrected_file(env: Env):
    env.write_uhdb("20250114", "20250115T0600", [uhdb_row("A1", "2025-01-14 10:00:00")])
    first = _evaluate(env, None)
    # What was already there when the sensor started is left to the schedule: no runs, a cursor.
    assert first.run_requests in (None, []) and first.cursor

    new = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A2", "2025-01-15 10:00:00")])
    hub = env.write_dhu(
        "20250115", "202501160300", [dhu_row("H1", "EMAS_CAT3", "2025-01-15T10:00:00", "2025-01-15T10:05:00", "OWN_GP")]
    )
    second = _evaluate(env, first.cursor)
    requests = sorted(second.run_requests, key=lambda r: r.job_name)
    assert [(r.job_name, r.partition_key) for r in requests] == [
        ("refresh_cnh_cases", "2025-01-15"),
        ("refresh_ed_attendances", "2025-01-15"),
    ]
    # Each run names the file it is for.
    assert [r.tags["uec/file"] for r in requests] == [f"cnh_cases/dhu/{hub.name}", f"ed_attendances/uhdb/{new.name}"]

    # Nothing new: nothing to do, however often the sensor ticks.
    third = _evaluate(env, second.cursor)
    assert not third.run_requests

    # A corrected file under the same name is a new version: one more run for its day.
    new.write_text(
        new.read_text(encoding="utf-8-sig") + "A3,RDH,AED,2025-01-15 11:00:00,,2,3,,,18-64,\n", encoding="utf-8-sig"
    )
    os.utime(new, ns=(new.stat().st_atime_ns, new.stat().st_mtime_ns + 1_000_000_000))
    fourth = _evaluate(env, third.cursor)
    assert [(r.job_name, r.partition_key) for r in fourth.run_requests] == [("refresh_ed_attendances", "2025-01-15")]
    assert fourth.run_requests[0].run_key != requests[1].run_key


def test_landing_sensor_job_rebuilds_the_feed_and_its_marts():
    job = defs.resolve_job_def("refresh_ed_attendances")
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"raw/ed_attendances", "marts/ed_four_hour_daily", "marts/opel_daily", "ref/sites"} <= keys
    assert "raw/cnh_cases" not in keys
