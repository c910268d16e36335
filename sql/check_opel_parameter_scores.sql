-- purpose: parameter scores outside levels 1-4 or whose contribution is not level x weight (should be none)
select *
from marts.opel_parameter_scores
where date between $first and $last
  and (level not between 1 and 4 or contribution <> level * weight);
