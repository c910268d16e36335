-- purpose: each trust's daily share of attendances at type 1 departments, the series the distribution expectation bounds
select date, trust_code as subject,
       -- 0, not null, for a trust with no type 1 department (DCHS's minor injury units): a null value has no bounds.
       100.0 * coalesce(sum(attendances) filter (where department_type = 1), 0) / sum(attendances) as value
from marts.ed_four_hour_daily
where date between $history_start and $last
group by all
having sum(attendances) > 0
