"""The "Revised" lines: each moved figure against the file that could have moved it, said once."""

from __future__ import annotations

from datetime import datetime

from pipelines.brief.revisions import Previous, revised_lines
from schemas.clock import LONDON

NOW = datetime(2025, 1, 15, 9, 5, tzinfo=LONDON)


def _page(figures: dict[str, str]) -> str:
    return "".join(f'<div data-figure="{k}">{v}</div>' for k, v in figures.items())


BEFORE = {
    "ed.QJ2.day.pct_within_4h": "76.4%",
    "ed.RTG.day.pct_within_4h": "76.4%",
    "ed.RFS.day.pct_within_4h": "80.0%",
    "ed.RTG.day.pct_within_4h.vs_yesterday": "up 1.0 points on yesterday, better",
    "handover.RTG01.hours_lost": "no data",
}


def test_a_re_sent_file_names_its_own_and_the_system_s_figures_only():
    after = {**BEFORE, "ed.QJ2.day.pct_within_4h": "77.0%", "ed.RTG.day.pct_within_4h": "77.4%"}
    after["ed.RTG.day.pct_within_4h.vs_yesterday"] = "up 2.0 points on yesterday, better"
    files = [
        ("ed_attendances", "RFS", "CRH_AE_2025-01-14_202501150700.csv", True),
        ("ed_attendances", "RTG", "UHDB_ED_20250114_20250115T0650.csv", True),
    ]
    lines = revised_lines(Previous(None, BEFORE), _page(after), files, NOW, "QJ2")
    # UHDB's own figure moved, so the system's move is put to UHDB's file, not to Chesterfield's unchanged re-send.
    assert lines == [
        "Revised 09:05: RTG re-sent UHDB_ED_20250114_20250115T0650.csv: RTG 4-hour performance 76.4% → 77.4%; "
        "QJ2 4-hour performance 76.4% → 77.0%",
    ]


def test_first_files_say_sent_and_a_move_with_no_file_says_rebuilt():
    after = {**BEFORE, "handover.RTG01.hours_lost": "1.0", "ed.RFS.day.pct_within_4h": "81.0%"}
    files = [("ambulance_handovers", "RX9", "EMAS_Handovers_20250114_20250115040000.csv", False)]
    lines = revised_lines(Previous(None, BEFORE), _page(after), files, NOW, "QJ2")
    assert lines == [
        "Revised 09:05: RX9 sent EMAS_Handovers_20250114_20250115040000.csv: RTG01 handover hours lost no data → 1.0",
        "Revised 09:05: rebuilt with no new file for the day: RFS 4-hour performance 80.0% → 81.0%",
    ]


def test_nothing_moved_nothing_said():
    assert revised_lines(Previous(None, BEFORE), _page(BEFORE), [], NOW, "QJ2") == []
