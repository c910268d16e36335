-- purpose: hub cases per referral source per day, the series the volume expectation bounds
select date, referral_source as subject, sum(cases)::double as value
from marts.cnh_deflection_daily
where date between $history_start and $last
group by all
