-- purpose: the daily series the brief charts, over the trailing window ($first to $day) for one system ($system): its headline 4-hour and 12-hour % (the board's trusts), hours lost and handovers over 45 minutes per acute site, ambulance-stack deflection %
-- The system's headline figure where ref.system_headline lists its trusts, else all its providers (never both).
-- One system's values only: a second system's day in the same series would be read as a special cause.
select 'ed_four_hour' as series, org_code, coalesce(org_name, org_code) as org_name, date, pct_within_4h as value,
       target_pct_within_4h as target
from marts.ed_four_hour_rollup
where date between $first and $day and period = 'day' and scope = 'all_types' and org_code = $system
  and level = (select case when count(*) > 0 then 'system_headline' else 'system' end
               from ref.system_headline where system_code = $system)
union all
select 'ed_twelve_hour', r.org_code, coalesce(r.org_name, r.org_code), r.date, r.pct_over_12h, t.value_pct
from marts.ed_four_hour_rollup as r
left join ref.targets as t
    on t.metric = 'ed_12h_from_arrival'
    and r.date between t.effective_from and coalesce(t.effective_to, date '9999-12-31')
where r.date between $first and $day and r.period = 'day' and r.scope = 'all_types' and r.org_code = $system
  and r.level = (select case when count(*) > 0 then 'system_headline' else 'system' end
                 from ref.system_headline where system_code = $system)
union all
select 'hours_lost', r.org_code, s.site_name, r.date, r.hours_lost, null
from marts.handover_rollup as r
join ref.sites as s on s.site_code = r.org_code
where r.date between $first and $day and r.period = 'day' and r.level = 'site' and s.system_code = $system
union all
-- The standard is no handover over 45 minutes (0%): as a count, a target of 0 from the day it took effect.
select 'handovers_over_45', r.org_code, s.site_name, r.date, r.over_45,
       case when r.standard_pct_over_45 is not null then 0 end
from marts.handover_rollup as r
join ref.sites as s on s.site_code = r.org_code
where r.date between $first and $day and r.period = 'day' and r.level = 'site' and s.system_code = $system
union all
-- The hub (CNH/SPoA) serves the home system only: its cases carry no site or system to split by.
select 'deflection', 'ambulance_stack_total', 'Ambulance stack', date, deflection_rate, null
from marts.cnh_deflection_rollup
where date between $first and $day and period = 'day' and referral_source = 'ambulance_stack_total'
order by series, org_code, date;
