"""`uec feeds init`: draft a provider layout from a sample file, leaving what it cannot decide as TODOs.

A TODO left in the layout stops it loading anywhere (schemas/registry.py), so a guess never reaches the
warehouse: the engineer fills each one, then `uec feeds check` reads the sample with the finished layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from pipelines.cli.dry_run import _reference
from pipelines.cli.layout_sniff import DATE_FORMATS, DATETIME_FORMATS, Sniffed, formats_for, name_pattern, sniff
from pipelines.ingest.landing import column_label
from pipelines.ingest.mapping import DEFAULT_BOOLEAN_VALUES
from schemas import catalogue
from schemas.canonical import UNKNOWN, Canonical, FeedSpec
from schemas.registry import TODO

Print = Callable[[str], None]

# Source column names a provider commonly uses for a canonical column, normalised as `_normal` leaves them.
# A canonical column's own name (record_id -> "record id"), and for a time its stem ("arrival" for
# arrival_at, matched by "Arrival Date Time" or "ARRIVAL_DTTM"), match without being listed.
SYNONYMS: dict[str, list[str]] = {
    "record_id": ["attendance id", "attendance ref", "attendance reference", "attendance number", "attendance no"],
    "site_code": ["site", "hospital", "hospital code", "site id", "org code", "organisation code"],
    "department_code": ["department", "dept", "unit", "department name", "ed unit"],
    # Often coded from the department's own name or unit code, as both bundled ED layouts do.
    "department_type": ["dept type", "ed type", "ae type", "attendance type", "department", "unit", "dept"],
    "arrival": ["arrived", "arrived at hospital", "arrival time", "arrival date"],
    "departure": ["departed", "departure time", "left department", "discharge"],
    "arrival_mode": ["mode of arrival", "mode", "arrival method"],
    "acuity": ["triage", "triage category", "triage cat", "acuity score"],
    "decision_to_admit": ["dta", "decision to admit time"],
    "disposal": ["outcome", "discharge dest", "discharge destination", "attendance disposal", "disposal code"],
    "age_band": ["age group", "age range", "ageband"],
    "nhs_number": ["nhs no", "nhsno", "nhs num", "patient nhs number"],
    "incident_id": ["incident number", "incident no", "incident ref", "incident", "cad number"],
    "call_category": ["category", "cat", "call cat", "incident category"],
    "handover": ["handover complete", "handover time", "handed over"],
    "clear": ["vehicle clear", "clear time", "cleared", "crew clear"],
    "case_id": ["case ref", "case reference", "case number", "case no", "case"],
    "referral_source": ["source", "referral", "referred by", "source of referral"],
    "received": ["received time", "call received"],
    "first_contact": ["first clinical contact", "first contact time", "clinical contact"],
    "ambulance_dispatched": ["amb dispatched", "ambulance dispatch", "amb dispatch"],
    "automated": ["auto", "automated case"],
    "disposition_band": ["disposition", "band"],
    "date": ["period", "activity date", "opel date", "report date", "day"],
    "org_code": ["organisation code", "organization code", "provider code", "ods code", "org"],
    "submitted": ["submitted time", "submission time", "submission date", "submitted date"],
    "declared_level": ["opel level", "level", "opel"],
    "comment": ["comments", "notes", "note"],
    "all_handovers": ["all handovers", "handovers", "total handovers"],
    "known": ["handover time known", "time known"],
    "unknown": ["handover time unknown", "time unknown"],
    "over_15": ["over 15 minutes", "over 15 mins", "15 minutes"],
    "over_30": ["over 30 minutes", "over 30 mins", "30 minutes"],
    "over_45": ["over 45 minutes", "over 45 mins", "45 minutes"],
    "over_60": ["over 60 minutes", "over 60 mins", "60 minutes"],
    "mean_minutes": ["mean", "mean handover minutes", "mean mins"],
    "mean_handover_minutes": ["mean handover mins", "mean handover"],
    "ed_4h_pct": ["4hr performance pct", "4 hour performance pct", "4hr performance", "4 hour performance"],
    "ed_attendance_variation_pct": ["attendance variation pct", "attendance variation"],
    "majors_resus_occupancy_pct": ["majors resus occupancy pct", "majors and resus occupancy pct"],
    "median_time_to_treatment_minutes": ["median time to treatment mins", "median time to treatment"],
    "pct_over_12h_in_ed": ["pct over 12hrs in ed", "pct over 12 hours in ed", "over 12hrs in ed pct"],
    "adult_ga_bed_occupancy_pct": ["g and a bed occupancy pct", "ga bed occupancy pct", "adult g and a occupancy pct"],
    "escalation_beds_pct": ["escalation beds pct", "escalation beds"],
    "no_criteria_to_reside_pct": ["nctr pct", "nctr", "no criteria to reside pct"],
}
_TIME_WORDS = r"\s+(?:dttm|datetime|date time|date and time|timestamp|time|at|dt)$"
# More distinct values than this is not a code list (an id or a free-text column matched by mistake), and
# listing them could copy identifiers into a layout.
MAX_CODES = 40


def _normal(name: str) -> str:
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)  # FirstClinicalContact -> First Clinical Contact
    name = name.lower().replace("%", " pct ").replace("&", " and ").replace(">", " over ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name).split())


def _stem(name: str) -> str:
    return re.sub(_TIME_WORDS, "", name)


def _score(column: Canonical, source: str) -> int:
    normal, own = _normal(source), _normal(column.name)
    names = {own, _normal(column.name.removesuffix("_at"))} if column.kind == "local_datetime" else {own}
    synonyms = set(SYNONYMS.get(column.name, []) + SYNONYMS.get(column.name.removesuffix("_at"), []))
    stems = {normal, _stem(normal)} if column.kind in ("local_datetime", "date") else {normal}
    if stems & names:
        return 2
    return 1 if stems & synonyms else 0


def match_columns(spec: FeedSpec, sources: list[str]) -> dict[str, str]:
    """Canonical column -> the source column whose name fits it best (file order breaks a tie)."""
    matched = {}
    for column in spec.columns:
        best = max(sources, key=lambda s: _score(column, s), default=None)
        if best is not None and _score(column, best):
            matched[column.name] = best
    return matched


def guess_feed(path: Path, sources: list[str]) -> str | None:
    """The feed a sample is for: a landing folder named after a feed, else the feed whose columns fit best."""
    for parent in path.resolve().parents:
        if parent.name in catalogue.feed_names():
            return parent.name
    fits = {name: len(match_columns(catalogue.feed(name).spec, sources)) for name in catalogue.feed_names()}
    best = max(fits, key=fits.__getitem__)
    return best if fits[best] and list(fits.values()).count(fits[best]) == 1 else None


@dataclass
class Draft:
    feed: str
    lines: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)  # must be filled before the layout loads
    checks: list[str] = field(default_factory=list)  # decided here, worth a look


def _present(values: pl.Series) -> pl.Series:
    """The non-blank values, trimmed, as the mapping reads them (a blank cell is no value)."""
    trimmed = values.str.strip_chars()
    return trimmed.filter(trimmed.str.len_chars() > 0)


def _quote(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _allowed_values(feed: str, reference_dir: str) -> dict[str, list]:
    """Each contract column's permitted values where the contract lists them (an `isin` check)."""
    contract = catalogue.feed(feed).contract(_reference(reference_dir), date.today())
    return {
        name: [v for v in check.statistics["allowed_values"] if v != UNKNOWN]
        for name, column in contract.columns.items()
        for check in column.checks
        if check.name == "isin"
    }


