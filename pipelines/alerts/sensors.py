"""The alert sensors and schedule: a failed run, a file late or missing at its due time, and the brief's readiness."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple, cast

import dagster as dg

from pipelines.alerts.channels import Delivery, deliver
from pipelines.alerts.config import AlertsConfig, load_alerts_config, startup_settings
from pipelines.alerts.messages import (
    FailedStep,
    Message,
    Rejection,
    brief_not_ready,
    brief_ready,
    brief_revised,
    late_or_missing,
    plain_reason,
    rejected_file,
    run_failure,
)
from pipelines.brief.data import read_coverage
from pipelines.ingest.freshness import Arrival, arrival
from pipelines.ingest.landing import list_folder
from pipelines.instance import BRIEF_KEY, RANGE_END, RANGE_START, runs_covering
from pipelines.jobs import daily_refresh_job
from pipelines.resources import FeedFilesResource, ReportsResource, WarehouseResource
from pipelines.settings import home_system
from pipelines.storage.warehouse import connect
from schemas import catalogue
from schemas.catalogue import Feed
from schemas.clock import LONDON, TIMEZONE
from schemas.registry import FeedConfig, RegistryError, load_feed_configs

# Activity days looked at on each tick: today (OPEL is due the same day) and the two before, so a
# file due early this morning for the day before yesterday is still caught after a daemon restart.
LOOKBACK_DAYS = 2
# Days remembered in the late-file sensor's cursor; older ones can never be looked at again.
KEEP_DAYS = 7


class AlertNotSent(RuntimeError):
    """No channel took an alert: failing the tick puts the reason in the UI instead of losing it quietly."""


class Alerts(NamedTuple):
    sensors: list[dg.SensorDefinition]
    schedules: list[dg.ScheduleDefinition]


def london_now() -> datetime:
    return datetime.now(LONDON)


def build_alerts(feeds: Iterable[Feed]) -> Alerts:
    """The alert sensors and schedule for the given feeds, switched on only when the alerts file has a channel."""
    feeds = tuple(feeds)
    switched_on, readiness_at = startup_settings()
    return Alerts(
        sensors=[
            build_run_failure_sensor(feeds, switched_on),
            build_late_file_sensor(feeds, switched_on),
            build_rejected_file_sensor(feeds, switched_on),
            build_brief_revised_sensor(switched_on),
        ],
        schedules=[build_readiness_schedule(feeds, switched_on, readiness_at)],
    )


def _layouts(feeds: Sequence[Feed], feeds_dir: str) -> list[FeedConfig]:
    found = []
    for feed in feeds:
        try:
            found += load_feed_configs(feed.name, feeds_dir)
        except RegistryError:
            continue  # a broken layout may be the very thing that failed; the feed's run alert says so
    return found


def _send(log, config: AlertsConfig, message: Message) -> Delivery:
    delivery = deliver(config, message)
    if delivery.failed:
        log.error(f"Alert '{message.subject}' not sent on {delivery.describe_failures()}")
    return delivery


# ---- a failed run -------------------------------------------------------------------------------------


def _chain(error: Any) -> list[str]:
    # A SerializableErrorInfo. Dagster wraps the asset's own exception in its own ("Error occurred while
    # executing op …"): the innermost cause is the one that says what went wrong.
    messages = []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    return messages


def _provider_named(texts: Sequence[str], tags: dict[str, str], layouts: Sequence[FeedConfig]) -> str | None:
    if tags.get("uec/provider"):  # runs the landing sensor starts for one provider's file
        return tags["uec/provider"]
    joined = "\n".join(texts)
    # A layout's own path first (a broken layout names its file), then the provider's code as a word.
    for config in layouts:
        if config.config_path and config.config_path in joined:
            return config.provider_code
    for config in layouts:
        if re.search(rf"\b{re.escape(config.provider_code)}\b", joined):
            return config.provider_code
    return None


def _days(tags: dict[str, str]) -> str | None:
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    if RANGE_START in tags:
        return f"{tags[RANGE_START]} to {tags[RANGE_END]}"
    return None


def failure_message(context: dg.RunFailureSensorContext, layouts: Sequence[FeedConfig], ui_url: str | None) -> Message:
    """The alert for one failed run, from its step failure events (or the run's own failure when no step failed)."""
    run, tags = context.dagster_run, dict(context.dagster_run.tags)
    steps = []
    for event in context.get_step_failure_events():
        chain = _chain(event.step_failure_data.error)
        steps.append(FailedStep(event.step_key or "?", _provider_named(chain, tags, layouts), plain_reason(chain)))
    failure = context.failure_event
    run_chain = _chain(getattr(failure.event_specific_data, "error", None)) or [failure.message or ""]
    return run_failure(run.run_id, run.job_name, _days(tags), steps, plain_reason(run_chain), ui_url)


def build_run_failure_sensor(feeds: Sequence[Feed], switched_on: bool) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alerts",
        # `uec refresh` runs in its own process, so its runs carry no code-location origin: without this the
        # sensor would see only the runs the daemon launched, and a failed backfill from the terminal would go untold.
        monitor_all_code_locations=True,
        default_status=dg.DefaultSensorStatus.RUNNING if switched_on else dg.DefaultSensorStatus.STOPPED,
        description="Tells the alert channels when any run fails: the step, the provider, the reason and the run id.",
    )
    def run_failure_alerts(context: dg.RunFailureSensorContext, feed_files: FeedFilesResource) -> None:
        """Sends one alert for each failed run on the instance, whether the daemon or `uec refresh` started it."""
        config = load_alerts_config()
        if not config.channels:
            context.log.info("No alert channel is configured: the failure is not sent anywhere.")
            return
        message = failure_message(context, _layouts(feeds, feed_files.feeds_dir), config.ui_url)
        delivery = _send(context.log, config, message)
        if not delivery.reached_someone:
            raise AlertNotSent(
                f"Run failure alert for {context.dagster_run.run_id} not sent: {delivery.describe_failures()}"
            )

    return run_failure_alerts


