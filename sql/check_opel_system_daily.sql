-- purpose: system OPEL rows with an impossible level or count (should be none)
select *
from marts.opel_system_daily
where date between $first and $last
  and (providers_declared > providers_expected
       or (system_level is not null and system_level not between 1 and 4)
       or (system_score is not null and system_score not between 1 and 4));
