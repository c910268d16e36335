-- purpose: a feed's record versions judged under docs/domain.md §7.1 (current, superseded, reused id, withdrawn), and the counted ones
-- Rendered once per record-level feed from its catalogue identity: {record_id} identifies a record within a
-- provider, {site} must match between versions, {placed_at}/{placed_utc} is the time that places it on a day.
-- Versions are taken in extract order. A later one replaces the first only when it has the same site and a
-- time within the layout's identity_window_hours of the first one's (corrections move minutes, not days);
-- otherwise the id was reused for another record and that version is kept as history, never counted. The
-- latest version is withdrawn when its provider sent a later "full" re-send for the same activity day that no
-- longer holds it, and whose rows were accepted: a re-send whose rows all failed withdraws nothing, and a record
-- whose re-sent row failed keeps its earlier valid version (docs/domain.md §7.1, 7.2). All of it is a function of what the
-- warehouse holds, not of the order files were loaded in.
-- near_first/near_last: only the ids with a version placed within two days of those days (windows are at most
-- 48 h), so a daily mart's cost follows the day, not the whole table; with no days, every id.
create or replace macro {versions}(near_first := null, near_last := null) as table
with candidates as (
    select distinct provider_code, {record_id}
    from {raw_table}
    where near_first is null
       or ({placed_at} >= near_first::date - interval 2 day
           and {placed_at} < coalesce(near_last, near_first)::date + interval 3 day)
),
versions as (
    select
        r.*,
        f.feed,
        coalesce(f.identity_window_hours, {window_hours}) as identity_window_hours,
        first_value(r.{site}) over first_seen as first_site,
        first_value(r.{placed_at}) over first_seen as first_placed_at,
        first_value(r.{placed_utc}) over first_seen as first_placed_utc,
        first_value(r.source_file) over first_seen as first_source_file
    from {raw_table} as r
    semi join candidates using (provider_code, {record_id})
    left join ops.source_files as f
        on f.sha256 = r.source_sha256 and f.file_name = r.source_file
       and f.provider_code = r.provider_code and f.partition_date = r.partition_date
    window first_seen as (
        partition by r.provider_code, {record_id}
        order by r.extracted_at_utc, r.source_file, r.source_row
        rows between unbounded preceding and unbounded following
    )
),
judged as (
    select
        *,
        {site} is distinct from first_site
            or abs(date_diff('second', first_placed_utc, {placed_utc})) > identity_window_hours * 3600 as is_reused
    from versions
),
ranked as (
    select
        *,
        not is_reused and row_number() over (
            partition by provider_code, {record_id}
            order by is_reused, extracted_at_utc desc, source_file desc, source_row desc
        ) = 1 as is_latest
    from judged
)
select
    r.* exclude (is_latest, feed),
    case
        when r.is_reused then 'reused'
        when not r.is_latest then 'superseded'
        when exists (
            select 1
            from ops.source_files as later
            where later.feed = r.feed and later.provider_code = r.provider_code
              and later.partition_date = r.partition_date and later.resend = 'full' and later.rows_loaded > 0
              and (later.extracted_at_utc > r.extracted_at_utc
                   or (later.extracted_at_utc = r.extracted_at_utc and later.file_name > r.source_file))
              and not exists (
                  select 1
                  from ops.quarantine as q
                  where q.feed = later.feed and q.provider_code = later.provider_code
                    and q.partition_date = later.partition_date and q.file_name = later.file_name
                    and q.sha256 = later.sha256 and q.action = 'record quarantined'
                    and q.record_key = concat_ws(' / ', {record_id})
              )
        ) then 'withdrawn'
        else 'current'
    end as standing
from ranked as r;

-- The records counted on one local day: current, whichever day's file carried them.
create or replace macro {current_on}(day := null) as table
select * exclude (standing, identity_window_hours, first_site, first_placed_at, first_placed_utc, first_source_file,
                  is_reused)
from {versions}(near_first := day)
where standing = 'current' and (day is null or {placed_at}::date = day);

