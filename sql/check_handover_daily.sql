-- purpose: daily handover rows whose counts are inconsistent (should be none)
select *
from marts.handover_daily
where date between $first and $last
  and (known + unknown <> arrivals
       or over_15 > known
       or over_30 > over_15
       or coalesce(over_45, over_30) > over_30
       or over_60 > coalesce(over_45, over_30)
       or hours_lost < 0);