# ---- a file rejected ----------------------------------------------------------------------------------

READABLE_CHECK = "every_landed_file_readable"


def rejections_in_run(instance: dg.DagsterInstance, run_id: str, labels: dict[str, str]) -> list[Rejection]:
    """Every file the run's raw assets refused, from their readability checks' metadata (assets/raw.py)."""
    found = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        check = entry.get_dagster_event().asset_check_evaluation_data
        if check.check_name != READABLE_CHECK or check.passed or "rejected_files" not in check.metadata:
            continue
        for r in cast(list[dict[str, str]], check.metadata["rejected_files"].value):
            label = labels.get(r["feed"], r["feed"])
            found.append(Rejection(r["feed"], label, r["provider_code"], r["day"], r["file_name"], r["reason"]))
    return found


def _alert_after_each_successful_run(
    name: str,
    description: str,
    switched_on: bool,
    alert: Callable[[dg.RunStatusSensorContext, AlertsConfig, str], None],
) -> dg.SensorDefinition:
    """A sensor that reads each run that succeeded, whoever started it (the daemon or `uec`): alert is given the
    run's id only while the alerts file has a channel."""

    @dg.run_status_sensor(
        name=name,
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitor_all_code_locations=True,
        default_status=dg.DefaultSensorStatus.RUNNING if switched_on else dg.DefaultSensorStatus.STOPPED,
        description=description,
    )
    def after_run(context: dg.RunStatusSensorContext) -> None:
        config = load_alerts_config()
        if config.channels:
            alert(context, config, context.dagster_run.run_id)

    return after_run


