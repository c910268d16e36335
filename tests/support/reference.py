"""Where the real published data sits: shared/reference/ beside the repository, wherever it is cloned."""

from __future__ import annotations

from pathlib import Path

# CI clones the repository into another folder with shared/ beside it, as on a developer's machine.
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
WINTER_SITREP = REFERENCE / "nhse_winter_sitrep"
AE_MONTHLY = REFERENCE / "ae_attendances_monthly_2016_2019.csv"
SWAST_DAILY = REFERENCE / "swast_daily_ambulance_responses_2013_2019.csv"