def _code_lines(column: Canonical, source: str, seen: list[str], allowed: list | None, draft: Draft) -> list[str]:
    """A `values:` map for a coded column whose file values are not already the canonical ones."""
    if column.kind == "boolean":
        allowed_text, targets = set(DEFAULT_BOOLEAN_VALUES), DEFAULT_BOOLEAN_VALUES
    elif allowed is not None:
        allowed_text, targets = {str(v) for v in allowed}, {str(v): v for v in allowed}
    else:
        return []
    if not seen or set(seen) <= allowed_text:
        return []
    if len(seen) > MAX_CODES:
        draft.checks.append(
            f"{column.name} <- {column_label(source)!r} has {len(seen)} distinct values, too many for codes: is "
            "it the right column?"
        )
        return []
    one_of = "true or false" if column.kind == "boolean" else ", ".join(map(str, allowed or ()))  # never None here
    lines = [f"    # TODO: map each code seen in the sample to one of: {one_of[:200]}", "    values:"]
    by_lower = {str(k).lower(): v for k, v in targets.items()}
    for code in seen:
        target = targets.get(code)
        if target is None and (target := by_lower.get(code.lower())) is not None:
            draft.checks.append(f"{column.name}: {code!r} taken as {target!r} (same but for case)")
        lines.append(f"      {_quote(code)}: {TODO if target is None else _quote(target)}")
        if target is None:
            draft.todos.append(f"columns.{column.name}.values.{code}: what {code!r} means in {column.name}")
    return lines


