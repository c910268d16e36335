"""The column-wide NHS number check agrees with the nhs-number library on every kind of number and uses the key."""

from __future__ import annotations

import hashlib
import hmac
import random

import nhs_number
import polars as pl

from pipelines.ingest.pseudonymise import nhs_number_keys

KEY = b"a-test-key-of-32-characters-long"


def _with_check_digit(stem: str) -> str:
    check = nhs_number.calculate_checksum(stem)
    return stem + str(check % 10)  # a checksum of 10 has no digit: the 0 written here is invalid


def _numbers() -> list[str | None]:
    rng = random.Random(20250331)
    numbers: list[str | None] = []
    for _ in range(4000):
        stem = f"{rng.randrange(10**9):09d}"
        numbers.append(_with_check_digit(stem))  # mostly valid, some check-digit-10 cases
        numbers.append(f"{rng.randrange(10**10):010d}")  # one in eleven or so valid by chance
    # Scotland's CHI range (the first six digits a DDMMYY date of birth): real dates and impossible ones.
    for stem in ("010199123", "311299456", "290200789", "300299123", "310499456", "000112345", "123456789"):
        numbers.append(_with_check_digit(stem))
    # Northern Ireland, England and the synthetic range, and the shapes a provider might send.
    numbers += [
        "9434765919",
        "943 476 5919",
        "943-476-5919",
        " 9434765919 ",
        "9434765910",
        "943476591",
        "94347659199",
        "94347659l9",
        "",
        "   ",
        "4010232137",
        "3200000008",
        None,
    ]
    return numbers


def test_validity_matches_the_nhs_number_library_on_every_kind_of_number():
    numbers = _numbers()
    _, valid = nhs_number_keys(pl.Series(numbers, dtype=pl.Utf8), KEY)
    # The library's own verdict, as the pipeline asked it before: spaces and dashes removed, ten digits.
    expected = [
        True
        if n is None
        else (d := n.replace(" ", "").replace("-", "")).isdigit() and len(d) == 10 and nhs_number.is_valid(d)
        for n in numbers
    ]
    disagree = [(n, v, e) for n, v, e in zip(numbers, valid.to_list(), expected) if v != e]
    assert disagree == []
    # The sample must hold both verdicts and Scottish numbers the library rejects on their date alone.
    assert 0 < sum(expected) < len(expected)
    assert nhs_number_keys(pl.Series([_with_check_digit("300299123")]), KEY)[1].to_list() == [False]


def test_valid_numbers_get_the_keyed_hash_and_invalid_or_missing_ones_none():
    keys, valid = nhs_number_keys(pl.Series(["943 476 5919", "9434765910", None]), KEY)
    assert keys.to_list() == [hmac.new(KEY, b"9434765919", hashlib.sha256).hexdigest(), None, None]
    assert valid.to_list() == [True, False, True]
    other_key, _ = nhs_number_keys(pl.Series(["9434765919"]), b"another-key-entirely-32-chars-xx")
    assert other_key[0] != keys[0]
