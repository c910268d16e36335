"""Write the bundled sample provider files, deterministically (fixed seed, byte-identical re-runs).

ED attendances, EMAS handovers and DHU hub cases for 1 December 2024 to 31 March 2025 in each provider's own layout,
calibrated to the January 2025 figures in the UEC brief (section 5): UHDB about 632 attendances a day
at 72.9% within 4 hours, CRH about 403 a day at 78.2%; Royal Derby about 1,655 handover hours lost in
January with a late-January mean near 39 minutes, Chesterfield a mean near 17 minutes. Every EMAS
conveyance is an ambulance arrival in the ED files, at the same site within a few minutes. Hub cases
follow the brief's January volumes: about 1,277 EMAS category 3/4 cases, two thirds deflected, mean
response near 9 minutes; about 505 111 Online category 3/4 cases, 98.5% avoiding an ambulance. OPEL
submissions for every provider each day, the acute trusts' parameters taken from the same samples.
Usage: python -m data_samples.generate [OUTPUT_DIR]  (from the repository root, as `make samples` runs it)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import nhs_number
import numpy as np
import polars as pl

from data_samples.hourly_profile import HOURLY

SEED = 20250101
FIRST, LAST = date(2024, 12, 1), date(2025, 3, 31)
LONDON = ZoneInfo("Europe/London")
OUT = Path(__file__).parent / "landing"

# 4-hour performance drifts through the winter; January is the calibration month.
MONTH_SHIFT = {12: -0.02, 1: 0.0, 2: 0.015, 3: 0.03}
WEEKDAY_VOLUME = [1.10, 1.02, 0.99, 0.98, 0.98, 0.96, 0.97]  # Monday busiest


@dataclass(frozen=True)
class Unit:
    provider: str
    site: str  # the provider's own site code
    unit: str  # the provider's own department code
    dept_type: int
    per_day: float  # January 2025 mean attendances a day (brief, section 5)
    within_4h: float  # January 2025 share within 4 hours
    admitted: float
    ambulance: float
    breach_tail_minutes: float  # mean minutes beyond 4 hours for a breach


UNITS = [
    Unit("UHDB", "RDH", "AED", 1, 203, 0.610, 0.30, 0.38, 300),
    Unit("UHDB", "RDH", "CED", 1, 84, 0.800, 0.12, 0.10, 150),
    Unit("UHDB", "RDH", "UTC", 3, 133, 0.970, 0.01, 0.02, 45),
    Unit("UHDB", "QHB", "BED", 1, 170, 0.590, 0.32, 0.36, 300),
    Unit("UHDB", "QHB", "PCS", 3, 42, 0.980, 0.00, 0.00, 40),
    Unit("CRH", "CRH", "Emergency Department", 1, 218, 0.622, 0.30, 0.35, 280),
    Unit("CRH", "CRH", "Urgent Treatment Centre", 3, 185, 0.970, 0.01, 0.02, 45),
]
AGE_BANDS = ["18-64", "65-74", "75-84", "85+"]


def _days():
    d = FIRST
    while d <= LAST:
        yield d
        d += timedelta(days=1)


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=LONDON).astimezone(UTC)


def _local(instant: datetime) -> datetime:
    return instant.astimezone(LONDON).replace(tzinfo=None)


def _nhs_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """Valid numbers from the synthetic 999 range, never a real person's."""
    out = []
    while len(out) < n:
        stem = "999" + "".join(str(x) for x in rng.integers(0, 10, 6))
        check = nhs_number.calculate_checksum(stem)
        if check != 10:
            out.append(stem + str(check))
    return out


def _arrivals(rng: np.random.Generator, day: date, n: int) -> list[datetime]:
    """n arrival instants (UTC) on a local day; wall-clock times the spring change skips are redrawn."""
    out = []
    while len(out) < n:
        hour = int(rng.choice(24, p=HOURLY))
        local = datetime.combine(day, time(hour, int(rng.integers(0, 60))))
        instant = _utc(local)
        if _local(instant) == local:  # a skipped wall-clock time does not round-trip
            out.append(instant)
    return sorted(out)


