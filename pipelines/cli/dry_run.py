"""`uec feeds check`: run a provider's layout and contract over files and report, writing nothing.

The layouts, reference codes and contracts are made once for all the files checked (a folder of a season's files
pays the set-up once, not per file).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipelines.ingest.batch import ingest_file
from pipelines.ingest.landing import FeedFileError, LandedFile
from pipelines.ingest.pseudonymise import MissingKeyError
from schemas import catalogue
from schemas.canonical import Reference
from schemas.registry import BrokenLayout, FeedConfig, load_feed_layouts

Print = Callable[[str], None]


def _named(provider: str, code: str, layout_path: Path, landing_dir: str = "") -> bool:
    wanted = provider.strip().lower()
    return wanted in (code.lower(), Path(landing_dir).name.lower(), layout_path.stem.lower())


def provider_layouts_and_broken(provider: str, feeds_dir: str) -> tuple[list[FeedConfig], list[BrokenLayout]]:
    """A provider's layouts, named by ODS code (RTG) or landing folder name (uhdb), and its unusable ones."""
    usable: list[FeedConfig] = []
    broken: list[BrokenLayout] = []
    for feed in catalogue.feed_names():
        configs, unusable = load_feed_layouts(feed, feeds_dir)
        broken += [b for b in unusable if _named(provider, b.provider_code, b.path)]
        for config in configs:
            if not _named(provider, config.provider_code, Path(config.config_path), config.landing_dir):
                continue
            try:
                # As a run checks it: a layout without a required canonical column is not used.
                catalogue.feed(feed).spec.check_mapping(set(config.columns), config.config_path)
            except ValueError as exc:
                broken.append(BrokenLayout(feed, Path(config.config_path), config.provider_code, str(exc)))
                continue
            usable.append(config)
    return usable, broken


def _why_not(config: FeedConfig, file_name: str) -> str:
    """Why a name is not this layout's: the pattern does not fit, or its dates do not read with the formats."""
    found = config.pattern.match(file_name)
    if not found:
        return "the name does not fit the pattern"
    for group, fmt in (("activity_date", config.activity_date_format), ("extracted_at", config.extracted_at_format)):
        if group in config.pattern.groupindex and found[group] is not None:
            assert fmt is not None  # FeedConfig._extract_rule_fits: an extracted_at group needs its format
            try:
                datetime.strptime(found[group], fmt)
            except ValueError:
                return f"the name fits the pattern, but its {group} {found[group]!r} does not read as {fmt!r}"
    return "the name fits the pattern, but the layout cannot place it"


def _reference(reference_dir: str) -> Reference:
    def codes(name: str, column: str) -> list[str]:
        with open(Path(reference_dir) / name, encoding="utf-8", newline="") as handle:
            return [row[column] for row in csv.DictReader(handle)]

    return Reference(sites=codes("sites.csv", "site_code"), providers=codes("providers.csv", "provider_code"))


@dataclass
class Checker:
    """What checking a provider's files needs, made once: its layouts, the reference codes, a contract per day."""

    provider: str
    feeds_dir: str
    layouts: list[FeedConfig]
    broken: list[BrokenLayout]
    reference: Reference
    contracts: dict[tuple[str, date], pa.DataFrameSchema] = field(default_factory=dict)

    def contract(self, feed: str, day: date) -> pa.DataFrameSchema:
        if (feed, day) not in self.contracts:
            self.contracts[feed, day] = catalogue.feed(feed).contract(self.reference, day)
        return self.contracts[feed, day]


@dataclass
class Checked:
    """One file's outcome: its exit status and, when it was read, its row counts."""

    status: int
    rejected: bool = False
    rows: dict[str, int] = field(default_factory=dict)


def prepare(provider: str, feeds_dir: str, reference_dir: str) -> Checker:
    layouts, broken = provider_layouts_and_broken(provider, feeds_dir)
    return Checker(provider, feeds_dir, layouts, broken, _reference(reference_dir))


def check_file(provider: str, path: Path, feeds_dir: str, reference_dir: str, out: Print = print) -> int:
    """Exit status 0 when every row would load, 1 when some would be quarantined or the file rejected, 2 when no
    layout fits."""
    checker = prepare(provider, feeds_dir, reference_dir)
    return _layouts_usable(checker, out) or check_one(checker, path, out).status


def _layouts_usable(checker: Checker, out: Print) -> int:
    """0 when the provider has a usable layout; else 2, having said why (each broken layout, or none at all)."""
    for layout in checker.broken:
        out(f"Layout {layout.path} cannot be used, so no file of this provider loads: {layout.reason}")
    if checker.layouts:
        return 0
    if not checker.broken:
        out(
            f"No layout for provider {checker.provider!r} under {checker.feeds_dir}. Name it by ODS code (e.g. RTG) "
            "or landing folder (e.g. uhdb); `uec feeds init` drafts one from a sample file."
        )
    return 2


