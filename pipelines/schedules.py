"""Schedules (Europe/London): yesterday's position before the 09:30 call, today's OPEL after 11:00."""

from datetime import timedelta

import dagster as dg

from pipelines.jobs import daily_refresh_job
from schemas.clock import LONDON, TIMEZONE

# After the latest expected arrival in schemas/feeds (07:00) and well before the 09:30 call.
OVERNIGHT_CRON = "15 7 * * *"
# After the SCC portal's export of the 11:00 OPEL submissions (expected by 12:30).
OPEL_CRON = "45 12 * * *"


@dg.schedule(
    job=daily_refresh_job,
    cron_schedule=OVERNIGHT_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every feed and mart for yesterday, at 07:15 London time.",
)
def overnight_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    yesterday = context.scheduled_execution_time.astimezone(LONDON).date() - timedelta(days=1)
    return dg.RunRequest(partition_key=yesterday.isoformat(), tags={"uec/trigger": "overnight_refresh"})


@dg.schedule(
    job_name="refresh_opel_submissions",
    cron_schedule=OPEL_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Today's OPEL submissions and levels, at 12:45 London time (after the 11:00 cut-off).",
)
def midday_opel_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    today = context.scheduled_execution_time.astimezone(LONDON).date()
    return dg.RunRequest(partition_key=today.isoformat(), tags={"uec/trigger": "midday_opel_refresh"})
