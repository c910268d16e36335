-- purpose: the latest version of each site-day sitrep row (by extract time), which the handover mart reads
create or replace view raw.handover_sitrep_current as
select *
from raw.handover_sitrep
qualify row_number() over (
    partition by site_code, date
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;
