-- purpose: the brief's peer rows for a period: the home system's headline trusts, their regions and England, from marts.peer_daily or marts.peer_monthly ({view}, its period column {column})
with home as (
    select trust_code from ref.system_headline where system_code = $system
),
regions as (
    select distinct upper(region) as org_code from ref.trust_regions where trust_code in (select trust_code from home)
)
select *
from {view}
where {column} = $period
  and (
      (org_level = 'trust' and org_code in (select trust_code from home))
      or (org_level = 'region' and org_code in (select org_code from regions))
      or (org_level = 'england' and org_code = 'ENG')
  )
order by case org_level when 'trust' then 0 when 'region' then 1 else 2 end, org_code
