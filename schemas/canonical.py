"""Building blocks for a feed's canonical schema: the columns a provider mapping fills."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# duration: elapsed time written `HH:MM:SS` or `HH:MM:SS.ffffff` (hours may pass 23: a total of `1234:05:06`), stored as
# minutes (double), as NHS England publishes the daily ambulance collection's mean and total handover times.
Kind = Literal["text", "integer", "decimal", "boolean", "date", "local_datetime", "nhs_number", "duration"]

# What a coded text value becomes when the file's code is not understood (docs/domain.md §7.2): the record still
# counts, under "unknown" for that field. Numbers, times and yes/no values become null instead.
UNKNOWN = "unknown"
RECORD_QUARANTINED = "record quarantined"
VALUE_SET_TO_UNKNOWN = "value set to unknown"


@dataclass(frozen=True)
class Canonical:
    """One canonical column: its kind decides how source text is parsed."""

    name: str
    kind: Kind
    # A provider's mapping must supply it; checked when the registry is loaded.
    required: bool = False
    # For a wall-clock time in the repeated autumn hour: pick the reading not before this column.
    not_before: str | None = None
    # Typed by a person (a comment, a note): NHS numbers in it are removed before it is stored (docs/domain.md §7.4).
    # Every other mapped column is scrubbed the same way (a number slides into one from a short row); the
    # flag says a removal there is expected, not a fault.
    free_text: bool = False
    # Names the record (attendance id, incident, case): an id holding an NHS number is stored as its keyed
    # hash instead of the marker, so a re-send still finds the version it replaces.
    identifies_record: bool = False
    # A failing value here is set to unknown and the record still loads (docs/domain.md §7.2). Left False, a failing
    # value quarantines the whole record: right for what identifies or places a record (id, site, arrival),
    # and the safe default for a new feed until someone decides which of its values may be unknown.
    unknown_on_fault: bool = False
    # A duration is stored in minutes (a mean handover time) or hours (a day's total handover time, hours lost).
    duration_in: Literal["minutes", "hours"] = "minutes"

    @property
    def utc_name(self) -> str:
        return self.name.removesuffix("_at") + "_utc"


@dataclass(frozen=True)
class Reference:
    """Reference codes a contract checks against, read from the warehouse's ref tables."""

    sites: list[str]
    providers: list[str]


@dataclass(frozen=True)
class FeedSpec:
    """A feed's canonical columns plus the name used in the warehouse and quarantine."""

    feed: str
    columns: tuple[Canonical, ...]
    # What identifies one record within a file; the warehouse rechecks it after loading.
    key: tuple[str, ...] = ()

    def by_name(self) -> dict[str, Canonical]:
        return {c.name: c for c in self.columns}

    def unknown_values(self) -> dict[str, dict[str, object]]:
        """For each column an error can name whose failure only removes the value: the typed columns to overwrite.

        An error names the canonical column (a parse failure) or what was derived from it (`<event>_utc`,
        `patient_key`); a name not listed here (a key column, the truncated "row") quarantines the record.
        """
        fills: dict[str, dict[str, object]] = {}
        for column in self.columns:
            if not column.unknown_on_fault:
                continue
            if column.kind == "local_datetime":
                fills[column.name] = fills[column.utc_name] = {column.name: None, column.utc_name: None}
            elif column.kind == "nhs_number":
                fills[column.name] = fills["patient_key"] = {"patient_key": None}
            else:
                fills[column.name] = {column.name: UNKNOWN if column.kind == "text" else None}
        return fills

    def check_mapping(self, mapped: set[str], config_path: str) -> None:
        known = set(self.by_name())
        unknown = mapped - known
        missing = {c.name for c in self.columns if c.required} - mapped
        problems = []
        if unknown:
            problems.append(f"maps unknown canonical columns {sorted(unknown)} (known: {sorted(known)})")
        if missing:
            problems.append(f"does not map required canonical columns {sorted(missing)}")
        if problems:
            raise ValueError(f"feed config {config_path} " + "; ".join(problems))
