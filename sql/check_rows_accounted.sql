-- purpose: files whose rows read differ from rows in the warehouse plus rows quarantined plus repeated rows (should be none)
with loaded as (
    select source_sha256 as sha256, source_file as file_name, count(*) as n
    from {raw_table}
    where partition_date between $first and $last
    group by all
),
-- A row loaded with a value set to unknown is in the warehouse: only whole records count here.
quarantined as (
    select sha256, file_name, count(distinct source_row) as n
    from ops.quarantine
    where feed = $feed and partition_date between $first and $last and action = 'record quarantined'
    group by all
),
repeated as (
    select sha256, file_name, count(*) as n
    from ops.duplicate_rows
    where feed = $feed and partition_date between $first and $last
    group by all
)
select f.partition_date, f.provider_code, f.file_name, f.rows_read,
       coalesce(l.n, 0) as rows_in_warehouse, coalesce(q.n, 0) as rows_in_quarantine,
       coalesce(d.n, 0) as rows_repeated
from ops.source_files as f
left join loaded as l using (sha256, file_name)
left join quarantined as q using (sha256, file_name)
left join repeated as d using (sha256, file_name)
where f.feed = $feed and f.partition_date between $first and $last
  and f.rows_read <> coalesce(l.n, 0) + coalesce(q.n, 0) + coalesce(d.n, 0);
