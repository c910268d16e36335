-- purpose: the daily series the forecasts are made for, up to and including $last: ED attendances (all types and type 1) per site and for the system $system, ambulance arrivals per site and for the system, and hub cases per referral source
with ed as (
    select d.date, d.site_code, d.department_type, d.attendances
    from marts.ed_four_hour_daily d
    join ref.sites s using (site_code)
    where s.system_code = $system and d.date <= $last
),
arrivals as (
    select d.date, d.site_code, d.arrivals
    from marts.handover_daily d
    join ref.sites s using (site_code)
    where s.system_code = $system and d.date <= $last
)
select 'ed_arrivals' as series, 'site' as level, site_code as subject, date, sum(attendances)::double as value
from ed group by all
union all
select 'ed_arrivals', 'system', $system, date, sum(attendances)::double from ed group by all
union all
select 'ed_type_1_arrivals', 'site', site_code, date, sum(attendances)::double from ed where department_type = 1 group by all
union all
select 'ambulance_arrivals', 'site', site_code, date, sum(arrivals)::double from arrivals group by all
union all
select 'ambulance_arrivals', 'system', $system, date, sum(arrivals)::double from arrivals group by all
union all
select 'hub_cases', 'source', referral_source, date, sum(cases)::double
from marts.cnh_deflection_daily where date <= $last group by all
order by series, level, subject, date;
