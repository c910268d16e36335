"""The README and docs/*.md are readable from a fresh clone: nothing in them points outside the repository.

A user who clones the project must be able to follow every reference. The domain contract the figures follow is
docs/domain.md (section numbers as cited elsewhere, "docs/domain.md §7.2"), not a file beside the repository; test
data that may sit beside the clone is described, never linked. Every relative markdown link must land on a file
(and, for a page's heading, an anchor) inside the repository.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Text that names a place outside the repository, wherever it appears on a line (code spans included).
OUTSIDE = {
    "UEC_BRIEF": re.compile(r"UEC_BRIEF"),
    "shared/domain": re.compile(r"shared/domain"),
    "/work/": re.compile(r"/work/"),
    "the domain brief, a file outside the repository": re.compile(r"\b(?:domain|UEC) brief\b", re.IGNORECASE),
}
# A relative path climbing out of its folder: `../x`, (../x), ../../x ...
CLIMB = re.compile(r"(?<![\w./-])((?:\.\./)+[^\s)\]`'\"<>|,;]*)")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _lines_outside_code_blocks(page: Path) -> list[tuple[int, str]]:
    lines, fenced = [], False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def _links(page: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in _lines_outside_code_blocks(page):
        text = CODE_SPAN.sub("", line)  # a link written inside backticks is text, not a link
        found += [(number, target) for target in INLINE_LINK.findall(text)]
        found += [(number, target) for target in REFERENCE_DEFINITION.findall(text)]
    return found


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading anchors by its text
    kept = "".join(ch for ch in text.lower() if ch.isalnum() or ch in " -_" or unicodedata.category(ch).startswith("M"))
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _lines_outside_code_blocks(page):
        match = HEADING.match(line)
        if not match:
            continue
        slug = _slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    anchors |= set(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", page.read_text(encoding="utf-8")))
    return anchors


def _inside(path: Path) -> bool:
    return path == ROOT or ROOT in path.parents


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_no_line_points_outside_the_repository(page: Path):
    problems = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        problems += [
            f"{_name(page)}:{number}: names {what}: {line.strip()}" for what, rx in OUTSIDE.items() if rx.search(line)
        ]
        for climb in CLIMB.findall(line):
            destination = (page.parent / climb.partition("#")[0]).resolve()
            if not _inside(destination):
                problems.append(f"{_name(page)}:{number}: {climb} leaves the repository: {line.strip()}")
            elif not destination.exists():  # `../shared/x` from docs/ is inside, and names nothing there
                problems.append(f"{_name(page)}:{number}: {climb}: no such file in the repository: {line.strip()}")
    assert problems == [], "\n".join(
        ["README/docs must be readable from a fresh clone: cite docs/domain.md §N for the domain contract"] + problems
    )


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_lands_on_a_file_and_heading_in_the_repository(page: Path):
    problems = []
    for number, target in _links(page):
        if SCHEME.match(target):
            if target.lower().startswith("file:"):
                problems.append(f"{_name(page)}:{number}: {target}: a file:// link leaves the repository")
            continue  # http(s), mailto: outside by design
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if path_part.startswith("/") or not _inside(destination):
            problems.append(f"{_name(page)}:{number}: {target} leaves the repository")
        elif not destination.exists():
            problems.append(f"{_name(page)}:{number}: {target}: no such file in the repository")
        elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            problems.append(f"{_name(page)}:{number}: {target}: no heading with that anchor in {_name(destination)}")
    assert problems == [], "\n".join(problems)


def test_the_domain_contract_keeps_the_section_numbers_other_pages_cite():
    # "docs/domain.md §7.2" must mean the same thing wherever it is written: these sections exist, numbered.
    numbers = {
        match.group(2).split(" ", 1)[0].rstrip(".")
        for _, line in _lines_outside_code_blocks(ROOT / "docs" / "domain.md")
        if (match := HEADING.match(line)) and match.group(1) in ("##", "###") and match.group(2)[:1].isdigit()
    }
    expected = {"1", "2", "2.1", "2.2", "2.3", "2.4", "3", "3.1", "3.2", "3.3", "3.4", "4", "5", "6", "7"}
    expected |= {f"7.{n}" for n in range(1, 6)}
    # National publications (issue 30): what the three are, trust grain, lag, editions, bad values, reconciliation.
    expected |= {"8", *(f"8.{n}" for n in range(1, 7))}
    assert numbers == expected


def test_the_readme_lists_the_domain_contract():
    assert "[docs/domain.md](docs/domain.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
