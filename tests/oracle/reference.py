"""The reference data the marts join to, read straight from schemas/reference (no pipeline loaders)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Reference:
    sites: dict[str, dict[str, str]]  # site code -> its sites.csv row
    providers: dict[str, dict[str, str]]  # provider code -> its providers.csv row
    opel: dict  # opel.yaml as written


def read_reference(folder: Path) -> Reference:
    def rows(name: str, key: str) -> dict[str, dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as f:
            return {r[key]: r for r in csv.DictReader(f)}

    opel = yaml.safe_load((folder / "opel.yaml").read_text(encoding="utf-8"))
    return Reference(rows("sites.csv", "site_code"), rows("providers.csv", "provider_code"), opel)
