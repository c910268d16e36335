-- purpose: each provider expected to declare OPEL, with its first submission time for each day and whether any came by the 11:00 cut-off
with days as (
    select unnest(generate_series($first::date, $last::date, interval 1 day))::date as date
),
submitted as (
    select org_code, date, min(submitted_at) as first_submitted_at, bool_or(submitted_at <= date + interval 11 hour) as by_cutoff
    from raw.opel_submissions
    where date between $first and $last
    group by all
)
select d.date, p.provider_code, p.provider_name, s.first_submitted_at, coalesce(s.by_cutoff, false) as by_cutoff
from days as d
cross join ref.providers as p
left join submitted as s on s.org_code = p.provider_code and s.date = d.date
where p.submits_opel = 'yes'
order by d.date, p.provider_code
