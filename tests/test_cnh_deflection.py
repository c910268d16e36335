"""Hand-worked CNH / SPoA deflection, response times and outcome mix; quarantine and re-runs."""

from __future__ import annotations

import pytest

from tests.support.rows import dhu_row
from tests.support.warehouse import Env

TABLES = ["raw.cnh_cases", "ops.source_files", "ops.quarantine", "marts.cnh_deflection_daily"]


def _write_day(env: Env):
    env.write_dhu(
        "20250115",
        "202501160300",
        [
            # EMAS category 3/4 cases passed to the hub:
            dhu_row(
                "C1", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:30:00", "OWN GP"
            ),  # deflected; exactly 30 min: within
            dhu_row(
                "C2", "EMAS C3C4", "2025-01-15T11:00:00", "2025-01-15T11:05:00", "RETURN STACK", "Y"
            ),  # back to the stack, later dispatched
            dhu_row(
                "C3", "EMAS C3C4", "2025-01-15T12:00:00", "2025-01-15T12:31:00", "AMB DISPATCH", "Y"
            ),  # hub dispatched; 31 min: not within
            dhu_row(
                "C4", "EMAS C3C4", "2025-01-15T13:00:00", "2025-01-15T13:10:00", "HOME/SELF CARE", automated="1"
            ),  # deflected
            dhu_row(
                "C5", "EMAS C3C4", "2025-01-15T13:30:00", "2025-01-15T13:40:00", "XFER"
            ),  # unmapped outcome: counts, outcome unknown
            dhu_row(
                "C9", "EMAS C3C4", "2025-01-15T15:00:00", "", "RETURN STACK"
            ),  # back to the stack, no contact: not deflected
            dhu_row(
                "C10", "EMAS C3C4", "2025-01-15T16:00:00", "2025-01-15T16:05:00", "AMB DISPATCH", "N"
            ),  # inconsistent: counts, dispatch unknown
            # Other sources:
            dhu_row("C6", "111O C3C4", "2025-01-15T14:00:00", "2025-01-15T14:20:00", "UTC/PCC"),
            dhu_row(
                "C7", "HCP FALLS", "2025-01-15T09:00:00", "2025-01-15T09:15:00", "FALLS SERVICE"
            ),  # avoided hospital
            dhu_row("C8", "HCP CBC", "2025-01-15T09:30:00", "2025-01-15T09:40:00", "ED"),  # reached hospital
        ],
    )


def _source(env: Env, source: str) -> dict:
    return env.query("select * from marts.cnh_deflection_daily where referral_source = $s", s=source).row(0, named=True)


def test_deflection_hand_worked(env: Env):
    _write_day(env)
    env.materialize("2025-01-15")
    emas = _source(env, "emas_cat34")
    # EMAS cases: C1, C2, C3, C4, C5, C9, C10 = 7 (C5's outcome and C10's dispatch are unknown, docs/domain.md §7.2;
    # each counts as a case, neither as dispatched nor deflected). Dispatched: C2, C3 = 2. Deflected: C1,
    # C4 = 2 (C2 and C9 went back to the stack, so the hub did not close them). Deflection 2 / 7.
    assert (emas["cases"], emas["dispatched"], emas["returned_to_stack"]) == (7, 2, 2)
    assert emas["dispatches_avoided"] == 2
    assert emas["deflection_rate"] == pytest.approx(200 / 7)
    # Responses: C1 30, C2 5, C3 31, C4 10, C5 10, C10 5 (C9 none): mean 91 / 6 min; within 30: all but C3 = 5.
    assert emas["responded"] == 6
    assert emas["mean_response_minutes"] == pytest.approx(91 / 6)
    assert (emas["within_30_min"], emas["pct_within_30_min"]) == (5, pytest.approx(500 / 6))
    assert (emas["automated"], emas["pct_automated"]) == (1, pytest.approx(100 / 7))  # C4: 1 of 7
    assert (emas["to_own_gp"], emas["home_self_care"]) == (1, 1)
    assert emas["avoided_hospital"] is None  # an HCP measure only

    online = _source(env, "nhs111_online_cat34")
    assert (online["cases"], online["dispatches_avoided"], online["deflection_rate"]) == (1, 1, 100.0)
    falls, non_falls = _source(env, "hcp_falls"), _source(env, "hcp_non_falls")
    assert falls["deflection_rate"] is None and falls["dispatches_avoided"] is None  # not an ambulance-stack source
    assert (falls["avoided_hospital"], non_falls["avoided_hospital"]) == (1, 0)  # C7 avoided; C8 went to ED
    assert non_falls["call_before_convey"] == 1

    stack = env.query(
        "select cases, dispatches_avoided, deflection_rate from marts.cnh_deflection_rollup "
        "where referral_source = 'ambulance_stack_total' and period = 'day'"
    ).row(0)
    assert stack == (8, 3, pytest.approx(37.5))  # (2 + 1) / (7 + 1)


def test_bad_values_set_to_unknown_and_named(env: Env):
    _write_day(env)
    env.materialize("2025-01-15")
    files = env.query(
        "select rows_read, rows_loaded, rows_quarantined, rows_with_unknown_values from ops.source_files "
        "where feed = 'cnh_cases'"
    ).row(0)
    assert files == (10, 10, 0, 2)  # 10 read = 10 loaded + 0 quarantined; C5 and C10 each with a value unknown
    reasons = {
        r[0]: r[1:]
        for r in env.query(
            "select source_row, column_name, source_column, reason, value, action from ops.quarantine "
            "where feed = 'cnh_cases'"
        ).rows()
    }
    column, source_column, reason, value, action = reasons[6]  # C5 is the file's sixth row
    assert (column, source_column, value, action) == ("outcome", "Outcome", "XFER", "value set to unknown")
    assert "code not in the mapping for outcome" in reason and "dhu.yaml" in reason
    assert reasons[8][0] == "ambulance_dispatched"  # C10
    assert reasons[8][2] == "an outcome of ambulance dispatched needs dispatched = yes"
    stored = env.query(
        "select case_id, outcome, ambulance_dispatched from raw.cnh_cases where case_id in ('C5', 'C10') order by 1"
    ).rows()
    assert stored == [("C10", "ambulance_dispatched", None), ("C5", "unknown", False)]


def test_rerun_is_identical(env: Env):
    _write_day(env)
    env.materialize("2025-01-15")
    first = {t: env.query(f"select * from {t} order by all") for t in TABLES}
    env.materialize("2025-01-15")
    for table in TABLES:
        assert first[table].height > 0 and first[table].equals(env.query(f"select * from {table} order by all")), table
