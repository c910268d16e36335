-- purpose: ED 4-hour and 12-hour figures for site, trust, the system's headline trusts and the whole system over day, month to date and financial year to date, beside the dated target
create or replace view marts.ed_four_hour_rollup as
with site_days as (
    -- Each daily row joins every reporting window (day, month to date, year to date) that contains it.
    select p.date, p.period, p.period_start, d.* exclude (date), s.system_code, scope.scope, h.figure_name
    from ref.reporting_periods as p
    join marts.ed_four_hour_daily as d on d.date between p.period_start and p.date
    join ref.sites as s using (site_code)
    -- The trusts whose sites make the system's headline (the board's figure) are reference data.
    left join ref.system_headline as h on h.system_code = s.system_code and h.trust_code = s.trust_code
    cross join (values ('all_types'), ('type_1')) as scope(scope)
    where p.date in (select distinct date from marts.ed_four_hour_daily)
      -- A type unknown (null) counts in all types only: it is not known to be a major ED.
      and (scope.scope = 'all_types' or d.department_type = 1)
),
by_level as (
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
summed as (
    select *, case when level = 'system' then 'all providers' end as coverage from by_level
    union all
    -- The board's system figure: only the headline trusts' sites (the acute trusts, without community MIUs).
    select
        date, period, period_start, scope, 'system_headline' as level, system_code as org_code,
        sum(attendances)::bigint, sum(within_4h)::bigint, sum(breaches)::bigint, sum(pending)::bigint,
        sum(over_12h)::bigint, any_value(figure_name)
    from site_days
    where figure_name is not null
    group by date, period, period_start, scope, system_code
),
org_names as (
    -- Keyed on level as well as code: a site or trust whose code equals another level's would otherwise match twice.
    select distinct 'site' as level, site_code as org_code, site_name as org_name from ref.sites
    union select distinct 'trust', trust_code, trust_name from ref.sites
    union select distinct 'system', system_code, system_name from ref.sites
    union select distinct 'system_headline', system_code, system_name from ref.sites
)
select
    s.date,
    s.period,
    s.period_start,
    s.level,
    s.org_code,
    n.org_name,
    s.scope,
    s.coverage || ', ' || case s.scope when 'all_types' then 'all types' else 'type 1' end as coverage,
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
left join org_names as n using (level, org_code)
-- The standards are set for all department types: a type 1 figure is not judged against them.
left join ref.targets as t
    on t.metric = 'ed_4h_operational' and s.scope = 'all_types'
    and s.date between t.effective_from and coalesce(t.effective_to, date '9999-12-31')
left join ref.targets as c
    on c.metric = 'ed_4h_constitutional' and s.scope = 'all_types'
    and s.date between c.effective_from and coalesce(c.effective_to, date '9999-12-31');

create or replace view marts.ed_four_hour_trust as
select * exclude (level) from marts.ed_four_hour_rollup where level = 'trust';

-- Both system figures, each named by coverage: the board's headline trusts and all providers (as NHS England
-- publishes for an ICB, community minor injury units included).
create or replace view marts.ed_four_hour_system as
select * from marts.ed_four_hour_rollup where level in ('system_headline', 'system');
