-- purpose: keys ({key} is the mart's grain) that have more than one row in a daily mart (should be none)
select {key}, count(*) as copies
from {table}
where date between $first and $last
group by all
having count(*) > 1