def _attendances(rng: np.random.Generator, unit: Unit, day: date) -> list[dict]:
    volume = unit.per_day * WEEKDAY_VOLUME[day.weekday()]
    n = int(rng.poisson(volume))
    p_within = float(np.clip(unit.within_4h + MONTH_SHIFT[day.month] + rng.normal(0, 0.025), 0.3, 0.995))
    rows = []
    for i, arrival in enumerate(_arrivals(rng, day, n)):
        if rng.random() < p_within:
            # Type 3 stays are short; type 1 within-4-hour stays bunch towards the end of the 4 hours.
            minutes = int(15 + rng.beta(1.3, 2.5) * 225) if unit.dept_type == 3 else int(30 + rng.beta(2.2, 1.2) * 210)
        else:
            minutes = 241 + int(rng.exponential(unit.breach_tail_minutes))
        admitted = rng.random() < unit.admitted
        rows.append(
            {
                "unit": unit,
                "seq": i,
                "arrival": arrival,
                "departure": arrival + timedelta(minutes=minutes),
                "admitted": admitted,
                "dta": arrival + timedelta(minutes=int(minutes * rng.uniform(0.4, 0.85))) if admitted else None,
                "ambulance": rng.random() < unit.ambulance,
                "acuity": int(
                    rng.choice(
                        [1, 2, 3, 4, 5],
                        p=[0.03, 0.2, 0.45, 0.27, 0.05] if unit.dept_type == 1 else [0, 0.02, 0.18, 0.5, 0.3],
                    )
                ),
                "age": "0-17" if unit.unit == "CED" else str(rng.choice(AGE_BANDS, p=[0.55, 0.17, 0.15, 0.13])),
                "transferred": rng.random() < 0.01,
            }
        )
    return rows


def _rdh_mean_minutes(day: date) -> float:
    """Royal Derby's mean handover: worst in early January, near 39 minutes from late January."""
    if day.month == 12:
        return 50.0
    if day.month == 1:
        return 61.0 if day.day <= 20 else 39.0
    return 36.0 if day.month == 2 else 32.0


def _handover_minutes(rng: np.random.Generator, site: str, day: date) -> float:
    if site == "RDH":
        sigma = 0.55
        return float(rng.lognormal(np.log(_rdh_mean_minutes(day)) - sigma**2 / 2, sigma))
    if site == "QHB":
        return float(rng.lognormal(np.log(25.0) - 0.18, 0.6))
    # Chesterfield turns crews round quickly: tight around 16-17 minutes, a rare long wait.
    if rng.random() < 0.005:
        return float(45 + rng.exponential(30))
    return float(max(6.0, rng.normal(16.6, 2.2)))


EMAS_HOSPITAL = {"RDH": "RDH", "QHB": "QHB", "CRH": "CRH"}
EMAS_FORMAT = "%d-%b-%Y %H:%M:%S"


def _conveyances(rng: np.random.Generator, day: date, ed_rows: list[dict]) -> list[dict]:
    """One conveyance per ambulance arrival in the ED files: crews arrive a few minutes before booking-in."""
    midnight = _utc(datetime.combine(day, time(0, 0)))
    out = []
    for r in (r for r in ed_rows if r["ambulance"]):
        arrival = max(midnight, r["arrival"] - timedelta(seconds=int(rng.integers(0, 300))))
        handover = arrival + timedelta(seconds=round(_handover_minutes(rng, r["unit"].site, day) * 60))
        out.append(
            {
                "site": r["unit"].site,
                "arrival": arrival,
                "handover": handover,
                "clear": handover + timedelta(seconds=int(rng.uniform(8, 25) * 60)),
                "category": f"Cat{int(rng.choice([1, 2, 3, 4], p=[0.08, 0.62, 0.25, 0.05]))}",
                "handover_unknown": rng.random() < 0.025,
                "clear_unknown": rng.random() < 0.01,
            }
        )
    out.sort(key=lambda c: c["arrival"])
    for i, c in enumerate(out):
        c["incident"] = f"{day:%y%m%d}-{i:05d}"
    return out


def _emas_frame(conveyances: list[dict], reconciled: bool = False) -> pl.DataFrame:
    """EMAS layout; a reconciled re-send fills in most handover times that were missing."""
    rows = []
    for c in conveyances:
        unknown = c["handover_unknown"] and not (reconciled and c["incident"][-1] in "0123456")
        rows.append(
            {
                "Incident Number": c["incident"],
                "Hospital": EMAS_HOSPITAL[c["site"]],
                "Category": c["category"],
                "Arrived At Hospital": _local(c["arrival"]).strftime(EMAS_FORMAT),
                "Handover Complete": "" if unknown else _local(c["handover"]).strftime(EMAS_FORMAT),
                "Vehicle Clear": "" if unknown or c["clear_unknown"] else _local(c["clear"]).strftime(EMAS_FORMAT),
            }
        )
    return pl.DataFrame(rows)


def _sitrep_row(day: date, conveyances: list[dict]) -> dict[str, str]:
    """UHDB's published-layout counts for Burton, computed from the same conveyances."""
    known = [(c["handover"] - c["arrival"]).total_seconds() / 60 for c in conveyances if not c["handover_unknown"]]
    over = {n: sum(m > n for m in known) for n in (15, 30, 45, 60)}
    return {
        "Period": day.isoformat(),
        "Org Code": "RTGFG",
        "All handovers": str(len(conveyances)),
        "Handover time known": str(len(known)),
        **{f"Over {n} minutes": str(v) for n, v in over.items()},
        "Handover time unknown": str(len(conveyances) - len(known)),
        "Total hours": f"{sum(known) / 60:.2f}",
        "Mean (minutes)": f"{sum(known) / max(len(known), 1):.1f}",
    }


