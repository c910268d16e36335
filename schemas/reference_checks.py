"""Reference tables checked as they load: a code names one organisation at one level, and every level has its parent."""

from __future__ import annotations

from pathlib import Path

import polars as pl


class ReferenceError(ValueError):
    """A reference file that would make the marts join one organisation twice, or place it nowhere."""


def _where(path: Path, line: int) -> str:
    return f"{path.name} line {line}"


def check_sites(frame: pl.DataFrame, path: Path) -> None:
    """Refuse duplicate site codes, blank codes or names, a code used at two levels, and a trust or system named
    two ways or placed in two systems."""
    # The header is line 1: data row 0 is line 2, as an editor numbers it.
    frame = frame.with_row_index("_line", offset=2)
    problems: list[str] = []
    for column in ("site_code", "site_name", "trust_code", "trust_name", "system_code", "system_name"):
        for line in frame.filter(pl.col(column).is_null())["_line"]:
            what = {"trust_code": "a site without a trust", "system_code": "a trust without a system"}.get(
                column, f"no {column}"
            )
            problems.append(f"{_where(path, line)}: {what} ({column} is blank)")
    for code, lines in _repeats(frame, "site_code"):
        problems.append(f"{_where(path, lines[1])}: site code {code!r} is already on line {lines[0]}")
    levels = {"site": "site_code", "trust": "trust_code", "system": "system_code"}
    firsts = {
        level: dict(frame.filter(pl.col(c).is_not_null()).group_by(c).agg(pl.col("_line").min()).iter_rows())
        for level, c in levels.items()
    }
    names = list(levels)
    for i, low in enumerate(names):
        for high in names[i + 1 :]:
            for code in sorted(set(firsts[low]) & set(firsts[high])):
                problems.append(
                    f"{_where(path, firsts[low][code])}: {low} code {code!r} is also a {high} code "
                    f"(line {firsts[high][code]}); a code may name one level only"
                )
    for child, parent in (("trust_code", "trust_name"), ("trust_code", "system_code"), ("system_code", "system_name")):
        clashes = (
            frame.filter(pl.col(child).is_not_null())
            .group_by(child)
            .agg(pl.col(parent).n_unique().alias("n"), pl.col(parent).unique().sort(), pl.col("_line").min())
            .filter(pl.col("n") > 1)
            .sort("_line")
        )
        for code, _, values, line in clashes.iter_rows():
            problems.append(f"{_where(path, line)}: {child} {code!r} has more than one {parent}: {values}")
    _raise(problems, path)


def check_unique(frame: pl.DataFrame, path: Path, key: list[str], required: list[str]) -> None:
    """Refuse blank required values and duplicate keys."""
    frame = frame.with_row_index("_line", offset=2)
    problems = [
        f"{_where(path, line)}: {column} is blank"
        for column in required
        for line in frame.filter(pl.col(column).is_null())["_line"]
    ]
    for code, lines in _repeats(frame, key):
        problems.append(f"{_where(path, lines[1])}: {' / '.join(key)} {code!r} is already on line {lines[0]}")
    _raise(problems, path)


def check_headline(frame: pl.DataFrame, path: Path, sites: pl.DataFrame) -> None:
    """Refuse a headline trust that ref.sites does not place in the same system."""
    check_unique(frame, path, ["system_code", "trust_code"], ["system_code", "trust_code", "figure_name"])
    known = set(sites.select("system_code", "trust_code").iter_rows())
    problems = [
        f"{_where(path, line)}: trust {trust!r} is not in system {system!r} in sites.csv"
        for line, (system, trust) in enumerate(frame.select("system_code", "trust_code").iter_rows(), start=2)
        if (system, trust) not in known
    ]
    _raise(problems, path)


def _repeats(frame: pl.DataFrame, key: str | list[str]) -> list[tuple[str, list[int]]]:
    keys = [key] if isinstance(key, str) else key
    grouped = (
        frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        .group_by(keys)
        .agg(pl.col("_line").sort())
        .filter(pl.col("_line").list.len() > 1)
        .sort(pl.col("_line").list.first())
    )
    return [(" / ".join(str(row[k]) for k in keys), row["_line"]) for row in grouped.iter_rows(named=True)]


def _raise(problems: list[str], path: Path) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:4])})" if len(problems) > 1 else ""
        raise ReferenceError(f"Reference file {path} refused, nothing loaded from it: {problems[0]}{more}")
