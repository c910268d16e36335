-- purpose: each provider's published month (A&E return, all department types: 4-hour %) beside its region and England, with its rank among all providers that month and funnel limits around England's proportion by its attendances
create or replace view marts.peer_monthly as
with by_org as (
    -- All department types: the return's type rows summed, counting only rows that give both counts.
    select
        period, org_level, org_code, any_value(org_name) as org_name, any_value(nullif(region, '-')) as region,
        (sum(attendances) filter (where breaches is not null))::bigint as attendances,
        (sum(breaches) filter (where attendances is not null))::bigint as breaches,
        max(published_at_utc) as published_at_utc
    from national.ae_monthly
    where org_level in ('trust', 'region') or org_code = 'ENG'
    group by period, org_level, org_code
),
trusts as (
    select b.* exclude (org_name, region), coalesce(r.trust_name, b.org_name) as org_name,
        coalesce(r.region, b.region) as region
    from by_org as b
    left join ref.trust_regions as r on r.trust_code = b.org_code
    where b.org_level = 'trust'
),
computed as (
    -- A total NHS England does not print is the sum of its providers' counts; the rate is recomputed from the sums.
    -- A provider ref.trust_regions does not place (an independent provider, a trust since merged) counts in England only.
    select
        period,
        case when grouping(region) = 0 then 'region' else 'england' end as org_level,
        case when grouping(region) = 0 then upper(region) else 'ENG' end as org_code,
        case when grouping(region) = 0 then region else 'England' end as org_name,
        case when grouping(region) = 0 then region end as region,
        'sum of trusts' as source,
        count(*)::bigint as trusts_summed,
        (sum(attendances))::bigint as attendances,
        (sum(breaches))::bigint as breaches,
        max(published_at_utc) as published_at_utc
    from trusts
    group by grouping sets ((period, region), (period))
    having grouping(region) = 1 or region is not null
),
published as (
    select period, org_level, org_code, org_name,
        case when org_level = 'region' then coalesce(region, org_name) end as region,
        'published' as source, null::bigint as trusts_summed, attendances, breaches, published_at_utc
    from by_org
    where org_level <> 'trust'
),
every_row as (
    select period, org_level, org_code, org_name, region, 'published' as source, null::bigint as trusts_summed,
        attendances, breaches, published_at_utc
    from trusts
    union all by name
    select * from published
    union all by name
    select * from computed as c
    where not exists (select 1 from published as p where p.period = c.period and p.org_code = c.org_code)
),
measured as (
    select *, 100.0 * (1 - breaches / nullif(attendances, 0)::double) as pct_within_4h
    from every_row
),
ranked as (
    -- Among every provider with attendances that month, 1 the highest 4-hour %; ties share the better rank.
    select period, org_code,
        rank() over (partition by period order by pct_within_4h desc) as rank,
        count(*) over (partition by period) as ranked
    from measured
    where org_level = 'trust' and pct_within_4h is not null
),
england as (
    select period, breaches / nullif(attendances, 0)::double as p_breach from measured where org_code = 'ENG'
),
limits as (
    -- Binomial approximation (normal): England's proportion p within 4 hours, +/- z x sqrt(p(1 - p) / n) for a
    -- provider with n attendances; z 1.959964 (95%, about 2 sigma) and 3.090232 (99.8%, about 3 sigma).
    select
        m.period, m.org_code, 100.0 * (1 - e.p_breach) as centre_pct,
        100.0 * sqrt(e.p_breach * (1 - e.p_breach) / m.attendances) as sigma_pct
    from measured as m
    join england as e using (period)
    where m.org_level = 'trust' and m.attendances > 0
),
bounded as (
    select
        period, org_code, centre_pct,
        greatest(centre_pct - 1.959964 * sigma_pct, 0) as lower_95_pct,
        least(centre_pct + 1.959964 * sigma_pct, 100) as upper_95_pct,
        greatest(centre_pct - 3.090232 * sigma_pct, 0) as lower_998_pct,
        least(centre_pct + 3.090232 * sigma_pct, 100) as upper_998_pct
    from limits
)
select
    m.period, m.org_level, m.org_code, m.org_name, m.region, m.source, m.trusts_summed,
    m.attendances, m.breaches, m.pct_within_4h,
    r.rank as rank, r.ranked as ranked,
    b.centre_pct as england_pct_within_4h,
    b.lower_95_pct, b.upper_95_pct, b.lower_998_pct, b.upper_998_pct,
    case
        when m.pct_within_4h is null or b.centre_pct is null then null
        when m.pct_within_4h > b.upper_998_pct then 'above'
        when m.pct_within_4h < b.lower_998_pct then 'below'
        else 'within'
    end as funnel_flag,
    case
        when m.pct_within_4h is null or b.centre_pct is null then null
        when m.pct_within_4h > b.upper_95_pct then 'above'
        when m.pct_within_4h < b.lower_95_pct then 'below'
        else 'within'
    end as funnel_flag_95,
    m.published_at_utc
from measured as m
left join ranked as r on r.period = m.period and r.org_code = m.org_code and m.org_level = 'trust'
left join bounded as b on b.period = m.period and b.org_code = m.org_code and m.org_level = 'trust';
