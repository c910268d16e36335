-- purpose: rows read, loaded, quarantined, loaded with a value unknown and repeated, and files rejected per feed and provider for one day ($day), for the brief's data-quality strip
with files as (
    select feed, provider_code, sum(rows_read)::bigint as rows_read, sum(rows_loaded)::bigint as rows_loaded,
           sum(rows_quarantined)::bigint as rows_quarantined,
           -- Within rows_loaded: records that count, without one or more values (docs/domain.md §7.2).
           sum(coalesce(rows_with_unknown_values, 0))::bigint as rows_with_unknown_values,
           -- Rows sent twice in one file, counted once (docs/domain.md §7.1): not quarantine.
           sum(coalesce(rows_duplicate, 0))::bigint as rows_duplicate
    from ops.source_files
    where partition_date = $day
    group by all
),
rejected as (
    select feed, provider_code, count(*)::bigint as files_rejected
    from ops.rejected_files
    where partition_date = $day
    group by all
)
select feed, provider_code, coalesce(rows_read, 0) as rows_read, coalesce(rows_loaded, 0) as rows_loaded,
       coalesce(rows_quarantined, 0) as rows_quarantined,
       coalesce(rows_with_unknown_values, 0) as rows_with_unknown_values,
       coalesce(rows_duplicate, 0) as rows_duplicate, coalesce(files_rejected, 0) as files_rejected
from files
full join rejected using (feed, provider_code)
order by feed, provider_code;
