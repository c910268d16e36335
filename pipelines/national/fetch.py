"""`uec public fetch`: download a configured NHS England publication into the landing area, with its provenance.

A publication's page (schemas/national/sources.yaml) is read for its links and the one whose file name fits the
configured pattern is downloaded: NHS England adds a random suffix to file names since 2025-26, so the name cannot
be configured outright. The file lands in <UEC_LANDING>/national/<publication>/ beside <file>.provenance.json, which
the loader copies into ops.publication_files. Landing never overwrites: the same bytes already landed are skipped,
different bytes under a landed name are kept under a suffixed name (an edition the loader orders by time).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.client import HTTPException
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from pipelines import REPO_ROOT
from pipelines.settings import settings
from schemas.yaml_loading import safe_load

SOURCES_FILE = REPO_ROOT / "schemas" / "national" / "sources.yaml"
PROVENANCE_SUFFIX = ".provenance.json"
TIMEOUT_SECONDS = 60
CHUNK = 1 << 20
# Some publishers refuse urllib's default agent; this one says who is asking.
USER_AGENT = "uec-pipeline (Derby and Derbyshire SCC; uec public fetch)"

Print = Callable[[str], None]


class FetchError(Exception):
    """A publication could not be fetched: the message names the publication, the address and what went wrong."""


@dataclass(frozen=True)
class Source:
    """Where one publication is found: its page, the pattern its file's name fits, or the file's own address."""

    publication: str
    page_url: str
    file_pattern: str
    url: str | None = None


@dataclass(frozen=True)
class Fetched:
    """What one fetch did: the landed (or already landed) file, its checksum, and whether it was new."""

    publication: str
    path: Path
    sha256: str
    size_bytes: int
    new: bool


def load_sources(path: Path = SOURCES_FILE) -> dict[str, Source]:
    """Every configured publication's source, checked: a page, a pattern that compiles, a known publication."""
    from schemas.catalogue import PUBLICATIONS

    known = {p.name for p in PUBLICATIONS}
    raw = safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise FetchError(f"{path}: expected publication names, each with page_url and file_pattern")
    sources: dict[str, Source] = {}
    for name, entry in raw.items():
        where = f"{path}, publication {name!r}"
        if name not in known:
            raise FetchError(f"{where}: not a publication in schemas/catalogue.py ({', '.join(sorted(known))})")
        if not isinstance(entry, dict) or not entry.get("page_url") or not entry.get("file_pattern"):
            raise FetchError(f"{where}: needs page_url and file_pattern")
        try:
            re.compile(entry["file_pattern"])
        except re.error as exc:
            pattern = entry["file_pattern"]
            raise FetchError(f"{where}: file_pattern {pattern!r} is not a regular expression: {exc}") from None
        sources[name] = Source(name, entry["page_url"], entry["file_pattern"], entry.get("url") or None)
    return sources


def rebased(url: str, base_url: str) -> str:
    """The address with its scheme and host replaced by the base's (its path prefixed by the base's path)."""
    if not base_url:
        return url
    base, original = urlsplit(base_url), urlsplit(url)
    path = base.path.rstrip("/") + original.path
    return urlunsplit((base.scheme, base.netloc, path, original.query, original.fragment))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def file_name(url: str) -> str:
    """The file name an address ends in, as a reader sees it (percent-escapes decoded, no query)."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def page_links(html: str, page_url: str) -> list[str]:
    """Every distinct link on the page, as an absolute address, in page order."""
    parser = _Links()
    parser.feed(html)
    return list(dict.fromkeys(urljoin(page_url, href.strip()) for href in parser.hrefs))


def choose_link(source: Source, page_url: str, links: list[str], matching: str | None = None) -> str:
    """The one link whose file name fits the pattern (and `matching`, when given); none or several fail loudly."""
    pattern = re.compile(source.file_pattern)
    narrow = re.compile(matching) if matching else None
    found = [
        link for link in links if pattern.search(name := file_name(link)) and (narrow is None or narrow.search(name))
    ]
    # Quoted as written in sources.yaml, not as a Python literal (no doubled backslashes).
    wanted = f"pattern '{source.file_pattern}'" + (f" and '{matching}'" if matching else "")
    if len(found) == 1:
        return found[0]
    if not found:
        names = sorted({file_name(link) for link in links if "." in file_name(link)})
        shown = "; ".join(names[:20]) + (f"; ... ({len(names)} in all)" if len(names) > 20 else "")
        raise FetchError(
            f"{source.publication}: no file on {page_url} fits {wanted} (schemas/national/sources.yaml). "
            f"Files the page links: {shown or 'none'}. If NHS England renamed the file, change file_pattern."
        )
    raise FetchError(
        f"{source.publication}: {len(found)} files on {page_url} fit {wanted}, so which to fetch is not clear: "
        f"{'; '.join(file_name(link) for link in found)}. Narrow it with --matching (a part of the name) or "
        "change file_pattern in schemas/national/sources.yaml."
    )


def _open(url: str, publication: str, what: str):
    try:
        return urlopen(Request(url, headers={"User-Agent": USER_AGENT}), timeout=TIMEOUT_SECONDS)
    except HTTPError as exc:
        raise FetchError(f"{publication}: the {what} {url} answered HTTP {exc.code} {exc.reason}") from None
    except (URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{publication}: could not reach the {what} {url}: {reason}") from None


def read_page(url: str, publication: str) -> str:
    with _open(url, publication, "page") as response:
        charset = response.headers.get_content_charset() or "utf-8"
        return response.read().decode(charset, errors="replace")


def download(url: str, publication: str, folder: Path) -> tuple[Path, str, int]:
    """The file at the address, written to a hidden temporary file in the folder: (temporary path, sha256, size)."""
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, temporary = tempfile.mkstemp(prefix=".fetching-", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, _open(url, publication, "file") as response:
            # A sign-in or "page moved" page answered with 200 must not land as the publication.
            if response.headers.get_content_type() == "text/html" and not file_name(url).lower().endswith(
                (".htm", ".html")
            ):
                raise FetchError(f"{publication}: {url} answered with a web page, not the file; nothing landed")
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except (OSError, HTTPException) as exc:
        Path(temporary).unlink(missing_ok=True)
        raise FetchError(f"{publication}: downloading {url} failed: {exc!r}; nothing landed") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if size == 0:
        Path(temporary).unlink(missing_ok=True)
        raise FetchError(f"{publication}: {url} sent an empty file; nothing landed")
    return Path(temporary), digest.hexdigest(), size


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def landed_files(folder: Path) -> list[Path]:
    """The publication files in a landing folder: not provenance sidecars, not a download under way."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(PROVENANCE_SUFFIX)
    )