-- The records counted on the local days first_day..last_day: current_on for each of those days, in one pass, so
-- a daily mart is built for a range in one statement (a record's day is its {placed_at}::date).
create or replace macro {current_between}(first_day, last_day) as table
select * exclude (standing, identity_window_hours, first_site, first_placed_at, first_placed_utc, first_source_file,
                  is_reused)
from {versions}(near_first := first_day, near_last := last_day)
where standing = 'current' and {placed_at}::date between first_day and last_day;

create or replace view {current} as
select * from {current_on}();

-- Versions not counted because their id already names another record: quarantined in the brief's words (7.1).
-- The _reused_in(first, last) macro lists those of the records the files of those days hold, wherever the
-- reused version sits, so a run reports what its files touched whichever day came first; with no days, all.
create or replace macro {reused_in}(first_day, last_day) as table
select
    {feed} as feed,
    v.provider_code,
    v.partition_date,
    v.source_file as file_name,
    v.source_row,
    concat_ws(' / ', {record_id}) as record_key,
    'record id reused for a different ' || {noun} || ' (first seen ' || v.first_source_file || ', '
        || {placed} || ' ' || strftime(v.first_placed_at, '%Y-%m-%d %H:%M') || ')' as reason,
    'record id reused: not counted' as action
from {versions}(near_first := first_day::date - interval 1 day, near_last := last_day) as v
semi join (
    select distinct provider_code, {record_id}
    from {raw_table}
    where first_day is null or partition_date between first_day and last_day
) using (provider_code, {record_id})
where v.standing = 'reused';

create or replace view {reused} as
select * from {reused_in}(null, null);

-- Versions a later full re-send no longer holds: kept as history, no longer counted (docs/domain.md §7.1). The
-- _withdrawn_in(first, last) macro lists those in the files of those days; with no days, all.
create or replace macro {withdrawn_in}(first_day, last_day) as table
select
    {feed} as feed,
    v.provider_code,
    v.partition_date,
    v.source_file as file_name,
    v.source_row,
    concat_ws(' / ', {record_id}) as record_key,
    (
        select string_agg(later.file_name, ', ' order by later.extracted_at_utc, later.file_name)
        from ops.source_files as later
        where later.feed = {feed} and later.provider_code = v.provider_code
          and later.partition_date = v.partition_date and later.resend = 'full' and later.rows_loaded > 0
          and later.extracted_at_utc >= v.extracted_at_utc and later.file_name <> v.source_file
    ) as withdrawn_by
from {versions}(near_first := first_day::date - interval 1 day, near_last := last_day) as v
where v.standing = 'withdrawn' and (first_day is null or v.partition_date between first_day and last_day);

create or replace view {withdrawn} as
select * from {withdrawn_in}(null, null);

-- Rows of a later file that failed validation for a record whose earlier valid version still counts: the
-- re-send's fault leaves the record as it was (docs/domain.md §7.2), and the analyst is told so.
create or replace macro {resent_with_fault_in}(first_day, last_day) as table
select
    q.feed,
    q.provider_code,
    q.partition_date,
    q.file_name,
    q.source_row,
    q.record_key,
    any_value(q.reason order by q.column_name) as reason,
    any_value(v.source_file) as kept_file,
    're-sent with a fault, earlier version kept' as action
from ops.quarantine as q
join ops.source_files as f
    on f.feed = q.feed and f.provider_code = q.provider_code and f.partition_date = q.partition_date
   and f.file_name = q.file_name and f.sha256 = q.sha256
join (
    select *, concat_ws(' / ', {record_id}) as record_key
    from {versions}(near_first := first_day::date - interval 1 day, near_last := last_day)
    where standing = 'current'
) as v
    on v.provider_code = q.provider_code and v.record_key = q.record_key
   and v.extracted_at_utc < f.extracted_at_utc
where q.feed = {feed} and q.action = 'record quarantined'
  and (first_day is null or q.partition_date between first_day and last_day)
group by all;

create or replace view {resent_with_fault} as
select * from {resent_with_fault_in}(null, null);
