-- purpose: for every calendar date, the day, month-to-date and financial-year-to-date windows that end on it
create or replace view ref.reporting_periods as
select
    d.date,
    p.period,
    case p.period
        when 'day' then d.date
        when 'month_to_date' then date_trunc('month', d.date)::date
        -- The NHS financial year starts on 1 April.
        else make_date(year(d.date) - (month(d.date) < 4)::int, 4, 1)
    end as period_start
from (select unnest(generate_series(date '2015-04-01', date '2040-03-31', interval 1 day))::date as date) as d
cross join (values ('day'), ('month_to_date'), ('year_to_date')) as p(period);
