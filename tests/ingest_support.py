"""Ingest a feed's day as the raw asset does, without Dagster or the warehouse: the fast tier's one entry point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import polars as pl

from assets.raw import feed_configs
from pipelines.ingest.batch import ingest_partition
from pipelines.ingest.landing import list_folder
from schemas import catalogue
from schemas.canonical import Reference
from tests.conftest import Env, crh_row, uhdb_row

DAY = "2025-01-15"
OTHER_PROVIDER = {"crh": "RFS", "uhdb": "RTG"}


def land_other(env: Env, other: str | None, day: str) -> None:
    """The other ED provider's good file for the day, which must load whatever is wrong with the bad one."""
    if other == "crh":
        env.write_crh(
            day, day.replace("-", "")[:8] + "2330", [crh_row("OK1", crh_time(day, "09:00"), crh_time(day, "10:30"))]
        )
    elif other == "uhdb":
        env.write_uhdb(
            day.replace("-", ""),
            day.replace("-", "") + "T2330",
            [uhdb_row("OK1", f"{day} 09:00:00", f"{day} 10:30:00")],
        )


# --- ingest level: the frames the raw asset would write, without Dagster or the warehouse --------------------


@dataclass
class Ingested:
    """One feed's day as ingest left it: the frames the raw asset writes, and the names its listing skipped."""

    loaded: pl.DataFrame
    quarantined: pl.DataFrame
    files: pl.DataFrame
    rejected: pl.DataFrame
    failed_providers: list[str]
    unrecognised: dict[str, list[str]]
    duplicate_rows: pl.DataFrame

    def file(self, name: str) -> dict:
        [record] = self.files.filter(pl.col("file_name") == name).to_dicts()
        return record

    def reasons(self, name: str) -> list[tuple[int, str, str]]:
        # Sorted as the warehouse's `order by all` sorts, nulls last, so the expected lists read the same.
        return (
            self.quarantined.filter(pl.col("file_name") == name)
            .select("source_row", "source_column", "reason")
            .sort(pl.all(), nulls_last=True)
            .rows()
        )

    def actions(self, name: str) -> list[tuple[int, str, str, str]]:
        """(source row, column, reason, action) for each cell the quarantine lists for the file."""
        return (
            self.quarantined.filter(pl.col("file_name") == name)
            .select("source_row", "source_column", "reason", "action")
            .sort(pl.all(), nulls_last=True)
            .rows()
        )

    def counts(self, name: str) -> tuple[int, int, int, int, int]:
        """(rows read, loaded, quarantined, duplicate, with a value set to unknown) as ops.source_files has them."""
        f = self.file(name)
        return tuple(
            f[c] for c in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_with_unknown_values")
        )

    def rejected_rows(self) -> list[tuple[str, str, str]]:
        return self.rejected.select("provider_code", "file_name", "reason").rows()

    def rows(self, **where: str) -> pl.DataFrame:
        return self.loaded.filter(**where)


@cache
def _reference(reference_dir: str) -> Reference:
    # The raw asset reads ref.sites and ref.providers, which the reference assets load verbatim from these files.
    def codes(name: str, column: str) -> list[str]:
        return pl.read_csv(Path(reference_dir) / name, infer_schema_length=0)[column].to_list()

    return Reference(sites=codes("sites.csv", "site_code"), providers=codes("providers.csv", "provider_code"))


def _ingest_feed(env: Env, name: str, day: date) -> Ingested:
    """The raw asset's calls for one feed and day (assets/raw.py), less the log lines and the warehouse write."""
    entry = catalogue.feed(name)
    configs, broken = feed_configs(entry.spec, env.feeds_dir)
    listings = {config.provider_code: list_folder(config, env.landing) for config in configs}
    reference = _reference(env.reference_dir)
    batch = ingest_partition(
        configs,
        entry.spec,
        env.landing,
        day,
        lambda d: entry.contract(reference, d),
        {provider: listing.by_day for provider, listing in listings.items()},
        broken,
    )
    loaded, quarantined, files = batch.frames()
    return Ingested(
        loaded,
        quarantined,
        files,
        batch.rejected_frame(),
        batch.failed_providers,
        {provider: listing.unrecognised for provider, listing in listings.items() if listing.unrecognised},
        batch.duplicate_rows_frame(),
    )


def ingest(env: Env, feed: str = "ed_attendances", other: str | None = "crh", day: str = DAY) -> Ingested:
    """Land a good file from the other ED provider, ingest the day, and check nothing was lost.

    ED is always ingested too, so a case in another feed still shows the other provider's file loading.
    """
    land_other(env, other, day)
    results = {
        name: _ingest_feed(env, name, date.fromisoformat(day)) for name in dict.fromkeys([feed, "ed_attendances"])
    }
    for result in results.values():
        for f in result.files.iter_rows(named=True):
            assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"], f
            loaded = result.rows(source_file=f["file_name"]).height
            cells = result.quarantined.filter(pl.col("file_name") == f["file_name"])
            quarantined = cells.filter(pl.col("action") == "record quarantined")["source_row"].n_unique()
            unknown = cells.filter(pl.col("action") == "value set to unknown")["source_row"].n_unique()
            repeated = result.duplicate_rows.filter(pl.col("file_name") == f["file_name"]).height
            assert (loaded, quarantined, repeated, unknown) == (
                f["rows_loaded"],
                f["rows_quarantined"],
                f["rows_duplicate"],
                f["rows_with_unknown_values"],
            ), f
    if other:
        assert results["ed_attendances"].rows(provider_code=OTHER_PROVIDER[other], record_id="OK1").height == 1
    return results[feed]


def crh_time(day: str, hhmm: str) -> str:
    return datetime.strptime(day, "%Y-%m-%d").strftime("%d/%m/%Y") + " " + hhmm
