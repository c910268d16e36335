"""Daily partitions: one partition is one Europe/London calendar day of activity."""

from datetime import date
from typing import cast

import dagster as dg

from schemas.clock import TIMEZONE

# The bundled samples start on 1 December 2024. end_offset=1 makes today a partition too: OPEL is
# declared for the day itself by 11:00, so the midday OPEL run fills today while the rest waits.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2024-12-01", timezone=TIMEZONE, end_offset=1)

# A backfill of many days runs as one run: one DuckDB writer, one process start.
single_run_backfill = dg.BackfillPolicy.single_run()


def partition_days() -> tuple[date, date]:
    """The first and the last day with a partition (the last moves on with the clock)."""
    return daily_partitions.start.date(), date.fromisoformat(cast(str, daily_partitions.get_last_partition_key()))
