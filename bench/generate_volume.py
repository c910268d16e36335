"""Synthetic feeds at any scale (default: England, about 180 sites), in the providers' layouts, one day at a time.

Writes a landing area, the provider layouts that read it and the reference tables they validate against,
so a run points UEC_LANDING, UEC_FEEDS_DIR and UEC_REFERENCE_DIR at the output. Trusts send ED files in
UHDB's layout, ambulance services handovers in EMAS's, one hub per system CNH cases in DHU's, and one
portal export per day carries every acute trust's OPEL. Only one day's rows are ever in memory.
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from data_samples.hourly_profile import HOURLY

REPO = Path(__file__).resolve().parents[1]
LAYOUTS = REPO / "schemas" / "feeds"
# England, per day (docs/domain.md §5 scale): ED attendances and handovers; hub cases in Derbyshire's
# proportion to ED (128 cases to 1,124 attendances).
ED_PER_DAY, HANDOVERS_PER_DAY, HUB_SHARE = 75_000, 15_000, 128 / 1_124


def _plan(sites: int, seed: int) -> pl.DataFrame:
    """Sites grouped into trusts of 1 to 3, trusts into systems of about 3, systems under 10 ambulance services."""
    rng = np.random.default_rng(seed)
    rows, trust, s = [], 0, 0
    while s < sites:
        trust += 1
        for k in range(min(int(rng.integers(1, 4)), sites - s)):
            rows.append(
                {"trust_code": f"T{trust:03d}", "site_code": f"T{trust:03d}{k + 1:02d}", "local_code": f"H{k + 1}"}
            )
            s += 1
    plan = pl.DataFrame(rows)
    return plan.with_columns(
        system_code=pl.format(
            "S{}", ((pl.col("trust_code").str.slice(1).cast(pl.Int32) - 1) // 3 + 1).cast(pl.Utf8).str.zfill(2)
        ),
        ambulance_code=pl.format(
            "A{}", ((pl.col("trust_code").str.slice(1).cast(pl.Int32) - 1) % 10 + 1).cast(pl.Utf8).str.zfill(2)
        ),
    )


def _layout(name: str, **changes) -> dict:
    layout = yaml.safe_load((LAYOUTS / name).read_text(encoding="utf-8"))
    layout.update(changes)
    return layout


def _copy_layout(feeds: Path, template: str, code: str, name: str, stem: str, extracted: str, sites=None) -> None:
    """A real provider's layout (template, under schemas/feeds/) as a synthetic provider's: its own code, landing
    folder and file names (CODE_stem_YYYYMMDD_extracted.csv) and, for a feed with sites, its own site codes."""
    feed = template.split("/")[0]
    layout = _layout(
        template,
        provider_code=code,
        provider_name=name,
        landing_dir=f"{feed}/{code.lower()}",
        file_pattern=rf"^{code}_{stem}_(?P<activity_date>\d{{8}})_(?P<extracted_at>{extracted})\.csv$",
    )
    if sites is not None:
        layout["columns"]["site_code"]["values"] = sites
    _dump(feeds / feed / f"{code.lower()}.yaml", layout)


def _providers(frame: pl.DataFrame, code: pl.Expr, name: pl.Expr, role: str, submits_opel: str) -> pl.DataFrame:
    """Rows of reference/providers.csv, one per row of frame."""
    return frame.select(
        code.alias("provider_code"),
        name.alias("provider_name"),
        pl.lit(role).alias("role"),
        "system_code",
        pl.lit(submits_opel).alias("submits_opel"),
    )


def _write_config(out: Path, feeds: Path, plan: pl.DataFrame) -> None:
    """Provider layouts (copies of the real ones with their own codes and folders) and reference tables."""
    for (code,), rows in plan.group_by("trust_code", maintain_order=True):
        sites = dict(zip(rows["local_code"], rows["site_code"]))
        _copy_layout(feeds, "ed_attendances/uhdb.yaml", code, f"Synthetic trust {code}", "ED", r"\d{8}T\d{4}", sites)
    for (code,), rows in plan.group_by("ambulance_code", maintain_order=True):
        sites = {s: s for s in rows["site_code"]}
        name = f"Synthetic ambulance service {code}"
        _copy_layout(feeds, "ambulance_handovers/emas.yaml", code, name, "Handovers", r"\d{14}", sites)
    for system in plan["system_code"].unique(maintain_order=True):
        code = f"H{system[1:]}"
        _copy_layout(feeds, "cnh_cases/dhu.yaml", code, f"Synthetic hub {code}", "CNH", r"\d{12}")
    _dump(
        feeds / "opel_submissions" / "portal.yaml",
        _layout("opel_submissions/scc_portal.yaml", provider_code="ENG", provider_name="Synthetic OPEL portal"),
    )
    _write_reference(out / "reference", plan)


def _write_reference(reference: Path, plan: pl.DataFrame) -> None:
    reference.mkdir(parents=True, exist_ok=True)
    # Tables the generated volume does not vary: the real ones, as published or configured.
    for name in ("targets.csv", "trust_regions.csv", "reconciliation.csv"):
        shutil.copy(REPO / "schemas" / "reference" / name, reference / name)
    plan.select(
        "site_code",
        pl.format("Synthetic site {}", "site_code").alias("site_name"),
        "trust_code",
        pl.format("Synthetic trust {}", "trust_code").alias("trust_name"),
        "system_code",
        pl.format("Synthetic system {}", "system_code").alias("system_name"),
        pl.lit("no").alias("ods_checked"),
    ).write_csv(reference / "sites.csv")
    trusts = plan.unique("trust_code", maintain_order=True)
    services = plan.unique("ambulance_code", maintain_order=True)
    hubs = plan.unique("system_code", maintain_order=True)
    pl.concat(
        [
            _providers(trusts, pl.col("trust_code"), pl.format("Synthetic trust {}", "trust_code"), "acute", "yes"),
            _providers(
                services,
                pl.col("ambulance_code"),
                pl.format("Synthetic ambulance service {}", "ambulance_code"),
                "ambulance",
                "no",
            ),
            _providers(
                hubs,
                pl.format("H{}", pl.col("system_code").str.slice(1)),
                pl.format("Synthetic hub {}", "system_code"),
                "nhs_111",
                "no",
            ),
        ]
    ).write_csv(reference / "providers.csv")
    # Every synthetic trust is acute: each system's headline is all its trusts.
    trusts.select("system_code", "trust_code", pl.lit("acute trusts").alias("figure_name")).write_csv(
        reference / "system_headline.csv"
    )
    opel = yaml.safe_load((REPO / "schemas" / "reference" / "opel.yaml").read_text(encoding="utf-8"))
    opel["system"]["weights"] = dict.fromkeys(trusts["trust_code"].to_list(), 1)
    _dump(reference / "opel.yaml", opel)


def _dump(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _arrivals(rng: np.random.Generator, day: date, n: int) -> np.ndarray:
    """n local wall-clock arrival times on the day, as datetime64[s], busiest late morning."""
    minutes = rng.choice(24, size=n, p=HOURLY) * 60 + rng.integers(0, 60, size=n)
    return np.sort(np.datetime64(day, "s") + (minutes * 60 + rng.integers(0, 60, size=n)).astype("timedelta64[s]"))


def _nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid modulus-11 numbers in the synthetic 999 range, never a real person's."""
    digits = np.concatenate([np.full((n, 3), 9), rng.integers(0, 10, size=(n, 6))], axis=1)
    check = 11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check[check == 11] = 0
    # A check digit of 10 means the stem is never issued: take the next stem instead.
    digits[check == 10, 8] = (digits[check == 10, 8] + 1) % 10
    check = 11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check[check == 11] = 0
    numbers = (digits * 10 ** np.arange(8, -1, -1)).sum(axis=1) * 10 + check
    return np.where(check == 10, "", numbers.astype(str))