def build_rejected_file_sensor(feeds: Sequence[Feed], switched_on: bool) -> dg.SensorDefinition:
    labels = {feed.name: feed.label for feed in feeds}

    def alert(context: dg.RunStatusSensorContext, config: AlertsConfig, run_id: str) -> None:
        """Sends one alert for each file a finished run refused whole, whoever started the run."""
        failed = []
        for rejection in rejections_in_run(context.instance, run_id, labels):
            delivery = _send(context.log, config, rejected_file(rejection, run_id, config.ui_url))
            if not delivery.reached_someone:
                failed.append(f"{rejection.file_name}: {delivery.describe_failures()}")
        if failed:
            raise AlertNotSent(f"Rejected-file alert for run {run_id} not sent: {'; '.join(failed)}")

    # A rejected file does not fail its run (the other providers load), so the failure alert never hears of it.
    return _alert_after_each_successful_run(
        "rejected_file_alerts",
        "Tells the alert channels, one message per file, of every landed file a finished run rejected.",
        switched_on,
        alert,
    )


# ---- a brief revised -----------------------------------------------------------------------------------


def _alert_brief_revised(context: dg.RunStatusSensorContext, config: AlertsConfig, run_id: str) -> None:
    """Sends one alert for each brief a finished run re-made with figures that moved (its 'revised' metadata)."""
    for entry in context.instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.get_dagster_event().materialization
        revised = materialization.metadata.get("revised")
        if materialization.asset_key != BRIEF_KEY or revised is None or not revised.value:
            continue
        link = materialization.metadata.get("brief_url")
        served = link.value if link is not None and not str(link.value).startswith("file:") else None
        message = brief_revised(
            cast(str, materialization.metadata["day"].value),
            cast(list[str], revised.value),
            run_id,
            cast(str | None, served),
        )
        if not _send(context.log, config, message).reached_someone:
            raise AlertNotSent(f"Brief revised alert for run {run_id} not sent")


def build_brief_revised_sensor(switched_on: bool) -> dg.SensorDefinition:
    return _alert_after_each_successful_run(
        "brief_revised_alerts",
        "Tells the alert channels when a run re-made a day's brief and figures on it moved.",
        switched_on,
        _alert_brief_revised,
    )


# ---- a file late or missing at its due time -----------------------------------------------------------


def late_arrivals(feeds: Sequence[Feed], feed_files: FeedFilesResource, now: datetime) -> list[Arrival]:
    """Each expected provider's first file for the recent days that is missing past its due time, or came late."""
    today = now.astimezone(LONDON).date()
    days = [today - timedelta(days=n) for n in range(LOOKBACK_DAYS, -1, -1)]
    checked = []
    for config in _layouts(feeds, feed_files.feeds_dir):
        if not config.expected_daily:
            continue
        # One look over the provider's folder for all the days: it holds a year of files.
        by_day = list_folder(config, feed_files.landing).by_day
        checked += [arrival(config, feed_files.landing, day, now, by_day.get(day, [])) for day in days]
    return [came for came in checked if came.is_problem]


def _alert_key(came: Arrival) -> str:
    return f"{came.config.feed}/{came.config.provider_code}"


def build_late_file_sensor(
    feeds: Sequence[Feed], switched_on: bool, clock: Callable[[], datetime] = london_now
) -> dg.SensorDefinition:
    labels = {feed.name: feed.label for feed in feeds}

    @dg.sensor(
        name="late_file_alerts",
        minimum_interval_seconds=120,
        default_status=dg.DefaultSensorStatus.RUNNING if switched_on else dg.DefaultSensorStatus.STOPPED,
        description="Tells the alert channels, in one message per look and once per feed, provider and day, when a "
        "file is missing at its due time or came late.",
    )
    def late_file_alerts(context: dg.SensorEvaluationContext, feed_files: FeedFilesResource) -> dg.SensorResult:
        """Sends one alert listing each feed, provider and day newly missing past its due time, or come late."""
        config = load_alerts_config()
        if not config.channels:
            return dg.SensorResult(skip_reason="No alert channel is configured.", cursor=context.cursor)
        now = clock().astimezone(LONDON)
        # The cursor is what was already sent, by activity day: an alert goes out once, however often this ticks.
        sent: dict[str, list[str]] = json.loads(context.cursor).get("sent", {}) if context.cursor else {}
        oldest = (now.date() - timedelta(days=KEEP_DAYS)).isoformat()
        sent = {day: keys for day, keys in sent.items() if day >= oldest}
        told, failed = [], 0
        new = [
            came
            for came in late_arrivals(feeds, feed_files, now)
            if _alert_key(came) not in sent.get(came.day.isoformat(), [])
        ]
        if new:
            # One digest for everything this look found: every file in it is sent, or none is and all wait.
            message = late_or_missing(new, labels, now)
            if _send(context.log, config, message).reached_someone:
                for came in new:
                    sent.setdefault(came.day.isoformat(), []).append(_alert_key(came))
                    told.append(f"{_alert_key(came)} {came.day} {came.state}")
            else:
                failed = len(new)  # not recorded as sent, so the next tick tries again
        cursor = json.dumps({"sent": {day: sorted(keys) for day, keys in sorted(sent.items())}})
        summary = (
            f"Sent one alert for {len(told)} late or missing file(s): {', '.join(told)}."
            if told
            else "Nothing new is late or missing."
        )
        if failed:
            summary += f" The alert for {failed} file(s) was not sent and will be tried again (see the tick's log)."
        return dg.SensorResult(skip_reason=summary, cursor=cursor)

    return late_file_alerts


