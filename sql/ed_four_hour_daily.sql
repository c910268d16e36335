-- purpose: each arrival day's ED 4-hour and 12-hour counts per site and department type, from attendances or daily aggregates
-- By name: warehouses that gained `source` later hold it as their last column. The days $first..$last in one
-- statement: each row's day comes from its data, so a range gives exactly what each day on its own gives.
insert into marts.ed_four_hour_daily by name
with stays as (
    select
        a.arrival_at::date as date,
        a.site_code,
        a.department_type,
        a.departure_utc is null as is_open,
        -- An open attendance is measured to the cut-off of the extract it came in (docs/domain.md §3.1).
        date_diff('second', a.arrival_utc, coalesce(a.departure_utc, a.extracted_at_utc)) / 60.0 as minutes
    from raw.ed_attendances_current_between($first, $last) as a  -- placed on its own day, whichever file carried it (docs/domain.md §7.1)
),
patient_level as (
    select
        s.date,
        s.site_code,
        s.department_type,
        'patient_level' as source,
        count(*) as attendances,
        count(*) filter (where not s.is_open and s.minutes <= 240) as within_4h,
        count(*) filter (where s.minutes > 240) as breaches,
        count(*) filter (where s.is_open and s.minutes <= 240) as pending,
        count(*) filter (where s.minutes > $over_12h_minutes) as over_12h
    from stays as s
    group by all
),
aggregate as (
    -- A daily aggregate counts closed days: nothing is pending. A site-day that also has attendances is
    -- counted from them alone (patient level wins) and sql/check_ed_four_hour_daily.sql reports the clash.
    -- A zero row adds nothing: attendances would give no row for that site and type either.
    select
        g.date,
        g.site_code,
        g.department_type,
        'aggregate' as source,
        g.attendances,
        g.attendances - g.over_4h as within_4h,
        g.over_4h as breaches,
        0 as pending,
        g.over_12h
    from raw.ed_daily_aggregates_current as g
    where g.date between $first and $last
      and g.attendances > 0
      -- site_code is never null, so this is the per-day `not in` of the site's attendances that day.
      and not exists (select 1 from patient_level as p where p.date = g.date and p.site_code = g.site_code)
),
counts as (
    select * from patient_level
    union all by name
    select * from aggregate
)
select
    c.date,
    sites.trust_code,
    c.site_code,
    c.department_type,
    c.attendances,
    c.within_4h,
    c.breaches,
    c.pending,
    c.over_12h,
    100.0 * c.within_4h / nullif(c.within_4h + c.breaches, 0) as pct_within_4h,
    100.0 * c.over_12h / c.attendances as pct_over_12h,
    c.source
from counts as c
join ref.sites as sites using (site_code);
