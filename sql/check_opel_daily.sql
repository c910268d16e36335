-- purpose: OPEL days whose flags contradict each other (should be none)
select *
from marts.opel_daily
where date between $first and $last
  and ((declared_level is null) <> (submissions = 0)
       or (is_late and not is_missing)
       or (submissions = 0 and not is_missing)
       or (derived_level is not null and derived_level not between 1 and 4));
