"""`uec report`: the morning brief and call-pack exports for a day, from the warehouse as it stands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pipelines.brief.render import FEED_NAMES, brief_for_day
from pipelines.instance import persistent_instance
from pipelines.metadata import file_url
from pipelines.resources import default_resources
from pipelines.warehouse import connect, warehouse_path
from schemas.clock import LONDON


def report(day: date, out=print) -> int:
    """`uec report`: the brief and exports for a day from the warehouse as it stands; exit 1 when it has no figures."""
    resources = default_resources()
    path = warehouse_path()
    if not Path(path).is_file():
        out(f"No warehouse at {path}: run `uec refresh` first.")
        return 1
    conn = connect(path, read_only=True, on_wait=out)
    try:
        if not conn.sql(
            "select count(*) from marts.ed_four_hour_daily where date = $day", params={"day": day}
        ).fetchall()[0][0]:
            out(f"No figures for {day} in {path}: run `uec refresh --date {day}` first.")
            return 1
        try:
            data, written = _brief(conn, day, resources, path)
        except ValueError as error:  # a home system the reference data does not know: one plain line
            out(str(error))
            return 2
    finally:
        conn.close()
    out(f"Morning brief for {day}: {file_url(written.html)}")
    out(f"Marts for the call pack: {written.workbook} and {len(written.csvs)} CSV files in {written.csvs[0].parent}")
    if data.problems:
        out(f"{len(data.problems)} data-quality problem(s); the figures they affect are marked provisional:")
        for p in data.problems:
            out(f"  - {FEED_NAMES.get(p.feed, p.feed)} {p.provider_code or ''}: {p.kind}: {p.detail}")
    return 0


def _brief(conn, day: date, resources: dict, path: str):
    files = resources["feed_files"]
    return brief_for_day(
        conn,
        day,
        reports=resources["reports"].path,
        feeds_dir=files.feeds_dir,
        landing=files.landing,
        now=datetime.now(LONDON),
        warehouse=path,
        instance=persistent_instance(),
        reference_dir=files.reference_dir,
    )
