-- purpose: the brief's headline tile figures for one system ($system) on the day ($day), the day before and the same weekday a week before, to say how each moved
-- The same filters as the tiles' own SQL, so a tile's change is measured on exactly the figure it shows.
with days as (
    select unnest([$day::date, $day::date - 1, $day::date - 7]) as date
)
-- The all-providers system figure is named as its tile is (sql/brief_ed_tiles.sql).
select 'ed_four_hour' as measure, case r.level when 'system' then r.org_code || '-all-providers' else r.org_code end as org_code,
       r.date, r.pct_within_4h as value
from marts.ed_four_hour_rollup as r
where r.date in (select date from days) and r.period = 'day' and r.scope = 'all_types'
  and ((r.level in ('system_headline', 'system') and r.org_code = $system)
       or (r.level = 'trust' and r.org_code in (select trust_code from ref.sites where system_code = $system)))
union all
select 'hours_lost', r.org_code, r.date, r.hours_lost
from marts.handover_rollup as r
left join ref.sites as s on s.site_code = r.org_code
where r.date in (select date from days) and r.period = 'day'
  and ((r.level = 'site' and s.system_code = $system) or (r.level = 'system' and r.org_code = $system))
union all
select 'deflection', 'cnh', date, deflection_rate
from marts.cnh_deflection_rollup
where date in (select date from days) and period = 'day' and referral_source = 'ambulance_stack_total'
order by measure, org_code, date;
