"""Provider feed registry: each provider's file layout, read from YAML under schemas/feeds/<feed>/."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from schemas.clock import LONDON
from schemas.defaults import IDENTITY_WINDOW_HOURS
from schemas.yaml_loading import safe_load

FEEDS_DIR = Path(__file__).parent / "feeds"


class ColumnMapping(BaseModel):
    """Where a canonical column comes from: a source column (optionally recoded) or a constant."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    constant: str | None = None
    # Provider's own codes -> canonical values; any code not listed is a row error, never a guess.
    values: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnMapping:
        if (self.column is None) == (self.constant is None):
            raise ValueError("give exactly one of 'column' or 'constant'")
        if self.values is not None:
            self.values = {str(k): v for k, v in self.values.items()}
        return self


class ExtractRule(BaseModel):
    """Where a file's extract time comes from (docs/domain.md §7.5): many providers' file names carry none.

    The extract time is the cut-off an open attendance is measured to, and orders a day's files (later wins).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # file_name: the `extracted_at` group of file_pattern, read with extracted_at_format (London time);
    # arrival: the file's modification time in the landing area, as ops.source_files records it;
    # fixed: `at` (London time) on the day `days_after` days after the activity day.
    source: Literal["file_name", "arrival", "fixed"] = Field("file_name", alias="from")
    at: time | None = None
    days_after: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _fixed_has_a_time(self) -> ExtractRule:
        if self.source == "fixed" and self.at is None:
            raise ValueError("extracted_at from 'fixed' needs 'at', the London time of the extract (e.g. '06:00')")
        if self.source != "fixed" and {"at", "days_after"} & self.model_fields_set:
            raise ValueError(f"extracted_at 'at' and 'days_after' apply only to 'from: fixed', not '{self.source}'")
        return self


class FeedConfig(BaseModel):
    """One provider's layout for one feed."""

    model_config = ConfigDict(extra="forbid")

    feed: str
    provider_code: str
    provider_name: str
    landing_dir: str
    file_pattern: str
    activity_date_format: str
    extracted_at_format: str | None = None  # for extracted_at from the file name only
    extracted_at: ExtractRule = Field(default_factory=ExtractRule)
    format: Literal["csv", "xlsx"] = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None  # workbook sheet name; the first sheet when not given
    datetime_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d %H:%M:%S"], min_length=1)
    date_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d"], min_length=1)
    columns: dict[str, ColumnMapping]
    # False for a source sent only when needed (e.g. a sitrep fallback): its absence is not a warning.
    expected_daily: bool = True
    # When the day's first file is due: London time, this many days after the activity day.
    arrives_by: time = time(7, 0)
    arrives_days_after: int = Field(default=1, ge=0)
    # docs/domain.md §7.1: a later file for the same activity day either replaces that day's set ("full": a record
    # absent from it is withdrawn) or adds and updates records ("incremental", never withdraws).
    resend: Literal["full", "incremental"] = "incremental"
    # docs/domain.md §7.1: a later version of an id replaces the earlier one only when its arrival is this close
    # (and its site the same); further apart, the id has been reused for another record.
    identity_window_hours: float = Field(default=IDENTITY_WINDOW_HOURS, gt=0, le=48)
    # domain.md §7.5: the provider's first and last activity days; outside them no file is expected or reported missing.
    active_from: date | None = None
    active_to: date | None = None
    config_path: str = ""

    @field_validator("columns", mode="before")
    @classmethod
    def _expand_shorthand(cls, columns: dict[str, Any]) -> dict[str, Any]:
        return {k: {"column": v} if isinstance(v, str) else v for k, v in columns.items()}

    @field_validator("landing_dir")
    @classmethod
    def _inside_landing_area(cls, folder: str) -> str:
        # A layout reads only under UEC_LANDING: an absolute path or a `..` step could read anything on the host.
        parts = PurePosixPath(folder.replace("\\", "/"))
        if parts.is_absolute() or PureWindowsPath(folder).drive or ".." in parts.parts:
            raise ValueError(f"landing_dir {folder!r} must be a relative folder under the landing area, without '..'")
        return folder

    @field_validator("file_pattern")
    @classmethod
    def _pattern_has_groups(cls, pattern: str) -> str:
        try:
            groups = re.compile(pattern).groupindex
        except re.error as exc:
            raise ValueError(f"file_pattern is not a valid regular expression ({exc})") from None
        missing = {"activity_date"} - set(groups)
        if missing:
            raise ValueError(f"file_pattern needs named groups {sorted(missing)}")
        return pattern

    @field_validator("extracted_at", mode="before")
    @classmethod
    def _rule_shorthand(cls, rule: Any) -> Any:
        return {"from": rule} if isinstance(rule, str) else rule

    @model_validator(mode="after")
    def _extract_rule_fits(self) -> FeedConfig:
        groups = set(self.pattern.groupindex)
        if self.extracted_at.source == "file_name":
            if "extracted_at" not in groups:
                raise ValueError(
                    "file_pattern needs a named group 'extracted_at', or set 'extracted_at' to 'arrival' (the file's "
                    "arrival in the landing area) or to {from: fixed, at: 'HH:MM', days_after: N}"
                )
            if self.extracted_at_format is None:
                raise ValueError("extracted_at_format is needed to read the extract time in the file name")
        elif "extracted_at" in groups or self.extracted_at_format is not None:
            raise ValueError(
                f"extracted_at comes from '{self.extracted_at.source}': drop file_pattern's 'extracted_at' group "
                "and extracted_at_format, which would not be read"
            )
        if self.active_from and self.active_to and self.active_from > self.active_to:
            raise ValueError(f"active_from {self.active_from} is after active_to {self.active_to}")
        return self

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.file_pattern)

    @property
    def source_columns(self) -> list[str]:
        """Source columns the file must carry, in mapping order, each once."""
        return list(dict.fromkeys(m.column for m in self.columns.values() if m.column))

    def match(self, file: str | os.PathLike[str]) -> tuple[date, datetime] | None:
        """Activity date and extract time (London wall-clock) of a file, or None if its name is not this feed's.

        Give the file's path when the layout's extract time is its arrival: that is read from the file itself.
        """
        m = self.pattern.match(os.path.basename(file))
        if not m:
            return None
        try:
            activity = datetime.strptime(m["activity_date"], self.activity_date_format).date()
        except ValueError:  # shaped like a date but not one (20251345): not a file this layout can place
            return None
        rule = self.extracted_at
        if rule.source == "file_name":
            assert self.extracted_at_format is not None  # _extract_rule_fits: reading from the name needs it
            try:
                extracted = datetime.strptime(m["extracted_at"], self.extracted_at_format)
            except ValueError:
                return None
        elif rule.source == "fixed":
            assert rule.at is not None  # ExtractRule._fixed_has_a_time
            extracted = datetime.combine(activity + timedelta(days=rule.days_after), rule.at)
        elif isinstance(file, str) and os.path.basename(file) == file:
            raise ValueError(f"{self.provider_code}: the extract time is the file's arrival; give its path, not {file}")
        else:
            # Whole seconds: files copied in together land milliseconds apart in no meaningful order, so
            # their version suffix decides. fromtimestamp keeps `fold`, which places the repeated October hour.
            extracted = datetime.fromtimestamp(int(os.stat(file).st_mtime), LONDON).replace(tzinfo=None)
        version = self._version(m)
        if version is None:
            return None
        # The version as microseconds: re-sends whose extract times tie (a fixed rule always ties) take the
        # version's order everywhere files are ordered by extract time, the warehouse's record versions included.
        return activity, (extracted + timedelta(microseconds=version)).replace(fold=extracted.fold)

    def _version(self, m: re.Match[str]) -> int | None:
        """The re-send's number from the optional `version` group (`_v2` is 2; no suffix is 0); None if too large."""
        text = m.groupdict().get("version")
        digits = re.search(r"\d+", text) if text else None
        number = int(digits.group()) if digits else 0
        return number if number < 1_000_000 else None

    def active_on(self, day: date) -> bool:
        """Whether the day is within the provider's active dates (docs/domain.md §7.5)."""
        return (self.active_from or day) <= day <= (self.active_to or day)

    def expects_file(self, day: date) -> bool:
        """Whether a file is expected for the day: a missing one is then reported."""
        return self.expected_daily and self.active_on(day)

    def due_at(self, day: date) -> datetime:
        """When the first file for an activity day is due, as an aware Europe/London time."""
        return datetime.combine(day + timedelta(days=self.arrives_days_after), self.arrives_by, tzinfo=LONDON)

    def file_format(self, file_name: str) -> str:
        """A provider may send corrections as a workbook: the extension wins over the default."""
        return "xlsx" if file_name.lower().endswith(".xlsx") else self.format


