"""Daily partitions: one partition is one Europe/London calendar day of arrivals."""

import dagster as dg

# The bundled samples start on 1 December 2024; the newest partition is always yesterday.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2024-12-01", timezone="Europe/London")

# A backfill of many days runs as one run: one DuckDB writer, one process start.
single_run_backfill = dg.BackfillPolicy.single_run()
