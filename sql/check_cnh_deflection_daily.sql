-- purpose: daily deflection rows whose counts are inconsistent (should be none)
select *
from marts.cnh_deflection_daily
where date between $first and $last
  and (dispatched > cases
       or coalesce(dispatches_avoided, 0) + dispatched > cases
       or within_30_min > responded
       or responded > cases
       or to_own_gp + to_utc_pcc + home_self_care + to_ed + community_pathway > cases);
