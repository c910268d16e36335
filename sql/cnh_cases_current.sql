-- purpose: the latest valid version of each hub case (by extract time), which the deflection mart counts
create or replace view raw.cnh_cases_current as
select *
from raw.cnh_cases
qualify row_number() over (
    partition by provider_code, case_id
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;