def landed_checksum(path: Path) -> str:
    """A landed file's sha256: its sidecar's when the sidecar describes it (same size), else computed."""
    sidecar = path.with_name(path.name + PROVENANCE_SUFFIX)
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
        if recorded.get("size_bytes") == path.stat().st_size and recorded.get("sha256"):
            return str(recorded["sha256"])
    except (OSError, ValueError, AttributeError):
        pass
    return sha256_of(path)


def free_name(folder: Path, name: str, fetched_at: datetime) -> Path:
    """The name itself when free, else the name with the fetch time before its extension (keeping both)."""

    def taken(path: Path) -> bool:
        return path.exists() or path.with_name(path.name + PROVENANCE_SUFFIX).exists()

    target = folder / name
    if not taken(target):
        return target
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stamp = fetched_at.strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        extra = f"-fetched-{stamp}" + (f"-{n}" if n > 1 else "")
        candidate = folder / (f"{stem}{extra}.{extension}" if extension else f"{stem}{extra}")
        if not taken(candidate):
            return candidate
    raise FetchError(f"no free name for {name} in {folder}")


def _link_new(source: Path, target: Path) -> bool:
    """Give a file a second name unless that name exists (a rename would overwrite it)."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    return True


def land(temporary: Path, name: str, record: dict, fetched_at: datetime) -> Path:
    """Put a downloaded file in place under a free name, its sidecar first, so the file never appears without it."""
    folder = temporary.parent
    sidecar_part = temporary.with_name(temporary.name + ".provenance")
    sidecar_part.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    try:
        while True:
            target = free_name(folder, name, fetched_at)
            sidecar = target.with_name(target.name + PROVENANCE_SUFFIX)
            if not _link_new(sidecar_part, sidecar):
                continue
            if _link_new(temporary, target):
                return target
            sidecar.unlink()  # another process took the name between the two links
    finally:
        sidecar_part.unlink(missing_ok=True)
        temporary.unlink(missing_ok=True)


def source_url(source: Source, page_url: str, matching: str | None, base_url: str) -> str:
    """The file's address: configured outright, or the one link on the page that fits the pattern. Links to the
    configured page's own host are rebased too, so a mirror serves the files as well as the page."""
    if source.url:
        return rebased(source.url, base_url)
    home = urlsplit(source.page_url).netloc
    links = [
        rebased(link, base_url) if urlsplit(link).netloc == home else link
        for link in page_links(read_page(page_url, source.publication), page_url)
    ]
    return choose_link(source, page_url, links, matching)


def fetch(
    source: Source, landing: Path, out: Print = print, matching: str | None = None, base_url: str | None = None
) -> Fetched:
    """Fetch one publication's file into <landing>/national/<publication>/, with its provenance sidecar."""
    base_url = settings().national_base_url if base_url is None else base_url
    page_url = rebased(source.page_url, base_url)
    url = source_url(source, page_url, matching, base_url)
    name = file_name(url)
    if not name or name.startswith(".") or name.endswith(PROVENANCE_SUFFIX):
        raise FetchError(f"{source.publication}: {url} does not end in a usable file name")
    folder = landing / "national" / source.publication
    out(f"{source.publication}: fetching {name} from {url}")
    fetched_at = datetime.now(UTC).replace(microsecond=0)
    temporary, sha256, size = download(url, source.publication, folder)
    for existing in landed_files(folder):
        if landed_checksum(existing) == sha256:
            temporary.unlink()
            out(f"  already landed as {existing} (same sha256 {sha256}); nothing written")
            return Fetched(source.publication, existing, sha256, size, new=False)
    record = {
        "publication": source.publication,
        "source_url": url,
        "page_url": page_url,
        "fetched_at_utc": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sha256": sha256,
        "size_bytes": size,
    }
    target = land(temporary, name, record, fetched_at)
    if target.name != name:
        out(f"  {name} is landed already with other bytes: both kept, this edition as {target.name}")
    out(f"  landed {target} ({size:,} bytes, sha256 {sha256}) with {target.name}{PROVENANCE_SUFFIX}")
    return Fetched(source.publication, target, sha256, size, new=True)
