-- purpose: the latest file's counts for each site, day and department type, which the ED 4-hour mart reads
-- A later file for a site-day replaces that site-day's rows as a whole: a type it no longer lists is gone.
create or replace view raw.ed_daily_aggregates_current as
select *
from raw.ed_daily_aggregates
qualify dense_rank() over (
    partition by site_code, date
    order by extracted_at_utc desc, source_file desc
) = 1;
