-- purpose: each provider's declared OPEL submission per day (latest by the 11:00 cut-off, else latest late) with its timeliness flags
create or replace view raw.opel_declared as
with submissions as (
    -- One submission can appear in several exports: keep one copy, from the latest export.
    select *
    from raw.opel_submissions
    qualify row_number() over (
        partition by org_code, date, submitted_at
        order by extracted_at_utc desc, source_file desc, source_row desc
    ) = 1
),
flagged as (
    select
        *,
        -- Providers post by 11:00 local time (brief 2.1); 11:00:00 itself is on time. Wall-clock
        -- comparison is right here: the cut-off is a local time on either side of a clock change.
        submitted_at <= date + interval 11 hour as on_time,
        count(*) over provider_day as submissions,
        min(declared_level) over provider_day <> max(declared_level) over provider_day as changed_during_day,
        bool_or(submitted_at <= date + interval 11 hour) over provider_day as any_on_time
    from submissions
    window provider_day as (partition by org_code, date)
)
select *
from flagged
qualify row_number() over (partition by org_code, date order by on_time desc, submitted_at desc) = 1;
