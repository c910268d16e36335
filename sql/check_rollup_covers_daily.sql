-- purpose: days (or months) the daily mart has in the window that a rollup view has no rows for (should be none); {column} is date or month
select distinct date_trunc('{unit}', d.date)::date as missing
from query_table($daily) as d
where d.date between $first and $last
  and date_trunc('{unit}', d.date)::date not in (
      select distinct {column} from query_table($view) where {column} between date_trunc('{unit}', $first::date) and $last
  )
order by 1
