-- purpose: the daily series the brief charts, over the trailing window ($first to $day) for one system ($system): its 4-hour %, hours lost per acute site, ambulance-stack deflection %
-- One system's values only: a second system's day in the same series would be read as a special cause.
select 'ed_four_hour' as series, org_code, coalesce(org_name, org_code) as org_name, date, pct_within_4h as value,
       target_pct_within_4h as target
from marts.ed_four_hour_rollup
where date between $first and $day and period = 'day' and level = 'system' and scope = 'all_types'
  and org_code = $system
union all
select 'hours_lost', r.org_code, s.site_name, r.date, r.hours_lost, null
from marts.handover_rollup as r
join ref.sites as s on s.site_code = r.org_code
where r.date between $first and $day and r.period = 'day' and r.level = 'site' and s.system_code = $system
union all
-- The hub (CNH/SPoA) serves the home system only: its cases carry no site or system to split by.
select 'deflection', 'ambulance_stack_total', 'Ambulance stack', date, deflection_rate, null
from marts.cnh_deflection_rollup
where date between $first and $day and period = 'day' and referral_source = 'ambulance_stack_total'
order by series, org_code, date;
