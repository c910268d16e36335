-- purpose: the brief's drill-down of OPEL for one day ($day) and system ($system): each provider's parameter values, the level each scores and its weighted contribution
select o.provider_code, p.provider_name, o.parameter, o.value, o.level, o.weight, o.contribution, c.direction,
       c.bound_1, c.bound_2, c.bound_3
from marts.opel_parameter_scores as o
join ref.providers as p using (provider_code)
left join ref.opel_parameters as c using (parameter)
where o.date = $day and p.system_code = $system
order by o.provider_code, o.parameter;
