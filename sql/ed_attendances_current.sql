-- purpose: the latest valid version of each attendance (by extract time), which the marts count
create or replace view raw.ed_attendances_current as
select *
from raw.ed_attendances
qualify row_number() over (
    partition by provider_code, record_id
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;
