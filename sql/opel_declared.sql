-- purpose: each provider's OPEL per day (docs/domain.md §7.3): the level at 11:00 (else the latest late one), its timeliness, and any different level the day ended on after 11:00
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
        -- Providers post by 11:00 local time (docs/domain.md §2.1); 11:00:00 itself is on time. Wall-clock
        -- comparison is right here: the cut-off is a local time on either side of a clock change.
        submitted_at <= date + interval 11 hour as on_time,
        count(*) over provider_day as submissions,
        bool_or(submitted_at <= date + interval 11 hour) over provider_day as any_on_time,
        arg_max(declared_level, submitted_at) over provider_day as last_level,
        max(submitted_at) over provider_day as last_submitted_at
    from submissions
    window provider_day as (partition by org_code, date)
),
declared as (
    select *
    from flagged
    qualify row_number() over (partition by org_code, date order by on_time desc, submitted_at desc) = 1
)
select
    * exclude (last_level, last_submitted_at),
    -- docs/domain.md §7.3: only a level the day ends on after 11:00 is a change; earlier ones are history, and
    -- a late day has no 11:00 level to change from (its declared level is already the last one).
    coalesce(any_on_time and last_level <> declared_level, false) as changed_during_day,
    case when any_on_time and last_level <> declared_level then last_level end as changed_to_level,
    case when any_on_time and last_level <> declared_level then last_submitted_at end as changed_at
from declared;
