"""`uec feeds check`: run a provider's layout and contract over one file and report, writing nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

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


def check_file(provider: str, path: Path, feeds_dir: str, reference_dir: str, out: Print = print) -> int:
    """Exit status 0 when every row would load, 1 when some would be quarantined or the file rejected, 2 when no
    layout fits."""
    layouts, broken = provider_layouts_and_broken(provider, feeds_dir)
    for layout in broken:
        out(f"Layout {layout.path} cannot be used, so no file of this provider loads: {layout.reason}")
    if not layouts:
        if not broken:
            out(
                f"No layout for provider {provider!r} under {feeds_dir}. Name it by ODS code (e.g. RTG) or landing "
                "folder (e.g. uhdb); `uec feeds init` drafts one from a sample file."
            )
        return 2
    matches = [(config, found) for config in layouts if (found := config.match(path))]
    if not matches:
        out(f"{path.name} does not match {provider}'s file-name pattern, so it would never be loaded:")
        for config in layouts:
            out(f"  {config.feed}: pattern {config.file_pattern}")
            out(f"    {_why_not(config, path.name)}; the pattern is file_pattern in {config.config_path}")
        return 2
    config, (activity_date, extracted_at) = matches[0]
    feed = catalogue.feed(config.feed)
    spec, contract = feed.spec, feed.contract
    out(
        f"{path.name}: feed {config.feed}, provider {config.provider_code} ({config.provider_name}), "
        f"layout {config.config_path}"
    )
    out(f"  activity day {activity_date}, extracted {extracted_at:%Y-%m-%d %H:%M} (London); nothing is written.")
    try:
        loaded, quarantined, record = ingest_file(
            LandedFile(path, activity_date, extracted_at),
            config,
            spec,
            contract(_reference(reference_dir), activity_date),
        )
    except MissingKeyError as exc:
        out(f"  Cannot check it: {exc}")
        return 2
    except FeedFileError as exc:
        out(f"  REJECTED: the whole file would be rejected: {exc}")
        return 1
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
    return 1 if quarantined.height else 0
