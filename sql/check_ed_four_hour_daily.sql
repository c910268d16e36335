-- purpose: daily mart rows whose counts do not add up, and site-days sent both as attendances and as aggregates (should be none)
select date, site_code, department_type, source, 'counts do not add up: attendances = within 4h + breaches + pending, '
    || 'over 12h <= breaches, 0 <= pct_within_4h <= 100' as problem
from marts.ed_four_hour_daily
where date between $first and $last
  and (attendances <> within_4h + breaches + pending
       or over_12h > breaches
       or pct_within_4h not between 0 and 100)
union all
-- The mart counted the attendances and left the aggregate out; which one is right needs the provider.
select m.date, m.site_code, g.department_type, 'aggregate' as source,
    'site ' || m.site_code || ' sent both attendances and a daily aggregate for ' || strftime(m.date, '%Y-%m-%d')
    || ' (aggregate from ' || g.provider_code || ' in ' || g.source_file || '): the attendances are counted, '
    || 'the aggregate is not' as problem
from (select distinct date, site_code from marts.ed_four_hour_daily where source = 'patient_level') as m
join raw.ed_daily_aggregates_current as g on g.date = m.date and g.site_code = m.site_code
where m.date between $first and $last
order by all;
