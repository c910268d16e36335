-- purpose: the local days whose counts may move when a run's days of a record-level feed are replaced (docs/domain.md §7.1)
-- For each replaced day (partition_date), every version of every record the day's old or incoming rows name: a
-- correction can move a record to another day, a re-send can withdraw it, a reused id can stop or start counting
-- elsewhere. _incoming holds the new rows with their partition_date; $days are the days replaced. One query for the
-- run's days, not one for each: each reads every version of the feed.
with ids as (
    select partition_date, provider_code, {record_id} from {raw_table} where list_contains($days::date[], partition_date)
    union
    select partition_date, provider_code, {record_id} from _incoming
)
select distinct ids.partition_date, v.{placed_at}::date as day
from {raw_table} as v
join ids using (provider_code, {record_id})
union
select distinct partition_date, {placed_at}::date as day
from _incoming
