-- purpose: the brief's handover tiles for one day ($day) and system ($system): hours lost, mean handover and handovers over 45 minutes per acute site, and the system, with the site-days whose over 45 count is unknown
select r.level, r.org_code, coalesce(s.site_name, coalesce(r.org_name, r.org_code) || ': all acute sites') as org_name,
       s.trust_code,
       r.arrivals, r.hours_lost, r.mean_minutes, r.over_45, r.over_60, r.pct_over_45, r.site_days_over_45_unknown
from marts.handover_rollup as r
left join ref.sites as s on s.site_code = r.org_code
where r.date = $day and r.period = 'day'
  and ((r.level = 'site' and s.system_code = $system) or (r.level = 'system' and r.org_code = $system))
order by r.level = 'system', r.org_code;
