-- purpose: the reconciliation of local feeds with NHS England's returns for the brief's quality strip and the local_and_national_returns_agree check: every trust-day from $first to $day and trust-month starting in that window's months, each measure with its local and national figures and whether it is within tolerance
select publication, trust_code, period_type, period, measure, status, local_days, days_in_period, local, national,
       difference, difference_pct, tolerance_absolute, tolerance_pct, within
from marts.reconciliation_local_national
where case period_type
    when 'day' then period between $first and $day
    else period between date_trunc('month', $first::date) and $day
end
order by period_type desc, trust_code, period, publication, measure;
