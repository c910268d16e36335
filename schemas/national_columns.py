"""The published-statistics tables' columns (schema `national`): NHS England's returns at trust grain, as published.

Keyed like every declared table ("name type [not null]" -> what it holds). A publication's rows are trusts and the
England and region totals NHS England prints beside them; `org_level` says which a row is.
"""

from __future__ import annotations

_ORG = {
    "org_code varchar not null": (
        "ODS code of the trust; for a total row, ENG (England, all acute trusts), ENG-T1 (England, type 1 acute "
        "trusts) or the region's name in capitals (MIDLANDS)."
    ),
    "org_name varchar": "The organisation's or total's name as published.",
    "org_level varchar not null": "'trust', 'region' or 'england': what the row is a count for.",
    "region varchar": "NHS England region the trust (or region row) belongs to, as published; null where not given.",
}

_PUBLISHED = {
    "source_file varchar not null": "Name of the published file the row came from (as in ops.publication_files).",
    "source_sha256 varchar not null": "SHA-256 of that file's bytes (hex).",
    "source_sheet varchar": "Workbook sheet the row was read from; null for a CSV.",
    "source_row integer not null": "Row number in the file or sheet as a spreadsheet shows it.",
    "published_at_utc timestamp not null": (
        "When the edition was published or fetched (provenance), UTC: a later edition's row for the same "
        "organisation and period replaces an earlier one's, whatever order they were loaded in."
    ),
}

_COUNT = "(count); null when not published for the organisation and day, or set to unknown (docs/domain.md §7.2)."

NATIONAL: dict[str, dict[str, str]] = {
    "winter_sitrep": {
        **_ORG,
        "date date not null": "Day the situation report is for.",
        "ga_beds_open bigint": f"Adult general and acute beds open {_COUNT}",
        "ga_beds_occupied bigint": f"Adult general and acute beds occupied {_COUNT}",
        "ga_beds_void bigint": f"Adult G&A beds void (empty, not available for a new patient) {_COUNT}",
        "ga_occupancy_rate double": (
            "Adult G&A occupancy as published (0-1); null where not published or inconsistent with beds occupied "
            "and open. The marts compute occupancy from the counts."
        ),
        "cc_adult_open bigint": f"Adult critical care beds open {_COUNT}",
        "cc_adult_occupied bigint": f"Adult critical care beds occupied {_COUNT}",
        "cc_occupancy_rate double": "Adult critical care occupancy as published (0-1); null where not published.",
        "beds_closed_norovirus bigint": f"Beds closed for diarrhoea, vomiting or norovirus {_COUNT}",
        "unoccupied_beds_closed_norovirus bigint": f"Of those, beds closed and unoccupied {_COUNT}",
        "beds_long_stay_over_7_days bigint": f"Beds occupied by patients in hospital over 7 days {_COUNT}",
        "beds_long_stay_over_21_days bigint": f"Beds occupied by patients in hospital over 21 days {_COUNT}",
        "ga_beds_flu bigint": f"G&A beds occupied by patients with flu {_COUNT}",
        "cc_beds_flu bigint": f"Critical care beds occupied by patients with flu {_COUNT}",
        "ae_closures bigint": f"A&E closures {_COUNT}",
        "ae_diverts bigint": f"A&E diverts {_COUNT}",
        "handover_delays_30_60 bigint": f"Ambulance arrivals whose handover took 30 to 60 minutes {_COUNT}",
        "handover_delays_over_60 bigint": f"Ambulance arrivals whose handover took over 60 minutes {_COUNT}",
        **_PUBLISHED,
    },
    "ambulance_collection": {
        **_ORG,
        "date date not null": "Day the handovers are for (from the file's Period column).",
        "all_handovers bigint": f"Ambulance arrivals with a handover (all) {_COUNT}",
        "known bigint": f"Arrivals with a known handover time {_COUNT}",
        "unknown bigint": f"Arrivals with no handover time {_COUNT}",
        "over_15 bigint": f"Known handovers over 15 minutes {_COUNT}",
        "over_30 bigint": f"Known handovers over 30 minutes {_COUNT}",
        "over_45 bigint": f"Known handovers over 45 minutes {_COUNT}",
        "over_60 bigint": f"Known handovers over 60 minutes {_COUNT}",
        "total_hours double": "Total handover time of the known handovers, hours; null when not published or unusable.",
        "mean_minutes double": "Mean handover time (published as HH:MM:SS[.ffffff]), minutes; null when unusable.",
        **_PUBLISHED,
    },
    "ae_monthly": {
        **_ORG,
        "period date not null": "First day of the month the return is for.",
        "department_type varchar not null": "'1' (type 1 major ED), '2' (single specialty) or 'other' (types 3-4).",
        "attendances bigint": f"A&E attendances in the month {_COUNT}",
        "breaches bigint": f"Attendances over 4 hours from arrival to admission, transfer or discharge {_COUNT}",
        "admissions bigint": f"Emergency admissions via A&E {_COUNT}",
        **_PUBLISHED,
    },
}

PUBLICATION_FILES = {
    "publication varchar not null": "Publication the file is an edition of (a national table's name).",
    "file_name varchar not null": "Name of the file as landed.",
    "path varchar not null": "Path of the file in the landing area when it was read.",
    "sha256 varchar not null": "SHA-256 of the file's bytes (hex).",
    "size_bytes bigint not null": "Size of the file in bytes.",
    "source_url varchar": "Address the file was fetched from (uec public fetch); null for a file put in by hand.",
    "fetched_at_utc timestamp": "When it was fetched, UTC; null for a file put in by hand.",
    "published_at_utc timestamp not null": (
        "The edition's time: when fetched, else the file's arrival in the landing area, UTC."
    ),
    "period_from date": "First day (or month) the file holds rows for; null when no row loaded.",
    "period_to date": "Last day (or month) the file holds rows for; null when no row loaded.",
    "rows_read bigint not null": "Data rows read (count) = rows_loaded + rows_quarantined + rows_duplicate.",
    "rows_loaded bigint not null": "Rows loaded into the national table (count), those with an unknown value included.",
    "rows_quarantined bigint not null": "Rows quarantined whole (count); ops.quarantine names each with its reason.",
    "rows_duplicate bigint not null": "Rows repeating an earlier row of the file exactly (count), counted once.",
    "rows_with_unknown_values bigint not null": "Loaded rows with a value set to unknown (count, docs/domain.md §7.2).",
    "loaded_at_utc timestamp not null": "When the file was loaded, UTC.",
}
