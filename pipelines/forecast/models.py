"""The two forecasting models, both statsforecast's: a seasonal-naive baseline, and regression with ARIMA errors on bank
holidays.

statsforecast is imported inside the function that fits, never at module import: the code location's definitions
load without it (about 1.8 s of pandas, scipy and statsmodels).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

SEASON = 7  # a week: the day-of-week pattern of every series the SCC reads
LEVELS = (80, 95)
BASELINE = "seasonal_naive"
CHOSEN = "arima_holidays"
MODELS = (BASELINE, CHOSEN)
# The error model's (p, d, q) and estimation method, tried in turn: on a short, nearly white series the AR and MA
# terms cancel and the default (conditional sums of squares, then maximum likelihood) fails; maximum likelihood alone
# fitted every such origin, but on six years of SWAST it settled on flat intervals, so it is second, not first.
ORDERS = (((1, 0, 1), "CSS-ML"), ((1, 0, 1), "ML"), ((1, 0, 0), "CSS-ML"))


@dataclass(frozen=True)
class Forecast:
    """A forecast for horizons 1..h: the mean and the 80% and 95% interval bounds, one value per horizon."""

    mean: np.ndarray
    lo: dict[int, np.ndarray]
    hi: dict[int, np.ndarray]


@cache
def _holiday_calendar() -> object:
    import holidays  # only the forecasting step needs the calendar

    # England's bank holidays (the SCC's and SWAST's): Scotland's and Northern Ireland's differ.
    return holidays.country_holidays("GB", subdiv="ENG", years=range(2010, 2041))


def bank_holidays(first: date, days: int) -> np.ndarray:
    """A 0/1 column, one row per day from `first`: 1 on an England and Wales bank holiday."""
    calendar = _holiday_calendar()
    return np.array([1.0 if first + timedelta(days=i) in calendar else 0.0 for i in range(days)])  # type: ignore[operator]


def seasonal_naive(y: np.ndarray, h: int, m: int = SEASON) -> Forecast:
    """Each of the next h days as the same weekday in the last week, with intervals from the in-sample lag-m errors.

    statsforecast's SeasonalNaive: sigma is the root mean square of the in-sample differences from m days before, and
    the spread grows with the number of whole seasons ahead, sigma * sqrt(k + 1) for k whole weeks (Hyndman &
    Athanasopoulos, FPP3 5.5): within one week it is the same for every horizon.
    """
    from statsforecast.models import SeasonalNaive  # the forecasting step alone pays for the import

    out = SeasonalNaive(season_length=m).fit(np.asarray(y, dtype=float)).predict(h, level=list(LEVELS))
    return Forecast(
        np.asarray(out["mean"], dtype=float),
        {lv: np.asarray(out[f"lo-{lv}"], dtype=float) for lv in LEVELS},
        {lv: np.asarray(out[f"hi-{lv}"], dtype=float) for lv in LEVELS},
    )


def annual_terms(first: date, days: int, pairs: int = 2) -> np.ndarray:
    """Fourier terms of the day of the year (sine and cosine pairs): the winter peak of a series years long."""
    t = np.array([(first + timedelta(days=i)).timetuple().tm_yday for i in range(days)], dtype=float)
    return np.column_stack([f(2 * np.pi * k * t / 365.25) for k in range(1, pairs + 1) for f in (np.sin, np.cos)])


def regressors(first: date, days: int, *, annual: bool, holidays: bool = True) -> np.ndarray:
    """The exogenous columns for `days` days from `first`: bank holidays and, for a long series, the annual terms."""
    columns = [bank_holidays(first, days)[:, None]] if holidays else []
    if annual:
        columns.append(annual_terms(first, days))
    return np.column_stack(columns) if columns else np.empty((days, 0))


@dataclass
class Arima:
    """Regression on bank holidays (and annual terms if asked) with ARIMA(1,0,1)(0,1,1)7 errors (else (1,0,0)) for one
    series, whose first day is `first`: fitted to a stretch of it, then applied to longer ones without re-estimating.

    The order is fixed, not searched: AutoARIMA took 32 s on one 6-year series against 0.2 s for this fit, and the
    weekly differencing already carries the day-of-week pattern the search would find.
    """

    first: date
    holidays: bool = True
    annual: bool = False
    fitted: object = None  # statsforecast's ARIMA once fit
    columns: tuple[int, ...] = ()  # the regressors the fit could estimate
    order: tuple[int, int, int] = ORDERS[0][0]

    def _x(self, days: int) -> np.ndarray:
        return regressors(self.first, days, annual=self.annual, holidays=self.holidays)[:, list(self.columns)]

    def fit(self, y: np.ndarray) -> bool:
        """Estimate on y (from `first`); False when the fit fails (a series too short or too regular to estimate)."""
        from statsforecast.models import ARIMA  # the forecasting step alone pays for the import

        every = regressors(self.first, len(y), annual=self.annual, holidays=self.holidays)
        # A column that never varies in the training days (no bank holiday in them) cannot be estimated.
        self.columns = tuple(j for j in range(every.shape[1]) if np.ptp(every[:, j]) > 0)
        x = self._x(len(y)) if self.columns else None
        for order, method in ORDERS:
            model = ARIMA(order=order, seasonal_order=(0, 1, 1), season_length=SEASON, method=method)
            try:
                with warnings.catch_warnings():
                    # statsforecast warns where the optimiser stops early; the fit is still usable and the backtest
                    # judges it.
                    warnings.simplefilter("ignore", UserWarning)
                    model.fit(np.asarray(y, dtype=float), X=x)
            except (ValueError, np.linalg.LinAlgError):
                continue
            self.fitted, self.order = model, order
            return True
        self.fitted = None
        return False

    def predict(self, y: np.ndarray, h: int) -> Forecast | None:
        """The next h days after y (from `first`), with the estimates of the last fit and the state y brings."""
        if self.fitted is None:
            return None
        y = np.asarray(y, dtype=float)
        x = self._x(len(y) + h) if self.columns else None
        try:
            out = self.fitted.forward(  # type: ignore[attr-defined]
                y=y,
                h=h,
                X=None if x is None else x[: len(y)],
                X_future=None if x is None else x[len(y) :],
                level=list(LEVELS),
            )
        except (ValueError, np.linalg.LinAlgError):
            return None
        return Forecast(
            np.asarray(out["mean"], dtype=float),
            {lv: np.asarray(out[f"lo-{lv}"], dtype=float) for lv in LEVELS},
            {lv: np.asarray(out[f"hi-{lv}"], dtype=float) for lv in LEVELS},
        )


def arima_holidays(
    y: np.ndarray, first: date, h: int, *, holidays: bool = True, annual: bool = False
) -> Forecast | None:
    """Fit the regression with ARIMA errors to y (whose first day is `first`) and forecast the next h days."""
    model = Arima(first, holidays=holidays, annual=annual)
    return model.predict(y, h) if model.fit(y) else None
