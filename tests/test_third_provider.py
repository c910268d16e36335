"""A new provider is configuration plus files: no code change reaches the mart."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.resources import FeedFilesResource
from tests.support.warehouse import Env

SFH_CONFIG = """
feed: ed_attendances
provider_code: RK5
provider_name: Sherwood Forest Hospitals
landing_dir: ed_attendances/sfh
file_pattern: '^sfh-ae-(?P<activity_date>\\d{8})-(?P<extracted_at>\\d{8}\\d{4})\\.xlsx$'
activity_date_format: '%Y%m%d'
extracted_at_format: '%Y%m%d%H%M'
format: xlsx
sheet: ED
datetime_formats: ['%Y-%m-%d %H:%M:%S']
columns:
  record_id: Ref
  site_code: {constant: RK5BC}
  department_type: {column: Area, values: {MAJ: 1, UTC: 3}}
  arrival_at: Arrived
  departure_at: Left
  arrival_mode: {column: Amb, values: {Y: ambulance, N: other}}
  acuity: Triage
"""


def test_third_provider_added_by_configuration(env: Env, tmp_path: Path):
    shipped = FeedFilesResource()
    feeds = tmp_path / "feeds"
    shutil.copytree(shipped.feeds_dir, feeds)
    (feeds / "ed_attendances" / "sfh.yaml").write_text(SFH_CONFIG)
    reference = tmp_path / "reference"
    shutil.copytree(shipped.reference_dir, reference)
    with (reference / "sites.csv").open("a") as sites:
        sites.write(
            "RK5BC,King's Mill Hospital,RK5,Sherwood Forest Hospitals NHS Foundation Trust,QT1,Nottingham and "
            "Nottinghamshire ICB,no\n"
        )
    env.feeds_dir, env.reference_dir = str(feeds), str(reference)

    landing = env.landing / "ed_attendances" / "sfh"
    landing.mkdir(parents=True)
    pl.DataFrame(
        {
            "Ref": ["S1", "S2", "S3"],
            "Area": ["MAJ", "MAJ", "UTC"],
            "Arrived": [datetime(2025, 1, 15, 9, 0), datetime(2025, 1, 15, 10, 0), datetime(2025, 1, 15, 11, 0)],
            "Left": [datetime(2025, 1, 15, 12, 0), datetime(2025, 1, 15, 15, 30), datetime(2025, 1, 15, 12, 0)],
            "Amb": ["Y", "N", "N"],
            # A numeric workbook column mixing whole numbers and a keying slip: 3 must read as 3, not "3.0".
            "Triage": [3.0, 2.0, 2.5],
        }
    ).write_excel(landing / "sfh-ae-20250115-202501160600.xlsx", worksheet="ED")

    env.materialize("2025-01-15")
    mart = env.query(
        "select department_type, attendances, within_4h, breaches from marts.ed_four_hour_daily "
        "where site_code = 'RK5BC' order by 1"
    ).rows()
    # S3's triage 2.5 is not a whole number: its acuity is unknown and it counts (domain §7.2). Type 1: S1 180 min
    # within, S2 330 min breach; type 3: S3 60 min within.
    assert mart == [(1, 2, 1, 1), (3, 1, 1, 0)]
    acuity = dict(env.query("select record_id, acuity from raw.ed_attendances where provider_code = 'RK5'").rows())
    assert acuity == {"S1": 3, "S2": 2, "S3": None}
    reason = env.query("select column_name, reason, value, action from ops.quarantine where provider_code = 'RK5'").row(
        0
    )
    assert reason == ("acuity", "not a whole number", "2.5", "value set to unknown")
    trust = env.query(
        "select pct_within_4h from marts.ed_four_hour_trust where org_code = 'RK5' and period = 'day' and scope = "
        "'all_types'"
    ).item()
    assert trust == pytest.approx(200 / 3)  # 2 within (S1, S3) of 3