# EMAS's extract missed Burton on these days; UHDB sent its sitrep counts instead.
SITREP_DAYS = {date(2025, 3, 17), date(2025, 3, 18), date(2025, 3, 19)}


def _emas_mess(day: date, frame: pl.DataFrame) -> pl.DataFrame:
    rows = frame.to_dicts()
    if day == date(2025, 1, 9):
        arrival = datetime.strptime(rows[3]["Arrived At Hospital"], EMAS_FORMAT)
        rows[3]["Handover Complete"] = (arrival - timedelta(minutes=10)).strftime(EMAS_FORMAT)  # before arrival
    if day == date(2025, 2, 4):
        rows[6]["Handover Complete"] = "05-Feb-2025 23:10:00"  # a keying slip: more than 24 hours
    if day == date(2025, 2, 20):
        rows.append(dict(rows[12]))  # the same conveyance twice
    if day == date(2025, 3, 12):
        rows[2]["Hospital"] = "NGH"  # an out-of-area hospital the mapping does not know
    return pl.DataFrame(rows, schema=frame.schema)


def _write_emas(frame: pl.DataFrame, day: date, extracted: datetime, out: Path) -> None:
    path = out / "ambulance_handovers" / "emas" / f"EMAS_Handovers_{day:%Y%m%d}_{extracted:%Y%m%d%H%M%S}.csv"
    path.write_bytes(frame.write_csv().encode("utf-8"))


def _write_sitrep(row: dict[str, str], day: date, extracted: datetime, out: Path) -> None:
    path = out / "handover_sitrep" / "uhdb" / f"UHDB_Handover_Sitrep_{day:%Y%m%d}_{extracted:%Y%m%dT%H%M}.csv"
    path.write_bytes(pl.DataFrame([row]).write_csv().encode("utf-8"))


# DCHS's minor injury units (type 3) send daily counts, not attendances (docs/domain.md §2.2): unit -> mean a day.
# They see minor injuries by appointment and walk-in, so a stay over 4 hours is rare and over 12 hours rarer.
DCHS_UNITS = {"RY8MI": 95.0, "RY8MR": 70.0, "RY8MB": 80.0, "RY8MW": 55.0}
DCHS_OVER_4H, DCHS_OVER_12H_OF_4H = 0.012, 0.05


def _dchs_rows(rng: np.random.Generator, day: date) -> list[dict[str, str]]:
    rows = []
    for unit, mean in DCHS_UNITS.items():
        attendances = int(rng.poisson(mean * (1.1 if day.weekday() >= 5 else 1.0)))
        over_4h = int(rng.binomial(attendances, DCHS_OVER_4H))
        over_12h = int(rng.binomial(over_4h, DCHS_OVER_12H_OF_4H))
        rows.append(
            {
                "Activity Date": f"{day:%d/%m/%Y}",
                "Unit Code": unit,
                "Department Type": "03",
                "Total Attendances": str(attendances),
                "Over 4 Hours": str(over_4h),
                "Over 12 Hours": str(over_12h),
            }
        )
    return rows


def _write_dchs(rows: list[dict[str, str]], day: date, extracted: datetime, out: Path) -> None:
    path = out / "ed_daily_aggregates" / "dchs" / f"DCHS_MIU_Daily_{day:%Y%m%d}_{extracted:%Y%m%dT%H%M}.csv"
    path.write_bytes(pl.DataFrame(rows).write_csv().encode("utf-8"))


@dataclass(frozen=True)
class HubSource:
    code: str  # DHU's own source code
    per_day: float  # January 2025 cases a day (brief, section 5)
    in_hours_only: bool
    outcomes: dict[str, float]  # DHU outcome code -> share
    response_mean: float  # minutes to first clinical contact
    automated: float = 0.0


# HCP non-falls calls end alike whether they come straight to the hub or through Call Before Convey (HCP CBC).
HCP_NONFALLS_OUTCOMES = {
    "AMB DISPATCH": 0.05,
    "ED": 0.06,
    "ADMISSION": 0.028,
    "HOME/SELF CARE": 0.413,
    "UCR": 0.25,
    "OWN GP": 0.15,
    "OTHER": 0.049,
}

