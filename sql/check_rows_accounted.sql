-- purpose: files whose rows read differ from rows in the warehouse plus rows quarantined (should be none)
with loaded as (
    select source_sha256 as sha256, source_file as file_name, count(*) as n
    from {raw_table}
    where partition_date between $first and $last
    group by all
),
quarantined as (
    select sha256, file_name, count(distinct source_row) as n
    from ops.quarantine
    where feed = $feed and partition_date between $first and $last
    group by all
)
select f.partition_date, f.provider_code, f.file_name, f.rows_read,
       coalesce(l.n, 0) as rows_in_warehouse, coalesce(q.n, 0) as rows_in_quarantine
from ops.source_files as f
left join loaded as l using (sha256, file_name)
left join quarantined as q using (sha256, file_name)
where f.feed = $feed and f.partition_date between $first and $last
  and f.rows_read <> coalesce(l.n, 0) + coalesce(q.n, 0);
