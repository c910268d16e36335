"""Each mart's columns: the one source for its DDL, table comments, Dagster column schemas and the data dictionary.

A daily mart's column is keyed by its definition ("name type [not null] [default ...]", schemas/tables.py); a
rollup view's by its name alone, its types coming from the view's SQL.
"""

from __future__ import annotations

from schemas.defaults import OVER_12H_MINUTES

# Percentages are 0-100, not fractions. "Window" in a rollup is period_start to date inclusive; a rollup
# sums the numerators and denominators of the daily rows in its window and never averages percentages.
# The trust, system and monthly views are the rollups' own rows, so their columns are described once below.

_PERIOD = {
    "date": "Last day of the reporting window, always a day that has rows in the daily mart.",
    "period": (
        "Reporting window ending on date: 'day', 'month_to_date' (from the 1st of the month) or 'year_to_date' "
        "(from 1 April, the start of the NHS financial year)."
    ),
    "period_start": (
        "First day of the window: date itself for 'day', the 1st of the month, or 1 April of the financial year; "
        "days in the window with no daily rows add nothing."
    ),
}

_LEVEL = "Organisation level the row sums over: 'site', 'trust' (its sites) or 'system' (all its trusts' sites)."

_ORG_CODE = {
    None: "Code of the organisation at that level: ODS site code, trust ODS code or system (ICB) code, from ref.sites.",
    "trust": "Trust ODS code (e.g. RTG, RFS), from ref.sites.",
    "system": "System (ICB) code (QJ2 for Derby and Derbyshire), from ref.sites.",
}

_ORG_NAME = {
    None: "Name of the site, trust or system from ref.sites; null if the code is not there.",
    "trust": "Trust name from ref.sites; null if the code is not there.",
    "system": "System (ICB) name from ref.sites; null if the code is not there.",
}


_ED_LEVEL = (
    "Organisation level the row sums over: 'site', 'trust' (its sites), 'system_headline' (the sites of the trusts "
    "ref.system_headline lists for the system: the board's figure, the acute trusts) or 'system' (all its providers' "
    "sites, community minor injury units included, as NHS England publishes for an ICB)."
)


def _window_and_org(level: str | None, level_column: str | None) -> dict[str, str]:
    """A rollup's first columns: its window, the level column where the view has one, and the organisation."""
    return {
        **_PERIOD,
        **({"level": level_column} if level_column else {}),
        "org_code": _ORG_CODE[level],
        "org_name": _ORG_NAME[level],
    }


def _ed_rollup(level: str | None) -> dict[str, str]:
    """ed_four_hour_rollup (level None), its trust view, which drops the level column, or its system view."""
    return {
        **_window_and_org(level, _ED_LEVEL if level in (None, "system") else None),
        "scope": (
            "Department types summed: 'all_types' (types 1-4, and attendances whose type is unknown) or 'type_1' "
            "(consultant-led 24-hour major EDs only)."
        ),
        "coverage": (
            "What a system row counts, in words: 'acute trusts, all types' (the headline; ref.system_headline's "
            "figure_name) or 'all providers, all types' (and ', type 1' for that scope); null on site and trust rows."
        ),
        "attendances": "Sum of ed_four_hour_daily.attendances over the organisation's sites, the scope and the window.",
        "within_4h": (
            "Sum of ed_four_hour_daily.within_4h in the window: closed attendances whose departure was within 4 hours "
            "(240 minutes) of arrival."
        ),
        "breaches": (
            "Sum of ed_four_hour_daily.breaches in the window: attendances over 240 minutes from arrival, open ones "
            "included once past 240 minutes at their extract's cut-off."
        ),
        "pending": (
            "Sum of ed_four_hour_daily.pending in the window: attendances still open at their extract's cut-off and "
            "not yet past 240 minutes, left out of pct_within_4h."
        ),
        "over_12h": (
            f"Sum of ed_four_hour_daily.over_12h in the window: attendances over {OVER_12H_MINUTES} minutes (12 hours) "
            f"from arrival, open ones included once past {OVER_12H_MINUTES} minutes."
        ),
        "pct_within_4h": (
            "4-hour performance in %: 100 x within_4h / (within_4h + breaches), pending excluded; null when that "
            "denominator is 0."
        ),
        "pct_over_12h": (
            "Share of attendances over 12 hours from arrival in %: 100 x over_12h / attendances; null when attendances "
            "is 0."
        ),
        "target_pct_within_4h": (
            "Operational 4-hour standard in % in force on date for all department types (ref.targets "
            "'ed_4h_operational': 76 in 2023/24, 78 in 2024/25 and 2025/26, 82 from 1 April 2026); null on type_1 "
            "rows, which no standard applies to, and when none is in force."
        ),
        "meets_target": (
            "True when pct_within_4h >= target_pct_within_4h; null when either is null (so always null on type_1 rows)."
        ),
        "constitutional_pct_within_4h": (
            "Constitutional 4-hour standard in % in force on date (ref.targets 'ed_4h_constitutional', 95), for all "
            "types; null on type_1 rows and when none is in force."
        ),
    }


