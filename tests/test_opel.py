"""Hand-worked OPEL: derived score and level, timeliness at 11:00, latest-before-cut-off, system level, cross-check.

The domain §7.3 rules on the day (on time, changed before 11:00, changed after 11:00, late only, nothing) share one
materialised day, one provider per rule, each asserted by its own test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.resources import FeedFilesResource
from tests.support.rows import emas_row, opel_row, uhdb_row
from tests.support.warehouse import TEST_KEY, Env

SMALL_CONFIG = """
parameters:
  mean_handover_minutes: {weight: 2, direction: higher_is_worse, bounds: [15, 30, 60]}
  ed_4h_pct:             {weight: 1, direction: higher_is_better, bounds: [78, 70, 60]}
score_bands: [3, 6, 9, 12]
system:
  weights: {RTG: 3, RFS: 2, RX9: 1, RY8: 1, RXM: 1, DHU: 1}
  score_bands: [1.5, 2.5, 3.5, 4.0]
"""
HANDOVER, FOUR_HOUR = "Mean Handover (mins)", "4hr Performance %"


@pytest.fixture
def small_config(env: Env, tmp_path: Path) -> Env:
    reference = tmp_path / "reference"
    shutil.copytree(FeedFilesResource().reference_dir, reference)
    (reference / "opel.yaml").write_text(SMALL_CONFIG)
    env.reference_dir = str(reference)
    return env


def _opel(env: Env, day: str) -> dict[str, dict]:
    return {
        r["provider_code"]: r
        for r in env.query("select * from marts.opel_daily where date = $d", d=day).iter_rows(named=True)
    }


def test_every_acute_parameter_has_a_range_rule():
    from schemas import opel_submissions as opel

    assert set(opel.ACUTE_PARAMETERS) == {*opel.MINUTES, *opel.SHARES, *opel.OVER_CAPACITY, *opel.VARIATION}


def test_derived_score_and_level_hand_worked(small_config: Env):
    env = small_config
    env.write_opel(
        "20250115",
        "202501151200",
        [
            # RTG: handover 30 is on the bound, so level 2 (x2 = 4); 4-hour 70 is on its bound, level 2 (x1 = 2).
            # Score 4 + 2 = 6, on the OPEL 2 bound (<= 6): derived OPEL 2.
            opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3, **{HANDOVER: "30", FOUR_HOUR: "70"}),
            # RFS: handover 30.01 just over: level 3 (x2 = 6); 4-hour 69.9 just under: level 3 (x1 = 3).
            # Score 9: OPEL 3.
            opel_row("RFS", "15/01/2025", "15/01/2025 09:00:00", 3, **{HANDOVER: "30.01", FOUR_HOUR: "69.9"}),
            # RY8 sends only a handover of 61: level 4 x 2 = 8, scaled to full weight 8 x 3 / 2 = 12: OPEL 4.
            opel_row("RY8", "15/01/2025", "15/01/2025 09:00:00", 2, **{HANDOVER: "61"}),
            opel_row("RX9", "15/01/2025", "15/01/2025 09:00:00", 2),  # no parameters: nothing derived
        ],
    )
    env.materialize("2025-01-15")
    opel = _opel(env, "2025-01-15")
    assert (opel["RTG"]["derived_score"], opel["RTG"]["derived_level"], opel["RTG"]["level_gap"]) == (6, 2, 1)
    assert (opel["RFS"]["derived_score"], opel["RFS"]["derived_level"]) == (9, 3)
    assert (opel["RY8"]["derived_score"], opel["RY8"]["derived_level"], opel["RY8"]["parameters_scored"]) == (12, 4, 1)
    assert opel["RX9"]["derived_level"] is None and opel["RX9"]["derived_score"] is None
    contributions = env.query(
        "select parameter, value, level, contribution from marts.opel_parameter_scores where provider_code = 'RTG' "
        "order by 1"
    ).rows()
    assert contributions == [("ed_4h_pct", 70.0, 2, 2.0), ("mean_handover_minutes", 30.0, 2, 4.0)]

    # System: weighted mean of declared levels over providers that declared (RXM and DHU did not):
    # (3 x RTG 3 + 2 x RFS 3 + 1 x RY8 2 + 1 x RX9 2) / (3 + 2 + 1 + 1) = 19 / 7 = 2.714: above 2.5, OPEL 3.
    system = env.query("select * from marts.opel_system_daily").row(0, named=True)
    assert system["system_score"] == pytest.approx(19 / 7) and system["system_level"] == 3
    assert (system["providers_expected"], system["providers_declared"], system["providers_missing"]) == (
        6,
        4,
        "DHU, RXM",
    )


def test_timeliness_at_eleven_on_the_spring_clock_change(env: Env):
    # Sunday 30 March 2025 is in BST from 01:00: 11:00 local is 10:00 UTC.
    env.write_opel(
        "20250330",
        "202503301200",
        [
            opel_row("RTG", "30/03/2025", "30/03/2025 11:00:00", 3),  # exactly 11:00: on time
            opel_row("RFS", "30/03/2025", "30/03/2025 11:00:01", 2),  # one second late
            opel_row("RY8", "30/03/2025", "30/03/2025 11:30:00", 2),  # 10:30 UTC: late (a UTC comparison would miss it)
            opel_row("DHU", "30/03/2025", "30/03/2025 08:00:00", 2),
            opel_row("DHU", "30/03/2025", "30/03/2025 10:00:00", 3),  # changed during the day
            # RX9 and RXM send nothing.
        ],
    )
    env.materialize("2025-03-30")
    opel = _opel(env, "2025-03-30")
    assert set(opel) == {"RTG", "RFS", "RX9", "RY8", "RXM", "DHU"}  # a missing provider is a row, not a gap
    flags = {code: (r["is_late"], r["is_missing"], r["declared_level"]) for code, r in opel.items()}
    assert flags["RTG"] == (False, False, 3)
    assert flags["RFS"] == (True, True, 2)  # late; nothing by 11:00, so also missing at the cut-off
    assert flags["RY8"] == (True, True, 2)
    assert flags["RX9"] == (False, True, None) and flags["RXM"] == (False, True, None)
    # DHU's 08:00 OPEL 2 -> 10:00 OPEL 3 is history before the cut-off, not a change of the day's level (domain §7.3).
    assert flags["DHU"] == (False, False, 3) and not opel["DHU"]["changed_during_day"]


def test_timeliness_on_the_autumn_clock_change(env: Env):
    # Sunday 26 October 2025 is in GMT from 02:00: 11:00 local is 11:00 UTC.
    env.write_opel(
        "20251026",
        "202510261200",
        [
            opel_row("RTG", "26/10/2025", "26/10/2025 10:59:59", 2),
            opel_row("RFS", "26/10/2025", "26/10/2025 11:00:01", 2),
        ],
    )
    env.materialize("2025-10-26")
    opel = _opel(env, "2025-10-26")
    assert (opel["RTG"]["is_late"], opel["RTG"]["is_missing"]) == (False, False)
    assert (opel["RFS"]["is_late"], opel["RFS"]["is_missing"]) == (True, True)


def test_latest_before_cut_off_wins_and_every_submission_is_kept(env: Env):
    env.write_opel(
        "20250115",
        "202501151130",
        [
            opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3),
            opel_row("RTG", "15/01/2025", "15/01/2025 10:45:00", 2),
        ],
    )
    # A later export repeats both and adds a re-submission after the cut-off.
    env.write_opel(
        "20250115",
        "202501151600",
        [
            opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3),
            opel_row("RTG", "15/01/2025", "15/01/2025 10:45:00", 2),
            opel_row("RTG", "15/01/2025", "15/01/2025 11:30:00", 4),
        ],
    )
    env.materialize("2025-01-15")
    rtg = _opel(env, "2025-01-15")["RTG"]
    # Declared = latest at or before 11:00 (10:45, OPEL 2), not the later OPEL 4.
    assert (rtg["declared_level"], str(rtg["submitted_at"]), rtg["submissions"]) == (2, "2025-01-15 10:45:00", 3)
    # The 11:30 OPEL 4 is shown beside the 11:00 level, not instead of it (docs/domain.md §7.3).
    assert (rtg["changed_during_day"], rtg["changed_to_level"], str(rtg["changed_at"])) == (
        True,
        4,
        "2025-01-15 11:30:00",
    )
    assert not rtg["is_late"]
    # The audit table keeps every row of every export: 2 + 3.
    assert env.query("select count(*) from raw.opel_submissions where org_code = 'RTG'").item() == 5


def test_cross_check_sits_beside_the_pipeline_figures(env: Env):
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("E1", "2025-01-15 08:00:00", "2025-01-15 10:00:00"),
            uhdb_row("E2", "2025-01-15 08:00:00", "2025-01-15 13:00:00"),  # breach: 1 of 2 within -> 50%
        ],
    )
    env.write_emas(
        "20250115",
        "20250116040000",
        [
            emas_row("H1", "15-Jan-2025 08:00:00", "15-Jan-2025 08:20:00"),
            emas_row("H2", "15-Jan-2025 09:00:00", "15-Jan-2025 09:40:00"),  # mean (20 + 40) / 2 = 30
        ],
    )
    env.write_opel(
        "20250115",
        "202501151200",
        [
            opel_row(
                "RTG",
                "15/01/2025",
                "15/01/2025 10:00:00",
                3,
                **{HANDOVER: "41", FOUR_HOUR: "72.5", "% >12hrs in ED": "4"},
            ),
        ],
    )
    env.materialize("2025-01-15")
    rtg = _opel(env, "2025-01-15")["RTG"]
    ed = env.query(
        "select pct_within_4h, pct_over_12h from marts.ed_four_hour_trust where org_code = 'RTG' and period = "
        "'day' and scope = 'all_types'"
    ).row(0)
    handover = env.query(
        "select mean_minutes from marts.handover_trust where org_code = 'RTG' and period = 'day'"
    ).item()
    assert (rtg["ed_4h_pct_submitted"], rtg["ed_4h_pct_pipeline"]) == (72.5, ed[0]) and ed[0] == 50.0
    assert (rtg["pct_over_12h_submitted"], rtg["pct_over_12h_pipeline"]) == (4.0, ed[1]) and ed[1] == 0.0
    assert (rtg["mean_handover_submitted"], rtg["mean_handover_pipeline"]) == (41.0, handover) and handover == 30.0


def test_rerun_leaves_opel_tables_identical(small_config: Env):
    env = small_config
    env.write_opel(
        "20250115",
        "202501151200",
        [
            opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3, **{HANDOVER: "30", FOUR_HOUR: "70"}),
            opel_row("RFS", "15/01/2025", "15/01/2025 11:20:00", 2),
            opel_row("RX9", "15/01/2025", "15/01/2025 09:00:00", 9),  # no OPEL 9: quarantined
            opel_row("RY8", "15/01/2025", "15/01/2025 09:00:00", 2, **{"Escalation Beds %": "130"}),  # not a share
        ],
    )
    tables = [
        "raw.opel_submissions",
        "ops.quarantine",
        "marts.opel_daily",
        "marts.opel_parameter_scores",
        "marts.opel_system_daily",
    ]
    env.materialize("2025-01-15")
    reason = env.query(
        "select reason, value, action from ops.quarantine where column_name = 'escalation_beds_pct'"
    ).row(0)
    assert reason == ("between 0 and 100", "130", "value set to unknown")
    # docs/domain.md §7.2: the parameter is unknown, RY8's OPEL 2 stands and RY8 is not missing.
    ry8 = env.query("select declared_level, is_missing from marts.opel_daily where provider_code = 'RY8'").row(0)
    assert ry8 == (2, False)
    assert env.query("select escalation_beds_pct from raw.opel_submissions where org_code = 'RY8'").item() is None
    first = {t: env.query(f"select * from {t} order by all") for t in tables}
    env.materialize("2025-01-15")
    for table in tables:
        assert first[table].height > 0 and first[table].equals(env.query(f"select * from {table} order by all")), table


# docs/domain.md §7.3 on one day, 15 January 2025 (GMT, so local = UTC), one provider per rule. The portal exports at
# 12:00 and again at 16:00 with everything so far: a submission seen in both exports is one submission.
RULES_DAY = "2025-01-15"
MORNING = [
    opel_row("RTG", "15/01/2025", "15/01/2025 09:30:00", 3),  # on time, once
    opel_row("RFS", "15/01/2025", "15/01/2025 08:15:00", 2),  # changed before 11:00 ...
    opel_row("RFS", "15/01/2025", "15/01/2025 10:40:00", 3),  # ... to 3
    opel_row("RX9", "15/01/2025", "15/01/2025 09:00:00", 3),  # on time, then changed after 11:00 (afternoon)
    opel_row("DHU", "15/01/2025", "15/01/2025 09:00:00", 2),  # on time; up and back down after 11:00
    opel_row("RY8", "15/01/2025", "15/01/2025 11:20:00", 2),  # late only (11:20 is before the 12:00 export)
    # RXM sends nothing at all.
]
AFTERNOON = [
    opel_row("RX9", "15/01/2025", "15/01/2025 13:30:00", 4),
    opel_row("DHU", "15/01/2025", "15/01/2025 12:30:00", 3),
    opel_row("DHU", "15/01/2025", "15/01/2025 14:00:00", 2),
    opel_row("RY8", "15/01/2025", "15/01/2025 14:45:00", 3),
]


@pytest.fixture(scope="module")
def rules_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, dg.ExecuteInProcessResult]:
    env = Env(tmp_path_factory.mktemp("opel_rules"))
    env.write_opel("20250115", "202501151200", MORNING)
    env.write_opel("20250115", "202501151600", MORNING + AFTERNOON)
    with pytest.MonkeyPatch.context() as patch:  # module fixtures run outside the per-test key fixture
        patch.setenv(KEY_ENV, TEST_KEY)
        result = env.materialize(RULES_DAY)
    return env, result


MART_COLUMNS = (
    "submissions",
    "declared_level",
    "submitted_at",
    "is_late",
    "is_missing",
    "changed_during_day",
    "changed_to_level",
    "changed_at",
)


def _rule(rules_day: tuple[Env, dg.ExecuteInProcessResult], provider: str) -> tuple:
    env, _ = rules_day
    row = _opel(env, RULES_DAY)[provider]
    return tuple(str(row[c]) if c.endswith("_at") and row[c] is not None else row[c] for c in MART_COLUMNS)


def _brief_opel_rows(env: Env) -> dict[str, str]:
    import re
    from datetime import UTC, date, datetime

    import duckdb

    from pipelines.brief.render import render_brief

    with duckdb.connect(str(env.warehouse), read_only=True) as conn:
        data = env.brief(conn, date(2025, 1, 15), now=datetime(2025, 1, 16, 9, tzinfo=UTC))
        html = render_brief(data, str(env.warehouse))
    return dict(re.findall(r'<tr data-org="(\w+)">(.*?)</tr>', html, re.S))


def test_on_time_declares_the_level_submitted(rules_day):
    # RTG: one submission at 09:30, in both exports -> 1 submission, OPEL 3, on time, nothing changed.
    assert _rule(rules_day, "RTG") == (1, 3, "2025-01-15 09:30:00", False, False, False, None, None)


def test_change_before_eleven_is_history_not_a_change(rules_day):
    # RFS: 08:15 OPEL 2 then 10:40 OPEL 3, both by 11:00 -> the latest by 11:00 (10:40, OPEL 3) is declared,
    # and the day's level did not change: the 08:15 submission is history.
    assert _rule(rules_day, "RFS") == (2, 3, "2025-01-15 10:40:00", False, False, False, None, None)


def test_change_after_eleven_sits_beside_the_eleven_oclock_level(rules_day):
    # RX9: 09:00 OPEL 3, then 13:30 OPEL 4 -> declared stays 3 (09:00); changed after 11:00 to 4 at 13:30.
    assert _rule(rules_day, "RX9") == (2, 3, "2025-01-15 09:00:00", False, False, True, 4, "2025-01-15 13:30:00")
    # DHU: 09:00 OPEL 2, 12:30 OPEL 3, 14:00 OPEL 2 -> the day ends on its 11:00 level: declared 2, no change shown.
    assert _rule(rules_day, "DHU") == (3, 2, "2025-01-15 09:00:00", False, False, False, None, None)
    # The brief's OPEL tile says so beside the 11:00 level; RFS's change before 11:00 is not mentioned.
    tiles = _brief_opel_rows(rules_day[0])
    assert "changed after 11:00</strong> to OPEL 4 at 13:30" in tiles["RX9"]
    assert "changed" not in tiles["RFS"] and "changed" not in tiles["DHU"]


def test_late_only_shows_the_latest_of_the_day_flagged_missing_and_late(rules_day):
    # RY8: first at 11:20 (OPEL 2), then 14:45 (OPEL 3) -> nothing by 11:00: missing and late; the level shown is
    # the latest of the day (14:45, OPEL 3); no 11:00 level to change from.
    assert _rule(rules_day, "RY8") == (2, 3, "2025-01-15 14:45:00", True, True, False, None, None)


def test_nothing_at_all_is_missing_not_late(rules_day):
    # RXM sent nothing: a row with no level, missing, not late.
    assert _rule(rules_day, "RXM") == (0, None, None, False, True, False, None, None)
    env, result = rules_day
    # The system level leaves out both providers with nothing by 11:00; the flags pass the mart's own check.
    assert env.query("select providers_missing from marts.opel_system_daily").item() == "RXM, RY8"
    [flags_check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "opel_flags_are_consistent"]
    assert flags_check.passed
