-- purpose: the latest valid version of each hub case (by extract time), which the deflection mart counts
-- raw.cnh_cases_current_on(day) gives the same rows for the records one day's files hold: a daily mart ranks
-- only those (their latest version may sit in another day's file), so its cost follows the day, not
-- the whole table. With no day it is the view.
create or replace macro raw.cnh_cases_current_on(day := null) as table
select *
from raw.cnh_cases as r
where day is null
   or exists (select 1 from raw.cnh_cases as d where d.partition_date = day and d.provider_code = r.provider_code and d.case_id = r.case_id)
qualify row_number() over (
    partition by provider_code, case_id
    order by extracted_at_utc desc, source_file desc, source_row desc
) = 1;

create or replace view raw.cnh_cases_current as
select * from raw.cnh_cases_current_on();
