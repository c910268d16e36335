"""How a national publication's files are laid out, read from YAML under schemas/national/<publication>/.

A publication (schemas/catalogue.py `PUBLICATIONS`) has one canonical SPEC and one pandera contract in
schemas/<publication>.py; each layout here says how one shape of its published files maps onto that SPEC. The
shapes differ by edition (a winter's file has columns the next one drops), so a layout may name columns a file
does not carry (`may_be_absent`): such a column reads as not published.

The interface a publication module gives the loader (pipelines/national/load.py), for whoever adds one:

- `SPEC: FeedSpec`, whose `feed` is the publication's name. Its columns are what a layout maps: `org_code`
  (the code as published: '-' or empty for a total row), `org_name`, `region`, the period column the catalogue
  names (`date` or `period`) and the measures. Mark a measure `unknown_on_fault=True`: a failing measure is then set
  to unknown and the row still counts (docs/domain.md §7.2); a failing `org_code` or period quarantines the row.
- `contract(reference, period_start) -> pandera.polars.DataFrameSchema` (schemas.catalogue.Contract), run on the
  mapped rows after the organisations are placed (so `org_code` is 'ENG', 'ENG-T1', 'MIDLANDS' or an ODS code and
  `org_level` is set); `period_start` is the file's first period. Each failing check names the column it sits on;
  put a rule on every column it should make unknown (occupied > open: on both).
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.national_reshape import Reshape
from schemas.registry import ColumnMapping
from schemas.yaml_loading import safe_load

NATIONAL_DIR = Path(__file__).parent / "national"
# Whose layout read the file, in ops.quarantine's provider_code: NHS England publishes every national file.
PUBLISHER = "NHSE"


class PublicationLayoutError(ValueError):
    """A layout file that cannot be used: the message names the file and what is wrong."""


class PublicationLayout(BaseModel):
    """One shape of a publication's files: which files, how to read them, and their columns' canonical names."""

    model_config = ConfigDict(extra="forbid")

    publication: str
    name: str  # how errors and provenance name the layout (e.g. "long form csv")
    file_pattern: str  # regex on the file name; the period comes from a column, never from the name
    format: Literal["csv", "xlsx", "sitrep_workbook"] = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None  # xlsx: the sheet (the first when not given)
    # sitrep_workbook: the topic sheets read, in order; the first sheet a row is on names its source_sheet.
    sheets: list[str] = Field(default_factory=list)
    date_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d"], min_length=1)
    datetime_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d %H:%M:%S"], min_length=1)
    # Cell texts meaning "not published" or "cannot be calculated": read as empty, never a fault.
    not_published: list[str] = Field(default_factory=lambda: ["-", ""])
    columns: dict[str, ColumnMapping]
    # Canonical columns whose source column some editions do not carry: absent, they read as not published.
    may_be_absent: list[str] = Field(default_factory=list)
    # A reader step for a file printed wide (types as column groups): applied to the text cells before mapping,
    # so `columns` name what it makes (schemas/national_reshape.py).
    reshape: Reshape | None = None
    config_path: str = ""

    @field_validator("columns", mode="before")
    @classmethod
    def _expand_shorthand(cls, columns: dict[str, Any]) -> dict[str, Any]:
        return {k: {"column": v} if isinstance(v, str) else v for k, v in columns.items()}

    @field_validator("file_pattern")
    @classmethod
    def _valid_pattern(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"file_pattern is not a valid regular expression ({exc})") from None
        return pattern

    @model_validator(mode="after")
    def _fits(self) -> PublicationLayout:
        if self.format == "sitrep_workbook" and not self.sheets:
            raise ValueError("a sitrep_workbook layout names its topic sheets in 'sheets'")
        stray = set(self.may_be_absent) - set(self.columns)
        if stray:
            raise ValueError(f"may_be_absent names columns the layout does not map: {sorted(stray)}")
        return self

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.file_pattern)

    @property
    def feed(self) -> str:
        return self.publication

    @property
    def provider_code(self) -> str:
        return PUBLISHER

    def matches(self, file_name: str) -> bool:
        return self.pattern.fullmatch(file_name) is not None

    def required_sources(self) -> list[str]:
        """Source columns every file of this layout must carry, in mapping order."""
        optional = set(self.may_be_absent)
        return list(
            dict.fromkeys(m.column for c, m in self.columns.items() if m.column is not None and c not in optional)
        )

    def source_columns(self) -> dict[str, str | None]:
        """Canonical column -> the file's column it is read from (None for a constant)."""
        return {c: m.column for c, m in self.columns.items()}


def _what_is_wrong(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "layout"
    message = re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
    if error["type"] == "missing":
        return f"{field}: missing"
    if error["type"] == "extra_forbidden":
        return f"{field}: not a layout setting"
    return f"{field}: {message}"


@lru_cache(maxsize=256)
def _parse(path: str, text: str) -> PublicationLayout:
    try:
        raw = safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise PublicationLayoutError(f"publication layout {path} is not readable YAML{where}") from None
    if not isinstance(raw, dict):
        raise PublicationLayoutError(f"publication layout {path} is invalid: it is not a mapping of settings")
    try:
        return PublicationLayout.model_validate({**raw, "config_path": path})
    except ValidationError as exc:
        problems = "; ".join(_what_is_wrong(e) for e in exc.errors())
        raise PublicationLayoutError(f"publication layout {path} is invalid: {problems}") from None


def load_publication_layouts(name: str, layouts_dir: Path | str = NATIONAL_DIR) -> list[PublicationLayout]:
    """Every layout of a publication, by file name; a broken one raises PublicationLayoutError naming its file."""
    found = []
    for path in sorted((Path(layouts_dir) / name).glob("*.yaml")):
        layout = _parse(str(path), path.read_text(encoding="utf-8"))
        if layout.publication != name:
            raise PublicationLayoutError(
                f"publication layout {path} says publication '{layout.publication}' but sits under '{name}'"
            )
        found.append(layout)
    return found
