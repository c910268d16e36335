-- purpose: the brief's OPEL tiles for one day ($day) and system ($system): each expected provider's declared and derived level, late or missing, the submitted and computed 4-hour figures, beside the system level
select o.provider_code, p.provider_name, o.role, o.declared_level, o.derived_level, o.is_late, o.is_missing,
       o.submitted_at, o.changed_during_day, o.changed_to_level, o.changed_at,
       o.ed_4h_pct_submitted, o.ed_4h_pct_pipeline,
       s.system_level, s.system_score, s.providers_missing
from marts.opel_daily as o
join ref.providers as p using (provider_code)
left join marts.opel_system_daily as s on s.date = o.date and s.system_code = p.system_code
where o.date = $day and p.system_code = $system
order by o.provider_code;
