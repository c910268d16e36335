"""Shared fixtures: a DuckDB file under tmp_path, a private landing area, and a materialize helper."""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.definitions import defs
from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.instance import BRIEF_KEY, PUBLISHED_KEY
from pipelines.resources import FeedFilesResource, ReportsResource, WarehouseResource
from schemas import catalogue

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


UHDB_COLUMNS = [
    "ATTENDANCE_ID",
    "SITE",
    "UNIT",
    "ARRIVAL_DTTM",
    "DEPARTURE_DTTM",
    "ARRIVAL_MODE",
    "ACUITY",
    "DTA_DTTM",
    "DISCHARGE_DEST",
    "AGE_BAND",
    "NHS_NUMBER",
]


CRH_COLUMNS = [
    "Attendance Ref",
    "Department",
    "Arrival Date Time",
    "Departure Date Time",
    "Mode of Arrival",
    "Triage Category",
    "Outcome",
    "Age Group",
]


def crh_row(record_id: str, arrival: str, departure: str = "") -> dict[str, str]:
    """A CRH-layout row: Chesterfield ED, walked in, discharged; times 'DD/MM/YYYY HH:MM'."""
    return {
        "Attendance Ref": record_id,
        "Department": "Emergency Department",
        "Arrival Date Time": arrival,
        "Departure Date Time": departure,
        "Mode of Arrival": "Walk in",
        "Triage Category": "3",
        "Outcome": "Discharged" if departure else "",
        "Age Group": "18-64",
    }


EMAS_COLUMNS = ["Incident Number", "Hospital", "Category", "Arrived At Hospital", "Handover Complete", "Vehicle Clear"]
SITREP_COLUMNS = [
    "Period",
    "Org Code",
    "All handovers",
    "Handover time known",
    "Over 15 minutes",
    "Over 30 minutes",
    "Over 45 minutes",
    "Over 60 minutes",
    "Handover time unknown",
    "Total hours",
    "Mean (minutes)",
]


DCHS_COLUMNS = ["Activity Date", "Unit Code", "Department Type", "Total Attendances", "Over 4 Hours", "Over 12 Hours"]


def dchs_row(day: str, unit: str, attendances: int, over_4h: int, over_12h: int, dept_type: str = "03") -> dict:
    """A DCHS daily-aggregate row; day 'DD/MM/YYYY'."""
    counts = (attendances, over_4h, over_12h)
    return dict(zip(DCHS_COLUMNS, (day, unit, dept_type, *(str(c) for c in counts)), strict=True))


DHU_COLUMNS = [
    "CaseRef",
    "Source",
    "Received",
    "FirstClinicalContact",
    "Outcome",
    "AmbDispatched",
    "Automated",
    "DispositionBand",
]


def dhu_row(
    case: str,
    source: str,
    received: str,
    contact: str,
    outcome: str,
    dispatched: str = "N",
    automated: str = "0",
    band: str = "",
) -> dict[str, str]:
    """A DHU-layout hub case; times as 'YYYY-MM-DDTHH:MM:SS' Europe/London wall-clock."""
    return {
        "CaseRef": case,
        "Source": source,
        "Received": received,
        "FirstClinicalContact": contact,
        "Outcome": outcome,
        "AmbDispatched": dispatched,
        "Automated": automated,
        "DispositionBand": band,
    }


OPEL_COLUMNS = [
    "Organisation Code",
    "OPEL Date",
    "Submitted",
    "OPEL Level",
    "Comment",
    "Mean Handover (mins)",
    "4hr Performance %",
    "Attendance Variation %",
    "Majors/Resus Occupancy %",
    "Median Time to Treatment (mins)",
    "% >12hrs in ED",
    "G&A Bed Occupancy %",
    "Escalation Beds %",
    "NCTR %",
]


def opel_row(org: str, opel_date: str, submitted: str, level: int, **parameters: str) -> dict[str, str]:
    """A portal-layout submission; dates 'DD/MM/YYYY', times 'DD/MM/YYYY HH:MM:SS' local wall-clock."""
    row = {c: "" for c in OPEL_COLUMNS}
    row.update(
        {"Organisation Code": org, "OPEL Date": opel_date, "Submitted": submitted, "OPEL Level": f"OPEL {level}"}
    )
    row.update(parameters)
    return row