# ---- readiness: is the brief there before the call? ---------------------------------------------------


def readiness_message(
    day: date,
    feeds: Sequence[Feed],
    feed_files: FeedFilesResource,
    reports: ReportsResource,
    instance: dg.DagsterInstance,
    now: datetime,
    warehouse: WarehouseResource | None = None,
) -> Message:
    """Ready only when a run loaded every expected feed after its last file landed and made the brief after that, and
    every expected provider's data for the day is whole; otherwise NOT ready, with what is missing and what it holds
    back. Both come from the coverage the brief itself is built on."""
    system, elsewhere = _home_system(feed_files.reference_dir)
    coverage = _coverage(day, feed_files, warehouse, now, elsewhere)
    brief = reports.path / f"brief-{day.isoformat()}.html"
    made, run_gaps = brief_run(instance, day, coverage, feed_files)
    workbook = reports.path / f"marts-{day.isoformat()}.xlsx"
    written = [f for f in (brief, workbook) if f.exists()]
    # Links only where the reports folder is served: a file:// URL or a path names the server's disk.
    links = {f: cast(str, reports.link(f).value) for f in written if reports.url}
    if brief.exists() and made is not None and not run_gaps and coverage.complete:
        return brief_ready(day, brief, workbook if workbook.exists() else None, coverage, made, system, links)
    runs = runs_covering(instance, day.isoformat())
    latest = (runs[0].run_id, runs[0].job_name, runs[0].status.value.lower()) if runs else None
    return brief_not_ready(
        day, brief if brief.exists() else None, brief.name, coverage, run_gaps, latest, system, links
    )


def _coverage(
    day: date, feed_files: FeedFilesResource, warehouse: WarehouseResource | None, now: datetime, elsewhere: set[str]
):
    kwargs: dict[str, Any] = {
        "feeds_dir": feed_files.feeds_dir,
        "landing": feed_files.landing,
        "now": now,
        "system": home_system(),
        "elsewhere": elsewhere,
    }
    if warehouse is None or not Path(warehouse.database).is_file():
        return read_coverage(None, day, **kwargs)
    with connect(warehouse.database, read_only=True) as conn:
        return read_coverage(conn, day, **kwargs)