# The rollups' delay bands, summed and shared over the days where each is known (docs/domain.md §7.2).
_BAND_KNOWN = (
    "A site-day where it is unknown (a sitrep band out of nesting, or not given) adds nothing to it; "
    "site_days_with_unknown_values says how many; null when no site-day knows it."
)
# The rollups' delay bands, and the site-days and trust-days lacking one.
_HANDOVER_BANDS = {
    **{
        f"over_{band}": (
            f"Sum of handover_daily.over_{band} over the site-days in the window where it is known: known "
            f"handovers taking strictly more than {band} minutes. {_BAND_KNOWN}"
        )
        for band in (15, 30, 45, 60)
    },
    "site_days_with_unknown_values": (
        "Site-days in the window with at least one delay band (over 15/30/45/60) unknown: a sitrep band out of "
        "nesting with its neighbour (docs/domain.md §7.2) or an over 45 the sitrep does not give (count)."
    ),
    "trust_days_with_unknown_values": (
        "Trust-days in the window in which at least one site-day has a delay band unknown (count); equals "
        "site_days_with_unknown_values at site level."
    ),
    "site_days_over_45_unknown": (
        "Site-days in the window whose over 45 count is unknown (count): over_45 and pct_over_45 leave them out, "
        "and no_handover_over_45 cannot be true while any remain."
    ),
}


def _handover_rollup(level: str | None) -> dict[str, str]:
    """handover_rollup (level None) or its trust or system view, which drops the level column."""
    return {
        **_window_and_org(level, _LEVEL if level is None else None),
        "sources": (
            "The handover_daily sources summed, distinct and joined with '+' in alphabetical order: 'conveyances', "
            "'sitrep' or 'conveyances+sitrep'."
        ),
        "arrivals": (
            "Sum of handover_daily.arrivals (ambulance arrivals at hospital) over the organisation's sites and the "
            "window."
        ),
        "known": "Sum of handover_daily.known in the window: arrivals with a handover time.",
        "unknown": "Sum of handover_daily.unknown in the window: arrivals with no handover time.",
        **_HANDOVER_BANDS,
        "pct_unknown": (
            "Share of arrivals with no handover time in %: 100 x unknown / arrivals; null when arrivals is 0."
        ),
        "pct_within_15": (
            "Share of known handovers within 15 minutes in %: 100 x (known - over_15) / known, both over the "
            "site-days where over_15 is known; null when that known is 0 or there are none."
        ),
        "pct_within_30": (
            "Share of known handovers within 30 minutes in %: 100 x (known - over_30) / known, both over the "
            "site-days where over_30 is known; null when that known is 0 or there are none."
        ),
        "pct_within_60": (
            "Share of known handovers within 60 minutes in %: 100 x (known - over_60) / known, both over the "
            "site-days where over_60 is known; null when that known is 0 or there are none."
        ),
        "pct_over_45": (
            "Share of known handovers over 45 minutes in %: 100 x over_45 / known, both over the site-days where "
            "over_45 is known; null when that known is 0 or there are none."
        ),
        "hours_lost": (
            "Sum of handover_daily.hours_lost in the window (minutes beyond 15 per known handover, in hours); null, "
            "not a partial sum, when any site-day in it with known handovers lacks the figure (a sitrep)."
        ),
        "hours_lost_over_60": (
            "Sum of handover_daily.hours_lost_over_60 in the window (minutes beyond 60 per known handover, in hours); "
            "null when any site-day in it with known handovers lacks the figure (a sitrep)."
        ),
        "mean_minutes": (
            "Mean handover time in minutes: summed total_minutes / known; null when known is 0 or any site-day in the "
            "window with known handovers has a null total_minutes (a sitrep without total hours). A site-day with no "
            "known handover adds nothing to either sum."
        ),
        "standard_pct_within_15": (
            "Standard Contract share within 15 minutes in % in force on date (ref.targets 'handover_within_15', 65); "
            "null when none is in force."
        ),
        "standard_pct_within_30": (
            "Standard Contract share within 30 minutes in % in force on date (ref.targets 'handover_within_30', 95); "
            "null when none is in force."
        ),
        "standard_pct_within_60": (
            "Standard Contract share within 60 minutes in % in force on date (ref.targets 'handover_within_60', 100); "
            "null when none is in force."
        ),
        "standard_pct_over_45": (
            "Ceiling on the share over 45 minutes in % in force on date (ref.targets 'handover_over_45', 0 from "
            "29 January 2025); null before then."
        ),
        "meets_contract_standards": (
            "True when pct_within_15, pct_within_30 and pct_within_60 all reach their standards, false when any falls "
            "short, otherwise null (no known handovers or no standard in force)."
        ),
        "no_handover_over_45": (
            "False when over_45 is above 0; true when it is 0 and no site-day lacks the count "
            "(site_days_over_45_unknown 0); otherwise null, and null before the 45-minute standard came into force "
            "(29 January 2025: standard_pct_over_45 null)."
        ),
    }


