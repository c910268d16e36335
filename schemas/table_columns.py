"""The raw, reference and ops tables' columns, and the views over them: with mart_columns, the data dictionary.

A table's column is keyed by its definition ("name type [not null] [default ...]"), which makes the warehouse's
DDL (schemas/tables.py); a view's by its name alone, its types coming from the SQL that defines it.
"""

from __future__ import annotations

from schemas.defaults import IDENTITY_WINDOW_HOURS, OVER_12H_MINUTES
from schemas.national_columns import PUBLICATION_FILES
from schemas.tables import described

# Local times are Europe/London wall-clock as the provider sent them; *_utc are the same instants in UTC, on
# which every duration is measured (docs/domain.md §3). A raw table keeps every valid version of every record.

_LINEAGE = {
    "extracted_at_utc timestamp not null": (
        "When the provider's extract was taken, UTC timestamp (from the file name or the layout's extracted_at "
        "rule; a _v2 re-send adds microseconds so re-sends order by version)."
    ),
    "source_file varchar not null": "Name of the landed file the row came from.",
    "source_sha256 varchar not null": "SHA-256 of the landed file's bytes (hex), as in ops.source_files.sha256.",
    "source_row integer not null": (
        "Row number in the file as a spreadsheet shows it: the header is row 1, the first data row 2."
    ),
}


def _landed(placed: str = "record") -> dict[str, str]:
    return {
        "partition_date date not null": (
            f"Activity day named by the landed file the {placed} came in (its partition); a record counts on its "
            "own day, which can be the day before (docs/domain.md §7.1)."
        ),
        "provider_code varchar not null": (
            "ODS code of the provider whose file carried the row, from its layout (DHU for NHS 111)."
        ),
    }


def _local(event: str, required: bool = False) -> dict[str, str]:
    """A local wall-clock time and its UTC instant, named <event>_at and <event>_utc (not null when required)."""
    kind = "timestamp not null" if required else "timestamp"
    return {
        f"{event}_at {kind}": f"{_EVENTS[event]}, Europe/London local timestamp as sent.",
        f"{event}_utc {kind}": f"{_EVENTS[event]}, UTC timestamp (durations are measured on these).",
    }


_EVENTS = {
    "arrival": "Arrival",
    "departure": "Departure from the department; null while the patient is still there",
    "decision_to_admit": "Decision to admit; null when there was none or the value was unusable",
    "handover": (
        "Clinical handover to the hospital; null when unknown (not sent, or set to unknown, docs/domain.md §7.2)"
    ),
    "clear": "Vehicle clear; null when not sent or unusable",
    "received": "Case received by the hub",
    "first_contact": "First clinical contact; null when none yet or unusable (before received)",
    "submitted": "Submission made",
}

_DEPARTMENT_TYPE = (
    "ED department type 1-4 (NHS Data Dictionary): 1 consultant-led 24-hour major ED, 2 single specialty, 3 other "
    "A&E, minor injury unit or urgent treatment centre, 4 walk-in centre."
)
_SITE = "ODS code of the hospital site, mapped from the provider's code and checked against ref.sites."
# A sitrep band out of nesting with its neighbour: both values of the pair become unknown (docs/domain.md §7.2).
_BAND_UNKNOWN = "null when unknown: unreadable, or out of nesting with a neighbouring band (docs/domain.md §7.2)."

