"""Holds each key message to the data it speaks about: a rule whose feeds were not loaded whole for the day may state
what it found, never that there was nothing to find ("none", "every") among data it does not have."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipelines.brief.coverage import Coverage
from pipelines.brief.messages import Message
from schemas import catalogue

# The feeds each rule's sentences are computed from (pipelines/brief/messages.py), by the brief's sections in the
# catalogue, never a list kept here. A rule not named here is left as its function wrote it.
_SECTION = catalogue.section_feeds()
RULE_FEEDS: dict[str, tuple[str, ...]] = {
    "deterioration": _SECTION["ed"] + _SECTION["handover"] + _SECTION["cnh"],
    "opel_gap": _SECTION["opel"],
    "cross_check": _SECTION["opel"] + _SECTION["ed"],
    "late_or_missing": catalogue.feed_names(),
    "handover_45": _SECTION["handover"],
    # The OPEL rules say themselves when no level was declared; held here too, so a return quarantined or rejected
    # is named with why, and no all-clear ("no provider is at OPEL 4") rests on part of the day's returns.
    "opel_system": _SECTION["opel"],
    "opel_4": _SECTION["opel"],
    "opel_moves": _SECTION["opel"],
}
# What a rule cannot say without its data, after "no figures for X (why)".
UNKNOWN = {
    "deterioration": "special cause variation in those charts is not assessed",
    "opel_gap": "declared and scored OPEL levels not compared",
    "cross_check": "submitted 4-hour figures not checked against computed ones",
    "late_or_missing": "",
    "handover_45": "handovers over 45 minutes unknown",
    "opel_system": "the system OPEL level and its change since yesterday not known",
    "opel_4": "whether any provider is at OPEL 4 not known",
    "opel_moves": "escalations and de-escalations since yesterday not known",
}
# The clauses of a finding that assure about the rest ("; none at Queen's Hospital Burton").
ASSURING_CLAUSE = re.compile(r"; none at [^.;]*")


def _sentence(rule: str, gaps: str) -> str:
    what = UNKNOWN.get(rule, "")
    text = gaps[0].upper() + gaps[1:]
    return f"{text}: {what}." if what else f"{text}."


def conditional(messages: Sequence[Message], coverage: Coverage | None) -> list[Message]:
    """The key messages with every all-clear about a feed not loaded whole replaced by what is missing and why."""
    if coverage is None:
        return list(messages)
    out: list[Message] = []
    said: set[str] = set()
    for i, m in enumerate(messages):
        feeds = RULE_FEEDS.get(m.rule)
        gaps = coverage.no_figures(feeds) if feeds else None
        if gaps is None:
            out.append(m)
            continue
        assert feeds is not None  # gaps is None for a rule without feeds
        absent = all(g.absent for g in coverage.gaps(feeds))
        last_of_rule = all(later.rule != m.rule for later in messages[i + 1 :])
        if m.rule == "late_or_missing" and m.finding:
            # Files late or missing are findings about the gaps themselves: they stand, and after them what came
            # but did not load whole (rejected, quarantined, not yet loaded), which they do not name.
            out.append(m)
            rest = coverage.no_figures(feeds, beyond_not_received=True)
            if last_of_rule and rest:
                out.append(Message(m.rule, _sentence(m.rule, rest), True))
            continue
        if m.finding and not absent:
            # What was found in the data that did load still stands; only the assurance about the rest goes.
            out.append(Message(m.rule, ASSURING_CLAUSE.sub("", m.text)))
        elif m.rule == "deterioration" and not m.finding and len(coverage.gaps(feeds)) < _expected(coverage, feeds):
            out.append(
                Message(
                    m.rule,
                    f"No chart with complete data for the day shows special cause concerning variation; {gaps}.",
                    True,
                )
            )
            said.add(m.rule)
            continue
        if m.rule not in said and (last_of_rule or not m.finding or absent):
            out.append(Message(m.rule, _sentence(m.rule, gaps), True))
            said.add(m.rule)
    return out


def _expected(coverage: Coverage, feeds: Sequence[str]) -> int:
    return sum(1 for f in coverage.feeds if f.feed in feeds and f.providers)
