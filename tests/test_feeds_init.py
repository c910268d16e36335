"""`uec feeds init` drafts a layout from a sample; filled in, it loads what the real layout loads."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.cli.dry_run import _reference, check_file
from pipelines.cli.feeds_init import init_layout
from pipelines.ingest.batch import ingest_file
from pipelines.ingest.landing import LandedFile
from pipelines.resources import FeedFilesResource
from schemas import catalogue
from schemas.registry import TODO, FeedConfig, draft_todos, load_feed_layouts
from tests.support.cli import uec
from tests.support.warehouse import Env

SHIPPED = FeedFilesResource()
LANDING = Path(__file__).parents[1] / "data_samples" / "landing"
# (feed, landing folder, the real layout's file, the sample): each bundled provider's first file, and CRH's
# correction workbook, which a CSV provider may send.
SAMPLES = [
    (feed, folder.name, folder.name, sorted(folder.iterdir())[0])
    for feed_dir in sorted(LANDING.iterdir())
    for folder in sorted(feed_dir.iterdir())
    for feed in [feed_dir.name]
] + [("ed_attendances", "crh", "crh", sorted((LANDING / "ed_attendances" / "crh").glob("*.xlsx"))[0])]


def _draft(tmp_path: Path, provider: str, sample: Path) -> tuple[Path, list[str]]:
    said: list[str] = []
    feeds = tmp_path / "feeds"
    assert init_layout(provider, sample, None, None, str(feeds), SHIPPED.reference_dir, said.append) == 0, said
    [written] = feeds.glob("*/*.yaml")
    return written, said


def _filled(draft: dict, real: dict) -> dict:
    """The draft with each setting or column still holding a TODO taken from the real layout, as an engineer would."""
    filled = {key: real[key] if draft_todos(value) else value for key, value in draft.items()}
    filled["columns"] = {
        name: real["columns"][name] if draft_todos(mapping) else mapping for name, mapping in draft["columns"].items()
    }
    # An optional column the draft could not match by name is a comment line ("not matched"): filled likewise.
    filled["columns"] |= {name: m for name, m in real["columns"].items() if name not in filled["columns"]}
    return filled


def _run(config: FeedConfig, sample: Path) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    found = config.match(sample.name)
    assert found, f"{sample.name} does not fit {config.file_pattern}"
    feed = catalogue.feed(config.feed)
    contract = feed.contract(_reference(SHIPPED.reference_dir), found[0])
    return ingest_file(LandedFile(sample, *found), config, feed.spec, contract)


@pytest.mark.parametrize("feed, provider, real_name, sample", SAMPLES, ids=lambda v: getattr(v, "name", v))
def test_a_drafted_layout_filled_from_the_real_one_loads_the_same_rows(
    tmp_path: Path, feed: str, provider: str, real_name: str, sample: Path
):
    written, said = _draft(tmp_path, provider, sample)
    assert written == tmp_path / "feeds" / feed / f"{provider}.yaml"
    draft = yaml.safe_load(written.read_text())
    real = yaml.safe_load((Path(SHIPPED.feeds_dir) / feed / f"{real_name}.yaml").read_text())

    # The draft, as written, is refused everywhere while a TODO is left, naming the file and each TODO.
    todos = draft_todos(draft)
    configs, broken = load_feed_layouts(feed, tmp_path / "feeds")
    if todos:
        assert configs == [] and "TODOs still to fill" in broken[0].reason and str(written) in broken[0].reason
        # Each TODO in the file is in the list printed for the engineer.
        assert all(any(line.startswith(f"    {todo}") for line in said) for todo in todos)
    # What the sample itself shows is decided, not left for the engineer.
    # (A CSV provider's layout reads its correction workbooks too: the draft from one says xlsx.)
    reading = ("encoding", "delimiter", "format") if sample.suffix == ".csv" else ()
    for key in ("activity_date_format", "extracted_at_format", *reading):
        if key in real and key in draft:
            assert draft[key] == real[key] or (key == "encoding" and {draft[key], real[key]} == {"utf-8-sig", "utf-8"})

    filled = _filled(draft, real)
    assert draft_todos(filled) == []
    written.write_text(yaml.safe_dump(filled, sort_keys=False))
    [config], broken = load_feed_layouts(feed, tmp_path / "feeds")
    assert broken == []
    real_config = FeedConfig(**real, config_path="real")
    loaded, quarantined, record = _run(config, sample)
    real_loaded, real_quarantined, real_record = _run(real_config, sample)
    assert record["rows_read"] == real_record["rows_read"] > 0
    assert (record["rows_loaded"], record["rows_quarantined"]) == (
        real_record["rows_loaded"],
        real_record["rows_quarantined"],
    )
    # Every loaded value the same, but the sender's code: the draft takes it from PROVIDER (emas) for checking.
    shared = [c for c in real_loaded.columns if c in loaded.columns and c != "provider_code"]
    assert loaded.select(shared).equals(real_loaded.select(shared))

    # And `uec feeds check` accepts the finished layout as it accepts the real one.
    checked: list[str] = []
    assert check_file(provider, sample, str(tmp_path / "feeds"), SHIPPED.reference_dir, checked.append) == (
        check_file(real_config.provider_code, sample, SHIPPED.feeds_dir, SHIPPED.reference_dir, lambda _: None)
    )
    assert f"rows read {real_record['rows_read']:,}: would load {real_record['rows_loaded']:,}" in "\n".join(checked)


def test_the_draft_decides_what_the_sample_shows_and_leaves_the_rest_as_todos(tmp_path: Path):
    sample = sorted((LANDING / "ed_attendances" / "uhdb").iterdir())[0]
    written, said = _draft(tmp_path, "uhdb", sample)
    draft = yaml.safe_load(written.read_text())
    # A version suffix is allowed before the extension, for a re-send of the day (docs/domain.md §7.5).
    assert draft["file_pattern"] == (
        r"^UHDB_ED_(?P<activity_date>\d{8})_(?P<extracted_at>\d{8}T\d{4})(?P<version>_v\d+)?\.csv$"
    )
    assert (draft["encoding"], draft["delimiter"]) == ("utf-8-sig", ",")
    assert draft["datetime_formats"] == ["%Y-%m-%d %H:%M:%S"]
    # Matched by name: case, underscores and a time word (DTTM) aside.
    assert draft["columns"]["arrival_at"] == "ARRIVAL_DTTM" and draft["columns"]["nhs_number"] == "NHS_NUMBER"
    # A coded column lists the codes the sample holds, each a TODO until someone says what it means.
    assert draft["columns"]["site_code"] == {"column": "SITE", "values": {"QHB": TODO, "RDH": TODO}}
    assert "columns.site_code.values.RDH: what 'RDH' means in site_code" in "\n".join(said)
    # No NHS number is copied into the layout or the report.
    assert "999" not in written.read_text() and "999" not in "\n".join(said)


def test_init_never_overwrites_a_layout(tmp_path: Path):
    sample = sorted((LANDING / "ed_attendances" / "uhdb").iterdir())[0]
    said: list[str] = []
    assert init_layout("uhdb", sample, None, None, SHIPPED.feeds_dir, SHIPPED.reference_dir, said.append) == 2
    assert "exists already: not overwritten" in said[0]


def test_uec_feeds_init_as_an_analyst_runs_it(env: Env, tmp_path: Path):
    sample = sorted((LANDING / "ambulance_handovers" / "emas").iterdir())[0]
    out = tmp_path / "emas.yaml"
    done = uec(env, "feeds", "init", "emas", str(sample), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"Wrote a draft layout for feed ambulance_handovers to {out}" in done.stdout
    assert "columns.site_code.values.RDH: what 'RDH' means in site_code" in done.stdout
    assert f"Then: uec feeds check emas {sample} (after moving it under " in done.stdout
    assert yaml.safe_load(out.read_text())["columns"]["incident_id"] == "Incident Number"
    again = uec(env, "feeds", "init", "emas", str(sample), "--out", str(out))
    assert again.returncode == 2 and "not overwritten" in again.stdout
