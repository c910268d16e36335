-- purpose: each arrival day's ambulance handover figures per site, from conveyances or, where a site has none, its sitrep counts
-- The days $first..$last in one statement: each row's day comes from its data, so a range gives exactly what each
-- day on its own gives.
insert into marts.handover_daily
with conveyances as (
    select
        arrival_at::date as date,
        site_code,
        -- Sums and means are taken over whole seconds and divided once: a sum of doubles depends on the
        -- order a parallel scan delivers rows, and a day's figures must not.
        date_diff('second', arrival_utc, handover_utc) as handover_seconds,
        handover_seconds / 60.0 as handover_minutes,
        date_diff('second', arrival_utc, clear_utc) as turnaround_seconds,
        date_diff('second', handover_utc, clear_utc) as handover_to_clear_seconds
    from raw.ambulance_handovers_current_between($first, $last)  -- placed on its own day, whichever file carried it (docs/domain.md §7.1)
),
patient_level as (
    select
        date,
        site_code,
        'conveyances' as source,
        count(*) as arrivals,
        count(handover_minutes) as known,
        count(*) - count(handover_minutes) as unknown,
        -- "Over" is strictly greater: a handover of exactly 15 minutes meets the standard.
        count(*) filter (where handover_minutes > 15) as over_15,
        count(*) filter (where handover_minutes > 30) as over_30,
        count(*) filter (where handover_minutes > 45) as over_45,
        count(*) filter (where handover_minutes > 60) as over_60,
        sum(handover_seconds) / 60.0 as total_minutes,
        -- Each handover's own excess (AACE): total minus 15 x count is wrong when some are quicker.
        coalesce(sum(greatest(handover_seconds - 15 * 60, 0)) / 3600.0, 0) as hours_lost,
        coalesce(sum(greatest(handover_seconds - 60 * 60, 0)) / 3600.0, 0) as hours_lost_over_60,
        avg(handover_seconds) / 60.0 as mean_minutes,
        quantile_cont(handover_minutes, 0.90) as p90_minutes,
        quantile_cont(handover_minutes, 0.95) as p95_minutes,
        avg(turnaround_seconds) / 60.0 as mean_turnaround_minutes,
        avg(handover_to_clear_seconds) / 60.0 as mean_handover_to_clear_minutes
    from conveyances
    group by date, site_code
),
sitrep as (
    select
        date,
        site_code,
        'sitrep' as source,
        all_handovers as arrivals,
        known,
        unknown,
        over_15,
        over_30,
        over_45,
        over_60,
        total_hours * 60 as total_minutes,
        mean_minutes
    from raw.handover_sitrep_current as r
    where r.date between $first and $last
      -- site_code is never null, so this is the per-day `not in` of the site's conveyances that day.
      and not exists (select 1 from patient_level as p where p.date = r.date and p.site_code = r.site_code)
),
combined as (
    select * from patient_level
    union all by name
    select * from sitrep
)
select
    c.date,
    s.trust_code,
    c.site_code,
    c.source,
    c.arrivals,
    c.known,
    c.unknown,
    c.over_15,
    c.over_30,
    c.over_45,
    c.over_60,
    -- Proportions over a threshold use handovers with a known time (as NHS England's sitrep does).
    100.0 * c.over_15 / nullif(c.known, 0) as pct_over_15,
    100.0 * c.over_30 / nullif(c.known, 0) as pct_over_30,
    100.0 * c.over_45 / nullif(c.known, 0) as pct_over_45,
    100.0 * c.over_60 / nullif(c.known, 0) as pct_over_60,
    100.0 * c.unknown / nullif(c.arrivals, 0) as pct_unknown,
    c.total_minutes,
    c.hours_lost,
    c.hours_lost_over_60,
    c.mean_minutes,
    c.p90_minutes,
    c.p95_minutes,
    c.mean_turnaround_minutes,
    c.mean_handover_to_clear_minutes
from combined as c
join ref.sites as s using (site_code);
