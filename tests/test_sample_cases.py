"""Each case planted in the bundled samples (docs/sample-data.md) moves the mart figure the brief's section 7 says.

The expected numbers were counted by hand from the landing files named in each test; the arithmetic is in the
comments. They are the figures of a warehouse built from the whole sample range in one run.
"""

from __future__ import annotations

import csv
from datetime import date, datetime

import pytest

from tests.support.samples import SAMPLES
from tests.support.warehouse import Env


def test_a_row_sent_twice_counts_once(whole_samples: Env):
    # UHDB_ED_20250114_20250115T0600.csv: 312 Royal Derby type 1 rows (AED 210 + CED 102), one of them
    # RDH250114AED0010 twice byte for byte (arrived 01:52, left 15:54: 842 minutes, a breach and over 12 hours).
    # 311 distinct attendances; 9 still open at the 06:00 cut-off, all past 4 hours by then. Counting the stays
    # over 240 minutes gives 78 breaches and over 720 minutes gives 11, the duplicate's stay included once
    # (docs/domain.md §7.1: one record sent twice is counted once, not quarantined).
    row = whole_samples.query(
        "select attendances, breaches, over_12h, pending from marts.ed_four_hour_daily "
        "where date = date '2025-01-14' and site_code = 'RTG01' and department_type = 1"
    ).row(0)
    assert row == (311, 78, 11, 0)
    # The copy is listed, not loaded: the file's lines 669 and 12 (January's only duplicated row).
    copies = whole_samples.query(
        "select file_name, source_row, duplicate_of_row from ops.duplicate_rows "
        "where partition_date between date '2025-01-01' and date '2025-01-31'"
    ).rows()
    assert copies == [("UHDB_ED_20250114_20250115T0600.csv", 669, 12)]
    loaded = whole_samples.query("select count(*) from raw.ed_attendances where record_id = 'RDH250114AED0010'")
    assert loaded.item() == 1


def test_an_attendance_in_the_next_days_file_counts_on_its_own_day(whole_samples: Env):
    # CRH_AE_2025-02-10_202502110530.csv holds 268 ED attendances, all arriving 10 Feb. CRH-20250211-10000
    # in CRH_AE_2025-02-11_202502120530.csv arrived 10/02/2025 23:40 and left 11/02 08:02 (502 minutes):
    # 10 Feb has 268 + 1 = 269 attendances and one more breach; the 11 Feb file's other 208 ED rows stay on 11 Feb.
    ten, eleven = (
        whole_samples.query(
            "select attendances, breaches from marts.ed_four_hour_daily "
            "where date = $day and site_code = 'RFSDA' and department_type = 1",
            day=day,
        ).row(0)
        for day in (date(2025, 2, 10), date(2025, 2, 11))
    )
    assert ten[0] == 268 + 1
    assert eleven[0] == 209 - 1


@pytest.mark.parametrize(
    ("day", "site", "arrivals", "unknown"),
    [
        # EMAS_Handovers_20250109_20250110040000.csv: 73 conveyances to QHB (Burton), one (250109-00003) with a
        # handover 10 minutes before arrival and one with no handover time: 73 arrivals, 1 + 1 = 2 unknown.
        (date(2025, 1, 9), "RTGFG", 73, 2),
        # EMAS_Handovers_20250204_20250205040000.csv: 81 conveyances to CRH, one (250204-00006) handed over
        # 05-Feb 23:10, 46 hours after arrival, and 5 with no handover time: 81 arrivals, 5 + 1 = 6 unknown.
        (date(2025, 2, 4), "RFSDA", 81, 6),
    ],
    ids=["250109-00003", "250204-00006"],
)
def test_a_bad_handover_time_leaves_the_conveyance_counted(whole_samples: Env, day, site, arrivals, unknown):
    # docs/domain.md §7.2: the conveyance counts; its handover is unknown (as in NHS England's sitrep).
    row = whole_samples.query(
        "select arrivals, known, unknown from marts.handover_daily where date = $day and site_code = $site",
        day=day,
        site=site,
    ).row(0)
    assert row == (arrivals, arrivals - unknown, unknown)


def test_a_conveyance_sent_twice_counts_once(whole_samples: Env):
    # EMAS_Handovers_20250220_20250221040000.csv: 78 rows to CRH, 250220-00012 twice byte for byte: 77
    # conveyances, 3 with no handover time, so 74 known.
    row = whole_samples.query(
        "select arrivals, known from marts.handover_daily where date = date '2025-02-20' and site_code = 'RFSDA'"
    ).row(0)
    assert row == (77, 74)


def _emas_cat34(env: Env, day: date) -> dict:
    return env.query(
        "select * from marts.cnh_deflection_daily where date = $day and referral_source = 'emas_cat34'", day=day
    ).row(0, named=True)


