"""`uec public fetch`: download NHS England's publications into the landing area, with their provenance."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from pipelines.national.fetch import FetchError, fetch, load_sources
from pipelines.settings import settings

Print = Callable[[str], None]


def fetch_publications(
    publication: str | None, every: bool, matching: str | None = None, out: Print = print, err: Print | None = None
) -> int:
    """Exit status 0 when every publication asked for is landed (or was already), 1 when any could not be fetched,
    2 for a usage error."""
    err = err or (lambda text: print(text, file=sys.stderr))
    if every == (publication is not None):
        err("Name one publication, or give --all for every one in schemas/national/sources.yaml.")
        return 2
    try:
        sources = load_sources()
    except FetchError as exc:
        err(str(exc))
        return 2
    if publication is not None and publication not in sources:
        err(f"{publication} has no source in schemas/national/sources.yaml; configured: {', '.join(sources)}.")
        return 2
    if every and matching:
        err("--matching narrows one publication's files: name the publication.")
        return 2
    names = list(sources) if every else [publication]
    landing = Path(settings().landing_dir)
    failed: list[str] = []
    new = 0
    for name in names:
        assert name is not None
        try:
            new += fetch(sources[name], landing, out, matching).new
        except FetchError as exc:
            err(f"FAILED: {exc}")
            failed.append(name)
    out(
        f"{len(names)} publication(s): {new} new file(s) landed, {len(names) - new - len(failed)} already landed, "
        f"{len(failed)} failed{': ' + ', '.join(failed) if failed else ''}."
    )
    return 1 if failed else 0
