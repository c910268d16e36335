"""A sitrep delay band out of nesting with its neighbour: both values unknown, the row counts (docs/domain.md §7.2)."""

from __future__ import annotations

import pytest

from tests.support.ingest import ingest
from tests.support.warehouse import Env

DAY = "2025-01-15"
FILE = "UHDB_Handover_Sitrep_20250115_20250116T0900.csv"


def _row(site: str, all_: int, known: int, bands: tuple[str, str, str, str], hours: str = "10") -> dict[str, str]:
    over_15, over_30, over_45, over_60 = bands
    return {
        "Period": DAY,
        "Org Code": site,
        "All handovers": str(all_),
        "Handover time known": str(known),
        "Over 15 minutes": over_15,
        "Over 30 minutes": over_30,
        "Over 45 minutes": over_45,
        "Over 60 minutes": over_60,
        "Handover time unknown": str(all_ - known),
        "Total hours": hours,
        "Mean (minutes)": "20",
    }


def _bands(result, site: str) -> tuple:
    [row] = (
        result.rows(site_code=site)
        .select("all_handovers", "known", "unknown", "over_15", "over_30", "over_45", "over_60", "total_hours")
        .rows()
    )
    return row


@pytest.mark.parametrize(
    ("bands", "unknown", "reason"),
    [
        # Over 60 (7) above over 45 (5), as in 17 of NHS England's 252 published trust-days: both unknown.
        (("40", "20", "5", "7"), ("Over 45 minutes", "Over 60 minutes"), "over 60 not more than over 45"),
        (("40", "20", "25", "3"), ("Over 30 minutes", "Over 45 minutes"), "over 45 not more than over 30"),
        (("40", "45", "5", "3"), ("Over 15 minutes", "Over 30 minutes"), "over 30 not more than over 15"),
        # Over 15 above known (96): known is borne out by all = known + unknown (100 = 96 + 4), so only over 15 goes.
        (("97", "20", "5", "3"), ("Over 15 minutes",), "over 15 not more than known"),
        # No over 45 given: over 60 nests in over 30 directly.
        (
            ("40", "20", "", "21"),
            ("Over 30 minutes", "Over 60 minutes"),
            "over 60 not more than over 30 (over 45 not given)",
        ),
    ],
)
def test_a_band_out_of_nesting_becomes_unknown_with_its_neighbour_and_the_row_counts(
    env: Env, bands: tuple, unknown: tuple, reason: str
):
    env.write_sitrep(
        "20250115",
        "20250116T0900",
        [_row("RTGFG", 100, 96, bands), _row("RTG01", 50, 48, ("20", "10", "5", "2"))],
    )
    result = ingest(env, "handover_sitrep", other=None)
    # Read 2, loaded 2 (Burton's with unknown values), none quarantined or repeated.
    assert result.counts(FILE) == (2, 2, 0, 0, 1)
    expected = dict(zip(("Over 15 minutes", "Over 30 minutes", "Over 45 minutes", "Over 60 minutes"), bands))
    for column in unknown:
        expected[column] = None
    burton = _bands(result, "RTGFG")
    assert burton[:3] == (100, 96, 4) and burton[7] == 10.0  # arrivals, known, unknown and hours still count
    assert burton[3:7] == tuple(None if v in (None, "") else int(v) for v in expected.values())
    assert result.actions(FILE) == [(2, column, reason, "value set to unknown") for column in unknown]
    # The consistent row stays as it was.
    assert _bands(result, "RTG01") == (50, 48, 2, 20, 10, 5, 2, 10.0)


def test_arrivals_that_are_not_known_plus_unknown_still_quarantine_the_row(env: Env):
    # 100 arrivals, 96 known, 5 unknown: 96 + 5 = 101. Which of the three is wrong cannot be told, and arrivals is the
    # figure every band is read against, so the row is not counted (the module's rule, docs/domain.md §7.2).
    row = _row("RTGFG", 100, 96, ("40", "20", "5", "3")) | {"Handover time unknown": "5"}
    env.write_sitrep("20250115", "20250116T0900", [row])
    result = ingest(env, "handover_sitrep", other=None)
    assert result.counts(FILE) == (1, 0, 1, 0, 0)
    assert result.actions(FILE) == [(2, "All handovers", "all handovers = known + unknown", "record quarantined")]
