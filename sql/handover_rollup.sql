-- purpose: ambulance handover figures for site, trust and system over day, month to date and financial year to date, against the standards
create or replace view marts.handover_rollup as
with site_days as (
    select p.date, p.period, p.period_start, d.date as day, d.* exclude (date), s.system_code,
        -- A sitrep band out of nesting is unknown (docs/domain.md §7.2), as is an over 45 the sitrep does not give.
        (d.over_15 is null or d.over_30 is null or d.over_45 is null or d.over_60 is null) as band_unknown
    from ref.reporting_periods as p
    join marts.handover_daily as d on d.date between p.period_start and p.date
    join ref.sites as s using (site_code)
    where p.date in (select distinct date from marts.handover_daily)
),
summed as (
    select
        date, period, period_start,
        case when grouping(site_code) = 0 then 'site' when grouping(trust_code) = 0 then 'trust' else 'system' end as level,
        coalesce(site_code, trust_code, system_code) as org_code,
        string_agg(distinct source, '+' order by source) as sources,
        sum(arrivals)::bigint as arrivals,
        sum(known)::bigint as known,
        sum(unknown)::bigint as unknown,
        -- Each band over the site-days where it is known, read against those days' known handovers (a band's
        -- share over all known would understate it); how many site-days and trust-days lack a band is said beside.
        sum(over_15)::bigint as over_15,
        sum(over_30)::bigint as over_30,
        sum(over_45)::bigint as over_45,
        sum(over_60)::bigint as over_60,
        sum(known) filter (where over_15 is not null)::bigint as known_15,
        sum(known) filter (where over_30 is not null)::bigint as known_30,
        sum(known) filter (where over_45 is not null)::bigint as known_45,
        sum(known) filter (where over_60 is not null)::bigint as known_60,
        count(*) filter (where band_unknown) as site_days_with_unknown_values,
        count(distinct (trust_code, day)) filter (where band_unknown) as trust_days_with_unknown_values,
        count(*) filter (where over_45 is null) as site_days_over_45_unknown,
        -- Where any site-day cannot supply a figure (a sitrep has no hours lost), a sum would
        -- understate it: the rollup shows null instead.
        -- Summed as decimals, which add exactly: a sum of doubles changes in its last digits with the
        -- order a parallel scan delivers days, so the same warehouse gave two answers. 18 places keep a
        -- day's value to about its last digit (9 cut up to 1e-9 from each, and a sorted sum cost 3.5x).
        -- A site-day with no known handover adds nothing to these (its mart figure is null for want of a time,
        -- not for want of a column); only a site-day with known handovers and no figure makes the sum null.
        case when count(*) filter (where total_minutes is null and known > 0) = 0
            then coalesce(sum(total_minutes::decimal(38, 18)), 0)::double end as total_minutes,
        case when count(*) filter (where hours_lost is null and known > 0) = 0
            then coalesce(sum(hours_lost::decimal(38, 18)), 0)::double end as hours_lost,
        case when count(*) filter (where hours_lost_over_60 is null and known > 0) = 0
            then coalesce(sum(hours_lost_over_60::decimal(38, 18)), 0)::double end as hours_lost_over_60
    from site_days
    group by grouping sets (
        (date, period, period_start, system_code, trust_code, site_code),
        (date, period, period_start, system_code, trust_code),
        (date, period, period_start, system_code)
    )
),
standards as (
    select
        d.date,
        max(t.value_pct) filter (where t.metric = 'handover_within_15') as standard_pct_within_15,
        max(t.value_pct) filter (where t.metric = 'handover_within_30') as standard_pct_within_30,
        max(t.value_pct) filter (where t.metric = 'handover_within_60') as standard_pct_within_60,
        max(t.value_pct) filter (where t.metric = 'handover_over_45') as standard_pct_over_45
    from (select distinct date from summed) as d
    join ref.targets as t on d.date between t.effective_from and coalesce(t.effective_to, date '9999-12-31')
    group by d.date
),
org_names as (
    -- The system's name as well as its code: with more than one system loaded, a code alone is easy to misread.
    -- Keyed on level as well as code: a site or trust whose code equals another level's would otherwise match twice.
    select distinct 'site' as level, site_code as org_code, site_name as org_name from ref.sites
    union select distinct 'trust', trust_code, trust_name from ref.sites
    union select distinct 'system', system_code, system_name from ref.sites
)
select
    s.date, s.period, s.period_start, s.level, s.org_code, n.org_name, s.sources,
    s.arrivals, s.known, s.unknown, s.over_15, s.over_30, s.over_45, s.over_60,
    s.site_days_with_unknown_values, s.trust_days_with_unknown_values, s.site_days_over_45_unknown,
    100.0 * s.unknown / nullif(s.arrivals, 0) as pct_unknown,
    100.0 * (s.known_15 - s.over_15) / nullif(s.known_15, 0) as pct_within_15,
    100.0 * (s.known_30 - s.over_30) / nullif(s.known_30, 0) as pct_within_30,
    100.0 * (s.known_60 - s.over_60) / nullif(s.known_60, 0) as pct_within_60,
    100.0 * s.over_45 / nullif(s.known_45, 0) as pct_over_45,
    s.hours_lost,
    s.hours_lost_over_60,
    s.total_minutes / nullif(s.known, 0) as mean_minutes,
    t.standard_pct_within_15,
    t.standard_pct_within_30,
    t.standard_pct_within_60,
    t.standard_pct_over_45,
    100.0 * (s.known_15 - s.over_15) / nullif(s.known_15, 0) >= t.standard_pct_within_15
        and 100.0 * (s.known_30 - s.over_30) / nullif(s.known_30, 0) >= t.standard_pct_within_30
        and 100.0 * (s.known_60 - s.over_60) / nullif(s.known_60, 0) >= t.standard_pct_within_60
        as meets_contract_standards,
    -- Judged only while the 45-minute standard is in force (from 29 January 2025): before it there is no verdict.
    -- "None over 45" needs every site-day's count: one over 45 anywhere is a breach, but a day that cannot say
    -- leaves "none" unproven.
    case when t.standard_pct_over_45 is not null then
        case when s.over_45 > 0 then false when s.site_days_over_45_unknown = 0 then true end
    end as no_handover_over_45
from summed as s
left join org_names as n using (level, org_code)
left join standards as t using (date);

create or replace view marts.handover_trust as
select * exclude (level) from marts.handover_rollup where level = 'trust';

create or replace view marts.handover_system as
select * exclude (level) from marts.handover_rollup where level = 'system';
