"""Reference files are checked as they load: a code names one organisation at one level (issue 26 item 6)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from assets.reference import read_reference
from pipelines.resources import FeedFilesResource
from schemas.reference_checks import ReferenceError, check_headline, check_sites, check_unique
from tests.support.rows import uhdb_row
from tests.support.warehouse import Env

SHIPPED = Path(FeedFilesResource().reference_dir)
TRUST_ROW = (
    "RTG,University Hospitals of Derby and Burton (whole trust),RTG,University Hospitals of Derby and Burton "
    "NHS Foundation Trust,QJ2,Derby and Derbyshire ICB,no\n"
)


def _sites(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text((SHIPPED / "sites.csv").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_the_shipped_reference_files_pass():
    sites = read_reference(SHIPPED / "sites.csv")
    check_sites(sites, SHIPPED / "sites.csv")
    check_headline(read_reference(SHIPPED / "system_headline.csv"), SHIPPED / "system_headline.csv", sites)
    check_unique(read_reference(SHIPPED / "providers.csv"), SHIPPED / "providers.csv", ["provider_code"], [])


def test_a_site_whose_code_is_a_trust_code_is_refused_in_one_plain_line(tmp_path: Path):
    # Line 9: the shipped file has a header and 7 sites (lines 2-8). RTG names a trust on lines 2 and 3.
    path = _sites(tmp_path, TRUST_ROW)
    with pytest.raises(ReferenceError) as refused:
        check_sites(read_reference(path), path)
    message = str(refused.value)
    assert "\n" not in message
    assert message == (
        f"Reference file {path} refused, nothing loaded from it: sites.csv line 9: site code 'RTG' is also a trust "
        "code (line 2); a code may name one level only"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "RTG01,Royal Derby again,RTG,University Hospitals of Derby and Burton NHS Foundation Trust,QJ2,"
            "Derby and Derbyshire ICB,no\n",
            "sites.csv line 9: site code 'RTG01' is already on line 2",
        ),
        ("XX001,A site,,,QJ2,Derby and Derbyshire ICB,no\n", "sites.csv line 9: a site without a trust"),
        ("XX001,A site,XX0,A trust,,,no\n", "sites.csv line 9: a trust without a system"),
        ("XX001,A site,QJ2,A trust,QJ2,Derby and Derbyshire ICB,no\n", "trust code 'QJ2' is also a system code"),
        ("XX001,A site,RFS,Another name,QJ2,Derby and Derbyshire ICB,no\n", "trust_code 'RFS' has more than one"),
    ],
)
def test_duplicates_orphans_and_clashes_are_refused_by_file_and_line(tmp_path: Path, extra: str, expected: str):
    path = _sites(tmp_path, extra)
    with pytest.raises(ReferenceError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        check_sites(read_reference(path), path)


def test_a_headline_trust_outside_its_system_is_refused(tmp_path: Path):
    path = tmp_path / "system_headline.csv"
    path.write_text("system_code,trust_code,figure_name\nQJ2,RTG,acute trusts\nQJ2,RY9,acute trusts\n")
    with pytest.raises(ReferenceError, match="line 3: trust 'RY9' is not in system 'QJ2' in sites.csv"):
        check_headline(read_reference(path), path, read_reference(SHIPPED / "sites.csv"))


def test_a_run_stops_at_the_reference_before_any_mart(env: Env, tmp_path: Path):
    _, reference = env.own_configuration(tmp_path)
    with (reference / "sites.csv").open("a", encoding="utf-8") as sites:
        sites.write(TRUST_ROW)
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
    result = env.materialize("2025-01-15", raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_key == "reference"
    assert "site code 'RTG' is also a trust code (line 2)" in failure.event_specific_data.error.message
    # Nothing downstream of the sites ran: no mart was built on a reference that joins one trust twice.
    done = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    assert not any(step.startswith("marts__") for step in done)