def _fmt(values: np.ndarray, fmt: str) -> pl.Series:
    return pl.Series(values.astype("datetime64[ms]")).dt.strftime(fmt)


def _landing_file(landing: Path, feed: str, code: str, name: str) -> Path:
    """Where a provider's file lands: the folder its layout reads (landing_dir), made when missing."""
    path = landing / feed / code.lower() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _ed_day(rng: np.random.Generator, day: date, sites: pl.DataFrame, per_site: float, landing: Path) -> int:
    cutoff = np.datetime64(day + timedelta(days=1), "s") + np.timedelta64(5 * 3600 + 30 * 60, "s")
    rows = 0
    for trust, group in sites.group_by("trust_code", maintain_order=True):
        counts = rng.poisson(per_site, size=group.height)
        n = int(counts.sum())
        arrival = _arrivals(rng, day, n)
        stay = (
            np.minimum(rng.lognormal(np.log(170), 0.55, size=n), 1_500)
            .astype("timedelta64[m]")
            .astype("timedelta64[s]")
        )
        departure = arrival + stay
        is_open = departure > cutoff
        frame = pl.DataFrame(
            {
                "ATTENDANCE_ID": [f"{trust[0]}-{day:%Y%m%d}-{i:06d}" for i in range(n)],
                "SITE": np.repeat(group["local_code"].to_numpy(), counts),
                "UNIT": np.where(rng.random(n) < 0.7, "AED", "UTC"),
                "ARRIVAL_DTTM": _fmt(arrival, "%Y-%m-%d %H:%M:%S"),
                # Still in the department at the extract's cut-off: no departure yet.
                "DEPARTURE_DTTM": np.where(is_open, "", _fmt(departure, "%Y-%m-%d %H:%M:%S").to_numpy()),
                "ARRIVAL_MODE": np.where(rng.random(n) < 0.2, "1", "2"),
                "ACUITY": rng.integers(1, 6, size=n).astype(str),
                "DTA_DTTM": "",
                "DISCHARGE_DEST": np.where(is_open, "", np.where(rng.random(n) < 0.25, "ADM", "HOM")),
                "AGE_BAND": rng.choice(["18-64", "65-74", "75-84", "85+"], size=n),
                "NHS_NUMBER": _nhs_numbers(rng, n),
            }
        )
        name = f"{trust[0]}_ED_{day:%Y%m%d}_{day + timedelta(days=1):%Y%m%d}T0530.csv"
        _landing_file(landing, "ed_attendances", trust[0], name).write_bytes(
            b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8")
        )
        rows += n
    return rows