# A trust-day's figure in national.ambulance_collection may be unknown (not published, or a band out of nesting set to
# unknown, docs/domain.md §7.2): each sum runs over the trust-days where its figure is known.
_COLLECTION_KNOWN = "over the trust-days in the window where it is known (a trust-day with it unknown adds nothing)"


def _collection_rollup() -> dict[str, str]:
    """ambulance_collection_rollup: NHS England's daily ambulance collection per trust and per system's trusts."""
    bands = {
        f"over_{band}": f"Sum of national.ambulance_collection.over_{band} {_COLLECTION_KNOWN}: known handovers over "
        f"{band} minutes (count)."
        for band in (15, 30, 45, 60)
    }
    shares = {
        f"pct_over_{band}": f"Share of known handovers over {band} minutes in %: 100 x over_{band} / known, both over "
        f"the trust-days where over_{band} and known are known; null when that known is 0 or there are none."
        for band in (15, 30, 45, 60)
    }
    return {
        **_PERIOD,
        "date": "Last day of the reporting window, always a day national.ambulance_collection has trust rows for.",
        "level": "'trust' (one trust as NHS England publishes it) or 'system' (the trusts ref.sites lists for it).",
        "org_code": "Trust ODS code as published (any trust in the collection), or system (ICB) code from ref.sites.",
        "org_name": "Trust name as published (else from ref.sites), or system name from ref.sites.",
        "trust_days": "Trust-days in the window with a row in national.ambulance_collection (count).",
        "trust_days_with_unknown_values": (
            "Trust-days in the window with at least one count (all, known, unknown, over 15/30/45/60) or the total "
            "hours unknown: not published, or set to unknown (docs/domain.md §7.2) (count)."
        ),
        "arrivals": f"Sum of all_handovers (ambulance arrivals) {_COLLECTION_KNOWN} (count).",
        "known": f"Sum of known (arrivals with a handover time) {_COLLECTION_KNOWN} (count).",
        "unknown": f"Sum of unknown (arrivals with no handover time) {_COLLECTION_KNOWN} (count).",
        **bands,
        **shares,
        "total_hours": f"Sum of total_hours (total handover time of the known handovers, hours) {_COLLECTION_KNOWN}.",
        "mean_minutes": (
            "Mean handover time in minutes: 60 x total_hours / known, both over the trust-days where total_hours and "
            "known are known; null when that known is 0 or there are none."
        ),
    }


def _cnh_measures(window: str) -> dict[str, str]:
    """The summed and derived columns of cnh_deflection_rollup and cnh_deflection_monthly; `window` opens a sentence."""
    return {
        "referral_source": (
            "Referral source as in cnh_deflection_daily, or 'ambulance_stack_total' / 'other_sources_total' for the "
            "sum over all ambulance-stack / all other sources."
        ),
        "is_ambulance_stack": "True for emas_cat34, nhs111_online_cat34 and ambulance_stack_total; false otherwise.",
        "cases": f"{window}, cases passed to the hub (sum of cnh_deflection_daily.cases).",
        "dispatched": f"{window}, cases for which an ambulance was dispatched.",
        "returned_to_stack": f"{window}, cases with outcome returned to the ambulance stack.",
        "dispatches_avoided": (
            f"{window}, ambulance-stack cases closed by the hub without a dispatch; null for other sources and "
            "other_sources_total."
        ),
        "responded": f"{window}, cases with a first clinical contact time.",
        "within_30_min": f"{window}, cases with first clinical contact within 30 minutes of being received.",
        "automated": f"{window}, cases that were automated referrals.",
        "call_before_convey": f"{window}, cases flagged Call Before Convey (a crew on scene calling the hub).",
        "to_own_gp": f"{window}, cases with outcome own GP.",
        "to_utc_pcc": f"{window}, cases with outcome urgent treatment centre or primary care centre.",
        "home_self_care": f"{window}, cases with outcome treated at home or self-care.",
        "to_ed": f"{window}, cases with outcome emergency department.",
        "community_pathway": (
            f"{window}, cases with outcome community pathway (urgent community response, falls service)."
        ),
        "avoided_hospital": (
            f"{window}, HCP-referral cases (hcp_falls, hcp_non_falls) not ending in an ambulance, ED or admission; "
            "null for other sources and ambulance_stack_total, and on other_sources_total the HCP sources' count only."
        ),
        "deflection_rate": (
            "Deflection rate in %: 100 x dispatches_avoided / cases, for ambulance-stack rows only; null for other "
            "sources (LOCAL RULE)."
        ),
        "mean_response_minutes": (
            "Mean time from received to first clinical contact, in minutes: summed response minutes / responded; null "
            "when responded is 0."
        ),
        "pct_within_30_min": (
            "Share of responded cases contacted within 30 minutes in %: 100 x within_30_min / responded; null when "
            "responded is 0."
        ),
        "pct_automated": "Share of cases that were automated referrals in %: 100 x automated / cases.",
        "pct_own_gp": "Share of cases with outcome own GP in %: 100 x to_own_gp / cases.",
        "pct_utc_pcc": "Share of cases with outcome UTC or primary care centre in %: 100 x to_utc_pcc / cases.",
        "pct_home_self_care": "Share of cases treated at home or self-care in %: 100 x home_self_care / cases.",
        "pct_ed": "Share of cases with outcome emergency department in %: 100 x to_ed / cases.",
        "pct_community_pathway": "Share of cases with outcome community pathway in %: 100 x community_pathway / cases.",
        "pct_avoided_hospital": (
            "100 x avoided_hospital / HCP-referral cases in %; null when avoided_hospital is null. On "
            "other_sources_total the denominator is the HCP sources' cases only, as avoided_hospital's numerator is."
        ),
    }


