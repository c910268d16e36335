"""What each alert says: codes, counts, step names, run ids and times only, never a patient-level value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from pipelines.brief.coverage import Coverage, figures_affected
from pipelines.ingest.freshness import Arrival
from pipelines.ingest.pseudonymise import scrub_nhs_numbers

PREFIX = "[UEC]"
REASON_LIMIT = 300
# Python's own "module.ClassName: " in front of an exception's text says nothing to the SCC.
_EXCEPTION_NAME = re.compile(r"^[A-Za-z_][\w.]*: ")


@dataclass(frozen=True)
class Message:
    """One alert, as every channel sends it: a subject, plain lines, and files only e-mail can carry."""

    subject: str
    lines: tuple[str, ...]
    attachments: tuple[Path, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def plain_reason(messages: Sequence[str]) -> str:
    """The innermost error's first line, without the exception's class name, any NHS number and beyond 300 characters.

    Ingestion already keeps file contents out of its errors; this is the last gate before mail leaves the host.
    """
    for message in reversed(messages):
        first = next((line.strip() for line in message.splitlines() if line.strip()), "")
        if first:
            break
    else:
        return "no reason given"
    first = _EXCEPTION_NAME.sub("", first, count=1)
    first = scrub_nhs_numbers(pl.Series([first], dtype=pl.Utf8))[0][0]
    return first if len(first) <= REASON_LIMIT else first[: REASON_LIMIT - 1] + "…"


@dataclass(frozen=True)
class FailedStep:
    step: str
    provider: str | None
    reason: str


def run_failure(
    run_id: str, job: str, days: str | None, steps: Sequence[FailedStep], run_reason: str, ui_url: str | None
) -> Message:
    """A run that failed: which step, which provider if the error names one, the plain reason and the run id."""
    where = f" for {days}" if days else ""
    first = steps[0] if steps else None
    subject = f"{PREFIX} Run failed: {job}{where}" + (f" at step {first.step}" if first else "")
    if first and first.provider:
        subject += f" (provider {first.provider})"
    lines = [f"The run {run_id} of job {job}{where} failed."]
    for step in steps:
        lines.append(f"Step: {step.step}" + (f", provider {step.provider}" if step.provider else ""))
        lines.append(f"Reason: {step.reason}")
    if not steps:
        lines.append(f"Reason: {run_reason}")
    lines.append(f"Run id: {run_id}")
    if ui_url:
        lines.append(f"In the Dagster UI: {ui_url.rstrip('/')}/runs/{run_id}")
    again = f"`uec refresh --date {days}`" if days and " " not in days else "`uec refresh` for its days"
    lines.append(f"Fix the cause, then re-run with {again} (re-running a day is always safe).")
    return Message(subject, tuple(lines))


def _who(arrival: Arrival, label: str) -> str:
    return f"{label} from {arrival.config.provider_code} ({arrival.config.provider_name})"


def late_or_missing(arrivals: Sequence[Arrival], labels: dict[str, str], now: datetime) -> Message:
    """Every file newly found late or missing at one look, in one message: twelve e-mails in one tick were read as
    noise. Grouped by activity day, each line naming the feed, provider and due time."""
    missing = sum(a.state == "missing" for a in arrivals)
    late = len(arrivals) - missing
    counts = ", ".join(part for part in (missing and f"{missing} missing", late and f"{late} late") if part)
    days = sorted({a.day for a in arrivals})
    span = f"{days[0]:%a %d %b}" + (f" to {days[-1]:%a %d %b %Y}" if len(days) > 1 else f" {days[0]:%Y}")
    subject = f"{PREFIX} {len(arrivals)} file{'s' if len(arrivals) != 1 else ''} late or missing ({counts}), {span}"
    lines = [f"Checked {now:%a %d %b %Y %H:%M} London time: {counts}."]
    for day in days:
        lines.append(f"Activity day {day:%a %d %b %Y}:")
        for a in sorted((a for a in arrivals if a.day == day), key=lambda a: (a.config.feed, a.config.provider_code)):
            label = labels.get(a.config.feed, a.config.feed)
            state = (
                f"late, extracted {a.first_extract:%d %b %H:%M}" if a.state == "late" else "missing, no file has landed"
            )
            lines.append(
                f"- {_who(a, label)}: {state}, due {a.due:%d %b %H:%M} "
                f"(Feed {a.config.feed}, provider {a.config.provider_code}, activity day {a.day})"
            )
    lines.append(
        "The brief marks figures from these feeds provisional until the files are loaded. Once a file lands, the "
        "landing_files sensor loads it; `uec status --date DAY` shows a day."
    )
    return Message(subject, tuple(lines))


@dataclass(frozen=True)
class Rejection:
    feed: str
    label: str
    provider_code: str
    day: str
    file_name: str
    reason: str


def rejected_file(rejection: Rejection, run_id: str, ui_url: str | None) -> Message:
    """One file a run refused whole: which, why, what counts instead, and how to put it right."""
    r = rejection
    subject = f"{PREFIX} File rejected: {r.label} from {r.provider_code} for {r.day}: {r.file_name}"
    lines = [
        f"The {r.label} file {r.file_name} from {r.provider_code} for activity day {r.day} was rejected: {r.reason}.",
        f"None of its rows count. {r.provider_code}'s figures for {r.day} stay as they were before it (an earlier "
        f"file's rows, if any, still count), and the brief marks the figures that include {r.provider_code} "
        "provisional and names the file in its key messages.",
        f"Run id: {run_id}",
    ]
    if ui_url:
        lines.append(f"In the Dagster UI: {ui_url.rstrip('/')}/runs/{run_id}")
    lines.append(f"Ask {r.provider_code} for a readable file, or fix its layout, then `uec refresh --date {r.day}`.")
    return Message(subject, tuple(lines))


def brief_revised(day: str, lines: Sequence[str], run_id: str, brief_link: str | None) -> Message:
    """A brief already made for its day was re-made and figures on it moved: which, from what to what, and why."""
    lines = [
        f"The morning brief for {day} was re-made and figures on it changed since it was last made:",
        *(f"- {line}" for line in lines),
        f"The brief lists these at the top of its key messages. Run id: {run_id}",
    ]
    if brief_link:
        lines.append(f"Open it at {brief_link}")
    return Message(f"{PREFIX} Morning brief for {day} revised", tuple(lines))


def _for(system: str | None) -> str:
    return f" ({system})" if system else ""


class _BriefReader(HTMLParser):
    """The brief's headline tiles and key messages, as the page shows them (brief.html.j2's classes and data-rule)."""

    def __init__(self) -> None:
        super().__init__()
        self.tiles: list[list[str]] = []  # section, organisation, figure
        self.messages: list[str] = []
        self.system_level: str | None = None
        self._section = ""
        self._into: str | None = None
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        if self._into:
            self._depth += 1
            return
        if tag == "h2":
            self._start("section")
        elif tag == "div" and "tile" in classes:
            self.tiles.append([self._section, "", ""])
        elif tag == "h3" and self.tiles and not self.tiles[-1][1]:
            self._start("organisation")
        elif tag == "div" and "big" in classes and self.tiles:
            self._start("figure")
        elif tag == "li" and attr.get("data-rule"):
            self._start("message")
        elif attr.get("data-figure") == "opel.system_level":
            self._start("opel")

    def _start(self, what: str) -> None:
        self._into, self._depth, self._text = what, 0, []

    def handle_endtag(self, tag: str) -> None:
        if not self._into:
            return
        if self._depth:
            self._depth -= 1
            return
        text = " ".join("".join(self._text).split())
        if self._into == "section":
            self._section = text
        elif self._into == "organisation":
            self.tiles[-1][1] = text
        elif self._into == "figure":
            self.tiles[-1][2] = text
        elif self._into == "message":
            self.messages.append(text)
        elif self._into == "opel":
            self.system_level = text
        self._into = None

    def handle_data(self, data: str) -> None:
        if self._into:
            self._text.append(data)


def brief_summary(html: str) -> tuple[list[str], list[str]]:
    """The headline figures (one line per tile, as the brief prints them) and the key messages of a written brief."""
    reader = _BriefReader()
    reader.feed(html)
    headline = [f"{section}, {who}: {figure}" for section, who, figure in reader.tiles if figure]
    if reader.system_level:
        headline.append(f"OPEL system level: {reader.system_level}")
    return headline, reader.messages


def _coverage_lines(coverage: Coverage) -> list[str]:
    """Each feed short of complete, provider by provider, and the figures it holds back; then files that came late."""
    lines = []
    for gap in coverage.gaps():
        lines += [f"- {line}" for line in gap.lines()]
        lines.append(f"  Affects: {figures_affected(gap)}.")
    lines += [f"- Rejected: {f.sentence}" for f in coverage.rejected]
    late = coverage.late()
    if late:
        lines.append("Came late, but loaded:")
        lines += [f"- {p.provider_code} ({p.provider_name}), {p.feed}: {p.detail}" for p in late]
    return lines


def _brief_contents(brief: Path) -> list[str]:
    headline, messages = brief_summary(brief.read_text(encoding="utf-8"))
    lines = []
    if headline:
        lines += ["Headline figures:", *(f"- {line}" for line in headline)]
    if messages:
        lines += ["Key messages:", *(f"- {line}" for line in messages)]
    return lines


def _where(brief: Path, links: dict[Path, str]) -> str:
    return f"Open it at {links[brief]}" if brief in links else f"It is attached to the e-mail as {brief.name}"


def brief_ready(
    day: date,
    brief: Path,
    workbook: Path | None,
    coverage: Coverage,
    made: datetime,
    system: str | None = None,
    links: dict[Path, str] | None = None,
) -> Message:
    """The brief stands on every expected feed, loaded whole after its last file landed: its headline figures and key
    messages, a link where the reports folder is served (UEC_REPORTS_URL), never a server path."""
    links = links or {}
    lines = [
        f"The morning brief{_for(system)} for {day:%a %d %b %Y} is ready. {_where(brief, links)}.",
        f"It was made {made:%d %b %H:%M} by a run that loaded every expected feed for the day after its last file "
        "landed, and every expected provider's data for the day was loaded whole.",
    ]
    if workbook:
        lines.append(
            f"The call-pack workbook: {links[workbook]}"
            if workbook in links
            else f"The call-pack workbook, {workbook.name}, is beside the brief in the reports folder."
        )
    lines += _brief_contents(brief)
    late = _coverage_lines(coverage)
    lines += late or ["Every expected file for the day arrived on time and was loaded whole."]
    return Message(f"{PREFIX} Morning brief for {day:%a %d %b %Y} is ready", tuple(lines), (brief,))


def brief_not_ready(
    day: date,
    brief: Path | None,
    brief_name: str,
    coverage: Coverage,
    run_gaps: Sequence[str],
    run: tuple[str, str, str] | None,
    system: str | None = None,
    links: dict[Path, str] | None = None,
) -> Message:
    """The brief is not written, or stands on less than every expected feed: what is missing, late, rejected or
    quarantined, which figures that holds back, and what the latest run did."""
    links = links or {}
    head = f"The morning brief{_for(system)} for {day:%a %d %b %Y} is NOT ready"
    if brief is None:
        lines = [f"{head}: {brief_name} has not been written."]
    else:
        lines = [
            f"{head}: the brief that was made is built without everything the day needs, so its figures for what is "
            f"listed below are absent or provisional. {_where(brief, links)}."
        ]
    lines += [f"- {gap}" for gap in run_gaps]
    gaps = _coverage_lines(coverage)
    if gaps:
        lines += ["What was loaded for the day falls short:", *gaps]
    if brief is not None:
        lines += _brief_contents(brief)
    if run is None:
        lines.append(f"No run has covered {day} yet: check that the overnight_refresh schedule is running.")
    else:
        run_id, job, status = run
        lines.append(f"The latest run covering {day}: {run_id} (job {job}), {status}.")
    lines.append(f"To build it once the files are in: `uec refresh --date {day}`.")
    return Message(
        f"{PREFIX} Morning brief for {day:%a %d %b %Y} is NOT ready", tuple(lines), (brief,) if brief else ()
    )
