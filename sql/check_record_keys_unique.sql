-- purpose: record keys ({key} is the feed's key) that appear more than once within one loaded file (should be none)
select partition_date, provider_code, source_file, {key}, count(*) as copies
from {raw_table}
where partition_date between $first and $last
group by all
having count(*) > 1