def test_a_contact_before_received_leaves_the_case_counted(whole_samples: Env):
    # DHU_CNH_20250214_202502150300.csv: 41 EMAS C3C4 cases; DHU2502140004's first contact is 5 minutes before
    # it was received, 3 others have no contact time: 41 cases, 41 - 3 - 1 = 37 responded. 25 cases have
    # AmbDispatched N and an outcome other than RETURN STACK (DHU2502140004, HOME/SELF CARE, among them).
    figures = _emas_cat34(whole_samples, date(2025, 2, 14))
    assert (figures["cases"], figures["responded"], figures["dispatches_avoided"]) == (41, 37, 25)


def test_an_unmapped_outcome_leaves_the_case_counted(whole_samples: Env):
    # DHU_CNH_20250108_202501090300.csv: 37 EMAS C3C4 cases, all with a contact time; DHU2501080005's outcome
    # XFER is not in DHU's layout: it counts as a case with an unknown outcome, so 37 cases and 37 responded,
    # while the outcome mix (6 HOME/SELF CARE) does not change.
    figures = _emas_cat34(whole_samples, date(2025, 1, 8))
    assert (figures["cases"], figures["responded"], figures["home_self_care"]) == (37, 37, 6)


def test_a_case_sent_twice_counts_once(whole_samples: Env):
    # DHU_CNH_20250303_202503040300.csv: 43 EMAS C3C4 rows, DHU2503030020 twice byte for byte: 42 cases.
    assert _emas_cat34(whole_samples, date(2025, 3, 3))["cases"] == 42


def test_an_out_of_range_opel_parameter_leaves_the_declaration_standing(whole_samples: Env):
    # OPEL_Submissions_20250225_202502251200.csv: RTG declared OPEL 3 at 10:29:37 with Escalation Beds % = 130.
    # docs/domain.md §7.2: that parameter is unknown, the other 8 are scored, and RTG is neither missing nor late.
    row = whole_samples.query(
        "select declared_level, is_missing, is_late, parameters_scored from marts.opel_daily "
        "where date = date '2025-02-25' and provider_code = 'RTG'"
    ).row(0)
    assert row == (3, False, False, 8)
    scored = whole_samples.query(
        "select parameter from marts.opel_parameter_scores where date = date '2025-02-25' and provider_code = 'RTG'"
    )["parameter"].to_list()
    assert "escalation_beds_pct" not in scored


def _arrivals_in_file(path, encoding: str, delimiter: str, column: str, fmt: str, day: date) -> int:
    with path.open(encoding=encoding, newline="") as f:
        rows = list(csv.DictReader(f, delimiter=delimiter))
    return sum(1 for r in rows if datetime.strptime(r[column], fmt).date() == day)


ED = SAMPLES / "ed_attendances"
CLOCK_CHANGE_FILES = {
    # UHDB_ED_20250331_20250401T0045.csv: 673 attendances arriving 31 Mar. Today 15 of its ids (arrivals
    # 00:00-00:59 BST, named by their UTC date) repeat ids of UHDB_ED_20250330_*.csv, so docs/domain.md §7.1 treats them
    # as reused ids and 31 Mar shows 658, until the generator names ids by the local date: then 673.
    ("RTG", date(2025, 3, 31)): (ED / "uhdb" / "UHDB_ED_20250331_20250401T0045.csv", "utf-8-sig", ","),
    # CRH_AE_2025-03-30_202503310530.csv: 389 attendances arriving 30 Mar. Today 6 of its ids reappear in the
    # 31 Mar file for other patients; the later versions replace them and 30 Mar shows 383 (docs/domain.md §7.1: 389).
    ("RFS", date(2025, 3, 30)): (ED / "crh" / "CRH_AE_2025-03-30_202503310530.csv", "cp1252", ";"),
    # The other side of each: UHDB 30 Mar (599) and CRH 31 Mar (442, of which 6 carry 30 Mar ids today).
    ("RTG", date(2025, 3, 30)): (ED / "uhdb" / "UHDB_ED_20250330_20250331T0600.csv", "utf-8-sig", ","),
    ("RFS", date(2025, 3, 31)): (ED / "crh" / "CRH_AE_2025-03-31_202504010530.csv", "cp1252", ";"),
}
COLUMNS = {"RTG": ("ARRIVAL_DTTM", "%Y-%m-%d %H:%M:%S"), "RFS": ("Arrival Date Time", "%d/%m/%Y %H:%M")}


@pytest.mark.parametrize(("trust", "day"), sorted(CLOCK_CHANGE_FILES), ids=lambda v: str(v))
def test_every_attendance_around_the_clock_change_counts_once_on_its_day(whole_samples: Env, trust, day):
    # docs/domain.md §7.1: each attendance counts once, on the local date of its arrival, however its id was formed.
    # Every row of the day's first file is a distinct attendance arriving that day, and the day's later files
    # (UHDB's re-send, CRH's workbook) only send some of them again: the day's attendances are that file's rows.
    path, encoding, delimiter = CLOCK_CHANGE_FILES[(trust, day)]
    expected = _arrivals_in_file(path, encoding, delimiter, *COLUMNS[trust], day)
    counted = whole_samples.query(
        "select sum(attendances) from marts.ed_four_hour_daily where date = $day and trust_code = $trust",
        day=day,
        trust=trust,
    ).item()
    assert counted == expected, f"{trust} on {day}: {counted} attendances counted, {path.name} holds {expected}"


