-- purpose: the latest valid version of each conveyance and of each site-day sitrep row (by extract time)
-- raw.ambulance_handovers_current_on(day) gives the same rows for the conveyances one day's files hold: a
-- daily mart ranks only those, so its cost follows the day, not the whole table. With no day it is the view.
create or replace macro raw.ambulance_handovers_current_on(day := null) as table
select *
from raw.ambulance_handovers as r
where day is null
   or exists (select 1 from raw.ambulance_handovers as d
              where d.partition_date = day and d.provider_code = r.provider_code and d.incident_id = r.incident_id
                and d.site_code = r.site_code)
qualify row_number() over (
    partition by provider_code, incident_id, site_code
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;

create or replace view raw.ambulance_handovers_current as
select * from raw.ambulance_handovers_current_on();

create or replace view raw.handover_sitrep_current as
select *
from raw.handover_sitrep
qualify row_number() over (
    partition by site_code, date
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;
