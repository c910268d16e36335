"""`uec feeds check`: run a provider's layout and contract over one file and report, writing nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import polars as pl

from pipelines.ingest.batch import ingest_file
from pipelines.ingest.landing import FeedFileError, LandedFile
from pipelines.ingest.pseudonymise import MissingKeyError
from schemas import catalogue
from schemas.canonical import Reference
from schemas.registry import FeedConfig, load_feed_configs

Print = Callable[[str], None]


def provider_layouts(provider: str, feeds_dir: str) -> list[FeedConfig]:
    """A provider's layouts, named by ODS code (RTG) or landing folder name (uhdb)."""
    wanted = provider.strip().lower()
    return [
        config
        for feed in catalogue.feed_names()
        for config in load_feed_configs(feed, feeds_dir)
        if wanted in (config.provider_code.lower(), Path(config.landing_dir).name.lower())
    ]


def _reference(reference_dir: str) -> Reference:
    def codes(name: str, column: str) -> list[str]:
        with open(Path(reference_dir) / name, encoding="utf-8", newline="") as handle:
            return [row[column] for row in csv.DictReader(handle)]

    return Reference(sites=codes("sites.csv", "site_code"), providers=codes("providers.csv", "provider_code"))


def check_file(provider: str, path: Path, feeds_dir: str, reference_dir: str, out: Print = print) -> int:
    """Exit status 0 when every row would load, 1 when some would be quarantined or the file rejected, 2 when no
    layout fits."""
    layouts = provider_layouts(provider, feeds_dir)
    if not layouts:
        out(
            f"No layout for provider {provider!r} under {feeds_dir}. Name it by ODS code (e.g. RTG) or landing "
            "folder (e.g. uhdb)."
        )
        return 2
    matches = [(config, found) for config in layouts if (found := config.match(path))]
    if not matches:
        out(f"{path.name} does not match any of {provider}'s file-name patterns, so it would never be loaded:")
        for config in layouts:
            out(f"  {config.feed}: {config.file_pattern}  ({config.config_path})")
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
