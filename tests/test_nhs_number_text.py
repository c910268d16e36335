"""The one detector of NHS numbers in provider text: every way a number is written, and nothing the pipeline keeps.

domain §7.4 and issue 27: ten digits passing the modulus 11 check, with any mix of spaces, dashes, dots, no-break
spaces, line breaks or tabs between them, in ASCII or full-width digits, are found wherever they are; dates,
times, ODS codes, incident and case ids and counts are left as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

import nhs_number
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipelines.ingest.pseudonymise import (
    HASHED,
    NOT_A_NUMBER,
    REMOVED,
    hash_record_ids,
    nhs_number_keys,
    nhs_number_spans,
    remove_nhs_numbers,
    scrub_nhs_numbers,
    scrub_text,
)
from schemas import catalogue
from schemas.registry import load_feed_layouts

KEY = b"a-test-key-of-32-characters-long"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# One or more of these between two digits, in any mix: what a keyboard, a spreadsheet or a paste puts there.
SEPARATOR_CHARS = " -.\u00a0\u202f\u2007\u3000\t\n\r\u2013\u2212\uff0d\uff0e"
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def valid_numbers(draw) -> str:
    stem = draw(st.text("0123456789", min_size=9, max_size=9))
    check = nhs_number.calculate_checksum(stem)
    assume(check != 10)
    number = stem + str(check)
    assume(nhs_number.is_valid(number))  # the library's own rules too (Scotland's numbers carry a date)
    return number


@st.composite
def written(draw, number: str) -> str:
    """The number as a person might type it: cut anywhere into groups, separators of any mix between them."""
    cuts = sorted(draw(st.sets(st.integers(1, 9), max_size=9)))
    groups = [number[a:b] for a, b in zip([0, *cuts], [*cuts, 10])]
    digits = [g.translate(FULL_WIDTH) if draw(st.booleans()) else g for g in groups]
    separators = [draw(st.text(SEPARATOR_CHARS, min_size=1, max_size=3)) for _ in cuts]
    text = digits[0] + "".join(s + g for s, g in zip(separators, digits[1:]))
    # The two deliberate exceptions, both documented: two groups joined by one dot read as a decimal
    # (72.93333333), and groups that read as a date (15-01-2025 12) are a date.
    assume(not (len(groups) == 2 and separators == ["."]))
    assume(not re.search(NOT_A_NUMBER, text))
    return text


CONTEXT_BEFORE = ["", "pt ", "NHS no: ", "NHS:", "call re ", "(", '"', "Ward 3 ", "bed 12, ", "Ref 01332 340131 / "]
CONTEXT_AFTER = ["", " waiting 14h", ".", ")", '"', " 2 beds", ", DOB unknown", "\n"]


@PROPERTY
@given(data=st.data(), number=valid_numbers())
def test_a_valid_number_is_found_however_it_is_written(data, number: str):
    text = data.draw(written(number))
    comment = data.draw(st.sampled_from(CONTEXT_BEFORE)) + text + data.draw(st.sampled_from(CONTEXT_AFTER))
    assert [digits for _, _, digits in nhs_number_spans(comment)] == [number], repr(comment)
    scrubbed, found = scrub_text(comment)
    assert found == 1 and REMOVED in scrubbed and text not in scrubbed, repr(scrubbed)
    # The column-wide path (polars pre-filter, then the check) agrees with the one-value path.
    column, count = scrub_nhs_numbers(pl.Series([comment, "no number here", None]))
    assert column.to_list() == [scrubbed, "no number here", None] and count == 1


@PROPERTY
@given(number=valid_numbers(), wrong=st.integers(1, 9))
def test_ten_digits_failing_the_check_are_kept(number: str, wrong: int):
    # Any other last digit fails the check: a reference or a phone number, not a patient.
    other = number[:9] + str((int(number[9]) + wrong) % 10)
    text = f"ref {other[:3]} {other[3:6]} {other[6:]} and {other}"
    assert scrub_text(text) == (text, 0)


TOKENS = st.one_of(
    st.text("0123456789０１２３ -.:/\n\tABCxyz", min_size=1, max_size=6),
    valid_numbers().flatmap(written),
    st.sampled_from(["2025-01-15 10:30:00", "15/01/2025", "DHU2501150007", "250109-00003", "72.93333333"]),
)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(parts=st.lists(TOKENS, min_size=1, max_size=6))
def test_the_polars_pre_filter_never_hides_what_the_exact_check_finds(parts: list[str]):
    # The pre-filter decides which values reach the exact check: had it dropped one the check would flag, that
    # number would be stored. Glued together, the tokens make the awkward neighbours (digits touching a time,
    # a date, a letter or another number).
    text = "".join(parts)
    expected = scrub_text(text)
    column, count = scrub_nhs_numbers(pl.Series([text]))
    assert (column[0], count) == expected
    ids, hashed = hash_record_ids(pl.Series([text]), KEY)
    assert hashed == (1 if nhs_number_spans(text.strip(), in_an_id=True) else 0)


# --- what the pipeline keeps ------------------------------------------------------------------------------


def _layout_formats() -> set[str]:
    formats: set[str] = set()
    for feed in catalogue.feed_names():
        configs, _ = load_feed_layouts(feed, "schemas/feeds")
        for config in configs:
            formats |= set(config.datetime_formats) | set(config.date_formats)
    return formats


# Every layout's own formats, and the other ways a date or time is commonly written.
DATE_FORMATS = sorted(
    _layout_formats()
    | {"%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%Y.%m.%d %H:%M", "%Y%m%d %H:%M", "%d/%m/%Y %H:%M:%S.%f", "%H:%M:%S"}
)


@PROPERTY
@given(
    moment=st.datetimes(datetime(1990, 1, 1), datetime(2035, 12, 31)),
    form=st.sampled_from(DATE_FORMATS),
    after=st.sampled_from(["", " 12", " 3 beds", " 1234"]),
)
def test_dates_and_times_in_any_layout_format_are_kept(moment: datetime, form: str, after: str):
    # "2025-01-15 12" is ten digits with separators: read as a date and a count, never as a number.
    text = moment.strftime(form) + after
    assert scrub_text(text) == (text, 0), text


KEPT = [
    "RTG",
    "RTG01",
    "RFSDA",
    "RX9",
    "QJ2",
    "8J123",
    "250109-00003",  # EMAS incident numbers: six and five digits
    "CRH-20250211-10000",
    "RDH250114AED0010",
    "01332 340131",
    "1234567",
    "2957330",
    "0",
    "-3",
    "12.5",
    "OPEL 3",
    "2025-01-15T10:30:00",
    "15-Jan-2025 10:30:00",
]
# Values holding ten digits that do pass the check, kept by the rules rather than by chance: (value, those digits).
KEPT_THOUGH_VALID = [
    ("0943 476 5919", "9434765919"),  # an eleven-digit phone number: ten of its digits are not a number
    ("94347659190", "9434765919"),  # eleven digits in one run
    ("70.10000018", "7010000018"),  # a decimal as a workbook renders it: two groups, one dot
    ("15.01.2025 10", "1501202510"),  # a date and a count
    ("250101-00000", "2501010000"),  # an incident number
]


@pytest.mark.parametrize("text", [*KEPT, *(v for v, _ in KEPT_THOUGH_VALID)])
def test_codes_ids_counts_and_decimals_are_kept(text: str):
    assert nhs_number_spans(text) == [] and scrub_text(text) == (text, 0)
    assert scrub_nhs_numbers(pl.Series([text]))[1] == 0


@pytest.mark.parametrize(("text", "digits"), KEPT_THOUGH_VALID)
def test_the_kept_values_would_pass_the_check_were_it_not_for_the_rules(text: str, digits: str):
    # Without this, "kept" would prove only that the digits fail the check, not that the rules protect them.
    assert digits in re.sub(r"\D", "", text) and nhs_number.is_valid(digits)


def test_a_reference_glued_to_letters_is_the_providers_own_id_but_text_around_it_is_scrubbed():
    # DHU case refs are "DHU" and ten digits; one in eleven pass the check by chance and must still load as sent.
    ids, hashed = hash_record_ids(pl.Series(["DHU2501150007", "DHU2501150008"]), KEY)
    assert ids.to_list() == ["DHU2501150007", "DHU2501150008"] and hashed == 0
    # In a comment the same digits are taken out: over-removal there costs a reference, not a patient.
    assert scrub_text("pt NHS9434765919 seen") == (f"pt NHS{REMOVED} seen", 1)


def test_several_numbers_and_mixed_separators_in_one_value():
    text = "943.476.5919 then 401 023 2137\nand ４０１０２３２１３７ — 943 -  476 .5919"
    scrubbed, found = scrub_text(text)
    assert found == 4 and re.search(r"\d", scrubbed.replace("then", "")) is None, scrubbed


# --- record ids ------------------------------------------------------------------------------------------


def test_a_record_id_holding_a_number_is_its_keyed_hash_the_same_however_spaced():
    ids, hashed = hash_record_ids(pl.Series(["943 476 5919", "9434765919 ", "943.476.5919", "A1", None]), KEY)
    patient_key = hmac.new(KEY, b"9434765919", hashlib.sha256).hexdigest()
    assert ids.to_list() == [HASHED + patient_key] * 3 + ["A1", None] and hashed == 3
    # The same function and key as the patient key: the stored id is that patient's key, marked.
    assert nhs_number_keys(pl.Series(["9434765919"]), KEY)[0][0] == patient_key


def test_an_id_with_a_number_among_other_text_is_hashed_whole():
    ids, _ = hash_record_ids(pl.Series(["ATT-943 476 5919-2", "ATT-9434765919-2", "ATT-9434765919-3"]), KEY)
    assert ids[0] == ids[1] != ids[2] and all(i.startswith(HASHED) for i in ids)


def test_a_frame_is_looked_over_in_one_pass_and_only_its_candidates_checked():
    frame = pl.DataFrame(
        {
            "id": ["943 476 5919", "A2"],
            "unit": ["AED", "943.476.5919"],
            "arrival": ["2025-01-15 10:30:00", "2025-01-15 11:00:00"],
        }
    )
    out, removed = remove_nhs_numbers(frame, ["unit", "arrival"], ["id"])
    assert out["id"][0].startswith(HASHED) and out["id"][1] == "A2"
    assert out["unit"].to_list() == ["AED", REMOVED] and out["arrival"].to_list() == frame["arrival"].to_list()
    assert removed == 2
    assert frame["unit"][1] == "943.476.5919"  # the caller's frame is not changed in place


def test_dates_are_not_a_hiding_place_for_a_number_beside_them():
    # Blanking a date takes whole digit groups only: a number written straight after one is still found.
    assert scrub_text("2025-01-15 943 476 5919")[1] == 1
    assert scrub_text("10:30 943 476 5919")[1] == 1
    assert scrub_text("2025-01-15 10:30 9434765919")[1] == 1


def test_a_days_worth_of_timestamps_costs_no_python_per_value():
    # Date-time columns are most of a feed's text: their digits touch a colon, so the pre-filter drops them.
    start = datetime(2025, 1, 15)
    stamps = pl.Series([(start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(1440)])
    from pipelines.ingest import pseudonymise

    assert pseudonymise._candidates(stamps).len() == 0
