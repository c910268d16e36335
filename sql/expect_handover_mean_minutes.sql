-- purpose: mean arrival-to-handover minutes per acute site per day, the series the distribution expectation bounds
select date, site_code as subject, mean_minutes as value
from marts.handover_daily
where source = 'conveyances' and mean_minutes is not null and date between $history_start and $last
