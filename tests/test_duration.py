"""The `duration` column kind: `HH:MM:SS[.ffffff]` text read as minutes, anything else a fault naming the column."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.ingest.mapping import map_frame
from schemas.canonical import Canonical, FeedSpec
from schemas.registry import FeedConfig

SPEC = FeedSpec(
    feed="durations",
    columns=(
        Canonical("site_code", "text", required=True),
        Canonical("mean_minutes", "duration", unknown_on_fault=True),
    ),
)
CONFIG = FeedConfig(
    feed="durations",
    provider_code="TEST",
    provider_name="Test",
    landing_dir="durations",
    file_pattern=r"durations_(?P<activity_date>\d{8})\.csv",
    activity_date_format="%Y%m%d",
    extracted_at={"from": "arrival"},
    columns={"site_code": {"column": "Site"}, "mean_minutes": {"column": "Mean handover"}},
    config_path="test-durations.yaml",
)


def _map(*texts: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = pl.DataFrame(
        {"source_row": list(range(2, len(texts) + 2)), "Site": ["RTG01"] * len(texts), "Mean handover": list(texts)},
        schema={"source_row": pl.Int64, "Site": pl.Utf8, "Mean handover": pl.Utf8},
    )
    return map_frame(raw, CONFIG, SPEC)


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("00:37:30", 37.5),  # 37 min + 30 s / 60
        ("01:02:03.500000", 62 + 3.5 / 60),  # 60 + 2 + 3.5 / 60 = 62.058333...
        ("00:00:00", 0.0),
        ("00:16:40.25", 16 + 40.25 / 60),  # a shorter fraction is still seconds: 40.25 s
        ("1234:05:06", 1234 * 60 + 5 + 6 / 60),  # a total: hours past 23, 74,045.1 minutes
        (" 00:37:30 ", 37.5),  # padding is stripped like any other cell
    ],
)
def test_a_duration_is_read_as_minutes(text: str, minutes: float):
    out, errors = _map(text)
    assert errors.height == 0
    assert out["mean_minutes"].dtype == pl.Float64
    assert out["mean_minutes"][0] == pytest.approx(minutes, abs=1e-9)


def test_hand_worked_values():
    out, _ = _map("00:37:30", "01:02:03.500000")
    assert out["mean_minutes"].to_list() == pytest.approx([37.5, 62.058333333], abs=1e-9)


@pytest.mark.parametrize(
    "text",
    ["37:30", "00:60:00", "00:00:60", "00:37:30.1234567", "-00:05:00", "00:37:3", "37.5", "00:37:30.", "1 day"],
)
def test_anything_else_is_a_fault_naming_the_column(text: str):
    out, errors = _map("00:10:00", text)
    assert out["mean_minutes"].to_list() == [10.0, None]
    assert errors.to_dicts() == [
        {
            "source_row": 3,
            "column_name": "mean_minutes",
            "source_column": "Mean handover",
            "reason": "not a duration HH:MM:SS",
            "value": text,
        }
    ]


def test_an_empty_cell_is_no_value_and_no_fault():
    out, errors = _map("", None)
    assert out["mean_minutes"].to_list() == [None, None] and errors.height == 0


def test_many_rows_read_in_one_pass():
    # 200,000 cells: a per-row Python parse would take seconds; the polars expression takes milliseconds.
    texts = [f"{i % 100:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d}" for i in range(200_000)]
    out, errors = _map(*texts)
    assert errors.height == 0
    i = 123_457  # 57:37:19.457 -> 57 * 60 + 37 + 19.457 / 60
    assert out["mean_minutes"][i] == pytest.approx(57 * 60 + 37 + 19.457 / 60, abs=1e-9)


def test_a_duration_stored_in_hours():
    spec = FeedSpec(feed="durations", columns=(Canonical("total_hours", "duration", duration_in="hours"),))
    config = CONFIG.model_copy(update={"columns": {"total_hours": CONFIG.columns["mean_minutes"]}})
    raw = pl.DataFrame({"source_row": [2, 3], "Mean handover": ["1234:05:06", "37:30:00"]})
    out, errors = map_frame(raw, config, spec)
    # 1234 h + 5 min / 60 + 6 s / 3600 = 1234.085 h; 37 h 30 min = 37.5 h
    assert out["total_hours"].to_list() == pytest.approx([1234.085, 37.5], abs=1e-9) and errors.height == 0
