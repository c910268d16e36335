-- purpose: the brief's drill-down of type 1 (major A&E) against all department types for one day ($day) and system ($system), for the day, month and year to date
select r.level, r.org_code, coalesce(r.org_name, r.org_code) as org_name, max(case when r.scope = 'all_types' then r.coverage end) as coverage, r.period,
       max(case when r.scope = 'all_types' then r.attendances end) as attendances_all_types,
       max(case when r.scope = 'all_types' then r.pct_within_4h end) as pct_within_4h_all_types,
       max(case when r.scope = 'type_1' then r.attendances end) as attendances_type_1,
       max(case when r.scope = 'type_1' then r.pct_within_4h end) as pct_within_4h_type_1
from marts.ed_four_hour_rollup as r
where r.date = $day
  and ((r.level in ('system_headline', 'system') and r.org_code = $system)
       or (r.level = 'trust' and r.org_code in (select trust_code from ref.sites where system_code = $system)))
group by r.level, r.org_code, r.org_name, r.period
order by case r.level when 'system_headline' then 0 when 'system' then 1 else 2 end, r.org_code, case r.period when 'day' then 1 when 'month_to_date' then 2 else 3 end;
