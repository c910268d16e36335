-- purpose: the brief's ED tiles for one day ($day) and system ($system): the system's two figures (the board's headline trusts, then all providers) and its trusts' 4-hour and 12-hour figures for the day, month and year to date, with the counts behind them (pending included), beside the targets in force
-- tile: what names the tile on the page; the all-providers figure shares the system's code, so it gets a suffix.
select r.level, r.org_code, case r.level when 'system' then r.org_code || '-all-providers' else r.org_code end as tile,
       coalesce(r.org_name, r.org_code) as org_name, r.coverage, r.period,
       r.attendances, r.within_4h, r.breaches, r.pending, r.pct_within_4h, r.target_pct_within_4h, r.meets_target,
       r.over_12h, r.pct_over_12h, t.value_pct as target_pct_over_12h
from marts.ed_four_hour_rollup as r
left join ref.targets as t
    on t.metric = 'ed_12h_from_arrival' and $day between t.effective_from and coalesce(t.effective_to, date '9999-12-31')
where r.date = $day and r.scope = 'all_types'
  and ((r.level in ('system_headline', 'system') and r.org_code = $system)
       or (r.level = 'trust' and r.org_code in (select trust_code from ref.sites where system_code = $system)))
order by case r.level when 'system_headline' then 0 when 'system' then 1 else 2 end, r.org_code, case r.period when 'day' then 1 when 'month_to_date' then 2 else 3 end;