class RegistryError(ValueError):
    pass


# What `uec feeds init` writes where it could not decide: a draft with one left is never loaded.
TODO = "TODO"


def draft_todos(raw: Any, where: str = "") -> list[str]:
    """The settings of a layout still holding a TODO placeholder, as dotted paths (columns.site_code.values.RDH)."""
    if isinstance(raw, dict):
        return [todo for key, value in raw.items() for todo in draft_todos(value, f"{where}{key}.")]
    if isinstance(raw, list):
        return [todo for value in raw for todo in draft_todos(value, where)]
    return [where.rstrip(".")] if isinstance(raw, str) and raw.strip() == TODO else []


def _what_is_wrong(error: ErrorDetails) -> str:
    """One pydantic error as '<field>: <what is expected>', without pydantic's type tags, input dump or URL."""
    field = ".".join(str(part) for part in error["loc"])
    kind, message = error["type"], re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
    if not field:  # a rule across settings names its own fields
        return message
    if kind == "missing":
        return f"{field}: missing (every layout must set it)"
    if kind == "extra_forbidden":
        known = ColumnMapping.model_fields if error["loc"][0] == "columns" else FeedConfig.model_fields
        return f"{field}: not a layout setting (known here: {', '.join(k for k in known if k != 'config_path')})"
    message = re.sub(r"^Input ", "", message)
    got = error.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float) and len(repr(got)) <= 60 else ""
    if error["loc"] and message.startswith(f"{error['loc'][-1]} "):  # the validator named its field already
        return f"{field}{message[len(str(error['loc'][-1])) :]}{shown}"
    return f"{field}: {message[:1].lower()}{message[1:]}{shown}"