COLUMNS: dict[str, dict[str, str]] = {
    "ed_four_hour_daily": {
        "date date not null": "Activity day (Europe/London) the attendances arrived on.",
        "trust_code varchar not null": "ODS code of the trust running the site, from ref.sites.",
        "site_code varchar not null": (
            "ODS code of the hospital site, as submitted by the provider and checked against ref.sites."
        ),
        "department_type tinyint": (
            "ED department type (NHS Data Dictionary): 1 consultant-led 24-hour major ED, 2 single specialty, 3 other "
            "A&E, minor injury unit or urgent treatment centre, 4 walk-in centre; null for attendances whose type is "
            "unknown (a code not in the layout's mapping), which count in the site's all types, never in type 1."
        ),
        "attendances bigint not null": (
            "Attendances (latest version of each record) that arrived on date at the site and department type, open "
            "or closed."
        ),
        "within_4h bigint not null": (
            "Attendances whose departure was within 4 hours (240 minutes) of arrival, measured on UTC instants."
        ),
        "breaches bigint not null": (
            "Attendances over 240 minutes from arrival: departed after more than 4 hours, or still open more than "
            "4 hours after arrival at the cut-off of the extract they came in."
        ),
        "pending bigint not null": (
            "Open attendances (no departure yet) at most 240 minutes after arrival at their extract's cut-off, counted "
            "in attendances but left out of pct_within_4h until they close."
        ),
        "over_12h bigint not null": (
            f"Attendances over {OVER_12H_MINUTES} minutes (12 hours) from arrival to departure, or, if still open, to "
            "their extract's "
            "cut-off."
        ),
        "pct_within_4h double": (
            "4-hour performance in %: 100 x within_4h / (within_4h + breaches), pending excluded; null when every "
            "attendance is pending."
        ),
        "pct_over_12h double": "Share of attendances over 12 hours from arrival in %: 100 x over_12h / attendances.",
        "source varchar not null default 'patient_level'": (
            "Where the row's counts come from: 'patient_level' (attendances in raw.ed_attendances) or 'aggregate' (a "
            "provider's daily counts in raw.ed_daily_aggregates: within_4h = attendances - over 4 hours, breaches = "
            "over 4 hours, pending 0). A site-day sent both ways is counted from the attendances alone."
        ),
    },
    "ed_four_hour_rollup": _ed_rollup(None),
    "ed_four_hour_trust": _ed_rollup("trust"),
    "ed_four_hour_system": _ed_rollup("system"),
    "ambulance_collection_rollup": _collection_rollup(),
    "handover_daily": {
        "date date not null": (
            "Day (Europe/London) the ambulances arrived at hospital, or the day a sitrep row reports."
        ),
        "trust_code varchar not null": "ODS code of the trust running the site, from ref.sites.",
        "site_code varchar not null": "ODS code of the receiving hospital site, checked against ref.sites.",
        "source varchar not null": (
            "Where the row comes from: 'conveyances' (EMAS patient-level records) or 'sitrep' (NHS England published "
            "daily counts, used only for a site and day with no conveyances)."
        ),
        "arrivals bigint not null": (
            "Ambulance arrivals at the site on date: conveyances (latest version of each incident) or the sitrep's "
            "all-handovers count."
        ),
        "known bigint not null": (
            "Arrivals with a handover time: counted from conveyances, or the sitrep's known count."
        ),
        "unknown bigint not null": (
            "Arrivals with no handover time: counted from conveyances, or the sitrep's unknown count."
        ),
        "over_15 bigint": (
            "Known handovers taking strictly more than 15 minutes from arrival to clinical handover; null when the "
            "sitrep's count is unknown (raw.handover_sitrep)."
        ),
        "over_30 bigint": (
            "Known handovers taking strictly more than 30 minutes from arrival to clinical handover; null when the "
            "sitrep's count is unknown (raw.handover_sitrep)."
        ),
        "over_45 bigint": (
            "Known handovers taking strictly more than 45 minutes from arrival to clinical handover; null for a sitrep "
            "row that does not give it or whose count is unknown (raw.handover_sitrep)."
        ),
        "over_60 bigint": (
            "Known handovers taking strictly more than 60 minutes from arrival to clinical handover; null when the "
            "sitrep's count is unknown (raw.handover_sitrep)."
        ),
        "pct_over_15 double": (
            "Share of known handovers over 15 minutes in %: 100 x over_15 / known; null when over_15 is null or "
            "known is 0."
        ),
        "pct_over_30 double": (
            "Share of known handovers over 30 minutes in %: 100 x over_30 / known; null when over_30 is null or "
            "known is 0."
        ),
        "pct_over_45 double": (
            "Share of known handovers over 45 minutes in %: 100 x over_45 / known; null when over_45 is null or known "
            "is 0."
        ),
        "pct_over_60 double": (
            "Share of known handovers over 60 minutes in %: 100 x over_60 / known; null when over_60 is null or "
            "known is 0."
        ),
        "pct_unknown double": (
            "Share of arrivals with no handover time in %: 100 x unknown / arrivals; null when arrivals is 0."
        ),
        "total_minutes double": (
            "Sum of known handover times in minutes, or the sitrep's total hours x 60; null when there is no known "
            "handover or the sitrep gives no total."
        ),
        "hours_lost double": (
            "Sum over known handovers of minutes beyond 15 after arrival, in hours (AACE); 0 when none is known, null "
            "for a sitrep row."
        ),
        "hours_lost_over_60 double": (
            "Sum over known handovers of minutes beyond 60 after arrival, in hours; 0 when none is known, null for a "
            "sitrep row."
        ),
        "mean_minutes double": (
            "Mean handover time in minutes over known conveyances (null when none is known), or the sitrep's mean as "
            "submitted (null if it gives none)."
        ),
        "p90_minutes double": (
            "90th percentile of known handover times in minutes (linear interpolation); null when none is known or "
            "for a sitrep row."
        ),
        "p95_minutes double": (
            "95th percentile of known handover times in minutes (linear interpolation); null when none is known or "
            "for a sitrep row."
        ),
        "mean_turnaround_minutes double": (
            "Mean of vehicle clear minus arrival in minutes over conveyances with a clear time; null when none has "
            "one or for a sitrep row."
        ),
        "mean_handover_to_clear_minutes double": (
            "Mean of vehicle clear minus clinical handover in minutes over conveyances with both times; null when "
            "none has both or for a sitrep row."
        ),
    },
    "handover_rollup": _handover_rollup(None),
    "handover_trust": _handover_rollup("trust"),
    "handover_system": _handover_rollup("system"),
    "cnh_deflection_daily": {
        "date date not null": "Day (Europe/London) the hub received the cases.",
        "referral_source varchar not null": (
            "Referral source as mapped from DHU's codes: emas_cat34, nhs111_online_cat34, "
            "in_hours_validation_telephony, in_hours_validation_online, hcp_falls, hcp_non_falls or emas_dos."
        ),
        "is_ambulance_stack boolean not null": (
            "True for sources whose cases come off the ambulance stack (emas_cat34, nhs111_online_cat34), to which "
            "deflection applies."
        ),
        "cases bigint not null": "Cases (latest version of each) from the source received by the hub on date.",
        "dispatched bigint not null": "Cases for which an ambulance was dispatched, as flagged by DHU.",
        "returned_to_stack bigint not null": (
            "Cases with outcome returned to the ambulance stack, never counted as deflected."
        ),
        "dispatches_avoided bigint": (
            "Ambulance-stack cases closed by the hub without an ambulance dispatch (not returned to the stack); null "
            "for other sources (LOCAL RULE)."
        ),
        "deflection_rate double": (
            "Deflection rate in %: 100 x dispatches_avoided / cases; null for sources not on the ambulance stack "
            "(LOCAL RULE)."
        ),
        "responded bigint not null": "Cases with a first clinical contact time.",
        "total_response_minutes double": (
            "Sum over responded cases of first clinical contact minus received, in minutes; null when none responded."
        ),
        "mean_response_minutes double": (
            "Mean time from received to first clinical contact in minutes: total_response_minutes / responded; null "
            "when none responded."
        ),
        "within_30_min bigint not null": (
            "Cases with first clinical contact within 30 minutes of being received (30 minutes included)."
        ),
        "pct_within_30_min double": (
            "Share of responded cases contacted within 30 minutes in %: 100 x within_30_min / responded; null when "
            "none responded."
        ),
        "automated bigint not null": "Cases that were automated referrals, as flagged by DHU.",
        "pct_automated double": "Share of cases that were automated referrals in %: 100 x automated / cases.",
        "call_before_convey bigint not null": (
            "Cases flagged Call Before Convey (a crew on scene calling the hub); an empty flag counts as no."
        ),
        "to_own_gp bigint not null": "Cases with outcome own GP.",
        "to_utc_pcc bigint not null": "Cases with outcome urgent treatment centre or primary care centre.",
        "home_self_care bigint not null": "Cases with outcome treated at home or self-care.",
        "to_ed bigint not null": "Cases with outcome emergency department.",
        "community_pathway bigint not null": (
            "Cases with outcome community pathway (urgent community response, falls service)."
        ),
        "pct_own_gp double": "Share of cases with outcome own GP in %: 100 x to_own_gp / cases.",
        "pct_utc_pcc double": "Share of cases with outcome UTC or primary care centre in %: 100 x to_utc_pcc / cases.",
        "pct_home_self_care double": "Share of cases treated at home or self-care in %: 100 x home_self_care / cases.",
        "pct_ed double": "Share of cases with outcome emergency department in %: 100 x to_ed / cases.",
        "pct_community_pathway double": (
            "Share of cases with outcome community pathway in %: 100 x community_pathway / cases."
        ),
        "avoided_hospital bigint": (
            "HCP referrals (hcp_falls, hcp_non_falls) with no ambulance dispatched and an outcome other than ambulance "
            "dispatched, ED or admission; null for other sources."
        ),
        "pct_avoided_hospital double": (
            "Share of HCP-referral cases that avoided hospital in %: 100 x avoided_hospital / cases; null for other "
            "sources."
        ),
    },
    "cnh_deflection_rollup": {
        **_PERIOD,
        **_cnh_measures("Over the window"),
    },
    "cnh_deflection_monthly": {
        "month": "First day of the calendar month.",
        "through_date": (
            "Latest day of the month with rows in cnh_deflection_daily: the figures run from the 1st of the month to "
            "this day."
        ),
        **_cnh_measures("From the 1st of the month to through_date"),
    },
    "reconciliation_local_national": {
        "publication": (
            "National table the local figure is compared with: 'ae_monthly' (monthly A&E return, per month), "
            "'ambulance_collection' (daily ambulance collection) or 'winter_sitrep' (UEC daily sitrep), per day."
        ),
        "trust_code": "Trust ODS code: the local marts' trust_code (from ref.sites), the national row's org_code.",
        "trust_name": "Trust name from ref.sites; null if the code is not there.",
        "period_type": "'month' (the monthly A&E return) or 'day' (the daily collections).",
        "period": "First day of the month, or the day, compared.",
        "measure": (
            "What is compared: attendances and breaches (all department types), type_1_attendances and "
            "type_1_breaches (type 1 only, where both sides count type 1), arrivals (national all_handovers), "
            "over_30 (the sitrep's 30-60 plus over 60 minutes) or over_60."
        ),
        "status": (
            "'compared', or 'local month incomplete' when the local mart lacks a day of the month for the trust: "
            "then not compared (difference and within null)."
        ),
        "local_days": "Days of the period the local mart has rows for the trust (count).",
        "days_in_period": "Days in the period: the month's days, or 1 (count).",
        "local": (
            "The local figure (count): sum over the trust's sites and the period's days of marts.ed_four_hour_daily "
            "or marts.handover_daily."
        ),
        "national": (
            "The national figure (count) from the trust's row(s) in the publication; all types is the sum of its "
            "department types."
        ),
        "difference": "local - national (count); null when not compared.",
        "difference_pct": ("100 x difference / national in %; null when not compared or national is 0."),
        "tolerance_absolute": (
            "Largest difference in count still within tolerance, from ref.reconciliation_tolerances; null when none "
            "is configured (then no difference is allowed)."
        ),
        "tolerance_pct": (
            "Largest difference in % of national still within tolerance, from ref.reconciliation_tolerances; null "
            "when none is configured."
        ),
        "within": (
            "True when |difference| <= tolerance_absolute or |difference_pct| <= tolerance_pct: a difference counts "
            "only beyond both; null when not compared."
        ),
    },
    "opel_parameter_scores": {
        "date date not null": "OPEL day the submission is for.",
        "provider_code varchar not null": "ODS code of the submitting provider (the submission's org_code).",
        "parameter varchar not null": (
            "Acute OPEL parameter scored, as named in ref.opel_parameters (e.g. mean_handover_minutes, ed_4h_pct); "
            "only parameters the provider submitted a value for have a row."
        ),
        "value double not null": (
            "The parameter's value in the provider's declared submission for the day, as submitted (% or minutes, as "
            "the parameter's name says)."
        ),
        "level tinyint not null": (
            "OPEL level 1-4 the value scores against the configured inclusive bounds in ref.opel_parameters "
            "(schemas/reference/opel.yaml, placeholder values)."
        ),
        "weight double not null": "The parameter's configured weight in ref.opel_parameters (placeholder values).",
        "contribution double not null": "The parameter's contribution to the provider's derived score: level x weight.",
    },
    "opel_daily": {
        "date date not null": "OPEL day the level is declared for.",
        "provider_code varchar not null": (
            "ODS code (DHU for NHS 111) of a provider expected to post OPEL (ref.providers.submits_opel = 'yes'); "
            "every such provider has a row, submission or not."
        ),
        "role varchar not null": (
            "The provider's role from ref.providers: acute, ambulance, community, mental_health or nhs_111."
        ),
        "submissions bigint not null": (
            "Distinct submissions the provider made for the day (a copy in several exports counts once); 0 if none."
        ),
        "declared_level tinyint": (
            "Declared OPEL level 1-4 (docs/domain.md §7.3): the latest submission at or before 11:00 local time; on a "
            "late day the latest submission of the day; null when there was none."
        ),
        "submitted_at timestamp": (
            "Local (Europe/London) time the submission giving declared_level was made; null when there was none."
        ),
        "is_late boolean not null": (
            "True when the provider's first submission of the day came after 11:00 local time; false otherwise."
        ),
        "is_missing boolean not null": (
            "True when no submission was made at or before 11:00 local time, whether or not one came later."
        ),
        "changed_during_day boolean not null": (
            "True when the day's last submission came after 11:00 with a level other than the 11:00 declared_level "
            "(docs/domain.md §7.3: changed after 11:00); changes before 11:00, and late days, are false."
        ),
        "comment varchar": (
            "Free-text comment of the submission giving declared_level, with NHS numbers removed; null if none."
        ),
        "derived_score double": (
            "Sum of the provider's opel_parameter_scores contributions, scaled by total configured weight / weight "
            "scored; null when no parameter was scored."
        ),
        "derived_level tinyint": (
            "OPEL level 1-4 from banding derived_score by the configured provider bands in ref.opel_bands (placeholder "
            "values); null when there is no score."
        ),
        "parameters_scored bigint": (
            "Number of parameters scored in opel_parameter_scores for the day; null (not 0) when none."
        ),
        "level_gap tinyint": (
            "declared_level minus derived_level (positive: declared worse than derived); null when either is null."
        ),
        "ed_4h_pct_submitted double": (
            "4-hour performance in % as the provider submitted it with declared_level; null if not given."
        ),
        "ed_4h_pct_pipeline double": (
            "The pipeline's all-types 4-hour performance in % for the provider as a trust on date "
            "(ed_four_hour_trust); null when it has no ED figures."
        ),
        "pct_over_12h_submitted double": (
            "Share of patients over 12 hours in ED in % as the provider submitted it with declared_level; null if not "
            "given."
        ),
        "pct_over_12h_pipeline double": (
            "The pipeline's all-types share of attendances over 12 hours from arrival in % for the trust on date "
            "(ed_four_hour_trust); null when it has no ED figures."
        ),
        "mean_handover_submitted double": (
            "Mean ambulance handover time in minutes as the provider submitted it with declared_level; null if not "
            "given."
        ),
        "mean_handover_pipeline double": (
            "The pipeline's mean handover time in minutes for the trust on date (handover_trust.mean_minutes); null "
            "when it has no handover figures or no mean."
        ),
        "changed_to_level tinyint": (
            "The level the day's last submission after 11:00 changed to, shown beside declared_level (which it does "
            "not replace); null unless changed_during_day."
        ),
        "changed_at timestamp": "Local time of the submission giving changed_to_level; null unless changed_during_day.",
    },
    "opel_system_daily": {
        "date date not null": "OPEL day (Europe/London).",
        "system_code varchar not null": (
            "System (ICB) code the providers belong to, from ref.providers (QJ2 for Derby and Derbyshire)."
        ),
        "providers_expected bigint not null": (
            "Providers in the system expected to post OPEL (rows in opel_daily for the day)."
        ),
        "providers_declared bigint not null": (
            "Of those, providers with a declared level for the day, late submissions included."
        ),
        "providers_missing varchar": (
            "Codes of the providers with no submission by 11:00 local time, comma-separated in code order; null when "
            "none is missing."
        ),
        "system_score double": (
            "Weighted mean of declared levels (late ones included) by ref.opel_system_weights, over providers with a "
            "level and a weight; null when none declared."
        ),
        "system_level tinyint": (
            "OPEL level 1-4 from banding system_score by the configured system bands in ref.opel_bands (placeholder "
            "values); null when system_score is null."
        ),
    },
}

