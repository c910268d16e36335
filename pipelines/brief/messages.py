"""The brief's key messages: plain sentences made by the rules docs/brief.md sets out, one function per rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipelines.brief.charts import recent_words
from pipelines.brief.spc import RECENT_DAYS, Chart, SpecialCause, largest_deteriorations, recent_special_causes

# How many special-cause deteriorations the block names; the charts below show the rest.
DETERIORATIONS_SHOWN = 3
# A submitted 4-hour figure this many points or more from the pipeline's own is worth saying: the OPEL
# returns round to one decimal, so a smaller gap is rounding, a larger one a different count.
CROSS_CHECK_POINTS = 1.0


@dataclass(frozen=True)
class Message:
    # opel_system | opel_4 | opel_moves | deterioration | opel_gap | cross_check | late_or_missing | handover_45 |
    # forecast_outside_95
    rule: str
    text: str
    # False for a rule's all-clear sentence: the call hears that the rule was checked.
    finding: bool = True


@dataclass(frozen=True)
class Ask:
    """One thing to raise on the 09:30 call, with the rule that found it."""

    rule: str  # opel_4 | handover_45 | late_or_missing | rejected | special_cause | no_opel
    text: str


def _who(o: dict) -> str:
    return f"{o['provider_name']} ({o['provider_code']})"


def _undeclared(rows: Sequence[dict]) -> list[str]:
    return [o["provider_code"] for o in rows if o["declared_level"] is None]


def opel_system_change(today: Sequence[dict], yesterday: Sequence[dict]) -> list[Message]:
    """The system OPEL level and how it moved since yesterday (marts.opel_system_daily, both days as loaded). A day
    with no OPEL rows, or no level, leaves the change unknown: it is said so, never "no change"."""
    if not today:
        return [
            Message(
                "opel_system",
                "No OPEL returns loaded for this day: the system level, any provider at OPEL 4 and the changes "
                "since yesterday cannot be computed.",
            )
        ]
    # Rows from a caller without the system's level (a provider-only view) leave it unknown, as no level does.
    level = today[0].get("system_level")
    if level is None:
        return [
            Message(
                "opel_system",
                "No provider declared an OPEL level for this day: the system level and its change since yesterday "
                "cannot be computed.",
            )
        ]
    before = yesterday[0]["system_level"] if yesterday else None
    if not yesterday:
        text, finding = (
            f"System OPEL {level}; no OPEL returns loaded for yesterday, so the change cannot be computed.",
            True,
        )
    elif before is None:
        text, finding = f"System OPEL {level}; no level was declared yesterday, so the change cannot be computed.", True
    elif level == before:
        text, finding = f"System OPEL {level}, no change since yesterday.", False
    else:
        text, finding = f"System OPEL {'rose' if level > before else 'fell'} from {before} yesterday to {level}.", True
    # A level scored without a provider is less than the whole system's: say whose level it lacks.
    left_out = [
        f"{', '.join(codes)} {when}"
        for codes, when in (
            (_undeclared(today), "today"),
            (_undeclared(yesterday) if before is not None else [], "yesterday"),
        )
        if codes
    ]
    if left_out:
        text += f" Scored without {' and '.join(left_out)} (no level declared)."
    return [Message("opel_system", text, finding)]


def _at_4(today: Sequence[dict]) -> list[str]:
    """Who is at OPEL 4 for the day, or moved to it after 11:00, each said as a sentence without its full stop."""
    out = []
    for o in today:
        if o["declared_level"] == 4:
            late = f" (declared late, at {o['submitted_at']:%H:%M})" if o["is_late"] and o["submitted_at"] else ""
            out.append(f"{_who(o)} is at OPEL 4{late}")
        elif o.get("changed_to_level") == 4:
            out.append(
                f"{_who(o)} moved to OPEL 4 at {o['changed_at']:%H:%M}, after the 11:00 cut-off "
                f"(OPEL {o['declared_level']} at 11:00)"
            )
    return out


def opel_at_4(today: Sequence[dict]) -> list[Message]:
    """Each provider at OPEL 4 for the day, or moved to it after 11:00; nothing when no OPEL row was loaded (the
    system rule says so)."""
    if not today:
        return []
    out = [Message("opel_4", f"{text}.") for text in _at_4(today)]
    if out:
        return out
    missing = _undeclared(today)
    if len(missing) == len(today):
        return [Message("opel_4", "No provider declared an OPEL level, so whether any is at OPEL 4 is not known.")]
    if missing:
        return [
            Message(
                "opel_4",
                f"No provider that declared a level is at OPEL 4; {', '.join(missing)} declared none, so not known.",
            )
        ]
    return [Message("opel_4", "No provider is at OPEL 4.", False)]


def opel_moves(today: Sequence[dict], yesterday: Sequence[dict]) -> list[Message]:
    """Each provider whose declared level went up (escalated) or down (de-escalated) since yesterday; a provider with
    no level on either day is named as not compared."""
    if not today:
        return []
    if not yesterday:
        return [
            Message(
                "opel_moves",
                "No OPEL returns loaded for yesterday: provider escalations and de-escalations cannot be computed.",
            )
        ]
    before = {o["provider_code"]: o["declared_level"] for o in yesterday}
    out, unknown = [], []
    for o in today:
        now, then = o["declared_level"], before.get(o["provider_code"])
        if now is None or then is None:
            unknown.append(o["provider_code"])
        elif now != then:
            move = "escalated" if now > then else "de-escalated"
            out.append(Message("opel_moves", f"{_who(o)} {move} from OPEL {then} yesterday to OPEL {now}."))
    # Provider codes are capitals, so the sentence can start with one.
    not_compared = f"{', '.join(unknown)} not compared (no level declared on one of the two days)."
    if out:
        return out + ([Message("opel_moves", not_compared)] if unknown else [])
    if unknown:
        return [
            Message(
                "opel_moves",
                f"No provider with a level on both days changed it since yesterday; {not_compared}",
            )
        ]
    return [Message("opel_moves", "No provider's OPEL level changed since yesterday.", False)]


def deteriorations(charts: Iterable[Chart], shown: int = DETERIORATIONS_SHOWN) -> list[Message]:
    """The charted measures whose latest day is a special cause of concern, furthest out first (pipelines/brief/spc.py
    measures the distance against the latest phase's limits, so a configured step change is respected)."""
    found = largest_deteriorations(charts, limit=shown)
    if not found:
        return [Message("deterioration", "No charted measure shows special cause concerning variation.", False)]
    return [Message("deterioration", d.sentence) for d in found]


def opel_gaps(opel: Sequence[dict]) -> list[Message]:
    """Providers whose declared OPEL level differs from the level their own submitted figures score."""
    pairs = _both(opel, "declared_level", "derived_level")
    found = []
    for o, declared, derived in pairs:
        if declared == derived:
            continue
        gap = declared - derived
        side = "higher" if gap > 0 else "lower"
        levels = "level" if abs(gap) == 1 else "levels"
        found.append(
            f"{o['provider_name']} ({o['provider_code']}) declared OPEL {declared}, {abs(gap)} {levels} {side} "
            f"than the OPEL {derived} its own figures score."
        )
    # Nothing declared, or no figures scored: agreement cannot be claimed.
    return _compared(
        "opel_gap",
        found,
        pairs,
        "No provider has both a declared OPEL level and figures to score: declared against derived not compared.",
        "Every provider's declared OPEL level matches the level its figures score.",
    )


def cross_check_gaps(opel: Sequence[dict], points: float = CROSS_CHECK_POINTS) -> list[Message]:
    """Providers whose submitted 4-hour figure is `points` or more from the one the pipeline computes."""
    pairs = _both(opel, "ed_4h_pct_submitted", "ed_4h_pct_pipeline")
    found = []
    for o, submitted, computed in pairs:
        gap = round(abs(submitted - computed), 1)
        if gap >= points:
            found.append(
                f"{o['provider_name']} ({o['provider_code']}) submitted 4-hour performance of {submitted:.1f}%; "
                f"its attendances give {computed:.1f}%, {gap:.1f} points apart."
            )
    return _compared(
        "cross_check",
        found,
        pairs,
        "No provider submitted a 4-hour figure beside attendances to compute one: the cross-check was not made.",
        f"Every submitted 4-hour figure is within {points:.1f} points of the computed one.",
    )


def _both(opel: Sequence[dict], first: str, second: str) -> list[tuple[dict, float, float]]:
    """The OPEL rows with both figures to compare, each with the two."""
    return [(o, o[first], o[second]) for o in opel if o[first] is not None and o[second] is not None]


def _compared(rule: str, found: list[str], pairs: list, none_compared: str, all_agree: str) -> list[Message]:
    """The differences found; else that nothing could be compared (a finding), or the all-clear."""
    if found:
        return [Message(rule, text) for text in found]
    if not pairs:
        return [Message(rule, none_compared)]
    return [Message(rule, all_agree, False)]


def late_or_missing(problems: Iterable, opel: Sequence[dict], feed_names: dict[str, str]) -> list[Message]:
    """Files late or missing for the day (from the data-quality strip), then OPEL returns late or missing."""
    out = _late_or_missing(problems, opel, feed_names)
    if out:
        return out
    if not opel:
        # No OPEL row for the day: whether the returns came on time is not known, so only the files are cleared.
        # An all-clear about the files only: the coverage wrapper replaces it where a feed did not load whole.
        return [
            Message("late_or_missing", "Every expected file arrived on time; no OPEL returns loaded to check.", False)
        ]
    return [Message("late_or_missing", "Every expected file and OPEL return arrived on time.", False)]


def _late_or_missing(problems: Iterable, opel: Sequence[dict], feed_names: dict[str, str]) -> list[Message]:
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
    return out


def handovers_over_45(handover: Sequence[dict]) -> list[Message]:
    """Handovers over 45 minutes at each acute site, most first; the site-days without a usable count are said."""
    sites = [h for h in handover if h["level"] == "site"]
    counted = sorted((h for h in sites if h["over_45"]), key=lambda h: (-h["over_45"], h["org_name"]))
    # A sitrep that does not give the band, or gives one out of nesting (docs/domain.md §7.2): never "none".
    unknown = [h for h in sites if h["over_45"] is None or h.get("site_days_over_45_unknown")]
    none = [h["org_name"] for h in sites if h["over_45"] == 0 and h not in unknown]
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
        days = sum(h.get("site_days_over_45_unknown") or 1 for h in unknown)
        names = ", ".join(h["org_name"] for h in unknown)
        text = f"{text} Not known for {days} site-day{'' if days == 1 else 's'} ({names}): no usable count.".lstrip()
    return [Message("handover_45", text, bool(counted))]


def call_asks(
    charts: Iterable[Chart],
    opel: Sequence[dict],
    handover: Sequence[dict],
    problems: Sequence,
    feed_names: dict[str, str],
    days: int = RECENT_DAYS,
) -> list[Ask]:
    """What to raise on the 09:30 call, in this order: providers at OPEL 4, sites with handovers over 45 minutes, late
    or missing files and OPEL returns, rejected files, then each chart with a special cause in the last `days` days.
    Absent data is itself an ask (no OPEL returns, no handover figures), so an empty list never hides a gap."""
    asks = [Ask("no_opel", "No OPEL returns loaded for this day: confirm each provider's level.")] if not opel else []
    asks += [Ask("opel_4", f"{text}: its actions and the support it needs.") for text in _at_4(opel)]
    sites = [h for h in handover if h["level"] == "site"]
    if not sites:
        asks.append(Ask("handover_45", "No handover figures for this day: confirm handovers over 45 minutes."))
    for h in sorted((h for h in sites if h["over_45"]), key=lambda h: (-h["over_45"], h["org_name"])):
        over = "handover" if h["over_45"] == 1 else "handovers"
        asks.append(
            Ask("handover_45", f"{h['org_name']}: {h['over_45']:,} {over} over 45 minutes (the standard is none).")
        )
    asks += [Ask("late_or_missing", m.text) for m in _late_or_missing(problems, opel, feed_names)]
    asks += [
        Ask("rejected", f"{feed_names.get(p.feed, p.feed)}, {p.provider_code or 'no provider'}: {p.detail}.")
        for p in problems
        if p.kind == "rejected"
    ]
    by_chart: dict[tuple[str, str], list[SpecialCause]] = {}
    for cause in recent_special_causes(charts, days=days):
        by_chart.setdefault((cause.title, cause.org_name), []).append(cause)
    asks += [
        Ask(
            "special_cause",
            f"{title}, {org}: special cause in the last {days} days: {'; '.join(recent_words(causes))}.",
        )
        for (title, org), causes in by_chart.items()
    ]
    return asks


def rejected_files(coverage) -> list[Message]:
    """Each file refused for the day, by name: a rejected correction otherwise leaves the old figure looking final."""
    return [Message("rejected", f.sentence) for f in (coverage.rejected if coverage else ())]


def key_messages(
    charts,
    opel: Sequence[dict],
    handover: Sequence[dict],
    problems,
    feed_names,
    opel_yesterday: Sequence[dict] = (),
    coverage=None,
) -> list[Message]:
    """Every rule's sentences, in the order the call takes them: files refused for the day, then OPEL, as the call
    opens on it."""
    return [
        *rejected_files(coverage),
        *opel_system_change(opel, opel_yesterday),
        *opel_at_4(opel),
        *opel_moves(opel, opel_yesterday),
        *deteriorations(charts),
        *opel_gaps(opel),
        *cross_check_gaps(opel),
        *late_or_missing(problems, opel, feed_names),
        *handovers_over_45(handover),
    ]


def forecast_misses(outlook, incomplete: Mapping[str, str] | None = None) -> list[Message]:
    """A series whose actual on the brief's day fell outside the 95% interval forecast the day before: demand was not
    what the plan assumed, and the next days' forecasts may be off too. `incomplete` maps a series to why its feeds
    did not load whole for the day: a count short of its interval there may be missing data, so it is not called a
    miss, and one above it is said with the gap beside it."""
    found = []
    for row in outlook.outside_95() if outlook else []:
        seen = row.yesterday
        side = "above" if seen["actual"] > seen["hi_95"] else "below"
        gap = (incomplete or {}).get(row.series)
        day = f"{seen['target_date']:%A %-d %B}"
        interval = f"the 95% interval forecast the day before ({seen['lo_95']:,.0f} to {seen['hi_95']:,.0f})"
        counted = f"{row.label}, {row.subject_name}: {seen['actual']:,.0f} on {day}"
        if gap and side == "below":
            text = f"{counted} is not judged against {interval}: {gap}."
        else:
            text = f"{counted}, {side} {interval}" + (f", with {gap}." if gap else ".")
        found.append(Message("forecast_outside_95", text))
    return found
