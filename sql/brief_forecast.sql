-- purpose: the brief's outlook for $day: the chosen model's forecasts of ED attendances and ambulance arrivals (system and sites) made from $day (the next 7 days) and, one day ahead, from each of the 28 days before (to set each day's actual against)
select f.origin, f.target_date, f.horizon, f.series, f.level, f.subject, f.model,
       coalesce(s.site_name, s2.system_name, f.subject) as subject_name,
       f.mean, f.lo_80, f.hi_80, f.lo_95, f.hi_95, f.made_at
from marts.forecast_daily f
left join ref.sites s on f.level = 'site' and s.site_code = f.subject
left join (select distinct system_code, system_name from ref.sites) s2 on f.level = 'system' and s2.system_code = f.subject
where f.chosen
  and f.series in ('ed_arrivals', 'ambulance_arrivals')
  and f.level in ('system', 'site')
  and (f.origin = $day or (f.horizon = 1 and f.target_date between $day - interval 27 day and $day))
order by f.series desc, f.level desc, f.subject, f.origin, f.horizon;