def _column_lines(spec: FeedSpec, sniffed: Sniffed, reference_dir: str, draft: Draft) -> None:
    frame, sources = sniffed.frame, [c for c in sniffed.frame.columns if c != "source_row"]
    matched = match_columns(spec, sources)
    allowed = _allowed_values(spec.feed, reference_dir)
    unused = [s for s in sources if s not in matched.values()]
    draft.lines.append("columns:")
    for column in spec.columns:
        source = matched.get(column.name)
        if source is None:
            if column.required:
                draft.lines.append(
                    f"  {column.name}: {TODO}  # required {column.kind}: a source column, or {{constant: VALUE}}"
                )
                draft.todos.append(f"columns.{column.name}: which column holds it (required, {column.kind})")
            else:
                draft.lines.append(f"  # {column.name}: not matched ({column.kind}, optional)")
            continue
        seen = _present(frame[source]).unique().sort().to_list()
        codes = _code_lines(column, source, seen, allowed.get(column.name), draft)
        if codes:
            draft.lines += [f"  {column.name}:", f"    column: {_quote(source)}", *codes]
        else:
            draft.lines.append(f"  {column.name}: {_quote(source)}")
    if unused:
        draft.lines.append(f"  # columns in the file not mapped: {', '.join(map(column_label, unused))}")
    draft.checks += [f"{name} <- {column_label(source)!r}" for name, source in matched.items()]


def _format_lines(spec: FeedSpec, sniffed: Sniffed, draft: Draft) -> None:
    matched = match_columns(spec, [c for c in sniffed.frame.columns if c != "source_row"])
    for kind, key, candidates, dtype in (
        ("local_datetime", "datetime_formats", DATETIME_FORMATS, pl.Datetime("us")),
        ("date", "date_formats", DATE_FORMATS, pl.Date),
    ):
        sources = {matched[c.name] for c in spec.columns if c.kind == kind and c.name in matched}
        if not sources:
            continue
        values = pl.concat([_present(sniffed.frame[s]) for s in sorted(sources)])
        formats, unread = formats_for(values, candidates, dtype)
        if unread or not formats:
            draft.lines.append(f"{key}: [{TODO}]  # {unread} values read with none of the usual formats")
            draft.todos.append(f"{key}: {unread} values in {sorted(sources)} read with no usual format")
        else:
            draft.lines.append(f"{key}: [{', '.join(map(_quote, formats))}]")


