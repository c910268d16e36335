-- purpose: ambulance conveyances per acute site per day, the series the volume expectation bounds
select date, site_code as subject, sum(arrivals)::double as value
from marts.handover_daily
where source = 'conveyances' and date between $history_start and $last
group by all
