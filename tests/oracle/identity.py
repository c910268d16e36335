"""docs/domain.md §7.1: which version of each record counts, after duplicates, reused ids and full re-sends."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tests.oracle.landing import Event, Row, event, london_day


@dataclass
class Record:
    """One valid version of a record: who sent it, its id, where and when it happened, and its values."""

    row: Row
    provider: str
    record_id: str
    site: str | None  # None for a feed without sites (hub cases)
    when: datetime  # arrival (received) as a UTC instant: the record's own day and the identity window
    values: dict

    @property
    def day(self) -> date:
        return london_day(self.when)


@dataclass
class Outcome:
    """The records that count, and what happened to the others (for explaining a difference)."""

    current: list[Record]
    events: list[Event]


def drop_copies(rows: list[Row], record_id) -> tuple[list[Row], list[Event]]:
    """Within one file: a row sent twice byte for byte counts once; two different rows with one id both fail."""
    by_file_id: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for row in rows:
        by_file_id[(row.config.provider_code, row.file, record_id(row) or f"#{row.number}")].append(row)
    kept, events = [], []
    for (_, _, rid), group in by_file_id.items():
        if len({r.raw for r in group}) == 1:
            kept.append(group[0])
            if len(group) > 1:
                events.append(event(group[1], "duplicate row counted once", rid))
        else:
            events.append(event(group[0], "same id, different rows: all quarantined", rid))
    kept.sort(key=lambda r: (r.extracted_utc, r.file, r.number))
    return kept, events


def current_records(records: list[Record], all_rows: list[Row], record_id) -> Outcome:
    """The version of each (provider, id) that counts, given valid versions oldest extract first.

    A later version replaces the counting one only when it is plausibly the same record: same site and
    `when` within the layout's identity window. Otherwise the id was reused and the later version is ignored.
    A full re-send of an activity day withdraws the records of that day it no longer holds, once any of its rows
    was accepted: one whose rows all failed says nothing, and a record in a failing row of it is still held.
    """
    events: list[Event] = []
    counting: dict[tuple[str, str], Record] = {}
    for record in records:
        key = (record.provider, record.record_id)
        earlier = counting.get(key)
        window = timedelta(hours=record.row.config.identity_window_hours)
        if earlier is None:
            counting[key] = record
        elif record.site == earlier.site and abs(record.when - earlier.when) <= window:
            counting[key] = record
        else:
            events.append(event(record.row, "reused id ignored", record.record_id, record.day))
    accepted = {r.row.file for r in records}
    withdrawn = _withdrawn(counting.values(), [r for r in all_rows if r.file in accepted], record_id)
    for record in withdrawn:
        events.append(event(record.row, "withdrawn by a full re-send", record.record_id, record.day))
    current = [r for r in counting.values() if id(r) not in {id(w) for w in withdrawn}]
    return Outcome(current, events)


def _withdrawn(counting, all_rows: list[Row], record_id) -> list[Record]:
    """Records whose counting version came from an activity day a later full re-send no longer lists."""
    latest_file: dict[tuple[str, date], tuple[datetime, str]] = {}
    ids_in_file: dict[str, set[str]] = defaultdict(set)
    for row in all_rows:
        if row.config.resend != "full":
            continue
        key = (row.config.provider_code, row.file_day)
        latest_file[key] = max(latest_file.get(key, (row.extracted_utc, row.file)), (row.extracted_utc, row.file))
        ids_in_file[row.file].add(record_id(row))
    gone = []
    for record in counting:
        latest = latest_file.get((record.provider, record.row.file_day))
        if latest is None or latest <= (record.row.extracted_utc, record.row.file):
            continue
        if record.record_id not in ids_in_file[latest[1]]:
            gone.append(record)
    return gone