# EMAS C3/4: about two thirds deflected; of the rest about 70% dispatched by the hub, 30% returned to
# the stack and dispatched there. 111 Online: 98.5% avoid an ambulance, 20.4% to their own GP.
# Validation by telephony: 36.3% to UTC/PCC, 24% own GP. HCP non-falls: 8 of 58 reach hospital,
# 41.3% treated at home; 31 of 58 via Call Before Convey. HCP falls: 2 of 11 get an ambulance.
HUB_SOURCES = [
    HubSource(
        "EMAS C3C4",
        1277 / 31,
        False,
        {
            "OWN GP": 0.13,
            "UTC/PCC": 0.165,
            "HOME/SELF CARE": 0.23,
            "UCR": 0.08,
            "ED": 0.035,
            "OTHER": 0.02,
            "AMB DISPATCH": 0.238,
            "RETURN STACK": 0.102,
        },
        9.0,
        automated=0.129,
    ),
    HubSource(
        "111O C3C4",
        505 / 31,
        False,
        {"OWN GP": 0.204, "UTC/PCC": 0.30, "HOME/SELF CARE": 0.331, "ED": 0.10, "UCR": 0.05, "AMB DISPATCH": 0.015},
        14.0,
    ),
    HubSource(
        "IHV TEL",
        1171 / 22,
        True,
        {"UTC/PCC": 0.363, "OWN GP": 0.24, "HOME/SELF CARE": 0.25, "ED": 0.10, "UCR": 0.027, "AMB DISPATCH": 0.02},
        0.0,
    ),
    HubSource(
        "IHV ONLINE",
        12.0,
        True,
        {"UTC/PCC": 0.30, "OWN GP": 0.35, "HOME/SELF CARE": 0.25, "ED": 0.08, "AMB DISPATCH": 0.02},
        0.0,
    ),
    HubSource("HCP FALLS", 11 / 31, False, {"AMB DISPATCH": 0.18, "FALLS SERVICE": 0.62, "UCR": 0.20}, 12.0),
    HubSource("HCP NONFALLS", 27 / 31, False, HCP_NONFALLS_OUTCOMES, 12.0),
    HubSource("HCP CBC", 31 / 31, False, HCP_NONFALLS_OUTCOMES, 12.0),
    HubSource(
        "EMAS DOS",
        230 / 31,
        False,
        {"UTC/PCC": 0.30, "OWN GP": 0.30, "HOME/SELF CARE": 0.20, "ED": 0.10, "UCR": 0.10},
        15.0,
    ),
]
HUB_FORMAT = "%Y-%m-%dT%H:%M:%S"
BANK_HOLIDAYS = {date(2024, 12, 25), date(2024, 12, 26), date(2025, 1, 1)}


def _hub_cases(rng: np.random.Generator, day: date) -> list[dict]:
    """A day's cases passed to the hub; validation runs in hours only (08:00-18:30 on working days)."""
    working_day = day.weekday() < 5 and day not in BANK_HOLIDAYS
    cases = []
    for source in HUB_SOURCES:
        if source.in_hours_only and not working_day:
            continue
        for _ in range(int(rng.poisson(source.per_day))):
            if source.in_hours_only:
                local = datetime.combine(day, time(8, 0)) + timedelta(seconds=int(rng.integers(0, 630 * 60)))
                received = _utc(local)
            else:
                received = _arrivals(rng, day, 1)[0] + timedelta(seconds=int(rng.integers(0, 60)))
            outcome = str(
                rng.choice(
                    list(source.outcomes), p=np.array(list(source.outcomes.values())) / sum(source.outcomes.values())
                )
            )
            band = ""
            if source.in_hours_only:
                band = "1" if rng.random() < 0.4 else "2"
                mean = 22.0 if band == "1" else 40.0
            else:
                mean = source.response_mean
            cases.append(
                {
                    "source": source.code,
                    "received": received,
                    "outcome": outcome,
                    "band": band,
                    "contact": received + timedelta(seconds=int(60 + rng.exponential((mean - 1) * 60))),
                    "dispatched": outcome in ("AMB DISPATCH", "RETURN STACK"),
                    "automated": rng.random() < source.automated,
                    "no_contact": rng.random() < 0.01,
                }
            )
    cases.sort(key=lambda c: c["received"])
    return cases


def _hub_frame(cases: list[dict], day: date, reconciled: bool = False) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "CaseRef": f"DHU{day:%y%m%d}{i:04d}",
                "Source": c["source"],
                "Received": _local(c["received"]).strftime(HUB_FORMAT),
                "FirstClinicalContact": ""
                if c["no_contact"] and not reconciled
                else _local(c["contact"]).strftime(HUB_FORMAT),
                "Outcome": c["outcome"],
                "AmbDispatched": "Y" if c["dispatched"] else "N",
                "Automated": "1" if c["automated"] else "0",
                "DispositionBand": c["band"],
            }
            for i, c in enumerate(cases)
        ]
    )


def _hub_mess(day: date, frame: pl.DataFrame) -> pl.DataFrame:
    rows = frame.to_dicts()
    if day == date(2025, 1, 8):
        rows[5]["Outcome"] = "XFER"  # an outcome code the mapping does not know
    if day == date(2025, 1, 27):
        rows[9]["Outcome"], rows[9]["AmbDispatched"] = "AMB DISPATCH", "N"  # outcome and dispatch disagree
    if day == date(2025, 2, 14):
        received = datetime.strptime(rows[4]["Received"], HUB_FORMAT)
        rows[4]["FirstClinicalContact"] = (received - timedelta(minutes=5)).strftime(HUB_FORMAT)
    if day == date(2025, 3, 3):
        rows.append(dict(rows[20]))  # the same case twice
    return pl.DataFrame(rows, schema=frame.schema)


