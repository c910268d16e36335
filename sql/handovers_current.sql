-- purpose: the latest valid version of each conveyance and of each site-day sitrep row (by extract time)
create or replace view raw.ambulance_handovers_current as
select *
from raw.ambulance_handovers
qualify row_number() over (
    partition by provider_code, incident_id, site_code
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;

create or replace view raw.handover_sitrep_current as
select *
from raw.handover_sitrep
qualify row_number() over (
    partition by site_code, date
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;