def brief_run(
    instance: dg.DagsterInstance, day: date, coverage, feed_files: FeedFilesResource
) -> tuple[datetime | None, list[str]]:
    """When the day's latest brief was made, and why that brief does not stand on every expected feed loaded after
    its last file landed (empty when it does). A run for one feed (the 12:45 OPEL run) also writes the brief: the
    file existing says nothing about what it was built from."""
    made = None
    for record in instance.fetch_materializations(BRIEF_KEY, limit=200).records:
        assert record.asset_materialization is not None  # a materialization's record holds it
        said = record.asset_materialization.metadata.get("day")
        if said is not None and said.value == day.isoformat():
            made = datetime.fromtimestamp(record.timestamp, tz=LONDON)
            break
    if made is None:
        return None, [f"No run has made the brief for {day}."]
    loads: dict[str, float] = {}
    for run in runs_covering(instance, day.isoformat()):
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            key = entry.get_dagster_event().asset_key
            if key and key.path[0] == "raw":
                loads[key.path[-1]] = max(loads.get(key.path[-1], 0.0), entry.timestamp)
    landed = _last_landed(feed_files, day)
    gaps = []
    for feed in (f for f in coverage.feeds if f.providers):
        loaded = loads.get(feed.feed)
        if loaded is None:
            gaps.append(f"No run has loaded {feed.label} for {day}: the brief made {made:%d %b %H:%M} is without it.")
            continue
        loaded_at = datetime.fromtimestamp(loaded, tz=LONDON)
        if feed.feed in landed and landed[feed.feed] > loaded_at:
            gaps.append(
                f"A {feed.label} file landed {landed[feed.feed]:%d %b %H:%M}, after the last run that loaded the feed "
                f"({loaded_at:%d %b %H:%M})."
            )
        elif loaded_at > made:
            gaps.append(
                f"{feed.label} was loaded again {loaded_at:%d %b %H:%M}, after the brief was made ({made:%H:%M})."
            )
    return made, gaps


def _last_landed(feed_files: FeedFilesResource, day: date) -> dict[str, datetime]:
    """Each feed's latest file for the day, by when it landed (its copy's modification time)."""
    landed: dict[str, datetime] = {}
    for feed in catalogue.feed_names():
        for config in _layouts([catalogue.feed(feed)], feed_files.feeds_dir):
            for file in list_folder(config, feed_files.landing).by_day.get(day, []):
                at = file.received_at_utc.astimezone(LONDON)
                landed[feed] = max(landed.get(feed, at), at)
    return landed


def _home_system(reference_dir: str) -> tuple[str, set[str]]:
    """The home system as 'CODE name' from sites.csv, and the providers that belong only to other systems."""
    code = home_system()
    belongs: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for name, key in (("sites.csv", "trust_code"), ("providers.csv", "provider_code")):
        path = Path(reference_dir) / name
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                belongs.setdefault(row[key], set()).add(row["system_code"])
                if row.get("system_name"):
                    names.setdefault(row["system_code"], row["system_name"])
    label = f"{code} {names[code]}" if code in names else code
    return label, {provider for provider, systems in belongs.items() if code not in systems}


def build_readiness_schedule(feeds: Sequence[Feed], switched_on: bool, at: time) -> dg.ScheduleDefinition:
    # A schedule needs a job; this one starts none, it reports on what daily_refresh produced for yesterday.
    @dg.schedule(
        name="brief_readiness_alert",
        job=daily_refresh_job,
        cron_schedule=f"{at.minute} {at.hour} * * *",
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING if switched_on else dg.DefaultScheduleStatus.STOPPED,
        description=f"Tells the alert channels at {at:%H:%M} London time whether yesterday's morning brief is ready "
        "(attached) or what is missing; starts no run.",
    )
    def brief_readiness_alert(
        context: dg.ScheduleEvaluationContext,
        feed_files: FeedFilesResource,
        reports: ReportsResource,
        warehouse: WarehouseResource,
    ) -> dg.SkipReason:
        """Sends yesterday's brief, or what stands in its way, at the readiness time before the 09:30 call."""
        config = load_alerts_config()
        if not config.channels:
            return dg.SkipReason("No alert channel is configured.")
        now = (context.scheduled_execution_time or london_now()).astimezone(LONDON)
        day = now.date() - timedelta(days=1)
        message = readiness_message(day, feeds, feed_files, reports, context.instance, now, warehouse)
        delivery = _send(context.log, config, message)
        if not delivery.reached_someone:
            raise AlertNotSent(f"Readiness alert for {day} not sent: {delivery.describe_failures()}")
        return dg.SkipReason(f"Sent '{message.subject}' by {', '.join(delivery.sent)}.")

    return brief_readiness_alert