def _write_hub(frame: pl.DataFrame, day: date, extracted: datetime, out: Path) -> None:
    path = out / "cnh_cases" / "dhu" / f"DHU_CNH_{day:%Y%m%d}_{extracted:%Y%m%d%H%M}.csv"
    path.write_bytes(frame.write_csv().encode("utf-8"))


OPEL_FORMAT = "%d/%m/%Y %H:%M:%S"
# Usual declared level per provider over the winter; each day may sit one level either side.
OPEL_USUAL = {"RTG": 3, "RFS": 3, "RX9": 3, "RY8": 2, "RXM": 2, "DHU": 2}
# Days a trust's submitted 4-hour figure disagrees with its own data (the SCC should spot these).
OPEL_INCONSISTENT = {date(2025, 1, 10), date(2025, 1, 24), date(2025, 2, 7), date(2025, 2, 21), date(2025, 3, 14)}
OPEL_MISSING = {("RXM", date(2025, 1, 19)), ("RY8", date(2025, 3, 2))}


def _acute_parameters(
    rng: np.random.Generator, day: date, attendances: list[dict], conveyances: list[dict]
) -> dict[str, str]:
    """A trust's OPEL parameters: 4-hour, 12-hour and handover figures from the same day's samples."""
    minutes = [(r["departure"] - r["arrival"]).total_seconds() / 60 for r in attendances]
    handovers = [(c["handover"] - c["arrival"]).total_seconds() / 60 for c in conveyances if not c["handover_unknown"]]
    four_hour = 100 * sum(m <= 240 for m in minutes) / len(minutes)
    if day in OPEL_INCONSISTENT:
        four_hour += 8
    return {
        "Mean Handover (mins)": f"{sum(handovers) / max(len(handovers), 1):.0f}",
        "4hr Performance %": f"{min(four_hour, 100):.1f}",
        "Attendance Variation %": f"{rng.normal(3, 6):.1f}",
        "Majors/Resus Occupancy %": f"{rng.normal(105, 15):.0f}",
        "Median Time to Treatment (mins)": f"{rng.normal(95, 25):.0f}",
        "% >12hrs in ED": f"{100 * sum(m > 720 for m in minutes) / len(minutes):.1f}",
        "G&A Bed Occupancy %": f"{min(rng.normal(95, 2.5), 100):.1f}",
        "Escalation Beds %": f"{max(rng.normal(3, 1.5), 0):.1f}",
        "NCTR %": f"{max(rng.normal(14, 3), 0):.1f}",
    }


