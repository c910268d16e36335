"""Bad published values (docs/domain.md §7.2): a figure that breaks a rule is unknown, the row still counts;
a row with no organisation or day to place it by is quarantined whole. Hand-made rows, the rule for each in words."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.national.load import load_publication
from pipelines.national.organisations import place
from pipelines.storage.warehouse import ensure_schema

HEADER = (
    "org_code,org_name,region,date,ga_beds_open,ga_beds_occupied,ga_occupancy_rate,handover_delays_30_60,ae_closures"
)
ROWS = [
    "RTG,University Hospitals of Derby and Burton,Midlands,2022-11-14,1391,1288,0.926,33,0",  # 2: clean
    "RFS,Chesterfield Royal,Midlands,2022-11-14,400,410,1.025,5,0",  # 3: occupied over open: both + rate unknown
    "RX1,Nottingham,Midlands,2022-11-14,1500,1400,0,-4,0",  # 4: rate 0 beside beds occupied; negative delays
    "RK5,Sherwood Forest,Midlands,2022-11-14,-,-,-,-,-",  # 5: nothing calculable: '-' is no value, not a fault
    "-,Atlantis,-,2022-11-14,10,5,0.5,1,0",  # 6: a total whose name is no total we know: quarantined whole
    "RTG,University Hospitals of Derby and Burton,Midlands,14/11/2022,1,1,1,1,1",  # 7: unreadable day: quarantined
    "-,ENGLAND,-,2022-11-14,99364,93309,0.939,1948,0",  # 8: England
    "RNA,Dudley,Midlands,2022-11-14,600,500,0.833,x,0",  # 9: a count that is not a number: unknown
]


@pytest.fixture
def loaded(tmp_path):
    folder = tmp_path / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    (folder / "winter_sitrep_2022_23.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    conn = duckdb.connect(str(tmp_path / "uec.duckdb"))
    ensure_schema(conn)
    [result], faults = load_publication(conn, "winter_sitrep", tmp_path)
    assert faults == []
    return conn, result


def test_every_row_is_loaded_or_quarantined(loaded):
    _, result = loaded
    # 8 rows: 6 load (2, 3, 4, 5, 8, 9), rows 6 and 7 are quarantined whole; 3 loaded rows lost a value (3, 4, 9).
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (8, 6, 2, 0)
    assert result.rows_with_unknown_values == 3


def test_inconsistent_figures_become_unknown_and_the_rest_of_the_row_counts(loaded):
    conn, _ = loaded
    rows = conn.execute(
        "select org_code, ga_beds_open, ga_beds_occupied, ga_occupancy_rate, handover_delays_30_60, ae_closures "
        "from national.winter_sitrep order by source_row"
    ).fetchall()
    assert rows == [
        ("RTG", 1391, 1288, 0.926, 33, 0),
        ("RFS", None, None, None, 5, 0),  # 410 occupied of 400 open: neither can be trusted, nor the rate
        ("RX1", 1500, 1400, None, None, 0),  # 0 is not 1400 / 1500; -4 delays is not a count
        ("RK5", None, None, None, None, None),
        ("ENG", 99364, 93309, 0.939, 1948, 0),
        ("RNA", 600, 500, 0.833, None, 0),
    ]


def test_quarantine_names_row_column_rule_and_action(loaded):
    conn, _ = loaded
    listed = conn.execute(
        "select source_row, column_name, source_column, reason, value, action from ops.quarantine "
        "where feed = 'winter_sitrep' and provider_code = 'NHSE' order by source_row, column_name, reason"
    ).fetchall()
    whole = [r for r in listed if r[5] == "record quarantined"]
    assert [(r[0], r[1]) for r in whole] == [(6, "org_code"), (7, "date")]
    assert whole[0][3].startswith("organisation not recognised") and whole[0][4] == "- / Atlantis"
    assert whole[1][3].startswith("unreadable date") and whole[1][4] == "14/11/2022"
    unknown = {(r[0], r[1]) for r in listed if r[5] == "value set to unknown"}
    assert unknown == {
        (3, "ga_beds_open"),
        (3, "ga_beds_occupied"),
        (3, "ga_occupancy_rate"),
        (4, "ga_occupancy_rate"),
        (4, "handover_delays_30_60"),
        (9, "handover_delays_30_60"),
    }


def test_totals_are_told_by_their_name_even_with_a_code_beside_them():
    frame = pl.DataFrame(
        {
            "org_code": [None, None, "Y60", "RTG", None, "not a code"],
            "org_name": ["ENGLAND (All Acute Trusts)", "England (Type 1 Acute Trusts)", "Midlands", "UHDB", "X", "Y"],
            "region": [None, None, None, "Midlands", None, None],
        }
    )
    placed = place(frame).select("org_code", "org_level", "region").rows()
    assert placed == [
        ("ENG", "england", None),
        ("ENG-T1", "england", None),
        ("MIDLANDS", "region", "Midlands"),
        ("RTG", "trust", "Midlands"),
        (None, None, None),
        (None, None, None),
    ]
