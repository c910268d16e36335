-- purpose: every expected provider's OPEL for each day: declared level, timeliness, derived level and the cross-check against the pipeline's own figures
-- By name: changed_to_level and changed_at were added to old warehouses at the end of the table.
-- The days $first..$last in one statement: every expected provider has a row on every day, sent or not.
insert into marts.opel_daily by name
with expected as (
    select days.date, p.provider_code, p.role
    from ref.providers as p
    cross join (select unnest(generate_series($first::date, $last::date, interval 1 day))::date as date) as days
    where p.submits_opel = 'yes'
),
declared as (
    select * from raw.opel_declared where date between $first and $last
),
scores as (
    -- A parameter not submitted is left out; the score is scaled to the full weight so bands still apply.
    select
        date,
        provider_code,
        sum(contribution) * (select sum(weight) from ref.opel_parameters) / sum(weight) as derived_score,
        count(*) as parameters_scored
    from marts.opel_parameter_scores
    where date between $first and $last
    group by date, provider_code
),
derived as (
    select
        s.*,
        coalesce((select min(b.level) from ref.opel_bands as b where b.scope = 'provider' and s.derived_score <= b.max_score), 4) as derived_level
    from scores as s
)
select
    e.date,
    e.provider_code,
    e.role,
    coalesce(d.submissions, 0) as submissions,
    d.declared_level,
    d.submitted_at,
    -- docs/domain.md §7.3. Late: the first submission came after 11:00. Missing: nothing by 11:00, late or not.
    coalesce(not d.any_on_time, false) as is_late,
    coalesce(not d.any_on_time, true) as is_missing,
    coalesce(d.changed_during_day, false) as changed_during_day,
    d.changed_to_level,
    d.changed_at,
    d.comment,
    s.derived_score,
    s.derived_level,
    s.parameters_scored,
    d.declared_level - s.derived_level as level_gap,
    d.ed_4h_pct as ed_4h_pct_submitted,
    ed.pct_within_4h as ed_4h_pct_pipeline,
    d.pct_over_12h_in_ed as pct_over_12h_submitted,
    ed.pct_over_12h as pct_over_12h_pipeline,
    d.mean_handover_minutes as mean_handover_submitted,
    handover.mean_minutes as mean_handover_pipeline
from expected as e
left join declared as d on d.org_code = e.provider_code and d.date = e.date
left join derived as s on s.provider_code = e.provider_code and s.date = e.date
left join marts.ed_four_hour_trust as ed
    on ed.org_code = e.provider_code and ed.date = e.date and ed.period = 'day' and ed.scope = 'all_types'
left join marts.handover_trust as handover
    on handover.org_code = e.provider_code and handover.date = e.date and handover.period = 'day';
