-- purpose: daily mart rows whose counts do not add up (should be none), and site-days sent both as attendances and as aggregates (a warning: the rollups still run)
-- warn_only: a row that is a warning, not an error, so the rollups downstream still build.
select date, site_code, department_type, source, 'counts do not add up: attendances = within 4h + breaches + pending, '
    || 'over 12h <= breaches, 0 <= pct_within_4h <= 100' as problem, false as warn_only
from marts.ed_four_hour_daily
where date between $first and $last
  and (attendances <> within_4h + breaches + pending
       or over_12h > breaches
       or pct_within_4h not between 0 and 100)
union all
-- The mart counted the attendances and left the aggregate out (patient level wins); which one is right needs the
-- provider, so the site, day and both files are named.
select m.date, m.site_code, g.department_type, 'aggregate' as source,
    'site ' || m.site_code || ' sent both attendances and a daily aggregate for ' || strftime(m.date, '%Y-%m-%d')
    || ' (attendances in ' || (
        select string_agg(distinct a.source_file, ', ' order by a.source_file)
        from raw.ed_attendances_current_on(m.date) as a
        where a.site_code = m.site_code
    ) || '; aggregate from ' || g.provider_code || ' in ' || g.source_file || '): the attendances are counted, '
    || 'the aggregate is not' as problem,
    true as warn_only
from (select distinct date, site_code from marts.ed_four_hour_daily where source = 'patient_level') as m
join raw.ed_daily_aggregates_current as g on g.date = m.date and g.site_code = m.site_code
where m.date between $first and $last
order by all;
