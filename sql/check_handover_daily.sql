-- purpose: daily handover rows whose counts are inconsistent (should be none)
-- A sitrep band out of nesting was loaded as unknown with its neighbour (docs/domain.md §7.2): an unknown band
-- breaks no rule here, but a conveyance day counts every band, so one of its bands unknown is a fault.
select *
from marts.handover_daily
where date between $first and $last
  and (known + unknown <> arrivals
       or over_15 > known
       or over_30 > over_15
       or coalesce(over_45, over_30) > over_30
       or over_60 > coalesce(over_45, over_30)
       or (source = 'conveyances'
           and (over_15 is null or over_30 is null or over_45 is null or over_60 is null))
       or hours_lost < 0);
