-- purpose: attendances per ED site per day (all department types), the series the volume expectation bounds
select date, site_code as subject, sum(attendances)::double as value
from marts.ed_four_hour_daily
where date between $history_start and $last
group by all
