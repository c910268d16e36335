"""The reader step for a publication printed wide (NHS England's monthly A&E CSV): types as columns read as rows."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from pydantic import ValidationError

from pipelines.national.load import load_publication
from pipelines.storage.warehouse import ensure_schema
from schemas.national_layouts import load_publication_layouts
from schemas.national_reshape import Reshape

WIDE = Reshape(
    title_case=["Period"],
    into="Type",
    groups={
        "1": {"Attendances": "Att 1", "Breaches": "Over 1"},
        "2": {"Attendances": "Att 2", "Breaches": "Over 2"},
        "other": {"Attendances": "Att O", "Breaches": "Over O"},
    },
)


def test_each_group_is_a_row_in_file_order_and_empty_departments_are_none():
    frame = pl.DataFrame(
        {
            "source_row": [2, 3],
            "Period": ["MSitAE-MARCH-2017", "MSitAE-MARCH-2017"],
            "Org Code": ["RTG", "RFS"],
            "Att 1": ["100", "50"],
            "Over 1": ["10", "5"],
            "Att 2": ["0", None],  # no type 2 department: 0 and empty alike
            "Over 2": ["0", ""],
            "Att O": ["30", "0"],
            "Over O": ["0", "1"],  # 1 breach of 0 attendances is a row (its rule makes breaches unknown)
        }
    )
    out = WIDE.apply(frame)
    assert out.columns == ["source_row", "Period", "Org Code", "Type", "Attendances", "Breaches"]
    assert out.rows() == [
        (2, "Msitae-March-2017", "RTG", "1", "100", "10"),
        (2, "Msitae-March-2017", "RTG", "other", "30", "0"),
        (3, "Msitae-March-2017", "RFS", "1", "50", "5"),
        (3, "Msitae-March-2017", "RFS", "other", "0", "1"),
    ]


def test_groups_must_name_the_same_columns():
    with pytest.raises(ValidationError, match="every group names the same columns"):
        Reshape(into="Type", groups={"1": {"Attendances": "a"}, "2": {"Attends": "b"}})
    with pytest.raises(ValidationError, match="'into' and 'groups' together"):
        Reshape(groups={"1": {"Attendances": "a"}})


def test_the_published_layout_reshapes_nhs_englands_columns():
    [layout] = [x for x in load_publication_layouts("ae_monthly") if x.reshape is not None]
    assert layout.reshape.sources()[:5] == ["Period", "Org Code", "Parent Org", "Org name", "A&E attendances Type 1"]
    assert set(layout.reshape.groups) == {"1", "2", "other"}


def test_nhs_englands_total_row_is_read_as_englands_for_the_files_month():
    total = Reshape(
        england_total={"marked_in": ["Period", "Org Code", "Org name"], "code": "Org Code", "name": "Org name",
                       "period": "Period"},
    )  # fmt: skip
    frame = pl.DataFrame(
        {
            "source_row": [2, 3, 4, 5],
            # TOTAL in the month (most files), or in the organisation columns with the month given (Feb 2026).
            "Period": ["MSitAE-MARCH-2017", "MSitAE-MARCH-2017", "TOTAL", "MSitAE-MARCH-2017"],
            "Org Code": ["RTG", "RFS", None, "Total"],
            "Org name": ["UHDB", "CRH", "TOTAL", "TOTAl"],
        }
    )
    assert total.apply(frame).rows() == [
        (2, "MSitAE-MARCH-2017", "RTG", "UHDB"),
        (3, "MSitAE-MARCH-2017", "RFS", "CRH"),
        (4, "MSitAE-MARCH-2017", "-", "ENGLAND"),
        (5, "MSitAE-MARCH-2017", "-", "ENGLAND"),
    ]


def test_a_wide_file_without_a_groups_column_is_refused_naming_it(tmp_path):
    folder = tmp_path / "landing" / "national" / "ae_monthly"
    folder.mkdir(parents=True)
    header = "Period,Org Code,Parent Org,Org name,A&E attendances Type 1\n"
    (folder / "Monthly-AE-March-2017.csv").write_text(header + "MSitAE-MARCH-2017,RTG,X,Y,10\n", encoding="utf-8")
    conn = duckdb.connect(str(tmp_path / "uec.duckdb"))
    ensure_schema(conn)
    results, [fault] = load_publication(conn, "ae_monthly", tmp_path / "landing")
    assert results == []
    named = "publication ae_monthly, file Monthly-AE-March-2017.csv: missing columns ['Attendances over 4hrs Type 1'"
    assert fault.startswith(named) and "'A&E attendances Type 2'" in fault
    assert "nhse_csv.yaml" in fault
