-- purpose: one arrival day's ED 4-hour and 12-hour counts per site and department type
insert into marts.ed_four_hour_daily
with stays as (
    select
        a.site_code,
        a.department_type,
        a.departure_utc is null as is_open,
        -- An open attendance is measured to the cut-off of the extract it came in (brief 3.1).
        date_diff('second', a.arrival_utc, coalesce(a.departure_utc, a.extracted_at_utc)) / 60.0 as minutes
    from raw.ed_attendances_current_on($partition_date) as a  -- placed on its own day, whichever file carried it (brief 7.1)
),
counts as (
    select
        s.site_code,
        s.department_type,
        count(*) as attendances,
        count(*) filter (where not s.is_open and s.minutes <= 240) as within_4h,
        count(*) filter (where s.minutes > 240) as breaches,
        count(*) filter (where s.is_open and s.minutes <= 240) as pending,
        count(*) filter (where s.minutes > 720) as over_12h
    from stays as s
    group by all
)
select
    $partition_date::date as date,
    sites.trust_code,
    c.site_code,
    c.department_type,
    c.attendances,
    c.within_4h,
    c.breaches,
    c.pending,
    c.over_12h,
    100.0 * c.within_4h / nullif(c.within_4h + c.breaches, 0) as pct_within_4h,
    100.0 * c.over_12h / c.attendances as pct_over_12h
from counts as c
join ref.sites as sites using (site_code);