RAW: dict[str, dict[str, str]] = {
    "ed_attendances": {
        **_landed("attendance"),
        "record_id varchar not null": (
            "The provider's attendance id; with provider_code it names one attendance (docs/domain.md §7.1). An id "
            "holding an NHS number is stored as 'hashed:' and its keyed hash (that number's patient key)."
        ),
        "site_code varchar not null": _SITE,
        "department_code varchar": (
            "The provider's own department or unit code as sent (e.g. AED); 'unknown' if unusable."
        ),
        "department_type tinyint": _DEPARTMENT_TYPE[:-1]
        + "; null when unknown (a code not in the layout's mapping: the attendance still counts).",
        **_local("arrival", required=True),
        **_local("departure"),
        "arrival_mode varchar not null": (
            "'ambulance' or 'other' (mapped from the provider's code); 'unknown' when not understood."
        ),
        "acuity tinyint": "Triage acuity 1-5 as sent (1 most urgent); null when not sent or out of range.",
        **_local("decision_to_admit"),
        "disposal varchar": (
            "Where the patient went: admitted, discharged, transferred or other; 'unknown' if not mapped."
        ),
        "age_band varchar": "Age band: 0-17, 18-64, 65-74, 75-84 or 85+; 'unknown' when not understood.",
        "patient_key varchar": (
            "Keyed hash (HMAC-SHA256) of a valid NHS number, never the number itself; null when none was sent or it "
            "failed the modulus 11 check."
        ),
        **_LINEAGE,
    },
    "ed_daily_aggregates": {
        **_landed("row"),
        "date date not null": "Activity day (Europe/London) the counts are for.",
        "site_code varchar not null": _SITE,
        "department_type tinyint not null": _DEPARTMENT_TYPE,
        "attendances bigint not null": (
            "Attendances at the site and department type on date, as the provider counted them."
        ),
        "over_4h bigint not null": (
            "Of those, attendances over 4 hours (240 minutes) from arrival, as counted by the provider."
        ),
        "over_12h bigint not null": (
            f"Of those, attendances over 12 hours ({OVER_12H_MINUTES} minutes) from arrival, as counted by the "
            "provider."
        ),
        **_LINEAGE,
    },
    "ambulance_handovers": {
        **_landed("conveyance"),
        "incident_id varchar not null": (
            "EMAS incident number; with site_code it names one conveyance (docs/domain.md §7.1). One holding an NHS "
            "number is stored as 'hashed:' and its keyed hash."
        ),
        "site_code varchar not null": (
            "ODS code of the receiving hospital site, mapped from EMAS's hospital code (ref.sites)."
        ),
        "call_category varchar not null": "999 call category C1-C4; 'unknown' when not understood.",
        **_local("arrival", required=True),
        **_local("handover"),
        **_local("clear"),
        **_LINEAGE,
    },
    "handover_sitrep": {
        **_landed("row"),
        "date date not null": "Day (Europe/London) the published counts are for.",
        "site_code varchar not null": _SITE,
        "all_handovers bigint not null": "Ambulance arrivals at the site on date (count); equals known + unknown.",
        "known bigint not null": "Arrivals with a known handover time (count).",
        "unknown bigint not null": "Arrivals with no handover time (count).",
        "over_15 bigint": f"Known handovers over 15 minutes (count); {_BAND_UNKNOWN}",
        "over_30 bigint": f"Known handovers over 30 minutes (count); {_BAND_UNKNOWN}",
        "over_45 bigint": (
            f"Known handovers over 45 minutes (count); {_BAND_UNKNOWN} Null also when the sitrep does not give it."
        ),
        "over_60 bigint": f"Known handovers over 60 minutes (count); {_BAND_UNKNOWN}",
        "total_hours double": "Total handover time of the known handovers, in hours; null when not given or unusable.",
        "mean_minutes double": "Mean handover time as published, in minutes; null when not given or unusable.",
        **_LINEAGE,
    },
    "cnh_cases": {
        **_landed("case"),
        "case_id varchar not null": (
            "DHU's case reference; with provider_code it names one case (docs/domain.md §7.1). One holding an NHS "
            "number is stored as 'hashed:' and its keyed hash."
        ),
        "referral_source varchar not null": (
            "Referral source mapped from DHU's code: emas_cat34, nhs111_online_cat34, in_hours_validation_telephony, "
            "in_hours_validation_online, hcp_falls, hcp_non_falls, emas_dos; 'unknown' when not mapped."
        ),
        "call_before_convey boolean": (
            "True when a crew on scene called the hub (Call Before Convey); null when not sent."
        ),
        **_local("received", required=True),
        **_local("first_contact"),
        "outcome varchar not null": (
            "Case outcome: ambulance_dispatched, returned_to_stack, ed, admission, utc_pcc, own_gp, home_self_care, "
            "community_pathway or other; 'unknown' when not mapped."
        ),
        "ambulance_dispatched boolean": "True when an ambulance was dispatched for the case; null when unusable.",
        "automated boolean": "True when the referral reached the hub automatically; null when unusable.",
        "disposition_band varchar": "Disposition band: '1h' or '2h'; 'unknown' when not mapped, null when not sent.",
        **_LINEAGE,
    },
    "opel_submissions": {
        **_landed("submission"),
        "org_code varchar not null": "ODS code of the organisation the submission is for (ref.providers).",
        "date date not null": "OPEL day the submission is for.",
        **_local("submitted", required=True),
        "declared_level tinyint not null": (
            "OPEL level declared, 1 (able to meet demand) to 4 (unable to deliver comprehensive care)."
        ),
        "comment varchar": "Free-text comment as submitted, with any NHS number replaced by '[NHS number removed]'.",
        "mean_handover_minutes double": "Acute parameter: mean ambulance handover time since midnight, in minutes.",
        "ed_4h_pct double": "Acute parameter: ED all-types 4-hour performance, percentage 0-100.",
        "ed_attendance_variation_pct double": (
            "Acute parameter: ED attendances against the expected number, percentage change (-100 to 1000)."
        ),
        "majors_resus_occupancy_pct double": (
            "Acute parameter: majors and resus occupancy, in % 0-300 (can exceed 100)."
        ),
        "median_time_to_treatment_minutes double": "Acute parameter: median time to treatment, in minutes.",
        "pct_over_12h_in_ed double": "Acute parameter: patients over 12 hours in ED, percentage 0-100.",
        "adult_ga_bed_occupancy_pct double": (
            "Acute parameter: adult general and acute bed occupancy, percentage 0-100."
        ),
        "escalation_beds_pct double": "Acute parameter: open beds that are escalation beds, percentage 0-100.",
        "no_criteria_to_reside_pct double": (
            "Acute parameter: beds occupied by patients with no criteria to reside, 0-100 %."
        ),
        **_LINEAGE,
    },
}

