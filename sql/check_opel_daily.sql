-- purpose: OPEL days whose flags contradict each other (should be none)
select *
from marts.opel_daily
where date between $first and $last
  and ((declared_level is null) <> (submissions = 0)
       or (is_late and not is_missing)
       or (submissions = 0 and not is_missing)
       or (changed_during_day <> (changed_to_level is not null))
       or (changed_during_day and (is_late or changed_to_level = declared_level))
       or (derived_level is not null and derived_level not between 1 and 4));
