-- purpose: the brief's drill-down of the CNH/SPoA hub for one day ($day): cases, dispatches and outcomes by referral source
select referral_source, is_ambulance_stack, cases, dispatched, dispatches_avoided, deflection_rate,
       mean_response_minutes, pct_within_30_min, to_own_gp, to_utc_pcc, home_self_care, to_ed, community_pathway
from marts.cnh_deflection_daily
where date = $day
order by is_ambulance_stack desc, cases desc, referral_source;
