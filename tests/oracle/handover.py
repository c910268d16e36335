"""marts.handover_daily from EMAS conveyances, and the UHDB sitrep where a site-day has none (domain §3.2, 7.2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from tests.oracle.identity import Outcome, Record, current_records, drop_copies
from tests.oracle.landing import Row, code, day, event, instant, london_day, minutes, number, text
from tests.oracle.reference import Reference

DAY = timedelta(hours=24)


def incident_id(row: Row) -> str | None:
    return text(row, row.config.columns.get("incident_id"))


def conveyance(row: Row, ref: Reference, events: list) -> Record | None:
    """The row as a conveyance; a bad handover or clear time becomes unknown, the conveyance still counts."""
    rid, site, arrival = incident_id(row), code(row, "site_code"), instant(row, "arrival_at")
    problem = (
        "no incident id"
        if rid is None
        else "unknown site"
        if site not in ref.sites
        else "no valid arrival"
        if arrival is None or arrival > row.extracted_utc
        else None
    )
    if problem:
        events.append(event(row, f"quarantined: {problem}", rid))
        return None
    handover, clear = instant(row, "handover_at"), instant(row, "clear_at")
    if clear is not None and (clear < arrival or clear - arrival > DAY):
        row.notes.append("clear_at: before arrival or over 24 hours after it, set to unknown")
        clear = None
    # docs/domain.md §7.2: before arrival, after vehicle clear or over 24 hours after arrival -> handover unknown.
    if handover is not None and (handover < arrival or handover - arrival > DAY or (clear and handover > clear)):
        row.notes.append("handover_at: implausible, set to unknown")
        events.append(event(row, "handover set to unknown", rid, london_day(arrival)))
        handover = None
    return Record(row, row.config.provider_code, rid, site, arrival, {"handover": handover, "clear": clear})


def conveyances(rows: list[Row], ref: Reference) -> Outcome:
    kept, events = drop_copies(rows, incident_id)
    valid = [c for c in (conveyance(r, ref, events) for r in kept) if c is not None]
    outcome = current_records(valid, rows, incident_id)
    outcome.events[:0] = events
    return outcome


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's and DuckDB's quantile_cont default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _from_conveyances(site_conveyances: list[Record]) -> dict:
    known = [minutes(c.values["handover"], c.when) for c in site_conveyances if c.values["handover"] is not None]
    turnaround = [minutes(c.values["clear"], c.when) for c in site_conveyances if c.values["clear"] is not None]
    to_clear = [
        minutes(c.values["clear"], c.values["handover"])
        for c in site_conveyances
        if c.values["clear"] is not None and c.values["handover"] is not None
    ]
    return {
        "source": "conveyances",
        "arrivals": len(site_conveyances),
        "known": len(known),
        "unknown": len(site_conveyances) - len(known),
        "over_15": sum(1 for m in known if m > 15),
        "over_30": sum(1 for m in known if m > 30),
        "over_45": sum(1 for m in known if m > 45),
        "over_60": sum(1 for m in known if m > 60),
        "total_minutes": sum(known) if known else None,
        # AACE hours lost: each handover's own minutes beyond 15 (not total minus 15 x count).
        "hours_lost": sum(max(0.0, m - 15) for m in known) / 60,
        "hours_lost_over_60": sum(max(0.0, m - 60) for m in known) / 60,
        "mean_minutes": _mean(known),
        "p90_minutes": percentile(known, 0.90) if known else None,
        "p95_minutes": percentile(known, 0.95) if known else None,
        "mean_turnaround_minutes": _mean(turnaround),
        "mean_handover_to_clear_minutes": _mean(to_clear),
    }


def sitrep_bands(counts: dict[str, int | None], row: Row, events: list) -> dict[str, int | None]:
    """The delay bands after docs/domain.md §7.2: a negative band is unknown, and so are both bands of a pair out of
    nesting (over 15 above known loses only over 15). Every rule reads the counts as sent."""
    bands = ("over_15", "over_30", "over_45", "over_60")
    lost = {b for b in bands if counts[b] is not None and counts[b] < 0}
    inner_outer = [("over_30", "over_15"), ("over_45", "over_30"), ("over_60", "over_45")]
    if counts["over_45"] is None:
        inner_outer.append(("over_60", "over_30"))
    for inner, outer in inner_outer:
        if counts[inner] is not None and counts[outer] is not None and counts[inner] > counts[outer]:
            lost |= {inner, outer}
    if counts["over_15"] is not None and counts["known"] is not None and counts["over_15"] > counts["known"]:
        lost.add("over_15")
    for band in sorted(lost):
        row.notes.append(f"{band}: out of nesting or negative, set to unknown")
        events.append(event(row, f"{band} set to unknown"))
    return {b: None if b in lost else counts[b] for b in bands}


def sitrep_rows(rows: list[Row], ref: Reference, events: list | None = None) -> dict[tuple, dict]:
    """The latest loadable sitrep row per (date, site): arrivals whole (all = known + unknown, none negative) or the
    row is not counted; its bands after `sitrep_bands`."""
    events = [] if events is None else events
    latest: dict[tuple, dict] = {}
    for row in rows:  # oldest extract first, so a later row overwrites
        site, when = text(row, row.config.columns.get("site_code")), day(row, "date")
        if site not in ref.sites or when is None:
            continue

        def count(name: str, row=row) -> int | None:
            value = number(row, name)
            return None if value is None else int(value)

        counts = {
            name: count(name)
            for name in ("all_handovers", "known", "unknown", "over_15", "over_30", "over_45", "over_60")
        }
        arrivals, known, unknown = counts["all_handovers"], counts["known"], counts["unknown"]
        if arrivals is None or known is None or unknown is None or min(arrivals, known, unknown) < 0:
            events.append(event(row, "quarantined: arrivals, known or unknown missing or negative"))
            continue
        if arrivals != known + unknown:
            events.append(event(row, "quarantined: all handovers is not known + unknown"))
            continue
        hours = number(row, "total_hours")
        latest[(when, site)] = {
            "source": "sitrep",
            "arrivals": arrivals,
            "known": known,
            "unknown": unknown,
            **sitrep_bands(counts, row, events),
            "total_minutes": None if hours is None or hours < 0 else hours * 60,
            "hours_lost": None,
            "hours_lost_over_60": None,
            "mean_minutes": None if (mean := number(row, "mean_minutes")) is None or mean < 0 else mean,
            "p90_minutes": None,
            "p95_minutes": None,
            "mean_turnaround_minutes": None,
            "mean_handover_to_clear_minutes": None,
        }
    return latest


def handover_daily(current: list[Record], sitreps: dict[tuple, dict], ref: Reference) -> list[dict]:
    by_site_day: dict[tuple, list[Record]] = defaultdict(list)
    for c in current:
        by_site_day[(c.day, c.site)].append(c)
    figures = {key: _from_conveyances(group) for key, group in by_site_day.items()}
    for key, sitrep in sitreps.items():
        figures.setdefault(key, sitrep)  # patient-level data wins where both exist
    out = []
    for (when, site), f in sorted(figures.items()):
        known = f["known"]

        def share(count: int | None, of: int | None) -> float | None:
            return 100.0 * count / of if count is not None and of else None

        out.append(
            {
                "date": when,
                "trust_code": ref.sites[site]["trust_code"],
                "site_code": site,
                **f,
                "pct_over_15": share(f["over_15"], known),
                "pct_over_30": share(f["over_30"], known),
                "pct_over_45": share(f["over_45"], known),
                "pct_over_60": share(f["over_60"], known),
                "pct_unknown": share(f["unknown"], f["arrivals"]),
            }
        )
    return out
