"""`uec report`: the morning brief and call-pack exports for a day, from the warehouse as it stands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from assets.morning_brief import make_brief
from pipelines.brief.data import _system_name as system_name
from pipelines.brief.peer_report import read_peer_report, write_peer_report
from pipelines.brief.render import FEED_NAMES
from pipelines.instance import persistent_instance
from pipelines.metadata import file_url
from pipelines.resources import DefaultResources, default_resources
from pipelines.settings import home_system
from pipelines.storage.warehouse import connect, quoted, warehouse_path
from schemas import catalogue
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
        rows = figures_on(conn, day)
        if not any(rows.values()):
            out(
                f"No figures for {day} in {path}: none of {', '.join(rows)} has a row for that day. "
                f"Run `uec refresh --date {day}` first."
            )
            return 1
        try:
            data, written = _brief(conn, day, resources, path)
        except ValueError as error:  # a home system the reference data does not know: one plain line
            out(str(error))
            return 2
    finally:
        conn.close()
    out(f"Morning brief for {day}: {file_url(written.html)}")
    none = [name for name, n in rows.items() if not n]
    out(
        f"Figures for {day}: "
        + "; ".join(f"{name} {n:,} row(s)" for name, n in rows.items() if n)
        + (f". No figures for {', '.join(none)}: the brief says so in those sections." if none else ".")
    )
    out(f"Marts for the call pack: {written.workbook} and {len(written.csvs)} CSV files in {written.csvs[0].parent}")
    if data.problems:
        out(f"{len(data.problems)} data-quality problem(s); the figures they affect are marked provisional:")
        for p in data.problems:
            out(f"  - {FEED_NAMES.get(p.feed, p.feed)} {p.provider_code or ''}: {p.kind}: {p.detail}")
    return 0


def peer_report(out=print) -> int:
    """`uec report --peer`: the peer report for the latest period NHS England has published; exit 1 when none is."""
    path = warehouse_path()
    if not Path(path).is_file():
        out(f"No warehouse at {path}: run `uec refresh` first.")
        return 1
    conn = connect(path, read_only=True, on_wait=out)
    try:
        system = home_system()
        found = read_peer_report(conn, system, system_name(conn, system), datetime.now(LONDON))
    except ValueError as error:  # a home system the reference data does not know: one plain line
        out(str(error))
        return 2
    finally:
        conn.close()
    if not found.parts:
        out(f"No NHS England publication is loaded in {path}: load one (uec public load) first.")
        return 1
    written = write_peer_report(found, default_resources()["reports"].path)
    out(f"Peer report: {file_url(written)}")
    for part in found.parts:
        label, rows = part.label[0].upper() + part.label[1:], len(found.every_trust[part.view])
        out(f"  {label}: latest {part.when}, {rows:,} providers. {part.lag}")
    return 0


def figures_on(conn, day: date) -> dict[str, int]:
    """Rows each daily mart holds for the day, named by its table and the feeds it is built from."""
    return {
        f"{mart.table} ({' or '.join(catalogue.feed(f).label for f in mart.feeds)})": conn.sql(
            f"select count(*) from {quoted(mart.name)} where date = $day", params={"day": day}
        ).fetchall()[0][0]
        for mart in catalogue.daily_marts()
    }


def _brief(conn, day: date, resources: DefaultResources, path: str):
    return make_brief(conn, day, resources["feed_files"], resources["reports"].path, path, persistent_instance())