# raw.opel_declared: one row per provider and day, the submission docs/domain.md §7.3 declares, with its timeliness.
OPEL_DECLARED = {
    **described(RAW["opel_submissions"]),
    "on_time": "True when this submission was made at or before 11:00 local time on date.",
    "submissions": "Distinct submissions the provider made for the day (a copy in several exports counts once).",
    "any_on_time": "True when any of the day's submissions was made at or before 11:00 local time.",
    "changed_during_day": (
        "True when the day's last submission came after 11:00 with another level (docs/domain.md §7.3)."
    ),
    "changed_to_level": "The level the day's last submission after 11:00 changed to; null unless changed_during_day.",
    "changed_at": "Local time of the submission giving changed_to_level; null unless changed_during_day.",
}

# raw.<feed>_reused and ops.record_ids_reused: versions whose id already names another record (docs/domain.md §7.1).
REUSED = {
    "feed": "Feed the version came in (a raw table's name).",
    "provider_code": "ODS code of the provider whose file carried the version.",
    "partition_date": "Activity day named by the file the version came in.",
    "file_name": "Name of the landed file holding the version.",
    "source_row": "Row number of the version in that file (the header is row 1).",
    "record_key": "The record id (for conveyances incident / site) the version reused.",
    "reason": "Why it is not counted: 'record id reused for a different <record> (first seen <file>, <time>)'.",
    "action": "Always 'record id reused: not counted': the version is kept as history, the first record counts.",
}

