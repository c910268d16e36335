-- purpose: the system OPEL score and level for each day, a configured weighted mean of providers' declared levels
insert into marts.opel_system_daily
with providers as (
    select o.date, o.provider_code, o.declared_level, o.is_missing, p.system_code, w.weight
    from marts.opel_daily as o
    join ref.providers as p using (provider_code)
    left join ref.opel_system_weights as w using (provider_code)
    where o.date between $first and $last
),
scored as (
    select
        date,
        system_code,
        count(*) as providers_expected,
        count(declared_level) as providers_declared,
        string_agg(provider_code, ', ' order by provider_code) filter (where is_missing) as providers_missing,
        sum(weight * declared_level) / sum(weight) filter (where declared_level is not null) as system_score
    from providers
    group by date, system_code
)
select
    date,
    system_code,
    providers_expected,
    providers_declared,
    providers_missing,
    system_score,
    case when system_score is not null then
        coalesce((select min(b.level) from ref.opel_bands as b where b.scope = 'system' and system_score <= b.max_score), 4)
    end as system_level
from scored;
