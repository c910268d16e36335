"""marts.ed_four_hour_daily from the ED attendance files (brief 3.1, 7.1, 7.2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from tests.oracle.identity import Outcome, Record, current_records, drop_copies
from tests.oracle.landing import Row, code, event, instant, minutes, text
from tests.oracle.reference import Reference

LONGEST_STAY = timedelta(days=7)  # a longer stay is a keying slip: the record cannot be measured


def record_id(row: Row) -> str | None:
    return text(row, row.config.columns.get("record_id"))


def attendance(row: Row, ref: Reference, events: list) -> Record | None:
    """The row as an attendance, or None when it cannot be identified or placed (brief 7.2)."""
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
        # The 4-hour mart's key: a type the layout does not map cannot be placed.
        else "unmapped department type"
        if code(row, "department_type") is None
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


def ed_four_hour_daily(current: list[Record], ref: Reference) -> list[dict]:
    groups: dict[tuple, list[tuple[bool, float]]] = defaultdict(list)
    for a in current:
        departure = a.values["departure"]
        # An open attendance is measured to the cut-off of the extract it came in (brief 3.1).
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
            }
        )
    return out
