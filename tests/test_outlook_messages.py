"""The outlook's key message holds to the data loaded: a count short of its forecast interval on a day its feeds did not
load whole is not called a miss, and one above it says what is missing beside it."""

from datetime import date

import pytest

from pipelines.brief.messages import forecast_misses
from pipelines.forecast.outlook import Outlook, OutlookRow

DAY = date(2025, 3, 31)  # a Monday
GAP = "incomplete figures for Ambulance handovers (RX9: 3 of 40 rows quarantined)"


def _outlook(actual: float) -> Outlook:
    # The forecast made on Sunday for Monday: 95% interval 380 to 460.
    yesterday = {
        "target_date": DAY,
        "actual": actual,
        "mean": 420.0,
        "lo_80": 395.0,
        "hi_80": 445.0,
        "lo_95": 380.0,
        "hi_95": 460.0,
        "inside_80": 395 <= actual <= 445,
        "inside_95": 380 <= actual <= 460,
    }
    row = OutlookRow("ambulance_arrivals", "Ambulance arrivals", "system", "QJ2", "Derby and Derbyshire", "arima")
    row.yesterday = yesterday
    return Outlook(DAY, [row])


@pytest.mark.parametrize(
    ("actual", "incomplete", "expected"),
    [
        # Inside the interval: nothing to say, whatever loaded.
        (400.0, {}, []),
        (400.0, {"ambulance_arrivals": GAP}, []),
        # 350 < 380 with every file loaded whole: a miss.
        (
            350.0,
            {},
            [
                "Ambulance arrivals, Derby and Derbyshire: 350 on Monday 31 March, below the 95% interval forecast "
                "the day before (380 to 460)."
            ],
        ),
        # 350 < 380 with rows missing: the shortfall may be the missing rows, so it is not judged.
        (
            350.0,
            {"ambulance_arrivals": GAP},
            [
                "Ambulance arrivals, Derby and Derbyshire: 350 on Monday 31 March is not judged against the 95% "
                f"interval forecast the day before (380 to 460): {GAP}."
            ],
        ),
        # 500 > 460 even with rows missing: more than forecast stands, with the gap beside it.
        (
            500.0,
            {"ambulance_arrivals": GAP},
            [
                "Ambulance arrivals, Derby and Derbyshire: 500 on Monday 31 March, above the 95% interval forecast "
                f"the day before (380 to 460), with {GAP}."
            ],
        ),
        # A gap in another series' feeds says nothing about this one.
        (
            350.0,
            {"ed_arrivals": "no figures for ED attendances (RFS: not received)"},
            [
                "Ambulance arrivals, Derby and Derbyshire: 350 on Monday 31 March, below the 95% interval forecast "
                "the day before (380 to 460)."
            ],
        ),
    ],
    ids=["inside", "inside-incomplete", "below", "below-incomplete", "above-incomplete", "other-series-incomplete"],
)
def test_a_miss_is_called_only_on_what_loaded(actual, incomplete, expected):
    assert [m.text for m in forecast_misses(_outlook(actual), incomplete)] == expected