@lru_cache(maxsize=4096)
def _parse_config(path: str, text: str) -> FeedConfig:
    # Keyed on the file's text, so an edited layout is read afresh: a run reads the layouts many
    # times (each asset, check and the brief), and parsing 200 providers' YAML each time cost seconds.
    try:
        raw = safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise RegistryError(f"feed config {path} is not readable YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise RegistryError(f"feed config {path} is invalid: it is not a mapping of settings")
    if todos := draft_todos(raw):
        raise RegistryError(
            f"feed config {path} is a draft from `uec feeds init` with TODOs still to fill: {', '.join(todos)}"
        )
    try:
        return FeedConfig.model_validate({**raw, "config_path": path})
    except ValidationError as exc:
        # One line naming the file, each field and what it expects: an analyst reads it in `uec status`.
        problems = "; ".join(_what_is_wrong(error) for error in exc.errors())
        raise RegistryError(f"feed config {path} is invalid: {problems}") from None


@dataclass(frozen=True)
class BrokenLayout:
    """A provider layout that cannot be used: named by its file, with the reason, so only its provider stops."""

    feed: str
    path: Path
    provider_code: str
    reason: str


def _provider_named(text: str, path: Path) -> str:
    # The provider a broken layout is for, when its YAML still says; otherwise its file's name.
    try:
        raw = safe_load(text)
    except yaml.YAMLError:
        raw = None
    code = raw.get("provider_code") if isinstance(raw, dict) else None
    return str(code) if code else path.stem


def load_feed_layouts(feed: str, feeds_dir: Path | str = FEEDS_DIR) -> tuple[list[FeedConfig], list[BrokenLayout]]:
    """Every provider layout for a feed: the valid ones by provider code, and the broken ones with their reasons.

    One provider's typo (an unbalanced bracket in its file pattern, a missing key) stops that provider only.
    """
    folder = Path(feeds_dir) / feed
    configs: list[FeedConfig] = []
    broken: list[BrokenLayout] = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            config = _parse_config(str(path), text)
            if config.feed != feed:
                raise RegistryError(f"feed config {path} says feed '{config.feed}' but sits under '{feed}'")
        except (RegistryError, yaml.YAMLError) as exc:
            broken.append(BrokenLayout(feed, path, _provider_named(text, path), str(exc)))
            continue
        configs.append(config)
    codes = [c.provider_code for c in configs]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        # Two layouts claiming one provider: neither can be trusted to be the right one.
        twins = [c for c in configs if c.provider_code == code]
        broken += [
            BrokenLayout(feed, Path(c.config_path), code, f"feed '{feed}' has more than one layout for provider {code}")
            for c in twins
        ]
        configs = [c for c in configs if c.provider_code != code]
    return sorted(configs, key=lambda c: c.provider_code), broken


def load_feed_configs(feed: str, feeds_dir: Path | str = FEEDS_DIR) -> list[FeedConfig]:
    """The valid provider layouts for a feed, by provider code (callers share the objects: do not change them)."""
    return load_feed_layouts(feed, feeds_dir)[0]
