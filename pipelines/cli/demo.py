"""`make demo`: run the whole pipeline on the bundled samples in one run and print the figures."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.cli.notices import hide_dagster_notices
from pipelines.ingest.landing import list_folder
from pipelines.ingest.pseudonymise import use_local_key
from pipelines.instance import PUBLISHED_KEY, data_docs_url, written_brief, written_report
from pipelines.metadata import file_url
from pipelines.resources import FeedFilesResource, default_resources
from pipelines.settings import settings
from pipelines.storage.warehouse import connect, warehouse_path
from schemas import catalogue
from schemas.registry import load_feed_configs

BRIEF_JANUARY = {"RFS": 78.2, "RTG": 72.9}  # docs/domain.md §5
BRIEF_HOURS_LOST = {"RTG01": "1,655", "RFSDA": "over 41"}  # docs/domain.md §5 (January 2025)
# The board's system figure (the headline trusts) first, then all providers beside it, then the trusts.
_LEVEL_ORDER = "case level when 'system_headline' then 0 when 'system' then 1 else 2 end"


def _ensure_key() -> None:
    if message := use_local_key(create=True):
        print(message + "\n")


def _sample_window(files: FeedFilesResource) -> tuple[date, date]:
    days = sorted(
        day
        for feed in catalogue.feed_names()
        for config in load_feed_configs(feed, files.feeds_dir)
        for day in list_folder(config, files.landing).by_day
    )
    if not days:
        sys.exit(f"No sample files under {files.landing}: run `make samples` first.")
    return days[0], days[-1]


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.1f}%"


def _verdict(met: bool | None) -> str:
    return "" if met is None else "met" if met else "not met"


def _level(value: int | None) -> str:
    return "-" if value is None else f"OPEL {value}"


def main() -> None:
    # Dagster's beta and preview notices are for developers (as in `uec`): the demo shows progress and results.
    # They are raised as the definitions load, so those are imported after.
    hide_dagster_notices()
    from pipelines.definitions import defs

    _ensure_key()
    resources = default_resources()
    first, last = _sample_window(resources["feed_files"])
    print(f"Running every asset for {first} to {last} as one run...")
    instance = dg.DagsterInstance.get() if settings().dagster_home else dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],  # type: ignore[misc]  # both are set in definitions.py
        resources=resources,
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        raise_on_error=False,
    )
    if not result.success:
        sys.exit("The pipeline run failed: see the errors above, or the run in the Dagster UI (make dev).")
    _print_summary(warehouse_path(), last)
    _print_checks(result)
    _print_brief(result)


def _print_checks(result: dg.ExecuteInProcessResult) -> None:
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed]
    print(
        f"\nChecks: {len(checks)} evaluated, {len(checks) - len(failed)} passed, {len(failed)} failed "
        "(blocking checks stop what is downstream; the rest are warnings):"
    )
    for check in failed:
        text = check.description or ""
        # One line each; the whole text is in the Dagster UI and the Data Docs below.
        text = text if len(text) <= 150 else text[:150].rsplit(" ", 1)[0] + " ..."
        print(f"  {check.severity.value:<5} {check.asset_key.to_user_string()} {check.check_name}: {text}")
    if docs := data_docs_url(result):
        print(f"Data Docs (great-expectations, what passed and failed): {docs}")


def _print_brief(result: dg.ExecuteInProcessResult) -> None:
    if brief := written_brief(result):
        print(f"\nMorning brief for {brief['day']} (open in a browser): {file_url(brief['brief'])}")
        csvs = Path(brief["workbook"]).with_suffix("")
        print(f"Marts for the call pack: {brief['workbook']} and {csvs}/*.csv")
    if published := written_report(result, PUBLISHED_KEY):
        print(
            f"Every mart for Power BI, Excel and notebooks (docs/reading-the-marts.md): {published['reader_database']}"
        )


def _print_summary(path: str, latest: date) -> None:
    with connect(path, read_only=True) as conn:
        print(f"\nWarehouse: {path}")
        _print_files(conn)
        _print_latest_day(conn, latest)
        _print_january(conn)
        _print_handovers(conn, latest)
        _print_hub(conn)
        _print_opel(conn, latest)
    # The readers' copy, never the warehouse: a query left open on the warehouse would hold up the next run.
    folder = default_resources()["reports"].published / "current"
    print("\nNext: `make dev` opens the Dagster UI on this instance. Query the published marts (never waits on a run):")
    print(
        f"  .venv/bin/python -c \"import duckdb; c = duckdb.connect('{folder}/uec_marts.duckdb', read_only=True); "
        f"c.execute(\\\"set file_search_path = '{folder}'\\\"); "
        "print(c.sql('from marts.ed_four_hour_system limit 5'))\""
    )


def _print_files(conn) -> None:
    files = conn.sql(
        """
        select feed, provider_code, count(*) files, sum(rows_read) read, sum(rows_loaded) loaded,
            sum(rows_quarantined) quarantined, sum(rows_with_unknown_values) unknown, sum(rows_duplicate) duplicate
        from ops.source_files
        group by all
        order by 1, 2
        """
    ).fetchall()
    print("\nFiles loaded (rows read = loaded + quarantined + duplicate rows ignored):")
    for feed, provider, n, read, loaded, quarantined, unknown, duplicate in files:
        print(
            f"  {feed:<20} {provider}: {n} files, {read:,} rows read, {loaded:,} loaded ({unknown:,} with a value "
            f"set to unknown), {quarantined:,} quarantined (see ops.quarantine), {duplicate:,} duplicate "
            f"row{'' if duplicate == 1 else 's'} ignored"
        )


def _print_latest_day(conn, latest: date) -> None:
    day = conn.sql(
        f"""
        select org_code, coalesce(coverage, org_name), attendances, pending, pct_within_4h, pct_over_12h,
            target_pct_within_4h, meets_target
        from marts.ed_four_hour_rollup
        where date = $d and period = 'day' and scope = 'all_types' and level in ('trust', 'system_headline', 'system')
        order by {_LEVEL_ORDER}, org_code
        """,
        params={"d": latest},
    ).fetchall()
    print(f"\nYesterday's position: {latest} (the samples end here; on live feeds this is yesterday)")
    print(f"  {'organisation':<66} {'attend.':>7} {'pending':>7} {'4-hour':>7} {'>12h':>7} {'target':>7}")
    for code, name, attendances, pending, pct4, pct12, target, met in day:
        print(
            f"  {(code + ' ' + name)[:66]:<66} {attendances:>7,} {pending:>7} {_pct(pct4):>7} {_pct(pct12):>7} "
            f"{_pct(target):>7} {_verdict(met)}"
        )


def _print_january(conn) -> None:
    january = conn.sql(
        f"""
        select level, org_code, coalesce(coverage, org_name), scope, attendances, pct_within_4h, pct_over_12h,
            meets_target
        from marts.ed_four_hour_rollup
        where date = date '2025-01-31' and period = 'month_to_date' and level in ('trust', 'system_headline', 'system')
        order by {_LEVEL_ORDER}, org_code, scope
        """,
    ).fetchall()
    print("\nJanuary 2025, 4-hour performance (month to date at 31 January):")
    print(f"  {'organisation':<66} {'scope':<9} {'attend.':>7} {'4-hour':>7} {'>12h':>7} {'board':>7} (78%)")
    for level, code, name, scope, attendances, pct4, pct12, met in january:
        reported = (
            _pct(BRIEF_JANUARY[code]) if scope == "all_types" and level == "trust" and code in BRIEF_JANUARY else ""
        )
        print(
            f"  {(code + ' ' + name)[:66]:<66} {scope:<9} {attendances:>7,} {_pct(pct4):>7} {_pct(pct12):>7} "
            f"{reported:>7} {_verdict(met)}"
        )


def _print_handovers(conn, latest: date) -> None:
    handovers = conn.sql(
        """
        select case when date = $d then 'latest day' else 'January 2025' end, r.org_code, s.site_name,
            r.arrivals, r.hours_lost, r.mean_minutes, r.over_45, r.sources
        from marts.handover_rollup as r join ref.sites as s on s.site_code = r.org_code
        where r.level = 'site'
            and ((r.date = date '2025-01-31' and r.period = 'month_to_date') or (r.date = $d and r.period = 'day'))
        order by r.date, r.org_code
        """,
        params={"d": latest},
    ).fetchall()
    print("\nAmbulance handovers per acute site:")
    print(
        f"  {'site':<34} {'period':<15} {'handovers':>9} {'hours lost':>10} {'mean min':>8} {'>45 min':>7} "
        f"{'source':<12} {'board':>8}"
    )
    for period, site, name, arrivals, hours, mean, over_45, sources in handovers:
        brief = BRIEF_HOURS_LOST.get(site, "") if period.startswith("Jan") else ""
        hours_text = "n/a" if hours is None else f"{hours:,.0f}"
        print(
            f"  {(site + ' ' + name)[:34]:<34} {period:<15} {arrivals:>9,} {hours_text:>10} {mean:>8.1f} "
            f"{over_45 if over_45 is not None else 'n/a':>7} {sources:<12} {brief:>8}"
        )


def _print_hub(conn) -> None:
    hub = conn.sql(
        """
        select referral_source, cases, dispatches_avoided, deflection_rate, mean_response_minutes,
            pct_within_30_min, pct_automated, pct_own_gp
        from marts.cnh_deflection_monthly
        where month = date '2025-01-01' and is_ambulance_stack
        order by referral_source = 'ambulance_stack_total', referral_source
        """
    ).fetchall()
    print(
        "\nCare Navigation Hub / SPoA, January 2025 (ambulance-stack sources; board report: EMAS C3/4 1,277 cases, 828 "
        "avoided, mean 9 min):"
    )
    print(
        f"  {'referral source':<22} {'cases':>6} {'avoided':>8} {'deflection':>10} {'mean resp':>9} "
        f"{'<=30 min':>8} {'automated':>9} {'own GP':>7}"
    )
    for source, cases, avoided, rate, mean, within, automated, own_gp in hub:
        print(
            f"  {source:<22} {cases:>6,} {avoided:>8,} {_pct(rate):>10} {mean:>7.1f} m {_pct(within):>8} "
            f"{_pct(automated):>9} {_pct(own_gp):>7}"
        )


def _print_opel(conn, latest: date) -> None:
    opel = conn.sql(
        """
        select provider_code, declared_level, derived_level, derived_score, is_late, is_missing,
            changed_during_day, changed_to_level, ed_4h_pct_submitted, ed_4h_pct_pipeline
        from marts.opel_daily
        where date = $d
        order by provider_code
        """,
        params={"d": latest},
    ).fetchall()
    system = conn.sql(
        """
        select o.system_code || coalesce(' ' || n.system_name, ''), o.system_score, o.system_level, o.providers_missing
        from marts.opel_system_daily as o
            left join (select system_code, any_value(system_name) as system_name from ref.sites group by all) as n
            using (system_code)
        where o.date = $d
        order by o.system_code
        """,
        params={"d": latest},
    ).fetchall()
    print(f"\nOPEL on {latest} (derived levels use placeholder thresholds: schemas/reference/opel.yaml):")
    print(
        f"  {'provider':<9} {'declared':>8} {'derived':>7} {'score':>6}  {'timeliness':<22} "
        f"{'4-hour submitted / pipeline':>28}"
    )
    for code, declared, derived, score, late, missing, changed, changed_to, submitted, pipeline in opel:
        timeliness = "missing" if missing and not late else "late" if late else "on time"
        timeliness += f", changed to {changed_to}" if changed else ""
        check = f"{_pct(submitted)} / {_pct(pipeline)}" if submitted is not None else ""
        print(
            f"  {code:<9} {_level(declared):>8} {_level(derived):>7} {score if score is not None else '':>6}  "
            f"{timeliness:<22} {check:>28}"
        )
    for code, score, level, missing in system:
        print(f"  System {code}: OPEL {level} (weighted score {score:.2f}); missing by 11:00: {missing or 'none'}")


if __name__ == "__main__":
    logging.getLogger("dagster").setLevel(logging.WARNING)
    main()