# raw.<feed>_withdrawn and ops.records_withdrawn: versions a later full re-send no longer holds (docs/domain.md §7.1).
WITHDRAWN = {
    "feed": "Feed the version came in (a raw table's name).",
    "provider_code": "ODS code of the provider whose file carried the version.",
    "partition_date": "Activity day named by the file the version came in (and the re-send replaced).",
    "file_name": "Name of the landed file holding the withdrawn version.",
    "source_row": "Row number of the version in that file (the header is row 1).",
    "record_key": "The record id (for conveyances incident / site) no longer sent.",
    "withdrawn_by": "The later full re-send(s) for the same day whose accepted rows no longer hold the record.",
}

# raw.<feed>_resent_with_fault and ops.records_resent_with_fault: failed re-sent rows, earlier version kept (7.2).
RESENT_WITH_FAULT = {
    "feed": "Feed the re-sent row came in (a raw table's name).",
    "provider_code": "ODS code of the provider whose file carried the row.",
    "partition_date": "Activity day named by the file the row came in.",
    "file_name": "Name of the later file whose row failed validation.",
    "source_row": "Row number in that file (the header is row 1); ops.quarantine says why it failed.",
    "record_key": "The record id the row names (for conveyances incident / site).",
    "reason": "One of the reasons the row was quarantined (ops.quarantine lists each failing cell).",
    "kept_file": "The earlier file whose valid version of the record still counts.",
    "action": "Always 're-sent with a fault, earlier version kept'.",
}

REFERENCE: dict[str, dict[str, str]] = {
    "sites": {
        "site_code varchar": "ODS code of the hospital site (e.g. RTG01 Royal Derby Hospital).",
        "site_name varchar not null": "Name of the site.",
        "trust_code varchar not null": "ODS code of the trust running the site.",
        "trust_name varchar not null": "Name of the trust.",
        "system_code varchar not null": "Code of the system (ICB) the trust belongs to (QJ2 for Derby and Derbyshire).",
        "system_name varchar not null": "Name of the system (ICB).",
        "ods_checked varchar": "'yes' when the code has been checked against the ODS register, 'no' otherwise.",
    },
    "targets": {
        "metric varchar not null": "Name of the standard (e.g. ed_4h_operational, handover_within_15).",
        "effective_from date not null": "First day the value is in force.",
        "effective_to date": "Last day the value is in force; null while it still is.",
        "value_pct double not null": "The standard's value, percentage 0-100.",
        "direction varchar not null": "'at_least' (performance must reach it) or 'at_most' (a ceiling).",
        "description varchar": "What the standard is, in words.",
        "source varchar": "Where the standard comes from (plan, contract or constitution).",
    },
    "system_headline": {
        "system_code varchar not null": "Code of the system (ICB) whose headline ED figure this trust is part of.",
        "trust_code varchar not null": (
            "ODS code of a trust whose sites (all of them, all department types) make the headline."
        ),
        "figure_name varchar not null": (
            "What the headline counts, in words (e.g. 'acute trusts'); shown beside the figure."
        ),
    },
    "providers": {
        "provider_code varchar": "ODS code of the provider (DHU for NHS 111).",
        "provider_name varchar not null": "Name of the provider.",
        "role varchar not null": "acute, ambulance, community, mental_health or nhs_111.",
        "system_code varchar not null": "Code of the system (ICB) the provider belongs to.",
        "submits_opel varchar not null": "'yes' when the provider is expected to post OPEL daily, 'no' otherwise.",
    },
    "opel_parameters": {
        "parameter varchar": "Acute OPEL parameter name (as in raw.opel_submissions).",
        "weight double not null": "Weight of the parameter in a provider's derived score (placeholder value).",
        "direction varchar not null": "'higher_is_worse' or 'higher_is_better': which way the bounds run.",
        "bound_1 double not null": "Inclusive bound between level 1 and 2, in the parameter's unit (minutes or %).",
        "bound_2 double not null": "Inclusive bound between level 2 and 3, in the parameter's unit.",
        "bound_3 double not null": "Inclusive bound between level 3 and 4, in the parameter's unit.",
    },
    "opel_bands": {
        "scope varchar not null": "'provider' (a provider's derived score) or 'system' (the system score).",
        "level tinyint not null": "OPEL level 1-4 the band gives.",
        "max_score double not null": "Highest score (inclusive) in the band.",
    },
    "trust_regions": {
        "trust_code varchar": "ODS code of the acute trust (as NHS England's winter sitrep names it).",
        "trust_name varchar not null": "Name of the trust as published (its latest name in the 2022-23 sitrep).",
        "region varchar not null": (
            "NHS England region the trust belongs to, as the 2022-23 winter sitrep publishes it (e.g. Midlands); the "
            "peer marts' region rows are its code in capitals (MIDLANDS)."
        ),
    },
    "opel_system_weights": {
        "provider_code varchar": "ODS code of the provider.",
        "weight double not null": (
            "The provider's weight in the system OPEL score (a weighted mean of declared levels)."
        ),
    },
    "reconciliation_tolerances": {
        "publication varchar": (
            "National table the local figure is compared with: ae_monthly, ambulance_collection or winter_sitrep."
        ),
        "measure varchar": (
            "Measure compared (as in marts.reconciliation_local_national.measure): attendances, breaches, "
            "type_1_attendances, type_1_breaches, arrivals, over_30 or over_60."
        ),
        "absolute bigint not null": "Largest difference in the count (either way) still within tolerance.",
        "percent double not null": (
            "Largest difference as a % of the national figure (either way) still within tolerance; a difference "
            "counts only beyond both this and absolute."
        ),
        "reason varchar": "Why the tolerance is what it is, in words.",
    },
}

