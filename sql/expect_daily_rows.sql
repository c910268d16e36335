-- purpose: rows per day for a feed over its trailing history (from $history_start, or its first day if later), every day listed (0 where none)
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
