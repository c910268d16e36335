"""One test's private warehouse, landing area and feed configs (`Env`), and the pseudonymisation key tests use."""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.brief.data import BriefData, read_brief
from pipelines.definitions import defs
from pipelines.instance import BRIEF_KEY, PUBLISHED_KEY
from pipelines.resources import FeedFilesResource, GreatExpectationsResource, ReportsResource, WarehouseResource
from pipelines.settings import DEFAULT_HOME_SYSTEM
from schemas import catalogue
from tests.support.ephemeral import ephemeral_instance
from tests.support.rows import (
    CRH_COLUMNS,
    DCHS_COLUMNS,
    DHU_COLUMNS,
    EMAS_COLUMNS,
    OPEL_COLUMNS,
    SITREP_COLUMNS,
    UHDB_COLUMNS,
)

# Set for every test by conftest's autouse fixture, and for module fixtures by tests.support.samples.
TEST_KEY = "test-only-key-not-a-secret-0123456789"


@dataclass
class Env:
    """One test's private warehouse, landing area and feed configs."""

    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "uec.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    feeds_dir: str = FeedFilesResource().feeds_dir
    reference_dir: str = FeedFilesResource().reference_dir

    def write_uhdb(self, day: str, extracted: str, rows: list[dict[str, str]]) -> Path:
        """Write a UHDB file for activity day YYYYMMDD extracted at YYYYMMDDTHHMM."""
        folder = self.landing / "ed_attendances" / "uhdb"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"UHDB_ED_{day}_{extracted}.csv"
        frame = pl.DataFrame(rows, schema={c: pl.Utf8 for c in UHDB_COLUMNS})
        path.write_bytes(("\ufeff" + frame.write_csv()).encode("utf-8"))
        return path

    def write_crh(self, day: str, extracted: str, rows: list[dict[str, str]]) -> Path:
        """Write a CRH file (semicolons, Windows-1252) for activity day YYYY-MM-DD extracted at YYYYMMDDHHMM."""
        path = self.landing / "ed_attendances" / "crh" / f"CRH_AE_{day}_{extracted}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = pl.DataFrame(rows, schema={c: pl.Utf8 for c in CRH_COLUMNS})
        path.write_bytes(frame.write_csv(separator=";").encode("cp1252"))
        return path

    def write_emas(self, day: str, extracted: str, rows: list[dict[str, str]]) -> Path:
        """Write an EMAS file for activity day YYYYMMDD extracted at YYYYMMDDHHMMSS."""
        return self._write_csv("ambulance_handovers/emas", f"EMAS_Handovers_{day}_{extracted}.csv", rows, EMAS_COLUMNS)

    def write_dhu(self, day: str, extracted: str, rows: list[dict[str, str]]) -> Path:
        """Write a DHU hub file for activity day YYYYMMDD extracted at YYYYMMDDHHMM."""
        return self._write_csv("cnh_cases/dhu", f"DHU_CNH_{day}_{extracted}.csv", rows, DHU_COLUMNS)

    def write_opel(self, day: str, extracted: str, rows: list[dict[str, str]]) -> Path:
        """Write an OPEL portal export for day YYYYMMDD taken at YYYYMMDDHHMM."""
        return self._write_csv(
            "opel_submissions/scc_portal", f"OPEL_Submissions_{day}_{extracted}.csv", rows, OPEL_COLUMNS
        )

    def write_sitrep(self, day: str, extracted: str, rows: list[dict[str, str]]) -> Path:
        return self._write_csv(
            "handover_sitrep/uhdb", f"UHDB_Handover_Sitrep_{day}_{extracted}.csv", rows, SITREP_COLUMNS
        )

    def write_dchs(self, day: str, extracted: str, rows: list[dict[str, str]]) -> Path:
        """Write a DCHS daily-aggregate file for activity day YYYYMMDD extracted at YYYYMMDDTHHMM."""
        return self._write_csv("ed_daily_aggregates/dchs", f"DCHS_MIU_Daily_{day}_{extracted}.csv", rows, DCHS_COLUMNS)

    def _write_csv(self, folder: str, name: str, rows: list[dict[str, str]], columns: list[str]) -> Path:
        path = self.landing / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(rows, schema={c: pl.Utf8 for c in columns}).write_csv(path)
        return path

    def resources(self) -> dict:
        return {
            "reports": ReportsResource(directory=str(self.root / "reports")),
            "warehouse": WarehouseResource(database=str(self.warehouse)),
            "feed_files": FeedFilesResource(
                feeds_dir=self.feeds_dir, landing_dir=str(self.landing), reference_dir=self.reference_dir
            ),
            "great_expectations": GreatExpectationsResource(),
        }

    def sensor_resources(self) -> dict:
        """What the sensors take: where layouts and landed files are (the warehouse is opened by runs alone)."""
        return {"feed_files": self.resources()["feed_files"]}

    def materialize(
        self,
        first: str,
        last: str | None = None,
        raise_on_error: bool = True,
        instance: dg.DagsterInstance | None = None,
        expectations: bool = False,
        selection: str | None = None,
        brief: bool = False,
        publish: bool = False,
    ) -> dg.ExecuteInProcessResult:
        """Every asset for one partition, or a range of them as a single run (with the GX suites, brief and published
        marts if asked)."""
        tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last} if last else {}
        # An instance made here is disposed after the run, as dg.materialize disposes the one it makes itself.
        with nullcontext(instance) if instance is not None else ephemeral_instance() as run_on:
            return dg.materialize(
                # The brief and the published marts read the whole warehouse and write files: only the tests about them
                # build them.
                [
                    *(
                        a
                        for a in defs.assets
                        if (brief or BRIEF_KEY not in a.keys) and (publish or PUBLISHED_KEY not in a.keys)
                    ),
                    *(defs.asset_checks if expectations else []),
                ],
                selection=selection if selection is not None or brief or publish else self._landed_paths(),
                resources=self.resources(),
                partition_key=None if last else first,
                tags=tags,
                raise_on_error=raise_on_error,
                instance=run_on,
            )

    def own_configuration(self, folder: Path) -> tuple[Path, Path]:
        """Copies of the layouts and reference data under `folder`, which this env reads from now on: a test edits
        them (a broken layout, another provider, another system) without touching the shipped ones."""
        feeds, reference = folder / "feeds", folder / "reference"
        shutil.copytree(self.feeds_dir, feeds)
        shutil.copytree(self.reference_dir, reference)
        self.feeds_dir, self.reference_dir = str(feeds), str(reference)
        return feeds, reference

    def _landed_paths(self) -> dg.AssetSelection | None:
        """The feeds this test landed files for, every mart built from them, the other feeds those marts read first
        hand, and the reference tables.

        A run of every asset for one feed's files spent most of its time building the empty days of feeds no mart
        of the test reads, and most of a step's cost is Dagster's work on its checks (about 0.5 s a step with no
        files). A mart built straight from a feed keeps its other feeds: it tells a feed that sent nothing from one
        never loaded (a handover day without the conveyance feed run is "unknown", not "none"). Marts further down
        read the tables of the marts not built as they stand, empty in a test's own warehouse. A test that wants
        every step (their checks, their ops records) lands every feed's files, or passes a selection.
        """
        raw = [dg.AssetKey(["raw", f.name]) for f in catalogue.FEEDS if (self.landing / f.name).is_dir()]
        if not raw or len(raw) == len(catalogue.FEEDS):
            return None
        landed = dg.AssetSelection.assets(*raw)
        first_hand = landed.downstream(depth=1).upstream(depth=1)
        return landed.downstream() | first_hand | dg.AssetSelection.key_prefixes("ref")

    def brief(
        self,
        conn: duckdb.DuckDBPyConnection,
        day: date,
        now: datetime,
        system: str = DEFAULT_HOME_SYSTEM,
        reference_dir: str | Path | None = None,
    ) -> BriefData:
        """The brief's data for `day` from this warehouse, read as the brief asset reads it: this env's layouts,
        landing area and reference data (or `reference_dir`, a test's own SPC steps)."""
        return read_brief(
            conn,
            day,
            feeds_dir=self.feeds_dir,
            landing=self.landing,
            now=now,
            system=system,
            reference_dir=reference_dir or self.reference_dir,
        )

    def query(self, sql: str, **params) -> pl.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            return conn.sql(sql, params=params or None).pl()