def draft_layout(provider: str, path: Path, feed: str, sniffed: Sniffed, reference_dir: str) -> Draft:
    spec = catalogue.feed(feed).spec
    draft = Draft(feed)
    named = name_pattern(path.name)
    folder = re.sub(r"[^a-z0-9_]+", "_", provider.lower())
    draft.lines += [
        f"# Drafted by `uec feeds init` from {path.name} on {date.today()}. Check every line; fill each TODO",
        "# (a layout with a TODO left never loads), then run `uec feeds check` on the sample.",
        f"feed: {feed}",
        f"provider_code: {_quote(provider.upper())}  # the provider's ODS code: check it",
        f"provider_name: {_quote(provider)}",
        f"landing_dir: {feed}/{folder}",
        "# From the sample's name, its digits as named groups: check that every delivery is named this way.",
        f"file_pattern: {_quote(named.pattern)}",
    ]
    for group, key in (("activity_date", "activity_date_format"), ("extracted_at", "extracted_at_format")):
        if group in named.groups:
            draft.lines.append(f"{key}: {_quote(named.groups[group])}")
        elif group == "extracted_at":
            # Many providers' names carry only the day (domain.md §7.5): take the extract time from the file's arrival.
            draft.lines += [
                "# The name carries no extract time: it is taken from the file's arrival in the landing area (or use",
                "# {from: fixed, at: 'HH:MM', days_after: 1} for the provider's known extract time).",
                "extracted_at: arrival",
            ]
            draft.checks.append("extracted_at: arrival (the name has no extract time); a fixed time may suit better")
        else:
            draft.lines.append(f"{key}: {TODO}")
            draft.todos.append(f"{key} (and its group in file_pattern): the name has no {group}")
    draft.checks += [n for n in named.notes if "no second date or time for extracted_at" not in n]
    draft.lines.append(f"format: {sniffed.format}")
    if sniffed.format == "csv":
        draft.lines += [f"encoding: {sniffed.encoding}", f"delimiter: {_quote(sniffed.delimiter)}"]
    else:
        draft.lines.append(f"sheet: {_quote(sniffed.sheet)}")
    draft.checks += sniffed.notes
    _format_lines(spec, sniffed, draft)
    _column_lines(spec, sniffed, reference_dir, draft)
    extracted, activity = named.values.get("extracted_at"), named.values.get("activity_date")
    if extracted and activity and "%H" in named.groups["extracted_at"]:
        due = extracted + timedelta(hours=1)
        draft.lines += [
            "# When the day's first file is due (London time): this sample's extract time plus an hour; check it.",
            f"arrives_by: '{min(due, datetime.combine(extracted.date(), datetime.max.time())):%H:%M}'",
            f"arrives_days_after: {max((extracted.date() - activity.date()).days, 0)}",
        ]
    draft.lines.append(
        "# resend: full when each later file for a day is the provider's whole day (docs/domain.md §7.1)"
    )
    return draft


def init_layout(
    provider: str, path: Path, feed: str | None, out_path: Path | None, feeds_dir: str, reference_dir: str, out: Print
) -> int:
    """Exit status 0 when the draft is written (TODOs and all); 2 when it cannot be (a layout exists, no feed)."""
    if feed is None:
        header = sniff(path, catalogue.feed_names()[0]).frame.columns
        if (feed := guess_feed(path, header)) is None:
            feeds = ", ".join(catalogue.feed_names())
            out(f"Cannot tell which feed {path.name} is for: name it with --feed ({feeds}).")
            return 2
    target = out_path or Path(feeds_dir) / feed / f"{re.sub(r'[^a-z0-9_]+', '_', provider.lower())}.yaml"
    if target.exists():
        out(f"{target} exists already: not overwritten. Edit it, or give another path with --out.")
        return 2
    sniffed = sniff(path, feed)
    draft = draft_layout(provider, path, feed, sniffed, reference_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(draft.lines) + "\n", encoding="utf-8")
    out(f"Wrote a draft layout for feed {feed} to {target}, from {path.name}:")
    csv_text = f"{sniffed.encoding}, delimiter {sniffed.delimiter!r}"
    where = f"sheet {sniffed.sheet!r}" if sniffed.format == "xlsx" else csv_text
    out(f"  {sniffed.format} ({where}), header on row {sniffed.header_row}, {sniffed.frame.height:,} data rows")
    out("  Detected (check each):")
    for line in draft.checks:
        out(f"    {line}")
    if draft.todos:
        out(f"  TODO ({len(draft.todos)}; the layout does not load until each is filled):")
        for line in draft.todos:
            out(f"    {line}")
    where_checked = "" if target.parent.parent == Path(feeds_dir) else f" (after moving it under {feeds_dir}/{feed}/)"
    out(f"  Then: uec feeds check {provider} {path}{where_checked}")
    return 0
