-- purpose: the OPEL rows of the day before the brief's ($day - 1) for one system ($system): each expected provider's declared level, late or missing, beside that day's system level, for the key messages' changes since yesterday
-- No row at all means yesterday's OPEL was never loaded: the messages then say the change cannot be computed.
select o.provider_code, p.provider_name, o.declared_level, o.is_late, o.is_missing, s.system_level
from marts.opel_daily as o
join ref.providers as p using (provider_code)
left join marts.opel_system_daily as s on s.date = o.date and s.system_code = p.system_code
where o.date = $day::date - 1 and p.system_code = $system
order by o.provider_code;
