-- purpose: the daily series the brief charts, over the trailing window ($first to $day): system 4-hour %, hours lost per acute site, ambulance-stack deflection %
select 'ed_four_hour' as series, 'system' as org_code, 'Derby and Derbyshire system' as org_name, date, pct_within_4h as value,
       target_pct_within_4h as target
from marts.ed_four_hour_rollup
where date between $first and $day and period = 'day' and level = 'system' and scope = 'all_types'
union all
select 'hours_lost', r.org_code, s.site_name, r.date, r.hours_lost, null
from marts.handover_rollup as r
join ref.sites as s on s.site_code = r.org_code
where r.date between $first and $day and r.period = 'day' and r.level = 'site'
union all
select 'deflection', 'ambulance_stack_total', 'Ambulance stack', date, deflection_rate, null
from marts.cnh_deflection_rollup
where date between $first and $day and period = 'day' and referral_source = 'ambulance_stack_total'
order by series, org_code, date;
