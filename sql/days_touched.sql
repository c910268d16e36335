-- purpose: the local days whose counts may move when one day's files of a record-level feed are replaced (docs/domain.md §7.1)
-- Every version of every record the day's old or incoming rows name: a correction can move a record to another
-- day, a re-send can withdraw it, a reused id can stop or start counting elsewhere. _incoming holds the new rows.
with ids as (
    select provider_code, {record_id} from {raw_table} where partition_date = $partition_date
    union
    select provider_code, {record_id} from _incoming
)
select distinct v.{placed_at}::date as day
from {raw_table} as v
semi join ids using (provider_code, {record_id})
union
select distinct {placed_at}::date as day
from _incoming
