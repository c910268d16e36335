"""One provider's mistake stops that provider only: a broken layout, or an unreadable file with a good one after it."""

from __future__ import annotations

from pathlib import Path

from tests.support.ingest import DAY, ingest
from tests.support.rows import crh_row, uhdb_row
from tests.support.warehouse import Env


def _feeds_with_a_broken_crh_layout(env: Env, tmp_path: Path) -> None:
    """The shipped layouts, with CRH's file pattern given an unbalanced bracket (a real typo)."""
    feeds, _ = env.own_configuration(tmp_path)
    crh = feeds / "ed_attendances" / "crh.yaml"
    crh.write_text(crh.read_text().replace("file_pattern: '^CRH_AE_(", "file_pattern: '^CRH_AE_(("))


def test_a_broken_layout_is_rejected_by_name_and_the_other_provider_loads(env: Env, tmp_path: Path):
    _feeds_with_a_broken_crh_layout(env, tmp_path)
    env.write_crh(DAY, "202501160530", [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:00")])
    result = ingest(env, other="uhdb")  # asserts UHDB's good file loaded
    [(provider, name, reason)] = result.rejected_rows()
    assert (provider, name) == ("RFS", "crh.yaml")
    assert "file_pattern is not a valid regular expression" in reason and "crh.yaml" in reason
    assert result.failed_providers == ["RFS"]  # RFS's day is kept as it was, not emptied


def test_an_unreadable_early_file_does_not_block_a_good_later_one(env: Env):
    # 06:00: an empty file (the extract job failed); 08:00: the real one. The 08:00 file supersedes it.
    folder = env.landing / "ed_attendances" / "uhdb"
    folder.mkdir(parents=True)
    (folder / "UHDB_ED_20250115_20250116T0600.csv").write_bytes(b"")
    env.write_uhdb("20250115", "20250116T0800", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
    result = ingest(env, other="crh")
    assert result.rows(provider_code="RTG")["record_id"].to_list() == ["A1"]
    [(provider, name, _)] = result.rejected_rows()
    assert (provider, name) == ("RTG", "UHDB_ED_20250115_20250116T0600.csv")
    assert result.failed_providers == []


def test_an_unreadable_latest_file_still_keeps_the_providers_day(env: Env):
    # The newest file is the bad one: loading the older one alone could miss its corrections.
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
    (env.landing / "ed_attendances" / "uhdb" / "UHDB_ED_20250115_20250116T0800.csv").write_bytes(b"")
    result = ingest(env, other="crh")
    assert result.rows(provider_code="RTG").height == 0 and result.failed_providers == ["RTG"]


def test_a_broken_layout_leaves_the_other_providers_marts_and_the_brief_built(env: Env, tmp_path: Path):
    _feeds_with_a_broken_crh_layout(env, tmp_path)
    env.write_crh(DAY, "202501160530", [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:00")])
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
    result = env.materialize(DAY, brief=True, raise_on_error=False)
    assert result.success
    assert env.query("select distinct site_code from marts.ed_four_hour_daily").rows() == [("RTG01",)]
    readable = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "every_landed_file_readable" and e.asset_key.to_user_string() == "raw/ed_attendances"
    )
    assert not readable.passed and "RFS crh.yaml" in readable.description
    brief = (env.root / "reports" / "brief-2025-01-15.html").read_text()
    assert "RFS" in brief and "rejected" in brief