def test_the_readmes_january_figures_are_the_samples(whole_samples: Env):
    # The README re-states January 2025 from the samples; a change that moves them must move the README too.
    readme = (SAMPLES.parents[1] / "README.md").read_text()
    paragraph = " ".join(readme[readme.index("On the bundled samples") :].split("\n\n")[0].split())
    trusts = dict(
        whole_samples.query(
            "select case level when 'system' then 'all providers' else org_code end, "
            "round(pct_within_4h, 1)::varchar || '% of ' || format('{:,}', attendances) "
            "|| case when level = 'system_headline' then ', not met' else '' end "
            "from marts.ed_four_hour_rollup where date = date '2025-01-31' and period = 'month_to_date' "
            "and scope = 'all_types' and level in ('trust', 'system_headline', 'system') "
            "and (level <> 'system_headline' or not meets_target)"
        ).rows()
    )
    hours = whole_samples.query(
        "select round(hours_lost)::bigint from marts.handover_rollup where date = date '2025-01-31' "
        "and period = 'month_to_date' and level = 'site' and org_code = 'RTG01'"
    ).item()
    cases, avoided = whole_samples.query(
        "select cases, dispatches_avoided from marts.cnh_deflection_monthly "
        "where month = date '2025-01-01' and referral_source = 'emas_cat34'"
    ).row(0)
    expected = [
        f"CRH **{trusts['RFS'].replace('% of', '%** of')}",
        f"UHDB **{trusts['RTG'].replace('% of', '%** of')}",
        # The board's figure (acute trusts), marked not met against 78%; all providers beside it.
        "the system as the ICB board reports it (the acute trusts, all types) "
        f"**{trusts['QJ2'].replace('% of', '%** of')}",
        f"all providers **{trusts['all providers'].replace('% of', '%** of')}",
        f"Royal Derby **{hours:,}** handover hours lost",
        f"**{cases:,}** hub cases with **{avoided:,}** dispatches avoided",
    ]
    assert [e for e in expected if e not in paragraph] == [], paragraph


def test_a_reused_id_is_listed_and_the_first_record_keeps_counting(whole_samples: Env):
    # UHDB_ED_20250212_20250213T0600.csv line 42 sends a 12 Feb walk-in (09:17-12:59) as RDH250205AED0040, the id
    # of a 5 Feb attendance (UHDB_ED_20250205_20250206T0600.csv line 42, 10:17-13:54, 217 min: within): a week
    # apart, far outside the 12-hour window. The 5 Feb attendance keeps counting: its file's 282 type 1 rows, 188
    # within 4 hours. The 12 Feb version is not counted: that file's 247 type 1 rows less 1 = 246, and its stay
    # (222 min, within) leaves 156 - 1 = 155 within.
    def type_1(day: date) -> tuple:
        return whole_samples.query(
            "select attendances, within_4h from marts.ed_four_hour_daily "
            "where date = $day and site_code = 'RTG01' and department_type = 1",
            day=day,
        ).row(0)

    assert type_1(date(2025, 2, 5)) == (282, 188)
    assert type_1(date(2025, 2, 12)) == (246, 155)
    listed = whole_samples.query(
        "select file_name, source_row, reason from ops.record_ids_reused where record_key = 'RDH250205AED0040'"
    ).rows()
    assert listed == [
        (
            "UHDB_ED_20250212_20250213T0600.csv",
            42,
            "record id reused for a different attendance (first seen UHDB_ED_20250205_20250206T0600.csv, "
            "arrival 2025-02-05 10:17)",
        )
    ]


def test_a_full_resend_withdraws_the_record_it_no_longer_holds(whole_samples: Env):
    # UHDB's layout says resend: full. UHDB_ED_20250219_20250220T0615.csv is the 06:00 file's rows less
    # RDH250219UTC0051 (a Royal Derby UTC walk-in, 11:40-12:40, within): 19 Feb type 3 goes 139 -> 138 attendances
    # and 129 -> 128 within 4 hours. The record stays in the warehouse as history, withdrawn.
    row = whole_samples.query(
        "select attendances, within_4h from marts.ed_four_hour_daily "
        "where date = date '2025-02-19' and site_code = 'RTG01' and department_type = 3"
    ).row(0)
    assert row == (138, 128)
    standing = whole_samples.query(
        "select distinct standing from raw.ed_attendances_versions() where record_id = 'RDH250219UTC0051'"
    ).rows()
    assert standing == [("withdrawn",)]
