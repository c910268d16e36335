-- purpose: NHS England's daily ambulance collection per trust and per system's trusts over day, month to date and financial year to date, each figure over the trust-days where it is known, with how many carry an unknown value
create or replace view marts.ambulance_collection_rollup as
with trusts as (
    select distinct trust_code, trust_name, system_code from ref.sites
),
trust_days as (
    select
        p.date, p.period, p.period_start, c.org_code as trust_code, coalesce(c.org_name, t.trust_name) as trust_name,
        t.system_code, c.all_handovers, c.known, c.unknown, c.over_15, c.over_30, c.over_45, c.over_60,
        c.total_hours,
        -- A value not published, or set to unknown (a band out of nesting with its neighbour, docs/domain.md §7.2).
        (c.all_handovers is null or c.known is null or c.unknown is null or c.over_15 is null or c.over_30 is null
            or c.over_45 is null or c.over_60 is null or c.total_hours is null) as has_unknown
    from ref.reporting_periods as p
    join national.ambulance_collection as c on c.date between p.period_start and p.date
    left join trusts as t on t.trust_code = c.org_code
    where c.org_level = 'trust'
      and p.date in (select distinct date from national.ambulance_collection where org_level = 'trust')
),
summed as (
    select
        date, period, period_start,
        case when grouping(trust_code) = 0 then 'trust' else 'system' end as level,
        coalesce(trust_code, system_code) as org_code,
        max(trust_name) as trust_name,
        count(*) as trust_days,
        count(*) filter (where has_unknown) as trust_days_with_unknown_values,
        -- Each figure over the trust-days where it is known; a band's share over those days' known handovers only
        -- (over all known it would understate the band).
        sum(all_handovers)::bigint as arrivals,
        sum(known)::bigint as known,
        sum(unknown)::bigint as unknown,
        sum(over_15)::bigint as over_15,
        sum(over_30)::bigint as over_30,
        sum(over_45)::bigint as over_45,
        sum(over_60)::bigint as over_60,
        sum(over_15) filter (where known is not null) as shared_15,
        sum(over_30) filter (where known is not null) as shared_30,
        sum(over_45) filter (where known is not null) as shared_45,
        sum(over_60) filter (where known is not null) as shared_60,
        sum(known) filter (where over_15 is not null) as known_15,
        sum(known) filter (where over_30 is not null) as known_30,
        sum(known) filter (where over_45 is not null) as known_45,
        sum(known) filter (where over_60 is not null) as known_60,
        -- Summed as decimals, which add exactly: a sum of doubles depends on the order the scan delivers days.
        sum(total_hours::decimal(38, 18))::double as total_hours,
        sum(total_hours::decimal(38, 18)) filter (where known is not null)::double as timed_hours,
        sum(known) filter (where total_hours is not null) as known_timed
    from trust_days
    group by grouping sets (
        (date, period, period_start, system_code, trust_code),
        (date, period, period_start, system_code)
    )
)
select
    s.date, s.period, s.period_start, s.level, s.org_code,
    case when s.level = 'trust' then s.trust_name else n.system_name end as org_name,
    s.trust_days, s.trust_days_with_unknown_values,
    s.arrivals, s.known, s.unknown, s.over_15, s.over_30, s.over_45, s.over_60,
    100.0 * s.shared_15 / nullif(s.known_15, 0) as pct_over_15,
    100.0 * s.shared_30 / nullif(s.known_30, 0) as pct_over_30,
    100.0 * s.shared_45 / nullif(s.known_45, 0) as pct_over_45,
    100.0 * s.shared_60 / nullif(s.known_60, 0) as pct_over_60,
    s.total_hours,
    60.0 * s.timed_hours / nullif(s.known_timed, 0) as mean_minutes
from summed as s
left join (select distinct system_code, system_name from ref.sites) as n on s.level = 'system' and n.system_code = s.org_code
-- A trust no system in ref.sites lists (a peer) has its own rows but no system row.
where s.org_code is not null;
