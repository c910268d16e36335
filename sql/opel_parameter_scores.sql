-- purpose: each day's OPEL parameter levels and weighted contributions per acute provider, from the configured bounds
insert into marts.opel_parameter_scores
with submitted as (
    -- UNPIVOT drops parameters not submitted (nulls); unconfigured ones fall out at the join below.
    unpivot (
        select
            org_code, date, mean_handover_minutes, ed_4h_pct, ed_attendance_variation_pct,
            majors_resus_occupancy_pct, median_time_to_treatment_minutes, pct_over_12h_in_ed,
            adult_ga_bed_occupancy_pct, escalation_beds_pct, no_criteria_to_reside_pct
        from raw.opel_declared
        where date between $first and $last
    )
    on columns(* exclude (org_code, date))
    into name parameter value value
),
levelled as (
    select
        s.date,
        s.org_code as provider_code,
        s.parameter,
        s.value,
        -- Bounds are inclusive and run from OPEL 1 towards OPEL 4 (schemas/reference/opel.yaml).
        case
            when p.direction = 'higher_is_worse' then
                case when s.value <= p.bound_1 then 1 when s.value <= p.bound_2 then 2 when s.value <= p.bound_3 then 3 else 4 end
            else
                case when s.value >= p.bound_1 then 1 when s.value >= p.bound_2 then 2 when s.value >= p.bound_3 then 3 else 4 end
        end as level,
        p.weight
    from submitted as s
    join ref.opel_parameters as p using (parameter)
)
select date, provider_code, parameter, value, level, weight, level * weight as contribution
from levelled;
