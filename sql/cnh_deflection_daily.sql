-- purpose: each day's CNH / SPoA activity, deflection, response and outcome mix per referral source
-- The days $first..$last in one statement: each row's day comes from its data, so a range gives exactly what each
-- day on its own gives.
insert into marts.cnh_deflection_daily
with cases as (
    select
        received_at::date as date,
        referral_source,
        referral_source in ('emas_cat34', 'nhs111_online_cat34') as is_ambulance_stack,
        referral_source in ('hcp_falls', 'hcp_non_falls') as is_hcp,
        outcome,
        ambulance_dispatched,
        automated,
        coalesce(call_before_convey, false) as call_before_convey,
        -- LOCAL RULE (docs/domain.md §3.3): deflected = closed by the hub without a dispatch. A case returned to
        -- the stack was not closed by the hub, so it is never deflected, dispatched later or not. A case
        -- whose outcome or dispatch is unknown (docs/domain.md §7.2) counts as a case, never as deflected: the
        -- comparisons below are null for an unknown dispatch, and a null is not counted.
        not ambulance_dispatched and outcome not in ('returned_to_stack', 'unknown') as deflected,
        -- Summed as whole seconds and divided once: a sum of doubles depends on the order a parallel
        -- scan delivers rows, and a day's figures must not.
        date_diff('second', received_utc, first_contact_utc) as response_seconds
    from raw.cnh_cases_current_between($first, $last)  -- placed on its own day, whichever file carried it (docs/domain.md §7.1)
),
counts as (
    select
        date,
        referral_source,
        bool_or(is_ambulance_stack) as is_ambulance_stack,
        bool_or(is_hcp) as is_hcp,
        count(*) as cases,
        count(*) filter (where ambulance_dispatched) as dispatched,
        count(*) filter (where outcome = 'returned_to_stack') as returned_to_stack,
        count(*) filter (where deflected) as deflected,
        count(response_seconds) as responded,
        sum(response_seconds) / 60.0 as total_response_minutes,
        count(*) filter (where response_seconds <= 30 * 60) as within_30_min,
        count(*) filter (where automated) as automated,
        count(*) filter (where call_before_convey) as call_before_convey,
        count(*) filter (where outcome = 'own_gp') as to_own_gp,
        count(*) filter (where outcome = 'utc_pcc') as to_utc_pcc,
        count(*) filter (where outcome = 'home_self_care') as home_self_care,
        count(*) filter (where outcome = 'ed') as to_ed,
        count(*) filter (where outcome = 'community_pathway') as community_pathway,
        -- HCP referrals: the patient avoided hospital unless the case ended in an ambulance, ED or admission.
        count(*) filter (where not ambulance_dispatched and outcome not in ('ambulance_dispatched', 'ed', 'admission', 'unknown')) as avoided_hospital
    from cases
    group by date, referral_source
)
select
    date,
    referral_source,
    is_ambulance_stack,
    cases,
    dispatched,
    returned_to_stack,
    case when is_ambulance_stack then deflected end as dispatches_avoided,
    case when is_ambulance_stack then 100.0 * deflected / cases end as deflection_rate,
    responded,
    total_response_minutes,
    total_response_minutes / nullif(responded, 0) as mean_response_minutes,
    within_30_min,
    100.0 * within_30_min / nullif(responded, 0) as pct_within_30_min,
    automated,
    100.0 * automated / cases as pct_automated,
    call_before_convey,
    to_own_gp,
    to_utc_pcc,
    home_self_care,
    to_ed,
    community_pathway,
    100.0 * to_own_gp / cases as pct_own_gp,
    100.0 * to_utc_pcc / cases as pct_utc_pcc,
    100.0 * home_self_care / cases as pct_home_self_care,
    100.0 * to_ed / cases as pct_ed,
    100.0 * community_pathway / cases as pct_community_pathway,
    case when is_hcp then avoided_hospital end as avoided_hospital,
    case when is_hcp then 100.0 * avoided_hospital / cases end as pct_avoided_hospital
from counts;