REPORTING_PERIODS = {
    "date": "A calendar day, 1 April 2015 to 31 March 2040.",
    "period": "'day', 'month_to_date' or 'year_to_date'.",
    "period_start": "First day of the window ending on date: date, the 1st of the month, or 1 April (NHS year).",
}

_FILE = {
    "feed varchar not null": "Feed the file was landed for (a raw table's name).",
    "provider_code varchar not null": "ODS code of the provider whose layout read the file.",
    "partition_date date not null": "Activity day named by the file.",
    "file_name varchar not null": "Name of the landed file.",
}

OPS: dict[str, dict[str, str]] = {
    "source_files": {
        **_FILE,
        "path varchar not null": "Path of the file in the landing area when it was read.",
        "sha256 varchar not null": "SHA-256 of the file's bytes (hex).",
        "size_bytes bigint not null": "Size of the file in bytes.",
        "received_at_utc timestamp not null": (
            "When the file arrived in the landing area (its modification time), UTC timestamp."
        ),
        "extracted_at_utc timestamp not null": _LINEAGE["extracted_at_utc timestamp not null"],
        "rows_read bigint not null": "Data rows read (count) = rows_loaded + rows_quarantined + rows_duplicate.",
        "rows_loaded bigint not null": (
            "Rows loaded into the raw table (count), those with a value set to unknown included."
        ),
        "rows_quarantined bigint not null": "Rows quarantined as whole records (count).",
        "unexpected_columns varchar": (
            "Names of columns the layout does not map (names only, never values); null if none."
        ),
        "nhs_numbers_removed bigint not null default 0": (
            "NHS numbers taken out of the file before storage (count): replaced by '[NHS number removed]' in any "
            "mapped column but the NHS number's own, or hashed in a record id."
        ),
        "resend varchar default 'incremental'": (
            "'full' (a later file for the day replaces the day's set) or 'incremental' (adds and updates)."
        ),
        f"identity_window_hours double default {IDENTITY_WINDOW_HOURS}": (
            "Hours two versions of one id may be placed apart and still be one record."
        ),
        "rows_duplicate bigint default 0": "Rows repeating an earlier row of the file exactly (count), counted once.",
        "rows_with_unknown_values bigint default 0": (
            "Loaded rows that lost a value set to unknown (count, docs/domain.md §7.2)."
        ),
    },
    "rejected_files": {
        **_FILE,
        "path varchar not null": "Path of the file in the landing area.",
        "sha256 varchar not null": "SHA-256 of the file's bytes (hex).",
        "size_bytes bigint not null": "Size of the file in bytes.",
        "received_at_utc timestamp not null": (
            "When the file arrived in the landing area (its modification time), UTC timestamp."
        ),
        "reason varchar not null": "Why it could not be read: where and what kind of fault, never the file's content.",
    },
    "duplicate_files": {
        **_FILE,
        "sha256 varchar not null": "SHA-256 of the file's bytes (hex), the same as the file it duplicates.",
        "duplicate_of varchar not null": "Name of the earlier file with the same bytes (the one loaded).",
    },
    "duplicate_rows": {
        **_FILE,
        "sha256 varchar not null": "SHA-256 of the file's bytes (hex).",
        "source_row integer not null": "Row number of the copy in the file (the header is row 1).",
        "duplicate_of_row integer not null": "Row number of the earlier identical row, the one that counts.",
    },
    "quarantine": {
        **_FILE,
        "sha256 varchar not null": "SHA-256 of the file's bytes (hex).",
        "source_row integer not null": "Row number in the file as a spreadsheet shows it (the header is row 1).",
        "column_name varchar": "Canonical column the failing value maps to; null for a fault of the whole row.",
        "source_column varchar": "The provider's column name for it in the file; null for a fault of the whole row.",
        "reason varchar not null": "The rule the value broke, in words an analyst can act on.",
        "value varchar": "The file's value as text (identifiers shown as <redacted>); null when empty.",
        "record varchar": (
            "The row's mapped columns as JSON, identifiers masked; unmapped columns named, never their values."
        ),
        "action varchar default 'record quarantined'": (
            "'record quarantined' (the row was not loaded) or 'value set to unknown' (it was, without it)."
        ),
        "record_key varchar": (
            "The record's id as read from the row (feeds with record identity; ' / ' between parts), so a re-sent "
            "version that failed is matched to the earlier one it leaves standing; null when unreadable or the row "
            "is ragged."
        ),
    },
    "marts_to_rebuild": {
        "mart varchar not null": "Daily mart to rebuild (a marts table's name).",
        "day date not null": "Day of the mart to rebuild.",
        "feed varchar not null": "Feed whose run moved records onto that day.",
        "partition_date date not null": "Day of files that run loaded.",
    },
    "schema_version": {
        "sha256 varchar": "SHA-256 of the schema SQL the warehouse was last built with.",
        "built_at timestamp with time zone": "When it was built, local timestamp with time zone.",
    },
    "publication_files": PUBLICATION_FILES,
    "pseudonymisation_key": {
        "fingerprint varchar not null": (
            "HMAC of a fixed label with the key patient keys are made with (never the key itself)."
        ),
        "recorded_at timestamp not null": "When the first run hashing with the key recorded it.",
    },
}

# The views analysts read besides the marts: name -> (description, columns).
VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "ref.reporting_periods": (
        "Every day with its day, month-to-date and year-to-date window starts (the NHS year starts 1 April).",
        REPORTING_PERIODS,
    ),
    "raw.opel_declared": (
        (
            "Each provider's OPEL submission that counts for the day (docs/domain.md §7.3), with its timeliness and any"
            " change."
        ),
        OPEL_DECLARED,
    ),
    "ops.record_ids_reused": (
        (
            "Every feed's versions whose record id already names another record: kept, never counted (docs/domain.md "
            "§7.1)."
        ),
        REUSED,
    ),
    "ops.records_withdrawn": (
        "Every feed's versions a later full re-send of their day no longer holds: kept, no longer counted.",
        WITHDRAWN,
    ),
    "ops.records_resent_with_fault": (
        "Every feed's re-sent rows that failed validation while an earlier valid version of the record still counts.",
        RESENT_WITH_FAULT,
    ),
}
