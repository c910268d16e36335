"""Every daily mart, recomputed from the landing files: one call, one dict of rows per marts table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tests.oracle import cnh, ed, handover, opel
from tests.oracle.landing import Event, read_feed
from tests.oracle.reference import read_reference

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data_samples" / "landing"
FEEDS = ROOT / "schemas" / "feeds"
REFERENCE = ROOT / "schemas" / "reference"


@dataclass
class Marts:
    tables: dict[str, list[dict]]  # table name (no schema) -> rows
    events: list[Event]
    first: date
    last: date


def build_marts(landing: Path = SAMPLES, feeds_dir: Path = FEEDS, reference_dir: Path = REFERENCE) -> Marts:
    """The daily marts for every activity day the landing files name, first to last."""
    ref = read_reference(reference_dir)
    rows = {
        feed: read_feed(feed, landing, feeds_dir)
        for feed in (
            "ed_attendances",
            "ed_daily_aggregates",
            "ambulance_handovers",
            "handover_sitrep",
            "cnh_cases",
            "opel_submissions",
        )
    }
    file_days = [r.file_day for feed_rows in rows.values() for r in feed_rows]
    first, last = min(file_days), max(file_days)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def in_range(records):
        return [r for r in records if first <= r.day <= last]

    attendances = ed.attendances(rows["ed_attendances"], ref)
    conveyances = handover.conveyances(rows["ambulance_handovers"], ref)
    cases = cnh.hub_cases(rows["cnh_cases"])
    subs, opel_events = opel.submissions(rows["opel_submissions"], ref)

    aggregated = {k: v for k, v in ed.aggregates(rows["ed_daily_aggregates"], ref).items() if first <= k[0] <= last}
    ed_daily = ed.ed_four_hour_daily(in_range(attendances.current), ref, aggregated)
    sitrep_events: list[Event] = []
    sitreps = handover.sitrep_rows(rows["handover_sitrep"], ref, sitrep_events)
    sitreps = {k: v for k, v in sitreps.items() if first <= k[0] <= last}
    handover_daily = handover.handover_daily(in_range(conveyances.current), sitreps, ref)
    declared = opel.declarations(subs, ref, days)
    scores = opel.opel_parameter_scores(declared, ref)
    opel_daily = opel.opel_daily(declared, scores, ed_daily, handover_daily, ref)
    tables = {
        "ed_four_hour_daily": ed_daily,
        "handover_daily": handover_daily,
        "cnh_deflection_daily": cnh.cnh_deflection_daily(in_range(cases.current)),
        "opel_parameter_scores": scores,
        "opel_daily": opel_daily,
        "opel_system_daily": opel.opel_system_daily(opel_daily, ref),
    }
    events = attendances.events + conveyances.events + sitrep_events + cases.events + opel_events
    return Marts(tables, events, first, last)