def _handover_day(rng: np.random.Generator, day: date, sites: pl.DataFrame, per_site: float, landing: Path) -> int:
    rows = 0
    for service, group in sites.group_by("ambulance_code", maintain_order=True):
        counts = rng.poisson(per_site, size=group.height)
        n = int(counts.sum())
        arrival = _arrivals(rng, day, n)
        handover = arrival + (rng.lognormal(np.log(22), 0.6, size=n) * 60).astype("timedelta64[s]")
        clear = handover + rng.integers(10 * 60, 30 * 60, size=n).astype("timedelta64[s]")
        frame = pl.DataFrame(
            {
                "Incident Number": [f"{service[0]}-{day:%y%m%d}-{i:06d}" for i in range(n)],
                "Hospital": np.repeat(group["site_code"].to_numpy(), counts),
                "Category": rng.choice(["Cat1", "Cat2", "Cat3", "Cat4"], size=n, p=[0.1, 0.6, 0.25, 0.05]),
                "Arrived At Hospital": _fmt(arrival, "%d-%b-%Y %H:%M:%S"),
                "Handover Complete": _fmt(handover, "%d-%b-%Y %H:%M:%S"),
                "Vehicle Clear": _fmt(clear, "%d-%b-%Y %H:%M:%S"),
            }
        )
        name = f"{service[0]}_Handovers_{day:%Y%m%d}_{day + timedelta(days=1):%Y%m%d}040000.csv"
        frame.write_csv(_landing_file(landing, "ambulance_handovers", service[0], name))
        rows += n
    return rows


HUB_OUTCOMES = ["AMB DISPATCH", "RETURN STACK", "OWN GP", "UTC/PCC", "HOME/SELF CARE", "UCR", "ED"]


