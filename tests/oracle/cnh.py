"""marts.cnh_deflection_daily from the DHU hub files (docs/domain.md §3.3 LOCAL RULE, 7.1, 7.2)."""

from __future__ import annotations

from collections import defaultdict

from tests.oracle.identity import Outcome, Record, current_records, drop_copies
from tests.oracle.landing import Row, code, event, instant, london_day, minutes, text

AMBULANCE_STACK = {"emas_cat34", "nhs111_online_cat34"}
HCP = {"hcp_falls", "hcp_non_falls"}


def case_id(row: Row) -> str | None:
    return text(row, row.config.columns.get("case_id"))


def hub_case(row: Row, events: list) -> Record | None:
    """The row as a case; a bad contact time or code becomes unknown and the case still counts."""
    rid, received = case_id(row), instant(row, "received_at")
    problem = (
        "no case id"
        if rid is None
        else "no valid received time"
        if received is None or received > row.extracted_utc
        else None
    )
    if problem:
        events.append(event(row, f"quarantined: {problem}", rid))
        return None
    contact = instant(row, "first_contact_at")
    if contact is not None and contact < received:
        row.notes.append("first_contact_at: before received, set to unknown")
        events.append(event(row, "response set to unknown", rid, london_day(received)))
        contact = None
    outcome, dispatched = code(row, "outcome"), code(row, "ambulance_dispatched", boolean=True)
    if outcome is None and text(row, row.config.columns.get("outcome")) is not None:
        events.append(event(row, "outcome set to unknown", rid, london_day(received)))
    if outcome == "ambulance_dispatched" and dispatched is False:
        # The two cells contradict each other: which is right is not known, so the dispatch flag is unknown.
        row.notes.append("ambulance_dispatched: contradicts the outcome, set to unknown")
        dispatched = None
    source = code(row, "referral_source")
    values = {
        "referral_source": "unknown" if source is None else source,
        "call_before_convey": code(row, "call_before_convey", boolean=True),
        "contact": contact,
        "outcome": outcome,
        "dispatched": dispatched,
        "automated": code(row, "automated", boolean=True),
    }
    return Record(row, row.config.provider_code, rid, None, received, values)


def hub_cases(rows: list[Row]) -> Outcome:
    kept, events = drop_copies(rows, case_id)
    valid = [c for c in (hub_case(r, events) for r in kept) if c is not None]
    outcome = current_records(valid, rows, case_id)
    outcome.events[:0] = events
    return outcome


def cnh_deflection_daily(current: list[Record]) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for c in current:
        groups[(c.day, c.values["referral_source"])].append({**c.values, "received": c.when})
    out = []
    for (day, source), cases in sorted(groups.items()):
        n = len(cases)
        stack, hcp = source in AMBULANCE_STACK, source in HCP

        def count(test, cases=cases) -> int:
            return sum(1 for c in cases if test(c))

        responses = [minutes(c["contact"], c["received"]) for c in cases if c["contact"] is not None]
        # Deflected: closed by the hub with no dispatch. Returned to the stack is never deflected, and an
        # unknown outcome or dispatch flag cannot be shown to be deflected.
        deflected = count(
            lambda c: c["dispatched"] is False and c["outcome"] is not None and c["outcome"] != "returned_to_stack"
        )
        avoided = count(
            lambda c: (
                c["dispatched"] is False
                and c["outcome"] is not None
                and c["outcome"] not in ("ambulance_dispatched", "ed", "admission")
            )
        )
        outcomes = {o: count(lambda c, o=o: c["outcome"] == o) for o in ("own_gp", "utc_pcc", "home_self_care", "ed")}
        community = count(lambda c: c["outcome"] == "community_pathway")
        within_30 = sum(1 for m in responses if m <= 30)
        automated = count(lambda c: c["automated"] is True)
        out.append(
            {
                "date": day,
                "referral_source": source,
                "is_ambulance_stack": stack,
                "cases": n,
                "dispatched": count(lambda c: c["dispatched"] is True),
                "returned_to_stack": count(lambda c: c["outcome"] == "returned_to_stack"),
                "dispatches_avoided": deflected if stack else None,
                "deflection_rate": 100.0 * deflected / n if stack else None,
                "responded": len(responses),
                "total_response_minutes": sum(responses) if responses else None,
                "mean_response_minutes": sum(responses) / len(responses) if responses else None,
                "within_30_min": within_30,
                "pct_within_30_min": 100.0 * within_30 / len(responses) if responses else None,
                "automated": automated,
                "pct_automated": 100.0 * automated / n,
                "call_before_convey": count(lambda c: c["call_before_convey"] is True),
                "to_own_gp": outcomes["own_gp"],
                "to_utc_pcc": outcomes["utc_pcc"],
                "home_self_care": outcomes["home_self_care"],
                "to_ed": outcomes["ed"],
                "community_pathway": community,
                "pct_own_gp": 100.0 * outcomes["own_gp"] / n,
                "pct_utc_pcc": 100.0 * outcomes["utc_pcc"] / n,
                "pct_home_self_care": 100.0 * outcomes["home_self_care"] / n,
                "pct_ed": 100.0 * outcomes["ed"] / n,
                "pct_community_pathway": 100.0 * community / n,
                "avoided_hospital": avoided if hcp else None,
                "pct_avoided_hospital": 100.0 * avoided / n if hcp else None,
            }
        )
    return out
