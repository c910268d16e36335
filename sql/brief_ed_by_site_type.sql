-- purpose: the brief's drill-down of A&E for one day ($day) and system ($system): each site and department type's attendances, 4-hour and 12-hour figures
select s.trust_code, s.site_code, s.site_name, d.department_type, d.source, d.attendances, d.within_4h, d.breaches,
       d.pending, d.pct_within_4h, d.over_12h, d.pct_over_12h
from marts.ed_four_hour_daily as d
join ref.sites as s using (site_code)
where d.date = $day and s.system_code = $system
order by s.trust_code, s.site_code, d.department_type;