# The peer views (NHS England's published figures): a trust row is the publication's; a region or England row is
# NHS England's own where it prints one ('published'), else the sum of the trusts' counts ('sum of trusts').
_PEER_ORG = {
    "org_level": "'trust', 'region' or 'england': what the row counts.",
    "org_code": (
        "Trust ODS code; the region's name in capitals (MIDLANDS) for a region row; ENG (England, all acute trusts) "
        "for England."
    ),
    "org_name": "Trust, region or England as named (ref.trust_regions' name for a trust it lists).",
    "region": (
        "NHS England region of the trust (ref.trust_regions, else as published) or of the region row; null for "
        "England and for a provider no region is known for."
    ),
    "source": (
        "'published' (the publication's own row) or 'sum of trusts' (a region or England total NHS England does not "
        "print, summed from its trusts' counts, rates recomputed)."
    ),
    "trusts_summed": "Trust rows summed into a 'sum of trusts' total (count); null on published rows.",
}


def _rank(what: str) -> dict[str, str]:
    return {
        "_rank": (
            f"Rank of the trust among all trusts with the figure that day, 1 = {what}; trusts tied share the better "
            "rank (1, 2, 2, 4); null for a trust without the figure and on region and England rows."
        ),
        "_ranked": "Trusts ranked on that measure that day (count): the N of 'rank of N'.",
    }


