"""marts.opel_parameter_scores, opel_daily and opel_system_daily from portal exports (domain §2.1, 3.4, 7.2, 7.3)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from tests.oracle.identity import drop_copies
from tests.oracle.landing import Row, code, day, event, instant, london_wall_clock, number, text
from tests.oracle.reference import Reference

CUT_OFF = time(11, 0)  # providers post by 11:00 local time; 11:00:00 itself is on time
# What a parameter's value may be; outside it, the value is unknown and the declared level stands (docs/domain.md §7.2).
RANGES = {
    "mean_handover_minutes": (0, None),
    "median_time_to_treatment_minutes": (0, None),
    "ed_4h_pct": (0, 100),
    "pct_over_12h_in_ed": (0, 100),
    "adult_ga_bed_occupancy_pct": (0, 100),
    "escalation_beds_pct": (0, 100),
    "no_criteria_to_reside_pct": (0, 100),
    "majors_resus_occupancy_pct": (0, 300),  # majors and resus run over funded capacity
    "ed_attendance_variation_pct": (-100, 1000),  # attendances against the expected number
}
NHS_NUMBER = re.compile(r"(?<!\d)(\d{3}) ?(\d{3}) ?(\d{4})(?!\d)")


@dataclass
class Submission:
    provider: str
    day: date
    submitted: datetime  # local wall-clock
    level: int | None
    comment: str | None
    parameters: dict[str, float]  # known values only
    file: str


def _valid_nhs_number(digits: str) -> bool:
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def scrub(comment: str | None) -> str | None:
    """docs/domain.md §7.4: an NHS number typed into a comment never reaches the warehouse."""
    if comment is None:
        return None
    return NHS_NUMBER.sub(
        lambda m: "[NHS number removed]" if _valid_nhs_number("".join(m.groups())) else m.group(0), comment
    )


def _submission_key(row: Row) -> str | None:
    org, submitted = text(row, row.config.columns.get("org_code")), text(row, row.config.columns.get("submitted_at"))
    return None if org is None or submitted is None else f"{org} {submitted}"


def submissions(rows: list[Row], ref: Reference) -> tuple[list[Submission], list]:
    """Each distinct submission once (a copy in a later export replaces the earlier copy)."""
    kept, events = drop_copies(rows, _submission_key)
    found: dict[tuple, Submission] = {}
    for row in kept:  # oldest export first
        org = text(row, row.config.columns.get("org_code"))
        when, submitted = day(row, "date"), instant(row, "submitted_at")
        if org not in ref.providers or when is None or submitted is None:
            events.append(event(row, "quarantined: unknown provider or no valid date"))
            continue
        level = code(row, "declared_level")
        if level is None:
            # A submission is its level: without a valid one it declares nothing (the provider may be missing).
            events.append(event(row, "quarantined: no valid declared level", org, when))
            continue
        parameters = {}
        for name, (low, high) in RANGES.items():
            value = number(row, name)
            if value is None:
                continue
            if value < low or (high is not None and value > high):
                events.append(event(row, f"{name} set to unknown", org, when))
                continue
            parameters[name] = value
        comment = scrub(text(row, row.config.columns.get("comment")))
        found[(org, when, submitted)] = Submission(
            org, when, london_wall_clock(submitted), level, comment, parameters, row.file
        )
    return list(found.values()), events


def declarations(subs: list[Submission], ref: Reference, days: list[date]) -> dict[tuple, dict]:
    """domain §7.3 for every expected provider and day: the day's level, late, missing and changed after 11:00."""
    by_provider_day: dict[tuple, list[Submission]] = defaultdict(list)
    for s in subs:
        by_provider_day[(s.provider, s.day)].append(s)
    out = {}
    for d in days:
        for provider, p in ref.providers.items():
            if p["submits_opel"] != "yes":
                continue
            today = sorted(by_provider_day.get((provider, d), []), key=lambda s: s.submitted)
            cut_off = datetime.combine(d, CUT_OFF)
            on_time = [s for s in today if s.submitted <= cut_off]
            if on_time:
                declared = on_time[-1]
                # Where the day ended: the last submission, when it came after 11:00 with another level (a level
                # changed and changed back by the evening is the 11:00 level again).
                later = [today[-1]] if today[-1].submitted > cut_off and today[-1].level != declared.level else []
                changed = bool(later)
            else:
                # Late: the level shown is the day's latest, flagged missing and late (no 11:00 level to change).
                declared, changed, later = (today[-1] if today else None), False, []
            out[(d, provider)] = {
                "submissions": len(today),
                "declared": declared,
                "is_late": bool(today) and not on_time,
                "is_missing": not on_time,
                "changed_during_day": changed,
                "changed_to_level": later[-1].level if later else None,
                "changed_at": later[-1].submitted if later else None,
            }
    return out


