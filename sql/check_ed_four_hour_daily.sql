-- purpose: daily mart rows whose counts do not add up (should be none)
select *
from marts.ed_four_hour_daily
where date between $first and $last
  and (attendances <> within_4h + breaches + pending
       or over_12h > breaches
       or pct_within_4h not between 0 and 100);
