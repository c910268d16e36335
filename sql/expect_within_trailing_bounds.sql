-- purpose: each day's value beside bounds learned from the same subject's trailing $history_days days (the series CTE comes first)
select date, subject, value, history_days, trailing_mean, trailing_sd,
       case when history_days >= $min_history_days
            then trailing_mean - greatest(3 * coalesce(trailing_sd, 0), $min_band * trailing_mean) end as lower_bound,
       case when history_days >= $min_history_days
            then trailing_mean + greatest(3 * coalesce(trailing_sd, 0), $min_band * trailing_mean) end as upper_bound
from (
    select date, subject, value,
           count(value) over past as history_days,
           avg(value) over past as trailing_mean,
           stddev_samp(value) over past as trailing_sd
    from series
    window past as (partition by subject order by date
                        range between to_days($history_days) preceding and interval 1 day preceding)
)
where date between $first and $last
order by date, subject