def _opel_rows(rng: np.random.Generator, day: date, acute: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """Each provider's submissions for a day: mostly one before 11:00; some late, some re-submitted."""
    rows = []
    for code, usual in OPEL_USUAL.items():
        if (code, day) in OPEL_MISSING:
            continue
        level = int(np.clip(usual + rng.choice([-1, 0, 0, 0, 1]), 1, 4))
        late = rng.random() < 0.04
        first = datetime.combine(day, time(11, 5) if late else time(8, 0)) + timedelta(
            seconds=int(rng.integers(0, 9000 if not late else 3000))
        )
        base = {"Organisation Code": code, "OPEL Date": day.strftime("%d/%m/%Y"), "Comment": ""}
        rows.append(
            {**base, "Submitted": first.strftime(OPEL_FORMAT), "OPEL Level": f"OPEL {level}", **acute.get(code, {})}
        )
        # Now and then a provider escalates mid-morning and re-submits.
        if not late and rng.random() < 0.06:
            again = first + timedelta(minutes=int(rng.integers(20, 90)))
            rows.append(
                {
                    **base,
                    "Submitted": again.strftime(OPEL_FORMAT),
                    "OPEL Level": f"OPEL {min(level + 1, 4)}",
                    "Comment": "Escalated after the morning huddle",
                    **acute.get(code, {}),
                }
            )
    return rows


def _opel_mess(day: date, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    if day == date(2025, 1, 16):
        rows[2]["OPEL Level"] = "OPEL 5"  # there is no OPEL 5
    if day == date(2025, 2, 25):
        rows[0]["Escalation Beds %"] = "130"  # not a percentage of open beds
    return rows


def _write_opel(rows: list[dict[str, str]], day: date, extracted: datetime, out: Path) -> None:
    path = out / "opel_submissions" / "scc_portal" / f"OPEL_Submissions_{day:%Y%m%d}_{extracted:%Y%m%d%H%M}.csv"
    columns = [
        "Organisation Code",
        "OPEL Date",
        "Submitted",
        "OPEL Level",
        "Comment",
        "Mean Handover (mins)",
        "4hr Performance %",
        "Attendance Variation %",
        "Majors/Resus Occupancy %",
        "Median Time to Treatment (mins)",
        "% >12hrs in ED",
        "G&A Bed Occupancy %",
        "Escalation Beds %",
        "NCTR %",
    ]
    path.write_bytes(pl.DataFrame(rows, schema={c: pl.Utf8 for c in columns}).write_csv().encode("utf-8"))


def _fmt(value: datetime | None, fmt: str) -> str:
    return value.strftime(fmt) if value else ""


def _uhdb_frame(rows: list[dict], cutoff: datetime, nhs: list[str]) -> pl.DataFrame:
    out = []
    for r, number in zip(rows, nhs):
        open_ = r["departure"] > cutoff
        dest = (
            ""
            if open_
            else "ADM"
            if r["admitted"]
            else "TRF"
            if r["transferred"]
            else ("HOM" if r["seq"] % 3 else "GP")
        )
        dta = r["dta"] if r["dta"] and r["dta"] <= cutoff else None
        out.append(
            {
                "ATTENDANCE_ID": f"{r['unit'].site}{_local(r['arrival']):%y%m%d}{r['unit'].unit}{r['seq']:04d}",
                "SITE": r["unit"].site,
                "UNIT": r["unit"].unit,
                "ARRIVAL_DTTM": _fmt(_local(r["arrival"]), "%Y-%m-%d %H:%M:%S"),
                "DEPARTURE_DTTM": "" if open_ else _fmt(_local(r["departure"]), "%Y-%m-%d %H:%M:%S"),
                "ARRIVAL_MODE": "1" if r["ambulance"] else ("2" if r["seq"] % 5 else "3"),
                "ACUITY": str(r["acuity"]),
                "DTA_DTTM": _fmt(_local(dta) if dta else None, "%Y-%m-%d %H:%M:%S"),
                "DISCHARGE_DEST": dest,
                "AGE_BAND": r["age"],
                # Providers key NHS numbers in either spacing; both must hash to one patient key.
                "NHS_NUMBER": f"{number[:3]} {number[3:6]} {number[6:]}" if r["seq"] % 4 == 0 else number,
            }
        )
    return pl.DataFrame(out)


def _crh_frame(rows: list[dict], cutoff: datetime) -> pl.DataFrame:
    out = []
    for r in rows:
        open_ = r["departure"] > cutoff
        outcome = "" if open_ else "Admitted" if r["admitted"] else "Transferred" if r["transferred"] else "Discharged"
        out.append(
            {
                "Attendance Ref": f"CRH-{_local(r['arrival']):%Y%m%d}-{r['unit'].dept_type}{r['seq']:04d}",
                "Department": r["unit"].unit,
                # Free text in Windows-1252 (the en dash is byte 0x96): decoding as UTF-8 would fail.
                "Location": "Chesterfield Royal \u2013 Calow",
                "Arrival Date Time": _fmt(_local(r["arrival"]), "%d/%m/%Y %H:%M"),
                "Departure Date Time": "" if open_ else _fmt(_local(r["departure"]), "%d/%m/%Y %H:%M"),
                "Mode of Arrival": "Ambulance" if r["ambulance"] else "Walk in",
                "Triage Category": str(r["acuity"]),
                "Outcome": outcome,
                "Age Group": r["age"],
            }
        )
    return pl.DataFrame(out)


def _write_uhdb(frame: pl.DataFrame, day: date, extracted: datetime, out: Path) -> None:
    path = out / "ed_attendances" / "uhdb" / f"UHDB_ED_{day:%Y%m%d}_{extracted:%Y%m%dT%H%M}.csv"
    path.write_bytes(("\ufeff" + frame.write_csv()).encode("utf-8"))


def _write_crh(frame: pl.DataFrame, day: date, extracted: datetime, out: Path) -> None:
    path = out / "ed_attendances" / "crh" / f"CRH_AE_{day:%Y-%m-%d}_{extracted:%Y%m%d%H%M}.csv"
    path.write_bytes(frame.write_csv(separator=";", line_terminator="\r\n").encode("cp1252"))


def _write_crh_corrections(frame: pl.DataFrame, day: date, extracted: datetime, out: Path) -> None:
    """Late departures keyed in by an analyst and sent as a workbook with real Excel date cells."""
    import xlsxwriter

    path = out / "ed_attendances" / "crh" / f"CRH_AE_{day:%Y-%m-%d}_{extracted:%Y%m%d%H%M}.xlsx"
    typed = frame.with_columns(
        pl.col("Arrival Date Time", "Departure Date Time").str.strptime(pl.Datetime, "%d/%m/%Y %H:%M", strict=False)
    )
    with xlsxwriter.Workbook(path) as book:
        # Fixed document dates keep the workbook byte-identical from run to run.
        book.set_properties({"created": datetime(2025, 1, 1)})
        typed.write_excel(book, worksheet="Attendances", dtype_formats={pl.Datetime: "dd/mm/yyyy hh:mm"})


# docs/domain.md §7.1 cases planted in UHDB's files (docs/sample-data.md gives the figures they move). UHDB's layout
# says its re-sends are full, so the later 19 February file without RDH250219UTC0051 withdraws it.
REUSED_ID_DAY = date(2025, 2, 12)
WITHDRAWAL_DAY, WITHDRAWN_ID = date(2025, 2, 19), "RDH250219UTC0051"


def _inject_mess(provider: str, day: date, frame: pl.DataFrame) -> pl.DataFrame:
    """A few bad rows of the kinds real extracts carry, on fixed days, so quarantine has work to do."""
    rows = frame.to_dicts()
    if provider == "UHDB" and day == date(2025, 1, 14):
        rows.append(dict(rows[10]))  # the same attendance twice in one file
    if provider == "UHDB" and day == date(2025, 1, 20):
        rows[5]["DEPARTURE_DTTM"] = "2025-01-19 23:00:00"  # departure before arrival
    if provider == "UHDB" and day == date(2025, 2, 18):
        rows[7]["NHS_NUMBER"] = "9991234568"  # fails the modulus 11 check
    if provider == "UHDB" and day == date(2025, 3, 5):
        rows[3]["ARRIVAL_DTTM"] = "31/02/2025 10:00"  # not a date at all
    if provider == "UHDB" and day == REUSED_ID_DAY:
        # A walk-in on 12 February sent under the id of a 5 February attendance (docs/domain.md §7.1: a reused id).
        (row,) = (r for r in rows if r["ATTENDANCE_ID"] == "RDH250212AED0040")
        row["ATTENDANCE_ID"] = "RDH250205AED0040"
    if provider == "CRH" and day == date(2025, 1, 22):
        rows[4]["Department"] = "Minors"  # a department code the mapping does not know
    if provider == "CRH" and day == date(2025, 2, 11):
        rows[0]["Arrival Date Time"] = "10/02/2025 23:40"  # yesterday's attendance in today's file
    return pl.DataFrame(rows, schema=frame.schema)


def generate(out: Path = OUT) -> dict[str, int]:
    rng = np.random.default_rng(SEED)
    # A stream of its own, so the ED files stay byte-identical whatever the handover model draws.
    emas_rng = np.random.default_rng(SEED + 1)
    hub_rng = np.random.default_rng(SEED + 2)
    opel_rng = np.random.default_rng(SEED + 3)
    dchs_rng = np.random.default_rng(SEED + 4)
    _empty_folders(out)
    counts = {"files": 0, "rows": 0}
    # Each provider's day draws from its stream in this order: reordering the calls changes the files.
    for day in _days():
        by_provider: dict[str, list[dict]] = {"UHDB": [], "CRH": []}
        for unit in UNITS:
            by_provider[unit.provider].extend(_attendances(rng, unit, day))
        uhdb, crh = by_provider["UHDB"], by_provider["CRH"]
        _uhdb_day(rng, day, uhdb, out, counts)
        _crh_day(rng, day, crh, out, counts)
        conveyances = _emas_day(emas_rng, day, uhdb + crh, out, counts)
        _hub_day(hub_rng, day, out, counts)
        dchs = _dchs_rows(dchs_rng, day)
        _write_dchs(dchs, day, datetime.combine(day + timedelta(days=1), time(7, 0)), out)
        _counted(counts, len(dchs))
        _opel_day(opel_rng, day, uhdb, crh, conveyances, out, counts)
    return counts


def _empty_folders(out: Path) -> None:
    for feed, provider in (
        ("ed_attendances", "uhdb"),
        ("ed_attendances", "crh"),
        ("ed_daily_aggregates", "dchs"),
        ("ambulance_handovers", "emas"),
        ("handover_sitrep", "uhdb"),
        ("cnh_cases", "dhu"),
        ("opel_submissions", "scc_portal"),
    ):
        folder = out / feed / provider
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*"):
            old.unlink()


def _counted(counts: dict[str, int], rows: int) -> None:
    """One file written, holding rows rows."""
    counts["files"] += 1
    counts["rows"] += rows


def _uhdb_day(rng: np.random.Generator, day: date, uhdb: list[dict], out: Path, counts: dict[str, int]) -> None:
    next_day = day + timedelta(days=1)
    nhs = _nhs_numbers(rng, len(uhdb))
    # The newest day's extract ran just after midnight, so its late arrivals are still open:
    # the pending rule (docs/domain.md §3.1) has something to show until tomorrow's extract replaces it.
    first = datetime.combine(next_day, time(0, 45) if day == LAST else time(6, 0))
    frame = _inject_mess("UHDB", day, _uhdb_frame(uhdb, _utc(first), nhs))
    _write_uhdb(frame, day, first, out)
    _counted(counts, frame.height)
    if day == WITHDRAWAL_DAY:
        # A registration made in error is deleted and the day re-sent at 06:15: the 06:00 rows less that one.
        # No open attendance passes 4 or 12 hours by 06:15, so the withdrawal is all the later file changes.
        frame = frame.filter(pl.col("ATTENDANCE_ID") != WITHDRAWN_ID)
        _write_uhdb(frame, day, first + timedelta(minutes=15), out)
        _counted(counts, frame.height)
    # About a third of days UHDB re-sends the whole day next morning, with late departures filled in.
    if rng.random() < 0.35 and day != LAST:
        resend = first + timedelta(days=1)
        _write_uhdb(_uhdb_frame(uhdb, _utc(resend), nhs), day, resend, out)
        _counted(counts, len(uhdb))


def _crh_day(rng: np.random.Generator, day: date, crh: list[dict], out: Path, counts: dict[str, int]) -> None:
    next_day = day + timedelta(days=1)
    first = datetime.combine(next_day, time(5, 30))
    frame = _inject_mess("CRH", day, _crh_frame(crh, _utc(first)))
    _write_crh(frame, day, first, out)
    _counted(counts, frame.height)
    # Most days CRH sends a workbook correcting only the attendances that were still open.
    still_open = [r for r in crh if r["departure"] > _utc(first)]
    if still_open and rng.random() < 0.8:
        fix = datetime.combine(next_day + timedelta(days=1), time(9, 15))
        _write_crh_corrections(_crh_frame(still_open, _utc(fix)), day, fix, out)
        _counted(counts, len(still_open))


def _emas_day(
    emas_rng: np.random.Generator, day: date, attendances: list[dict], out: Path, counts: dict[str, int]
) -> list[dict]:
    """Writes the day's EMAS files (and Burton's sitrep on its days); every conveyance, Burton's included."""
    next_day = day + timedelta(days=1)
    conveyances = _conveyances(emas_rng, day, attendances)
    all_conveyances = list(conveyances)
    if day in SITREP_DAYS:
        burton = [c for c in conveyances if c["site"] == "QHB"]
        conveyances = [c for c in conveyances if c["site"] != "QHB"]
        _write_sitrep(_sitrep_row(day, burton), day, datetime.combine(next_day, time(9, 0)), out)
        counts["files"] += 1
    extract = datetime.combine(next_day, time(4, 0))
    frame = _emas_mess(day, _emas_frame(conveyances))
    _write_emas(frame, day, extract, out)
    _counted(counts, frame.height)
    # Every few days EMAS re-sends the day after reconciling handover times it was missing.
    if emas_rng.random() < 0.2:
        _write_emas(_emas_frame(conveyances, reconciled=True), day, extract + timedelta(days=2), out)
        _counted(counts, len(conveyances))
    return all_conveyances


def _hub_day(hub_rng: np.random.Generator, day: date, out: Path, counts: dict[str, int]) -> None:
    cases = _hub_cases(hub_rng, day)
    extract = datetime.combine(day + timedelta(days=1), time(3, 0))
    frame = _hub_mess(day, _hub_frame(cases, day))
    _write_hub(frame, day, extract, out)
    _counted(counts, frame.height)
    # Now and then DHU re-sends a day once missing first-contact times have been keyed in.
    if hub_rng.random() < 0.1:
        _write_hub(_hub_frame(cases, day, reconciled=True), day, extract + timedelta(days=1), out)
        _counted(counts, len(cases))


def _opel_day(
    opel_rng: np.random.Generator,
    day: date,
    uhdb: list[dict],
    crh: list[dict],
    conveyances: list[dict],
    out: Path,
    counts: dict[str, int],
) -> None:
    acute = {
        "RTG": _acute_parameters(opel_rng, day, uhdb, [c for c in conveyances if c["site"] in ("RDH", "QHB")]),
        "RFS": _acute_parameters(opel_rng, day, crh, [c for c in conveyances if c["site"] == "CRH"]),
    }
    rows = _opel_mess(day, _opel_rows(opel_rng, day, acute))
    # The portal export runs at 12:00; submissions after that wait for the 16:00 export.
    noon = datetime.combine(day, time(12, 0))
    before_noon = [r for r in rows if datetime.strptime(r["Submitted"], OPEL_FORMAT) <= noon]
    _write_opel(before_noon, day, noon, out)
    _counted(counts, len(before_noon))
    if len(before_noon) < len(rows):
        _write_opel(rows, day, datetime.combine(day, time(16, 0)), out)
        _counted(counts, len(rows))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    result = generate(target)
    print(f"wrote {result['files']} files, {result['rows']} rows under {target}")
