-- purpose: files loaded or rejected per provider per day for a feed, so a provider with no file shows as 0
select partition_date as date, provider_code as subject, count(*) as files
from (
    select partition_date, provider_code from ops.source_files where feed = $feed and partition_date between $first and $last
    union all
    select partition_date, provider_code from ops.rejected_files where feed = $feed and partition_date between $first and $last
)
group by all
