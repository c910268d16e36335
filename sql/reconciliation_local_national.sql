-- purpose: marts.reconciliation_local_national: each trust-month in both the local ED mart and NHS England's monthly A&E return, and each trust-day in both the local handover mart and the daily ambulance collection or winter sitrep, local beside national per measure, with the difference and whether it is within ref.reconciliation_tolerances
create or replace view marts.reconciliation_local_national as
with ed_local as (
    select trust_code, date_trunc('month', date)::date as period, count(distinct date) as local_days,
           sum(attendances) as attendances, sum(breaches) as breaches,
           sum(attendances) filter (where department_type = 1) as type_1_attendances,
           sum(breaches) filter (where department_type = 1) as type_1_breaches
    from marts.ed_four_hour_daily
    group by all
),
ed_national as (
    -- A department type whose count is unknown makes the all-types figure unknown, not a smaller sum.
    select org_code as trust_code, period,
           case when count(attendances) = count(*) then sum(attendances) end as attendances,
           case when count(breaches) = count(*) then sum(breaches) end as breaches,
           any_value(attendances) filter (where department_type = '1') as type_1_attendances,
           any_value(breaches) filter (where department_type = '1') as type_1_breaches
    from national.ae_monthly
    where org_level = 'trust'
    group by all
),
handover_local as (
    select trust_code, date as period, sum(arrivals) as arrivals, sum(over_30) as over_30, sum(over_60) as over_60
    from marts.handover_daily
    group by all
),
pairs as (
    select 'ae_monthly' as publication, trust_code, 'month' as period_type, period, l.local_days,
           day(last_day(period)) as days_in_period,
           unnest([
               {measure: 'attendances', local: l.attendances, national: n.attendances},
               {measure: 'breaches', local: l.breaches, national: n.breaches},
               {measure: 'type_1_attendances', local: l.type_1_attendances, national: n.type_1_attendances},
               {measure: 'type_1_breaches', local: l.type_1_breaches, national: n.type_1_breaches}
           ], recursive := true)
    from ed_local as l
    join ed_national as n using (trust_code, period)
    union all by name
    select 'ambulance_collection' as publication, l.trust_code, 'day' as period_type, l.period, 1 as local_days,
           1 as days_in_period,
           unnest([
               {measure: 'arrivals', local: l.arrivals, national: n.all_handovers},
               {measure: 'over_30', local: l.over_30, national: n.over_30},
               {measure: 'over_60', local: l.over_60, national: n.over_60}
           ], recursive := true)
    from handover_local as l
    join national.ambulance_collection as n on n.org_level = 'trust' and n.org_code = l.trust_code and n.date = l.period
    union all by name
    -- The sitrep counts arrivals delayed 30 to 60 and over 60 minutes: together, the local over 30.
    select 'winter_sitrep' as publication, l.trust_code, 'day' as period_type, l.period, 1 as local_days,
           1 as days_in_period,
           unnest([
               {measure: 'over_30', local: l.over_30, national: n.handover_delays_30_60 + n.handover_delays_over_60},
               {measure: 'over_60', local: l.over_60, national: n.handover_delays_over_60}
           ], recursive := true)
    from handover_local as l
    join national.winter_sitrep as n on n.org_level = 'trust' and n.org_code = l.trust_code and n.date = l.period
),
judged as (
    select p.*, t.absolute as tolerance_absolute, t.percent as tolerance_pct,
           p.local_days = p.days_in_period as complete,
           case when p.national <> 0 then 100.0 * (p.local - p.national) / p.national end as pct
    from pairs as p
    left join ref.reconciliation_tolerances as t using (publication, measure)
    -- Compared only where both sides have the measure (type 1 only where both count type 1 departments).
    where p.local is not null and p.national is not null
)
select publication, trust_code, trusts.trust_name, period_type, period, measure,
       if(complete, 'compared', 'local month incomplete') as status,
       local_days, days_in_period::bigint as days_in_period, local::bigint as local, national::bigint as national,
       if(complete, local - national, null)::bigint as difference,
       if(complete, pct, null) as difference_pct,
       tolerance_absolute, tolerance_pct,
       -- Beyond tolerance only when beyond both the count and the %: a small count moves a long way in % on one
       -- record, a large one a long way in count on a negligible share. No tolerance configured: none allowed.
       if(
           complete,
           abs(local - national) <= coalesce(tolerance_absolute, 0)
               or coalesce(abs(pct) <= coalesce(tolerance_pct, 0), false),
           null
       ) as within
from judged
left join (select trust_code, any_value(trust_name) as trust_name from ref.sites group by all) as trusts
    using (trust_code);
