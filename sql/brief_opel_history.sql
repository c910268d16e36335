-- purpose: the brief's drill-down of each provider's OPEL over the 7 days to $day for one system ($system): declared and derived level, late or missing
select o.date, o.provider_code, p.provider_name, o.declared_level, o.derived_level, o.is_late, o.is_missing
from marts.opel_daily as o
join ref.providers as p using (provider_code)
where o.date between $day::date - 6 and $day and p.system_code = $system
order by o.provider_code, o.date;
