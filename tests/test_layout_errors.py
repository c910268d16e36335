"""A broken layout is one plain line naming its file, field and what is expected; a misnamed file shows the pattern."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli.dry_run import check_file
from pipelines.resources import FeedFilesResource
from schemas.registry import load_feed_layouts

SHIPPED = FeedFilesResource()
UHDB_SAMPLE = sorted((Path(__file__).parents[1] / "data_samples" / "landing" / "ed_attendances" / "uhdb").iterdir())[0]


@pytest.mark.parametrize(
    "edit, field, expected",
    [
        # The case: a provider's own names carry no extract time.
        (("_(?P<extracted_at>\\d{8}T\\d{4})", ""), "file_pattern", "needs a named group 'extracted_at', or set"),
        (("format: csv", "format: parquet"), "format", "should be 'csv' or 'xlsx'"),
        (("arrives_by: '07:00'", "arrives_by: 7am"), "arrives_by", "should be in a valid time format"),
        (("  acuity: ACUITY", "  acuity: {colum: ACUITY}"), "columns.acuity.colum", "not a layout setting"),
        (("provider_name: University Hospitals of Derby and Burton\n", ""), "provider_name", "missing"),
    ],
)
def test_a_broken_layout_is_one_plain_line_naming_file_and_field(
    tmp_path: Path, edit: tuple[str, str], field: str, expected: str
):
    text = (Path(SHIPPED.feeds_dir) / "ed_attendances" / "uhdb.yaml").read_text()
    assert edit[0] in text
    layout = tmp_path / "feeds" / "ed_attendances" / "uhdb.yaml"
    layout.parent.mkdir(parents=True)
    layout.write_text(text.replace(edit[0], edit[1]))
    _, [broken] = load_feed_layouts("ed_attendances", tmp_path / "feeds")
    assert f"feed config {layout} is invalid: {field}" in broken.reason and expected in broken.reason
    assert "\n" not in broken.reason and "pydantic" not in broken.reason and "Traceback" not in broken.reason
    # `uec feeds check` says the same rather than "no layout".
    said: list[str] = []
    sample = UHDB_SAMPLE
    assert check_file("uhdb", sample, str(tmp_path / "feeds"), SHIPPED.reference_dir, said.append) == 2
    assert said == [f"Layout {layout} cannot be used, so no file of this provider loads: {broken.reason}"]


def test_feeds_check_on_a_misnamed_file_shows_the_pattern(tmp_path: Path):
    sample = UHDB_SAMPLE
    misnamed = tmp_path / "UHDB_ED_20241201.csv"
    misnamed.write_bytes(sample.read_bytes())
    said: list[str] = []
    assert check_file("RTG", misnamed, SHIPPED.feeds_dir, SHIPPED.reference_dir, said.append) == 2
    pattern = r"^UHDB_ED_(?P<activity_date>\d{8})_(?P<extracted_at>\d{8}T\d{4})\.csv$"
    assert said[0] == "UHDB_ED_20241201.csv does not match RTG's file-name pattern, so it would never be loaded:"
    assert f"  ed_attendances: pattern {pattern}" in said
    assert any("the name does not fit the pattern" in line and "uhdb.yaml" in line for line in said)
    # Shaped right, but a day that is no date: the pattern fits and the date format is named.
    bad_day = tmp_path / "UHDB_ED_20241399_20241202T0600.csv"
    bad_day.write_bytes(sample.read_bytes())
    said.clear()
    assert check_file("RTG", bad_day, SHIPPED.feeds_dir, SHIPPED.reference_dir, said.append) == 2
    assert any("its activity_date '20241399' does not read as '%Y%m%d'" in line for line in said)


def test_a_layout_that_is_not_yaml_names_the_file_and_the_line(tmp_path: Path):
    layout = tmp_path / "feeds" / "ed_attendances" / "uhdb.yaml"
    layout.parent.mkdir(parents=True)
    text = (Path(SHIPPED.feeds_dir) / "ed_attendances" / "uhdb.yaml").read_text()
    layout.write_text(text.replace("feed: ed_attendances", "feed: [ed_attendances"))
    _, [broken] = load_feed_layouts("ed_attendances", tmp_path / "feeds")
    assert broken.reason.startswith(f"feed config {layout} is not readable YAML at line ")
    assert "\n" not in broken.reason
