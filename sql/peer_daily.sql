-- purpose: each trust's published day (winter sitrep: G&A occupancy, ambulance delays; the daily ambulance collection: arrivals, and delays where the sitrep gives none) beside its region and England, with its rank among all trusts that day
create or replace view marts.peer_daily as
with joined as (
    -- A day either publication covers: the winter sitrep (beds, delays) and the daily collection (arrivals) side by
    -- side for the same organisation and day.
    select
        coalesce(w.date, a.date) as date,
        coalesce(w.org_level, a.org_level) as org_level,
        coalesce(w.org_code, a.org_code) as org_code,
        coalesce(w.org_name, a.org_name) as org_name,
        coalesce(nullif(w.region, '-'), nullif(a.region, '-')) as region,
        w.ga_beds_open, w.ga_beds_occupied,
        -- The sitrep's two delay counts where it gives both; else the collection's bands (over 30 includes over 60).
        case
            when w.handover_delays_30_60 is not null and w.handover_delays_over_60 is not null then 'winter sitrep'
            when a.over_30 is not null and a.over_60 is not null then 'ambulance collection'
        end as delays_from,
        coalesce(w.handover_delays_30_60, a.over_30 - a.over_60) as handover_delays_30_60,
        coalesce(w.handover_delays_over_60, a.over_60) as handover_delays_over_60,
        a.all_handovers as arrivals,
        greatest(w.published_at_utc, a.published_at_utc) as published_at_utc
    from national.winter_sitrep as w
    full join national.ambulance_collection as a
        on a.org_code = w.org_code and a.date = w.date and a.org_level = w.org_level
),
trusts as (
    select
        j.* exclude (org_name, region),
        coalesce(j.org_name, r.trust_name) as org_name,
        -- The reference table places a trust; a row's own region stands in for a trust it does not list.
        coalesce(r.region, j.region) as region
    from joined as j
    left join ref.trust_regions as r on r.trust_code = j.org_code
    where j.org_level = 'trust'
),
computed as (
    -- A total NHS England does not print is the sum of its trusts' counts (rates are recomputed from the sums).
    select
        date,
        case when grouping(region) = 0 then 'region' else 'england' end as org_level,
        case when grouping(region) = 0 then upper(region) else 'ENG' end as org_code,
        case when grouping(region) = 0 then region else 'England' end as org_name,
        case when grouping(region) = 0 then region end as region,
        'sum of trusts' as source,
        count(*)::bigint as trusts_summed,
        -- Occupancy counts only trusts giving both counts, so one missing figure does not bend the rate.
        (sum(ga_beds_open) filter (where ga_beds_occupied is not null))::bigint as ga_beds_open,
        (sum(ga_beds_occupied) filter (where ga_beds_open is not null))::bigint as ga_beds_occupied,
        string_agg(distinct delays_from, ' and ' order by delays_from) as delays_from,
        (sum(handover_delays_30_60))::bigint as handover_delays_30_60,
        (sum(handover_delays_over_60))::bigint as handover_delays_over_60,
        -- Arrivals only when every trust with delay counts gives them: a partial sum would flatter the rate.
        case
            when count(arrivals) filter (where delays_from is not null) = count(*) filter (where delays_from is not null)
            then (sum(arrivals) filter (where delays_from is not null))::bigint
        end as arrivals,
        max(published_at_utc) as published_at_utc
    from trusts
    group by grouping sets ((date, region), (date))
    having grouping(region) = 1 or region is not null
),
published as (
    -- England (ENG) and any region row as NHS England prints them; ENG-T1 (type 1 trusts only) is not a peer.
    select
        date, org_level, org_code, coalesce(org_name, org_code) as org_name,
        case when org_level = 'region' then coalesce(region, org_name) end as region,
        'published' as source, null::bigint as trusts_summed,
        ga_beds_open, ga_beds_occupied, delays_from, handover_delays_30_60, handover_delays_over_60, arrivals,
        published_at_utc
    from joined
    where org_level = 'region' or (org_level = 'england' and org_code = 'ENG')
),
every_row as (
    select date, 'trust' as org_level, org_code, org_name, region, 'published' as source, null::bigint as trusts_summed,
        ga_beds_open, ga_beds_occupied, delays_from, handover_delays_30_60, handover_delays_over_60, arrivals,
        published_at_utc
    from trusts
    union all by name
    select * from published
    union all by name
    select * from computed as c
    where not exists (select 1 from published as p where p.date = c.date and p.org_code = c.org_code)
),
measured as (
    select
        *,
        100.0 * ga_beds_occupied / nullif(ga_beds_open, 0) as ga_occupancy_pct,
        handover_delays_30_60 + handover_delays_over_60 as handover_delays_over_30,
        (handover_delays_30_60 + handover_delays_over_60) / nullif(arrivals, 0)::double as delays_over_30_per_arrival
    from every_row
),
ranked as (
    -- Trusts only, among every trust with the figure that day; ties share the better rank, a null is not ranked.
    select date, org_code, 'occupancy' as measure,
        rank() over (partition by date order by ga_occupancy_pct) as rank, count(*) over (partition by date) as of
    from measured where org_level = 'trust' and ga_occupancy_pct is not null
    union all
    select date, org_code, 'delays',
        rank() over (partition by date order by handover_delays_over_30), count(*) over (partition by date)
    from measured where org_level = 'trust' and handover_delays_over_30 is not null
    union all
    select date, org_code, 'per_arrival',
        rank() over (partition by date order by delays_over_30_per_arrival), count(*) over (partition by date)
    from measured where org_level = 'trust' and delays_over_30_per_arrival is not null
)
select
    m.date, m.org_level, m.org_code, m.org_name, m.region, m.source, m.trusts_summed,
    m.ga_beds_open, m.ga_beds_occupied, m.ga_occupancy_pct,
    o.rank as occupancy_rank, o.of as occupancy_ranked,
    m.delays_from, m.handover_delays_30_60, m.handover_delays_over_60, m.handover_delays_over_30,
    d.rank as delays_rank, d.of as delays_ranked,
    m.arrivals, m.delays_over_30_per_arrival,
    p.rank as per_arrival_rank, p.of as per_arrival_ranked,
    m.published_at_utc
from measured as m
left join ranked as o on o.measure = 'occupancy' and o.date = m.date and o.org_code = m.org_code and m.org_level = 'trust'
left join ranked as d on d.measure = 'delays' and d.date = m.date and d.org_code = m.org_code and m.org_level = 'trust'
left join ranked as p
    on p.measure = 'per_arrival' and p.date = m.date and p.org_code = m.org_code and m.org_level = 'trust';
