-- purpose: the headline figures for one day ($day) that `uec refresh` prints at the end, one set per system
-- A label never goes null with a missing part (no target loaded, no deflection): it would end the printout.
-- Each system figure names its system: with two systems loaded, an unnamed pair of lines cannot be told apart.
with systems as (
    select system_code, any_value(system_name) as system_name from ref.sites group by system_code
)
-- The board's figure (the headline trusts) first, then all providers beside it, each named for what it counts.
select case level when 'system_headline' then 1 else 2 end as ord,
       'System 4-hour performance, ' || coalesce(org_name, org_code) || ', ' || coverage
       || coalesce(' (target ' || round(target_pct_within_4h, 0) || '%'
                   || case when meets_target then ': met' when not meets_target then ': not met' else '' end || ')', '')
           as figure,
       pct_within_4h as value, '%' as unit
from marts.ed_four_hour_rollup
where date = $day and period = 'day' and level in ('system_headline', 'system') and scope = 'all_types'
union all
select 3, 'System attendances over 12 hours, ' || coalesce(org_name, org_code), pct_over_12h, '%'
from marts.ed_four_hour_rollup
where date = $day and period = 'day' and level = 'system' and scope = 'all_types'
union all
select 4, 'Handover hours lost, ' || s.site_name, r.hours_lost, 'h'
from marts.handover_rollup as r join ref.sites as s on s.site_code = r.org_code
where r.date = $day and r.period = 'day' and r.level = 'site'
union all
select 5, 'CNH deflection, ambulance stack' || coalesce(' (' || dispatches_avoided || ' dispatches avoided)', ''),
       deflection_rate, '%'
from marts.cnh_deflection_rollup
where date = $day and period = 'day' and referral_source = 'ambulance_stack_total'
union all
select 6, 'System OPEL level, ' || coalesce(n.system_name, o.system_code)
       || ' (' || coalesce(o.providers_missing, 'none') || ' missing)', o.system_level, ''
from marts.opel_system_daily as o
left join systems as n using (system_code)
where o.date = $day
order by ord, figure;
