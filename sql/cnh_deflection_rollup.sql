-- purpose: CNH / SPoA activity and deflection per referral source (and ambulance-stack total) over day, month to date, year to date and by month
create or replace view marts.cnh_deflection_rollup as
with source_days as (
    select p.date, p.period, p.period_start, d.* exclude (date)
    from ref.reporting_periods as p
    join marts.cnh_deflection_daily as d on d.date between p.period_start and p.date
    where p.date in (select distinct date from marts.cnh_deflection_daily)
),
summed as (
    select
        date, period, period_start,
        coalesce(referral_source, case when is_ambulance_stack then 'ambulance_stack_total' else 'other_sources_total' end) as referral_source,
        is_ambulance_stack,
        sum(cases)::bigint as cases,
        sum(dispatched)::bigint as dispatched,
        sum(returned_to_stack)::bigint as returned_to_stack,
        sum(dispatches_avoided)::bigint as dispatches_avoided,
        sum(responded)::bigint as responded,
        -- Summed as decimals, which add exactly: a sum of doubles changes in its last digits with the
        -- order a parallel scan delivers days, so the same warehouse gave two answers. 18 places keep a
        -- day's value to about its last digit (9 cut up to 1e-9 from each, and a sorted sum cost 3.5x).
        sum(total_response_minutes::decimal(38, 18))::double as total_response_minutes,
        sum(within_30_min)::bigint as within_30_min,
        sum(automated)::bigint as automated,
        sum(call_before_convey)::bigint as call_before_convey,
        sum(to_own_gp)::bigint as to_own_gp,
        sum(to_utc_pcc)::bigint as to_utc_pcc,
        sum(home_self_care)::bigint as home_self_care,
        sum(to_ed)::bigint as to_ed,
        sum(community_pathway)::bigint as community_pathway,
        sum(avoided_hospital)::bigint as avoided_hospital,
        -- The HCP cases alone: avoided_hospital is an HCP measure, so a total over other sources too divides by them.
        sum(cases) filter (where avoided_hospital is not null)::bigint as hcp_cases
    from source_days
    group by grouping sets (
        (date, period, period_start, is_ambulance_stack, referral_source),
        (date, period, period_start, is_ambulance_stack)
    )
)
select
    * exclude (total_response_minutes, hcp_cases),
    case when is_ambulance_stack then 100.0 * dispatches_avoided / cases end as deflection_rate,
    total_response_minutes / nullif(responded, 0) as mean_response_minutes,
    100.0 * within_30_min / nullif(responded, 0) as pct_within_30_min,
    100.0 * automated / cases as pct_automated,
    100.0 * to_own_gp / cases as pct_own_gp,
    100.0 * to_utc_pcc / cases as pct_utc_pcc,
    100.0 * home_self_care / cases as pct_home_self_care,
    100.0 * to_ed / cases as pct_ed,
    100.0 * community_pathway / cases as pct_community_pathway,
    100.0 * avoided_hospital / nullif(hcp_cases, 0) as pct_avoided_hospital
from summed;

-- Each calendar month to its latest loaded day: the figures a monthly report quotes.
create or replace view marts.cnh_deflection_monthly as
select date_trunc('month', date)::date as month, date as through_date, * exclude (date, period, period_start)
from marts.cnh_deflection_rollup
where period = 'month_to_date'
qualify date = max(date) over (partition by date_trunc('month', date));
