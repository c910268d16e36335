-- purpose: ED 4-hour and 12-hour figures for site, trust and system over day, month to date and financial year to date, beside the dated target
create or replace view marts.ed_four_hour_rollup as
with site_days as (
    -- Each daily row joins every reporting window (day, month to date, year to date) that contains it.
    select p.date, p.period, p.period_start, d.* exclude (date), s.system_code, scope.scope
    from ref.reporting_periods as p
    join marts.ed_four_hour_daily as d on d.date between p.period_start and p.date
    join ref.sites as s using (site_code)
    cross join (values ('all_types'), ('type_1')) as scope(scope)
    where p.date in (select distinct date from marts.ed_four_hour_daily)
      and (scope.scope = 'all_types' or d.department_type = 1)
),
summed as (
    -- Sums of numerators over sums of denominators: never an average of percentages.
    select
        date, period, period_start, scope,
        case when grouping(site_code) = 0 then 'site' when grouping(trust_code) = 0 then 'trust' else 'system' end as level,
        coalesce(site_code, trust_code, system_code) as org_code,
        sum(attendances)::bigint as attendances,
        sum(within_4h)::bigint as within_4h,
        sum(breaches)::bigint as breaches,
        sum(pending)::bigint as pending,
        sum(over_12h)::bigint as over_12h
    from site_days
    group by grouping sets (
        (date, period, period_start, scope, system_code, trust_code, site_code),
        (date, period, period_start, scope, system_code, trust_code),
        (date, period, period_start, scope, system_code)
    )
),
org_names as (
    select distinct site_code as org_code, site_name as org_name from ref.sites
    union select distinct trust_code, trust_name from ref.sites
    union select distinct system_code, system_name from ref.sites
)
select
    s.date,
    s.period,
    s.period_start,
    s.level,
    s.org_code,
    n.org_name,
    s.scope,
    s.attendances,
    s.within_4h,
    s.breaches,
    s.pending,
    s.over_12h,
    100.0 * s.within_4h / nullif(s.within_4h + s.breaches, 0) as pct_within_4h,
    100.0 * s.over_12h / nullif(s.attendances, 0) as pct_over_12h,
    t.value_pct as target_pct_within_4h,
    100.0 * s.within_4h / nullif(s.within_4h + s.breaches, 0) >= t.value_pct as meets_target,
    c.value_pct as constitutional_pct_within_4h
from summed as s
left join org_names as n using (org_code)
left join ref.targets as t
    on t.metric = 'ed_4h_operational' and s.date between t.effective_from and coalesce(t.effective_to, date '9999-12-31')
left join ref.targets as c
    on c.metric = 'ed_4h_constitutional' and s.date between c.effective_from and coalesce(c.effective_to, date '9999-12-31');

create or replace view marts.ed_four_hour_trust as
select * exclude (level) from marts.ed_four_hour_rollup where level = 'trust';

create or replace view marts.ed_four_hour_system as
select * exclude (level) from marts.ed_four_hour_rollup where level = 'system';
