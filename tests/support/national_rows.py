"""NHS England's real published rows put straight into the national tables, for tests of what reads them.

The loaders (uec public load) are tested on their own; the peer marts, the brief and the peer report need only the
rows, so this reads the reference CSVs with the csv module and follows the tables' organisation convention: the
England row ('-', 'England') is ENG at org_level 'england', every other row a trust.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from assets.reference import reference_assets
from pipelines.storage.warehouse import insert_frame
from schemas import catalogue
from tests.support.reference import AE_MONTHLY, WINTER_SITREP
from tests.support.warehouse import Env

SITREP_2022_23 = WINTER_SITREP / "winter_sitrep_2022_23.csv"
PUBLISHED = datetime(2023, 3, 16, 9, 30)
TRUST_REGIONS = Path(__file__).resolve().parents[2] / "schemas" / "reference" / "trust_regions.csv"


def _organisation(code: str, name: str, region: str) -> dict[str, str | None]:
    if code == "-":
        return {"org_code": "ENG", "org_name": name, "org_level": "england", "region": None}
    return {"org_code": code, "org_name": name, "org_level": "trust", "region": None if region == "-" else region}


def _count(text: str) -> int | None:
    return int(float(text)) if text not in ("", "-") else None


def _rate(text: str) -> float | None:
    return float(text) if text not in ("", "-") else None


def _provenance(path: Path, row: int, published: datetime) -> dict:
    return {
        "source_file": path.name,
        "source_sha256": "0" * 64,
        "source_sheet": None,
        "source_row": row,
        "published_at_utc": published,
    }


def winter_sitrep_rows(
    keep: Callable[[dict[str, str]], bool] = lambda r: True, path: Path = SITREP_2022_23, published=PUBLISHED
) -> list[dict]:
    """The file's rows `keep` accepts (given the CSV row), as national.winter_sitrep rows."""
    counts = [c.split()[0] for c in catalogue.publication("winter_sitrep").declared.columns if " bigint" in c]
    found = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if not keep(row):
                continue
            found.append(
                {
                    **_organisation(row["org_code"], row["org_name"], row["region"]),
                    "date": date.fromisoformat(row["date"]),
                    **{c: _count(row[c]) for c in counts if c in row},
                    "ga_occupancy_rate": _rate(row.get("ga_occupancy_rate", "")),
                    "cc_occupancy_rate": _rate(row.get("cc_occupancy_rate", "")),
                    **_provenance(path, number, published),
                }
            )
    return found


def ae_monthly_rows(
    keep: Callable[[dict[str, str]], bool] = lambda r: True, path: Path = AE_MONTHLY, published=PUBLISHED
) -> list[dict]:
    """The A&E return's rows `keep` accepts, as national.ae_monthly rows (every provider a trust: it has no totals)."""
    found = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if keep(row):
                found.append(
                    {
                        **_organisation(row["org_code"], row["org_code"], "-"),
                        "org_name": None,
                        "period": date.fromisoformat(row["period"]),
                        "department_type": row["type"],
                        **{c: _count(row[c]) for c in ("attendances", "breaches", "admissions")},
                        **_provenance(path, number, published),
                    }
                )
    return found


def insert(conn: duckdb.DuckDBPyConnection, publication: str, rows: Iterable[dict]) -> int:
    """Append rows to national.<publication>, typed as declared; the number inserted."""
    entry = catalogue.publication(publication)
    declared = entry.declared
    # The table holds one row per key: the 2022-23 sitrep prints RM3 twice a day (two names, the same counts).
    once = {tuple(r[k] for k in entry.key): r for r in reversed(list(rows))}
    frame = pl.DataFrame(list(reversed(once.values())), schema=declared.polars_schema())
    insert_frame(conn, declared.name, frame)
    return frame.height


def insert_trust_regions(conn: duckdb.DuckDBPyConnection) -> None:
    """ref.trust_regions from the shipped file, as its asset loads it."""
    with TRUST_REGIONS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    conn.execute("delete from ref.trust_regions")
    insert_frame(conn, "ref.trust_regions", pl.DataFrame(rows, schema={c: pl.Utf8 for c in rows[0]}))


def reference_only(root: Path) -> Env:
    """A warehouse holding the shipped reference tables alone, loaded by their assets: enough for a brief or the
    peer report over national rows put in with `insert`."""
    env = Env(root)
    dg.materialize(reference_assets, resources=env.resources())
    return env


def land_and_load(
    env: Env,
    source: Path,
    keep: Callable[[dict[str, str]], bool] = lambda r: True,
    published: datetime = PUBLISHED,
) -> tuple[str, int]:
    """Land the rows of a reference CSV that `keep` accepts, as published (its own name and header) with a provenance
    sidecar dated `published`, and load them with the national loader: the publication and the rows read."""
    from pipelines.national.load import load_publication  # the loader is what this helper exists to go through

    publication = "winter_sitrep" if source.parent == WINTER_SITREP else "ae_monthly"
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), [r for r in reader if keep(r)]
    folder = Path(env.landing) / "national" / publication
    folder.mkdir(parents=True, exist_ok=True)
    landed = folder / source.name
    with landed.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    data = landed.read_bytes()
    sidecar = {
        "publication": publication,
        "source_url": f"https://www.england.nhs.uk/statistics/{source.name}",
        "fetched_at_utc": published.isoformat() + "Z",
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
    }
    landed.with_name(landed.name + ".provenance.json").write_text(json.dumps(sidecar), encoding="utf-8")
    with duckdb.connect(str(env.warehouse)) as conn:
        results, faults = load_publication(conn, publication, Path(env.landing))
    assert not faults, faults
    return publication, len(rows)
