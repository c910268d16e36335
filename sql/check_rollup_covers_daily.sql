-- purpose: days (or months) the daily mart has in the window that a rollup view has no rows for (should be none); {column} is date or month, $unit day or month
select distinct date_trunc($unit, d.date)::date as missing
from {daily} as d
where d.date between $first and $last
  and date_trunc($unit, d.date)::date not in (
      select distinct {column} from {view} where {column} between date_trunc($unit, $first::date) and $last
  )
order by 1