def check_one(checker: Checker, path: Path, out: Print = print) -> Checked:
    """Check one file with a prepared checker, saying what would load, be quarantined or rejected, and why."""
    provider, layouts = checker.provider, checker.layouts
    matches = [(config, found) for config in layouts if (found := config.match(path))]
    if not matches:
        out(f"{path.name} does not match {provider}'s file-name pattern, so it would never be loaded:")
        for config in layouts:
            out(f"  {config.feed}: pattern {config.file_pattern}")
            out(f"    {_why_not(config, path.name)}; the pattern is file_pattern in {config.config_path}")
        return Checked(2)
    config, (activity_date, extracted_at) = matches[0]
    out(
        f"{path.name}: feed {config.feed}, provider {config.provider_code} ({config.provider_name}), "
        f"layout {config.config_path}"
    )
    out(f"  activity day {activity_date}, extracted {extracted_at:%Y-%m-%d %H:%M} (London); nothing is written.")
    try:
        loaded, quarantined, record = ingest_file(
            LandedFile(path, activity_date, extracted_at),
            config,
            catalogue.feed(config.feed).spec,
            checker.contract(config.feed, activity_date),
        )
    except MissingKeyError as exc:
        out(f"  Cannot check it: {exc}")
        return Checked(2)
    except FeedFileError as exc:
        out(f"  REJECTED: the whole file would be rejected: {exc}")
        return Checked(1, rejected=True)
    out(
        f"  rows read {record['rows_read']:,}: would load {record['rows_loaded']:,} "
        f"({record['rows_with_unknown_values']:,} with a value set to unknown), would quarantine "
        f"{record['rows_quarantined']:,}, would ignore {record['rows_duplicate']:,} duplicate rows"
    )
    if record["unexpected_columns"]:
        out(f"  columns the layout does not map (ignored): {record['unexpected_columns']}")
    if quarantined.height:
        reasons = (
            quarantined.group_by("source_column", "reason", "action")
            .agg(pl.len().alias("cells"), pl.col("source_row").sort().head(5).alias("rows"))
            .sort("cells", descending=True)
        )
        out("  failing cells (cells, column, reason, what happens, first rows):")
        for column, reason, action, cells, rows in reasons.iter_rows():
            out(f"    {cells:>5}  {column or '(row)'}: {reason} -> {action}  rows {', '.join(map(str, rows))}")
    counts = {name: int(record[name]) for name in COUNTED}
    return Checked(1 if quarantined.height else 0, rows=counts)


COUNTED = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_with_unknown_values")


def files_to_check(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The files named, a folder standing for the files directly in it (not hidden ones, not provenance sidecars),
    and what could not be used, said in words."""
    found: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".provenance.json")
            )
            if not inside:
                problems.append(f"{path} is a folder with no files in it.")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            problems.append(f"{path} is not a file or a folder.")
    return list(dict.fromkeys(found)), problems


def check_files(provider: str, paths: list[Path], feeds_dir: str, reference_dir: str, out: Print = print) -> int:
    """Check every file named (a folder: every file in it) with one set-up, each as `check_file` would, then the
    totals. Exit status: the worst of the files' (2 when any file fits no layout, or a path is not usable)."""
    files, problems = files_to_check(paths)
    for problem in problems:
        out(problem)
    if problems or not files:
        return 2
    checker = prepare(provider, feeds_dir, reference_dir)
    if status := _layouts_usable(checker, out):
        return status
    if len(files) == 1 and not paths[0].is_dir():
        return check_one(checker, files[0], out).status
    results = [check_one(checker, path, out) for path in files]
    out(_total_line(results))
    return max(result.status for result in results)


def _total_line(results: list[Checked]) -> str:
    total = {name: sum(r.rows.get(name, 0) for r in results) for name in COUNTED}
    rejected = sum(r.rejected for r in results)
    unmatched = sum(r.status == 2 for r in results)
    with_quarantine = sum(r.rows.get("rows_quarantined", 0) > 0 for r in results)
    return (
        f"Total: {len(results):,} files, rows read {total['rows_read']:,}: would load {total['rows_loaded']:,} "
        f"({total['rows_with_unknown_values']:,} with a value set to unknown), would quarantine "
        f"{total['rows_quarantined']:,} (in {with_quarantine:,} files), would ignore {total['rows_duplicate']:,} "
        f"duplicate rows; files rejected {rejected:,}, files no layout fits {unmatched:,}, "
        f"files clean {sum(r.status == 0 for r in results):,}."
    )