def opel_parameter_scores(declared: dict[tuple, dict], ref: Reference) -> list[dict]:
    config = ref.opel["parameters"]
    out = []
    for (d, provider), decl in sorted(declared.items()):
        submission: Submission | None = decl["declared"]
        if submission is None:
            continue
        for name, value in submission.parameters.items():
            if name not in config:
                continue
            p = config[name]
            b1, b2, b3 = p["bounds"]
            if p["direction"] == "higher_is_worse":
                level = 1 if value <= b1 else 2 if value <= b2 else 3 if value <= b3 else 4
            else:
                level = 1 if value >= b1 else 2 if value >= b2 else 3 if value >= b3 else 4
            weight = float(p["weight"])
            out.append(
                {
                    "date": d,
                    "provider_code": provider,
                    "parameter": name,
                    "value": value,
                    "level": level,
                    "weight": weight,
                    "contribution": level * weight,
                }
            )
    return out


def _band(score: float, bands: list[float]) -> int:
    return next((i + 1 for i, top in enumerate(bands) if score <= top), 4)


def _trust_figures(ed: list[dict], handover: list[dict]) -> dict[tuple, dict]:
    """The day's ED and handover figures summed over each trust's sites (numerators over denominators)."""
    sums: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    lacks_total: set[tuple] = set()
    for r in ed:
        s = sums[(r["date"], r["trust_code"])]
        s["within"] += r["within_4h"]
        s["breaches"] += r["breaches"]
        s["over_12h"] += r["over_12h"]
        s["attendances"] += r["attendances"]
    for r in handover:
        key = (r["date"], r["trust_code"])
        sums[key]["known"] += r["known"] or 0
        if r["total_minutes"] is None:
            lacks_total.add(key)
        else:
            sums[key]["total_minutes"] += r["total_minutes"]
    out = {}
    for key, s in sums.items():
        out[key] = {
            "ed_4h_pct_pipeline": 100.0 * s["within"] / (s["within"] + s["breaches"])
            if s["within"] + s["breaches"]
            else None,
            "pct_over_12h_pipeline": 100.0 * s["over_12h"] / s["attendances"] if s["attendances"] else None,
            "mean_handover_pipeline": s["total_minutes"] / s["known"]
            if s["known"] and key not in lacks_total
            else None,
        }
    return out


def opel_daily(declared: dict[tuple, dict], scores: list[dict], ed: list[dict], handover: list[dict], ref: Reference):
    total_weight = sum(float(p["weight"]) for p in ref.opel["parameters"].values())
    by_provider_day: dict[tuple, list[dict]] = defaultdict(list)
    for s in scores:
        by_provider_day[(s["date"], s["provider_code"])].append(s)
    trust = _trust_figures(ed, handover)
    out = []
    for (d, provider), decl in sorted(declared.items()):
        submission: Submission | None = decl["declared"]
        scored = by_provider_day.get((d, provider), [])
        derived_score = (
            sum(s["contribution"] for s in scored) * total_weight / sum(s["weight"] for s in scored) if scored else None
        )
        derived_level = _band(derived_score, ref.opel["score_bands"]) if derived_score is not None else None
        level = submission.level if submission else None
        params = submission.parameters if submission else {}
        figures = trust.get((d, provider), {})
        out.append(
            {
                "date": d,
                "provider_code": provider,
                "role": ref.providers[provider]["role"],
                "submissions": decl["submissions"],
                "declared_level": level,
                "submitted_at": submission.submitted if submission else None,
                "is_late": decl["is_late"],
                "is_missing": decl["is_missing"],
                "changed_during_day": decl["changed_during_day"],
                "changed_to_level": decl["changed_to_level"],
                "changed_at": decl["changed_at"],
                "comment": submission.comment if submission else None,
                "derived_score": derived_score,
                "derived_level": derived_level,
                "parameters_scored": len(scored) or None,
                "level_gap": level - derived_level if level is not None and derived_level is not None else None,
                "ed_4h_pct_submitted": params.get("ed_4h_pct"),
                "ed_4h_pct_pipeline": figures.get("ed_4h_pct_pipeline"),
                "pct_over_12h_submitted": params.get("pct_over_12h_in_ed"),
                "pct_over_12h_pipeline": figures.get("pct_over_12h_pipeline"),
                "mean_handover_submitted": params.get("mean_handover_minutes"),
                "mean_handover_pipeline": figures.get("mean_handover_pipeline"),
            }
        )
    return out


def opel_system_daily(daily: list[dict], ref: Reference) -> list[dict]:
    weights = {k: float(v) for k, v in ref.opel["system"]["weights"].items()}
    by_system_day: dict[tuple, list[dict]] = defaultdict(list)
    for r in daily:
        by_system_day[(r["date"], ref.providers[r["provider_code"]]["system_code"])].append(r)
    out = []
    for (d, system), rows in sorted(by_system_day.items()):
        scored = [r for r in rows if r["declared_level"] is not None and r["provider_code"] in weights]
        score = (
            sum(weights[r["provider_code"]] * r["declared_level"] for r in scored)
            / sum(weights[r["provider_code"]] for r in scored)
            if scored
            else None
        )
        missing = sorted(r["provider_code"] for r in rows if r["is_missing"])
        out.append(
            {
                "date": d,
                "system_code": system,
                "providers_expected": len(rows),
                "providers_declared": sum(1 for r in rows if r["declared_level"] is not None),
                "providers_missing": ", ".join(missing) or None,
                "system_score": score,
                "system_level": _band(score, ref.opel["system"]["score_bands"]) if score is not None else None,
            }
        )
    return out