COLUMNS["peer_daily"] = {
    "date": "Day the winter sitrep reports.",
    **_PEER_ORG,
    "ga_beds_open": (
        "Adult G&A beds open (count); a total sums the trusts giving both open and occupied, so the rate is fair."
    ),
    "ga_beds_occupied": "Adult G&A beds occupied (count); a total sums the trusts giving both counts.",
    "ga_occupancy_pct": (
        "G&A occupancy in %: 100 x ga_beds_occupied / ga_beds_open, computed from the counts, not the published rate; "
        "null when beds open is 0 or missing."
    ),
    **{f"occupancy{k}": v for k, v in _rank("the lowest occupancy").items()},
    "delays_from": (
        "Which publication the delay counts come from: 'winter sitrep' (where it gives both counts), else "
        "'ambulance collection' (its over-30 and over-60 bands); a total joins its trusts' sources with ' and '."
    ),
    "handover_delays_30_60": (
        "Ambulance arrivals whose handover took 30 to 60 minutes (count): the sitrep's, or the collection's over 30 "
        "minus over 60."
    ),
    "handover_delays_over_60": "Ambulance arrivals whose handover took over 60 minutes (count).",
    "handover_delays_over_30": (
        "Handovers over 30 minutes (count): handover_delays_30_60 + handover_delays_over_60; null when either is."
    ),
    **{f"delays{k}": v for k, v in _rank("the fewest delays over 30 minutes (a count: a big trust has more)").items()},
    "arrivals": (
        "Ambulance arrivals with a handover (count) from NHS England's daily ambulance collection for the trust-day; "
        "a total only when every trust in it with delay counts gives arrivals; null when not published."
    ),
    "delays_over_30_per_arrival": (
        "Handovers over 30 minutes per arrival (a fraction, 0-1): handover_delays_over_30 / arrivals; null without "
        "arrivals."
    ),
    **{f"per_arrival{k}": v for k, v in _rank("the fewest delays over 30 minutes per arrival").items()},
    "published_at_utc": "When the row's edition was published (the later of the sitrep's and the collection's), UTC.",
}