def _hub_day(rng: np.random.Generator, day: date, systems: list[str], per_hub: float, landing: Path) -> int:
    rows = 0
    for system in systems:
        code = f"H{system[1:]}"
        n = int(rng.poisson(per_hub))
        received = _arrivals(rng, day, n)
        outcome = rng.choice(HUB_OUTCOMES, size=n, p=[0.3, 0.05, 0.15, 0.15, 0.15, 0.1, 0.1])
        frame = pl.DataFrame(
            {
                "CaseRef": [f"{code}{day:%y%m%d}{i:05d}" for i in range(n)],
                "Source": rng.choice(
                    ["EMAS C3C4", "111O C3C4", "IHV TEL", "HCP FALLS"], size=n, p=[0.6, 0.2, 0.1, 0.1]
                ),
                "Received": _fmt(received, "%Y-%m-%dT%H:%M:%S"),
                "FirstClinicalContact": _fmt(
                    received + rng.integers(2 * 60, 45 * 60, size=n).astype("timedelta64[s]"), "%Y-%m-%dT%H:%M:%S"
                ),
                "Outcome": outcome,
                "AmbDispatched": np.where(outcome == "AMB DISPATCH", "Y", "N"),
                "Automated": np.where(rng.random(n) < 0.1, "1", "0"),
                "DispositionBand": "",
            }
        )
        name = f"{code}_CNH_{day:%Y%m%d}_{day + timedelta(days=1):%Y%m%d}0300.csv"
        frame.write_csv(_landing_file(landing, "cnh_cases", code, name))
        rows += n
    return rows


def _opel_day(rng: np.random.Generator, day: date, trusts: list[str], landing: Path) -> int:
    submitted = [
        f"{day:%d/%m/%Y} {8 + int(h):02d}:{int(m):02d}:00"
        for h, m in zip(rng.integers(0, 2, len(trusts)), rng.integers(0, 60, len(trusts)))
    ]
    frame = pl.DataFrame(
        {
            "Organisation Code": trusts,
            "OPEL Date": f"{day:%d/%m/%Y}",
            "Submitted": submitted,
            "OPEL Level": [f"OPEL {v}" for v in rng.choice([1, 2, 3, 4], size=len(trusts), p=[0.1, 0.35, 0.45, 0.1])],
        }
    )
    for column in yaml.safe_load((LAYOUTS / "opel_submissions" / "scc_portal.yaml").read_text(encoding="utf-8"))[
        "columns"
    ].values():
        name = column if isinstance(column, str) else column["column"]
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(name))
    name = f"OPEL_Submissions_{day:%Y%m%d}_{day:%Y%m%d}1200.csv"
    frame.write_csv(_landing_file(landing, "opel_submissions", "scc_portal", name))
    return frame.height


def generate(out: Path, sites: int, first: date, days: int, seed: int = 20250101) -> dict[str, int]:
    """Write `days` days of feeds for `sites` sites under out/ (landing/, feeds/, reference/); rows written per feed."""
    plan = _plan(sites, seed)
    _write_config(out, out / "feeds", plan)
    scale = sites / 180
    per_site_ed, per_site_handover = ED_PER_DAY * scale / sites, HANDOVERS_PER_DAY * scale / sites
    systems = plan["system_code"].unique(maintain_order=True).to_list()
    per_hub = ED_PER_DAY * scale * HUB_SHARE / len(systems)
    trusts = plan["trust_code"].unique(maintain_order=True).to_list()
    totals = dict.fromkeys(("ed_attendances", "ambulance_handovers", "cnh_cases", "opel_submissions"), 0)
    rng = np.random.default_rng(seed)
    landing = out / "landing"
    for n in range(days):
        day = first + timedelta(days=n)
        totals["ed_attendances"] += _ed_day(rng, day, plan, per_site_ed, landing)
        totals["ambulance_handovers"] += _handover_day(rng, day, plan, per_site_handover, landing)
        totals["cnh_cases"] += _hub_day(rng, day, systems, per_hub, landing)
        totals["opel_submissions"] += _opel_day(rng, day, trusts, landing)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write landing/, feeds/ and reference/ into (emptied first)")
    parser.add_argument("--sites", type=int, default=180, help="acute sites (default 180, about England)")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--from", dest="first", type=date.fromisoformat, default=date(2025, 3, 1))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    started = time.perf_counter()
    totals = generate(args.out, args.sites, args.first, args.days)
    print(
        f"Wrote {args.days} day(s) for {args.sites} sites to {args.out} in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in totals.items())
    )
    print(
        f"Run with UEC_LANDING={args.out / 'landing'} UEC_FEEDS_DIR={args.out / 'feeds'} "
        f"UEC_REFERENCE_DIR={args.out / 'reference'}"
    )


if __name__ == "__main__":
    main()
