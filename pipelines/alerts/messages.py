"""What each alert says: codes, counts, step names, run ids and times only, never a patient-level value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

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


def late_or_missing(arrival: Arrival, label: str, now: datetime) -> Message:
    """One provider's first file for one day, not in by its due time, or in but extracted after it."""
    config, day = arrival.config, f"{arrival.day:%a %d %b %Y}"
    who = f"{label} file from {config.provider_code} ({config.provider_name})"
    if arrival.state == "late":
        subject = f"{PREFIX} Late file: {_who(arrival, label)}, {day}"
        said = (
            f"The first {who} for {day} was extracted at {arrival.first_extract:%d %b %H:%M}, after its due time "
            f"of {arrival.due:%d %b %H:%M}."
        )
    else:
        subject = f"{PREFIX} Missing file: {_who(arrival, label)}, {day}"
        said = f"No {who} for {day} has landed; it was due by {arrival.due:%d %b %H:%M}."
    return Message(
        subject,
        (
            said,
            f"Feed {config.feed}, provider {config.provider_code}, activity day {arrival.day}, "
            f"due {arrival.due:%Y-%m-%d %H:%M} London time, checked {now:%Y-%m-%d %H:%M}.",
            "The brief marks figures from this feed provisional until the file is loaded. Once it lands, the "
            f"landing_files sensor loads it; `uec status --date {arrival.day}` shows the day.",
        ),
    )


def _problems(arrivals: Iterable[Arrival], labels: dict[str, str]) -> list[str]:
    said = {"missing": "no file", "late": "late"}
    return [
        f"  {_who(a, labels.get(a.config.feed, a.config.feed))}: {said[a.state]}"
        + (f", first extracted {a.first_extract:%d %b %H:%M}" if a.first_extract else "")
        + f" (due {a.due:%d %b %H:%M})"
        for a in arrivals
        if a.is_problem
    ]


def _for(system: str | None) -> str:
    return f" ({system})" if system else ""


def brief_ready(
    day: date,
    brief: Path,
    workbook: Path | None,
    arrivals: list[Arrival],
    labels: dict[str, str],
    system: str | None = None,
) -> Message:
    """The morning brief for the day is written: where it is, and which files it was built without."""
    lines = [f"The morning brief{_for(system)} for {day:%a %d %b %Y} is ready: {brief} (attached to the e-mail)."]
    if workbook:
        lines.append(f"The call-pack workbook: {workbook}")
    problems = _problems(arrivals, labels)
    if problems:
        lines += ["Files late or missing for the day (the brief marks figures from them provisional):", *problems]
    else:
        lines.append("Every expected file for the day arrived on time.")
    return Message(f"{PREFIX} Morning brief for {day:%a %d %b %Y} is ready", tuple(lines), (brief,))


def brief_not_ready(
    day: date,
    brief: Path,
    arrivals: list[Arrival],
    labels: dict[str, str],
    run: tuple[str, str, str] | None,
    system: str | None = None,
) -> Message:
    """No brief for the day by the readiness time: which files have not come, and what the run did."""
    lines = [f"There is no morning brief{_for(system)} for {day:%a %d %b %Y} yet: {brief} has not been written."]
    problems = _problems(arrivals, labels)
    if problems:
        lines += ["Files late or missing for the day:", *problems]
    else:
        lines.append("Every expected file for the day has arrived.")
    if run is None:
        lines.append(f"No run has covered {day} yet: check that the overnight_refresh schedule is running.")
    else:
        run_id, job, status = run
        lines.append(f"The latest run covering {day}: {run_id} (job {job}), {status}.")
    lines.append(f"To build it once the files are in: `uec refresh --date {day}`.")
    return Message(f"{PREFIX} Morning brief for {day:%a %d %b %Y} is NOT ready", tuple(lines))
