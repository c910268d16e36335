"""The bundled samples: calibrated to the brief's January 2025 figures and carrying realistic mess."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.pseudonymise import KEY_ENV
from tests.conftest import Env

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "landing"
# UEC brief, section 5 (January 2025): attendances a day and 4-hour performance (all types).
BRIEF = {"RFS": (218 + 185, 78.2), "RTG": (203 + 84 + 133 + 170 + 42, 72.9)}


@pytest.fixture(scope="module")
def january(tmp_path_factory) -> Env:
    env = Env(tmp_path_factory.mktemp("samples"))
    env.landing.symlink_to(SAMPLES, target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, "test-only-key-not-a-secret-0123456789")
        env.materialize("2025-01-01", "2025-01-31")
    return env


def test_january_calibrated_to_the_brief(january: Env):
    rows = january.query(
        "select org_code, attendances, pct_within_4h from marts.ed_four_hour_trust "
        "where date = date '2025-01-31' and period = 'month_to_date' and scope = 'all_types'"
    ).rows()
    assert {r[0] for r in rows} == set(BRIEF)
    for code, attendances, pct in rows:
        per_day, reported = BRIEF[code]
        assert abs(attendances / 31 - per_day) / per_day < 0.05, code
        assert abs(pct - reported) < 2.0, (code, pct, reported)


def test_january_rows_all_accounted_for(january: Env):
    read, loaded, quarantined = january.query(
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from ops.source_files"
    ).row(0)
    assert read == loaded + quarantined
    # Injected in January: a duplicated UHDB attendance (2 rows) on the 14th, a UHDB departure before
    # arrival on the 20th, a CRH department code the mapping lacks on the 22nd: 4 rows.
    assert quarantined == 4


def test_samples_carry_the_mess_a_real_landing_area_has():
    uhdb = sorted((SAMPLES / "ed_attendances" / "uhdb").glob("*.csv"))
    crh = sorted((SAMPLES / "ed_attendances" / "crh").glob("*"))
    assert uhdb[0].read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    crh_csv = next(p for p in crh if p.suffix == ".csv").read_bytes()
    assert b"\x96" in crh_csv and b"\r\n" in crh_csv  # Windows-1252 en dash, CRLF line ends
    with pytest.raises(UnicodeDecodeError):
        crh_csv.decode("utf-8")
    assert any(p.suffix == ".xlsx" for p in crh)  # corrections sent as a workbook
    days = [p.name.split("_")[2] for p in uhdb]
    assert len(days) > len(set(days))  # some days were re-sent
    first, last = min(days), max(days)
    assert (first, last) == ("20241201", "20250331")  # spans the 30 March clock change
