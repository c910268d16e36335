-- purpose: rows per day for a feed over its trailing 28 days, every day listed (0 where none), from the feed's first day
with first_day as (
    select greatest(min(partition_date), $history_start::date) as day
    from ops.source_files where feed = $feed
),
spine as (
    select unnest(generate_series((select day from first_day), $last::date, interval 1 day))::date as date
)
select spine.date, $feed as subject, count(raw.partition_date) as rows
from spine
left join {raw_table} as raw on raw.partition_date = spine.date
group by all
order by spine.date
