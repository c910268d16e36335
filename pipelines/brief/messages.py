"""The brief's key messages: plain sentences made by the rules docs/brief.md sets out, one function per rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipelines.brief.spc import Chart, largest_deteriorations

# How many special-cause deteriorations the block names; the charts below show the rest.
DETERIORATIONS_SHOWN = 3
# A submitted 4-hour figure this many points or more from the pipeline's own is worth saying: the OPEL
# returns round to one decimal, so a smaller gap is rounding, a larger one a different count.
CROSS_CHECK_POINTS = 1.0


@dataclass(frozen=True)
class Message:
    rule: str  # deterioration | opel_gap | cross_check | late_or_missing | handover_45
    text: str
    # False for a rule's all-clear sentence: the call hears that the rule was checked.
    finding: bool = True


def deteriorations(charts: Iterable[Chart], shown: int = DETERIORATIONS_SHOWN) -> list[Message]:
    """The charted measures whose latest day is a special cause of concern, furthest out first (pipelines/brief/spc.py
    measures the distance against the latest phase's limits, so a configured step change is respected)."""
    found = largest_deteriorations(charts, limit=shown)
    if not found:
        return [Message("deterioration", "No charted measure shows special cause concerning variation.", False)]
    return [Message("deterioration", d.sentence) for d in found]


def opel_gaps(opel: Sequence[dict]) -> list[Message]:
    """Providers whose declared OPEL level differs from the level their own submitted figures score."""
    out = []
    for o in opel:
        declared, derived = o["declared_level"], o["derived_level"]
        if declared is None or derived is None or declared == derived:
            continue
        gap = declared - derived
        side = "higher" if gap > 0 else "lower"
        levels = "level" if abs(gap) == 1 else "levels"
        out.append(
            Message(
                "opel_gap",
                f"{o['provider_name']} ({o['provider_code']}) declared OPEL {declared}, {abs(gap)} {levels} {side} "
                f"than the OPEL {derived} its own figures score.",
            )
        )
    return out or [
        Message("opel_gap", "Every provider's declared OPEL level matches the level its figures score.", False)
    ]


def cross_check_gaps(opel: Sequence[dict], points: float = CROSS_CHECK_POINTS) -> list[Message]:
    """Providers whose submitted 4-hour figure is `points` or more from the one the pipeline computes."""
    out = []
    for o in opel:
        submitted, computed = o["ed_4h_pct_submitted"], o["ed_4h_pct_pipeline"]
        if submitted is None or computed is None:
            continue
        gap = round(abs(submitted - computed), 1)
        if gap >= points:
            out.append(
                Message(
                    "cross_check",
                    f"{o['provider_name']} ({o['provider_code']}) submitted 4-hour performance of {submitted:.1f}%; "
                    f"its attendances give {computed:.1f}%, {gap:.1f} points apart.",
                )
            )
    return out or [
        Message(
            "cross_check", f"Every submitted 4-hour figure is within {points:.1f} points of the computed one.", False
        )
    ]


def late_or_missing(problems: Iterable, opel: Sequence[dict], feed_names: dict[str, str]) -> list[Message]:
    """Files late or missing for the day (from the data-quality strip), then OPEL returns late or missing."""
    out = [
        Message("late_or_missing", f"{feed_names.get(p.feed, p.feed)} {p.kind}: {p.detail}.")
        for p in problems
        if p.kind in ("late", "missing")
    ]
    for o in opel:
        who = f"{o['provider_name']} ({o['provider_code']})"
        if o["is_late"]:
            when = f" at {o['submitted_at']:%H:%M}" if o["submitted_at"] else ""
            out.append(
                Message("late_or_missing", f"{who} declared its OPEL level late{when}, after the 11:00 cut-off.")
            )
        elif o["is_missing"]:
            out.append(Message("late_or_missing", f"{who} declared no OPEL level by 11:00."))
    return out or [Message("late_or_missing", "Every expected file and OPEL return arrived on time.", False)]


def handovers_over_45(handover: Sequence[dict]) -> list[Message]:
    """Handovers over 45 minutes at each acute site, most first; a site whose source cannot count them is said."""
    sites = [h for h in handover if h["level"] == "site"]
    counted = sorted((h for h in sites if h["over_45"]), key=lambda h: (-h["over_45"], h["org_name"]))
    unknown = [h["org_name"] for h in sites if h["over_45"] is None]
    none = [h["org_name"] for h in sites if h["over_45"] == 0]
    if not sites:
        # No site has a handover row for the day: nothing is known about 45 minutes, so nothing is claimed.
        return [Message("handover_45", "No handover figures for this day: handovers over 45 minutes unknown.", True)]
    if counted:
        parts = [f"{h['org_name']} {h['over_45']:,} of {h['arrivals']:,} arrivals" for h in counted]
        text = f"Handovers over 45 minutes: {', '.join(parts)}" + (f"; none at {', '.join(none)}." if none else ".")
    elif none:
        text = f"No handover took over 45 minutes at {', '.join(none)}."
    else:
        text = ""
    if unknown:
        text = f"{text} Not counted at {', '.join(unknown)} (its source does not report them).".lstrip()
    return [Message("handover_45", text, bool(counted))]


def rejected_files(coverage) -> list[Message]:
    """Each file refused for the day, by name: a rejected correction otherwise leaves the old figure looking final."""
    return [Message("rejected", f.sentence) for f in (coverage.rejected if coverage else ())]


def key_messages(
    charts, opel: Sequence[dict], handover: Sequence[dict], problems, feed_names, coverage=None
) -> list[Message]:
    """Every rule's sentences, in the order the call takes them."""
    return [
        *rejected_files(coverage),
        *deteriorations(charts),
        *opel_gaps(opel),
        *cross_check_gaps(opel),
        *late_or_missing(problems, opel, feed_names),
        *handovers_over_45(handover),
    ]
