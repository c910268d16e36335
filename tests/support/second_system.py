"""A provider of a second system: Tameside and Glossop (RMP), in NHS Greater Manchester ICB (QOP), sending in UHDB's
layout under its own name, added to a copy of the configuration (Env.own_configuration)."""

from __future__ import annotations

from pathlib import Path

from pipelines.resources import FeedFilesResource

RMP_LAYOUT = (
    (Path(FeedFilesResource().feeds_dir) / "ed_attendances" / "uhdb.yaml")
    .read_text()
    .replace("provider_code: RTG", "provider_code: RMP")
    .replace("provider_name: University Hospitals of Derby and Burton", "provider_name: Tameside and Glossop")
    .replace("landing_dir: ed_attendances/uhdb", "landing_dir: ed_attendances/tgicft")
    .replace("^UHDB_ED_", "^TGICFT_ED_")
    .replace("values: {RDH: RTG01, QHB: RTGFG}", "values: {TGH: RMP01}")
)
RMP_SITE = (
    "RMP01,Tameside General Hospital,RMP,Tameside and Glossop Integrated Care NHS Foundation Trust,QOP,"
    "NHS Greater Manchester ICB,no\n"
)
RMP_PROVIDER = "RMP,Tameside and Glossop Integrated Care NHS Foundation Trust,acute,QOP,no\n"


def add_tameside(feeds: Path, reference: Path) -> None:
    """Tameside's layout, site and provider added to copied feed configs and reference data."""
    (feeds / "ed_attendances" / "tgicft.yaml").write_text(RMP_LAYOUT)
    with (reference / "sites.csv").open("a") as sites:
        sites.write(RMP_SITE)
    with (reference / "providers.csv").open("a") as providers:
        providers.write(RMP_PROVIDER)
