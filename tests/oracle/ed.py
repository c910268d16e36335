"""marts.ed_four_hour_daily from the ED attendance files and the daily-aggregate files (domain §2.2, 3.1, 7.1, 7.2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from tests.oracle import landing
from tests.oracle.identity import Outcome, Record, current_records, drop_copies
from tests.oracle.landing import Row, code, event, instant, minutes, number, text
from tests.oracle.reference import Reference

LONGEST_STAY = timedelta(days=7)  # a longer stay is a keying slip: the record cannot be measured


def record_id(row: Row) -> str | None:
    return text(row, row.config.columns.get("record_id"))


def attendance(row: Row, ref: Reference, events: list) -> Record | None:
    """The row as an attendance, or None when it cannot be identified or placed (docs/domain.md §7.2)."""
    rid, site = record_id(row), code(row, "site_code")
    arrival, departure = instant(row, "arrival_at"), instant(row, "departure_at")
    problem = (
        "no record id"
        if rid is None
        else "unknown site"
        if site not in ref.sites
        else "no valid arrival"
        if arrival is None or arrival > row.extracted_utc
        else "departure before arrival"
        if departure is not None and departure < arrival
        # The 4-hour measure itself: an unknown departure would read as still in the department.
        else "implausible departure"
        if departure is not None and (departure - arrival > LONGEST_STAY or departure > row.extracted_utc)
        # A type the layout does not map is unknown (None): the attendance still counts, in all types only.
        else None
    )
    if problem:
        events.append(event(row, f"quarantined: {problem}", rid))
        return None
    values = {"department_type": code(row, "department_type"), "departure": departure}
    return Record(row, row.config.provider_code, rid, site, arrival, values)


def attendances(rows: list[Row], ref: Reference) -> Outcome:
    kept, events = drop_copies(rows, record_id)
    valid = [a for a in (attendance(r, ref, events) for r in kept) if a is not None]
    outcome = current_records(valid, rows, record_id)
    outcome.events[:0] = events
    return outcome


def _aggregate_key(row: Row) -> str:
    return "|".join(str(text(row, row.config.columns.get(c))) for c in ("date", "site_code", "department_type"))


def _aggregate_counts(row: Row, ref: Reference) -> tuple[tuple, dict] | None:
    """((date, site, type), counts) for a row that passes the aggregate contract, else None."""
    when, site = landing.day(row, "date"), text(row, row.config.columns.get("site_code"))
    values = {c: number(row, c) for c in ("department_type", "attendances", "over_4h", "over_12h")}
    if when != row.file_day or site not in ref.sites or any(v is None or v != int(v) for v in values.values()):
        return None
    dept_type, attendances, over_4h, over_12h = (int(v) for v in values.values())
    if dept_type not in (1, 2, 3, 4) or not 0 <= over_12h <= over_4h <= attendances:
        return None
    return (when, site, dept_type), {"attendances": attendances, "over_4h": over_4h, "over_12h": over_12h}


def aggregates(rows: list[Row], ref: Reference) -> dict[tuple, dict]:
    """(date, site, type) -> counts: each site-day from the latest file with a valid row for it."""
    kept, _ = drop_copies(rows, _aggregate_key)
    by_site_day: dict[tuple, list[tuple]] = defaultdict(list)
    for row in kept:
        counted = _aggregate_counts(row, ref)
        if counted is not None:
            (when, site, dept_type), counts = counted
            by_site_day[(when, site)].append(((row.extracted_utc, row.file), dept_type, counts))
    found: dict[tuple, dict] = {}
    for (when, site), versions in by_site_day.items():
        newest = max(version for version, _, _ in versions)
        found |= {(when, site, t): c for version, t, c in versions if version == newest}
    return found


def ed_four_hour_daily(
    current: list[Record], ref: Reference, aggregated: dict[tuple, dict] | None = None
) -> list[dict]:
    groups: dict[tuple, list[tuple[bool, float]]] = defaultdict(list)
    for a in current:
        departure = a.values["departure"]
        # An open attendance is measured to the cut-off of the extract it came in (docs/domain.md §3.1).
        stay = minutes(departure or a.row.extracted_utc, a.when)
        groups[(a.day, a.site, a.values["department_type"])].append((departure is None, stay))
    out = []
    for (day, site, dept_type), stays in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        within = sum(1 for is_open, m in stays if not is_open and m <= 240)
        breaches = sum(1 for _, m in stays if m > 240)
        pending = sum(1 for is_open, m in stays if is_open and m <= 240)
        over_12h = sum(1 for _, m in stays if m > 720)
        out.append(
            {
                "date": day,
                "trust_code": ref.sites[site]["trust_code"],
                "site_code": site,
                "department_type": dept_type,
                "attendances": len(stays),
                "within_4h": within,
                "breaches": breaches,
                "pending": pending,
                "over_12h": over_12h,
                "pct_within_4h": 100.0 * within / (within + breaches) if within + breaches else None,
                "pct_over_12h": 100.0 * over_12h / len(stays),
                "source": "patient_level",
            }
        )
    # Patient level wins for a site-day sent both ways; a zero row has nothing to count.
    counted = {(r["date"], r["site_code"]) for r in out}
    for (when, site, dept_type), c in (aggregated or {}).items():
        if (when, site) in counted or c["attendances"] == 0:
            continue
        within = c["attendances"] - c["over_4h"]
        out.append(
            {
                "date": when,
                "trust_code": ref.sites[site]["trust_code"],
                "site_code": site,
                "department_type": dept_type,
                "attendances": c["attendances"],
                "within_4h": within,
                "breaches": c["over_4h"],
                "pending": 0,
                "over_12h": c["over_12h"],
                "pct_within_4h": 100.0 * within / c["attendances"],
                "pct_over_12h": 100.0 * c["over_12h"] / c["attendances"],
                "source": "aggregate",
            }
        )
    return sorted(out, key=lambda r: (r["date"], r["site_code"], r["department_type"] or 0))
