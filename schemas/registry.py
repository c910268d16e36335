"""Provider feed registry: each provider's file layout, read from YAML under schemas/feeds/<feed>/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.clock import LONDON

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


class FeedConfig(BaseModel):
    """One provider's layout for one feed."""

    model_config = ConfigDict(extra="forbid")

    feed: str
    provider_code: str
    provider_name: str
    landing_dir: str
    file_pattern: str
    activity_date_format: str
    extracted_at_format: str
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
    # Brief 7.1: a later file for the same activity day either replaces that day's set ("full": a record
    # absent from it is withdrawn) or adds and updates records ("incremental", never withdraws).
    resend: Literal["full", "incremental"] = "incremental"
    # Brief 7.1: a later version of an id replaces the earlier one only when its arrival is this close
    # (and its site the same); further apart, the id has been reused for another record.
    identity_window_hours: float = Field(default=12, gt=0, le=48)
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
        missing = {"activity_date", "extracted_at"} - set(groups)
        if missing:
            raise ValueError(f"file_pattern needs named groups {sorted(missing)}")
        return pattern

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.file_pattern)

    @property
    def source_columns(self) -> list[str]:
        """Source columns the file must carry, in mapping order, each once."""
        return list(dict.fromkeys(m.column for m in self.columns.values() if m.column))

    def match(self, file_name: str) -> tuple[date, datetime] | None:
        """Activity date and extract time from a file name, or None if the name is not this feed's."""
        m = self.pattern.match(file_name)
        if not m:
            return None
        try:
            activity = datetime.strptime(m["activity_date"], self.activity_date_format).date()
            extracted = datetime.strptime(m["extracted_at"], self.extracted_at_format)
        except ValueError:  # shaped like a date but not one (20251345): not a file this layout can place
            return None
        return activity, extracted

    def due_at(self, day: date) -> datetime:
        """When the first file for an activity day is due, as an aware Europe/London time."""
        return datetime.combine(day + timedelta(days=self.arrives_days_after), self.arrives_by, tzinfo=LONDON)

    def file_format(self, file_name: str) -> str:
        """A provider may send corrections as a workbook: the extension wins over the default."""
        return "xlsx" if file_name.lower().endswith(".xlsx") else self.format


class RegistryError(ValueError):
    pass


# libyaml's parser when PyYAML was built with it: the same safe loading, about ten times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=4096)
def _parse_config(path: str, text: str) -> FeedConfig:
    # Keyed on the file's text, so an edited layout is read afresh: a run reads the layouts many
    # times (each asset, check and the brief), and parsing 200 providers' YAML each time cost seconds.
    raw = yaml.load(text, Loader=_YAML_LOADER) or {}
    if not isinstance(raw, dict):
        raise RegistryError(f"feed config {path} is invalid: it is not a mapping of settings")
    try:
        return FeedConfig(**raw, config_path=path)
    except (ValueError, TypeError) as exc:
        raise RegistryError(f"feed config {path} is invalid: {exc}") from exc


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
        raw = yaml.load(text, Loader=_YAML_LOADER)
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