def emas_row(
    incident: str, arrival: str, handover: str = "", clear: str = "", hospital: str = "RDH", category: str = "Cat2"
) -> dict[str, str]:
    """An EMAS-layout conveyance; times as 'DD-Mon-YYYY HH:MM:SS' Europe/London wall-clock."""
    return {
        "Incident Number": incident,
        "Hospital": hospital,
        "Category": category,
        "Arrived At Hospital": arrival,
        "Handover Complete": handover,
        "Vehicle Clear": clear,
    }


def uhdb_row(record_id: str, arrival: str, departure: str = "", **overrides: str) -> dict[str, str]:
    """A UHDB-layout row: adult ED at Royal Derby, walked in, discharged home unless overridden."""
    row = {
        "ATTENDANCE_ID": record_id,
        "SITE": "RDH",
        "UNIT": "AED",
        "ARRIVAL_DTTM": arrival,
        "DEPARTURE_DTTM": departure,
        "ARRIVAL_MODE": "2",
        "ACUITY": "3",
        "DTA_DTTM": "",
        "DISCHARGE_DEST": "HOM" if departure else "",
        "AGE_BAND": "18-64",
        "NHS_NUMBER": "",
    }
    row.update(overrides)
    return row


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
            instance=instance,
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
        """The feeds this test landed files for, with their reference tables and everything downstream.

        A run of every asset for one feed's files spent most of its time building the other feeds' empty days
        (about 5 s a run); a test that wants them all lands their files, or passes a selection.
        """
        raw = [dg.AssetKey(["raw", f.name]) for f in catalogue.FEEDS if (self.landing / f.name).is_dir()]
        if not raw or len(raw) == len(catalogue.FEEDS):
            return None
        # Everything built from those feeds, and everything that reads (reference tables, the other feeds of a mart).
        return dg.AssetSelection.assets(*raw).downstream().upstream()

    def query(self, sql: str, **params) -> pl.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            return conn.sql(sql, params=params or None).pl()


SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "landing"
TEST_KEY = "test-only-key-not-a-secret-0123456789"


def sample_env(root: Path, first: str, last: str, brief: bool = False) -> Env:
    """A warehouse built from the bundled samples for a range of days, as one run (for module fixtures)."""
    env = Env(root)
    env.landing.symlink_to(SAMPLES, target_is_directory=True)
    # Module fixtures run outside the per-test key fixture.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, TEST_KEY)
        env.materialize(first, last, brief=brief)
    return env


# The bundled samples' whole range (data_samples/generate.py), for the tests that check every day of it.
SAMPLE_RANGE = ("2024-12-01", "2025-03-31")


@pytest.fixture(scope="session")
def whole_samples(tmp_path_factory) -> Env:
    """A warehouse built from every sample day as one run (about a minute), built once and only read after.

    Each xdist worker has a session of its own: the first worker to ask builds it in the run's shared
    temporary folder while the others wait on the lock, so two cores never build it twice.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return sample_env(tmp_path_factory.mktemp("whole_samples"), *SAMPLE_RANGE)
    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, common to its workers
    root = shared / "whole_samples"
    with (shared / "whole_samples.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "built").exists():
            shutil.rmtree(root, ignore_errors=True)  # a worker that failed part-way
            root.mkdir()
            sample_env(root, *SAMPLE_RANGE)
            (root / "built").touch()
    return Env(root)


@pytest.fixture(autouse=True)
def pseudonymisation_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    return TEST_KEY


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


# The slowest files first: pytest-xdist hands whole files (--dist loadfile, in this order with
# --no-loadscope-reorder: by default it orders files by their number of tests) to whichever worker is free,
# so starting the long ones early keeps every worker busy to the end instead of one finishing a long
# file alone (the uec subprocess and daemon tests take 40-90 s each; most files take a few seconds).
SLOWEST_FIRST = (
    # Builds the whole-samples warehouse the oracle and sample tests share; they come later and find it built.
    "test_sample_cases.py",
    # Waits on the daemon's ticks between bursts of work: best beside the whole-samples build.
    "test_daemon.py",
    "test_cli.py",
    "test_cli_waits_for_a_writer.py",
    "test_cli_killed_mid_write.py",
    "test_cli_backup_beside_runs.py",
    "test_infrastructure.py",
    "test_data_protection.py",
    "test_quarantine.py",
    "test_brief_browser.py",
    "test_published.py",
    # The other files that read the whole-samples warehouse: by the time a worker reaches them it is built, where
    # earlier they would idle on its lock (a worker waited 55 s so).
    "test_spc.py",
    "test_samples.py",
    "test_oracle.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
