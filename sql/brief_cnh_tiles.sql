-- purpose: the brief's CNH/SPoA tiles for one day ($day): deflection of the ambulance stack, dispatches avoided and mean response
select referral_source, cases, dispatched, dispatches_avoided, deflection_rate, responded,
       mean_response_minutes, pct_within_30_min
from marts.cnh_deflection_rollup
where date = $day and period = 'day' and referral_source in ('ambulance_stack_total', 'other_sources_total')
order by referral_source;