COLUMNS["peer_monthly"] = {
    "period": "First day of the month the A&E return is for.",
    **_PEER_ORG,
    "attendances": "A&E attendances in the month, all department types (count), from rows giving both counts.",
    "breaches": "Attendances over 4 hours from arrival to admission, transfer or discharge, all types (count).",
    "pct_within_4h": "4-hour performance in %: 100 x (1 - breaches / attendances); null when attendances is 0.",
    "rank": (
        "Rank of the provider among all providers with attendances that month, 1 = the highest 4-hour %; ties share "
        "the better rank; null on region and England rows."
    ),
    "ranked": "Providers ranked that month (count): the N of 'rank of N'.",
    "england_pct_within_4h": (
        "The funnel's centre in %: England's 4-hour performance that month (the ENG row, as published or summed)."
    ),
    "lower_95_pct": (
        "Lower 95% funnel limit in %: centre - 1.959964 x sqrt(p(1 - p) / attendances) x 100, p England's "
        "proportion (binomial, normal approximation); not below 0; null on total rows."
    ),
    "upper_95_pct": "Upper 95% funnel limit in %: centre + 1.959964 x the same sigma; not above 100 (%).",
    "lower_998_pct": "Lower 99.8% funnel limit in %: centre - 3.090232 x the same sigma; not below 0 (%).",
    "upper_998_pct": "Upper 99.8% funnel limit in %: centre + 3.090232 x the same sigma; not above 100 (%).",
    "funnel_flag": (
        "'above' or 'below' when pct_within_4h is outside the 99.8% limits (special cause, judged fairly for its "
        "size), 'within' otherwise; null on total rows."
    ),
    "funnel_flag_95": "The same against the 95% limits: 'above', 'below' or 'within' (null on total rows).",
    "published_at_utc": "When the row's edition was published (the latest of the rows summed), UTC.",
}
