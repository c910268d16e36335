"""Keyed hashing of patient identifiers at ingestion (brief, section 4)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence

import nhs_number
import polars as pl
from nhs_number.constants import REGION_SCOTLAND

from pipelines import REPO_ROOT
from pipelines.settings import KEY_VARIABLE, export_setting, file_setting, load_settings, settings, write_setting

KEY_ENV = KEY_VARIABLE
MASK = "<redacted>"
REMOVED = "[NHS number removed]"
# A record id holding an NHS number is stored as this prefix and the keyed hash (the patient key's function).
HASHED = "hashed:"

# What people type or paste between the digits of an NHS number: any run of spaces (no-break, thin and
# zero-width ones too), line breaks, tabs, dashes and dots, in ASCII or their full-width and typographic
# forms. Written out rather than as \s: Python's \s and polars' (Rust) \s disagree on a few control
# characters, and the polars pre-filter must never miss what the exact check in Python would find. Both
# engines read \uXXXX alike, and \d as any script's decimal digit (full-width ones included).
SEPARATORS = (
    r" \t\n\r\f\v\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
    r".\u00b7\u2024\u2027\ufe52\uff0e\u3002"
    r"\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d"
)
# Ten digits with separators between, neither glued to another digit nor to a time's colon ("10:30"; but
# "NHS:9434765919" is looked at): every NHS number however written, and a few other things (the pre-filter).
TEN_DIGITS = rf"(?:^|[^\d:]|(?:^|\D):)\d(?:[{SEPARATORS}]*\d){{9}}(?:$|[^\d:]|:(?:$|\D))"
# Spans that are never an NHS number however their digits add up, blanked (whole digit groups) before
# looking: a time or ratio (10:30:00), a date as dates are written (2025-01-15, 15.01.2025, 15-01-2025: a
# day, a month and a 19xx or 20xx year), and a record id this module hashed (its hex may hold ten digits).
NOT_A_NUMBER = "|".join(
    [
        r"\d+(?::\d+)+",
        r"\d*(?:19|20)\d\d[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])\d*",
        r"\d*(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)\d\d\d*",
        HASHED + r"[0-9a-f]{64}\d*",
    ]
)
# In a record id, digits glued to letters are the provider's own reference (DHU2501150007: one in eleven such
# references passes the check by chance), not a number typed in; an id that is the number itself is caught.
NOT_A_NUMBER_IN_AN_ID = NOT_A_NUMBER + r"|[A-Za-z]\d+|\d+[A-Za-z]"
_TEN_DIGITS = re.compile(TEN_DIGITS)
_NOT_A_NUMBER = re.compile(NOT_A_NUMBER)
_NOT_A_NUMBER_IN_AN_ID = re.compile(NOT_A_NUMBER_IN_AN_ID)
# Digit groups joined by separators; a candidate is any run of whole consecutive groups holding ten digits.
_JOINED_GROUPS = re.compile(rf"\d+(?:[{SEPARATORS}]+\d+)*")
_GROUP = re.compile(r"\d+")


class MissingKeyError(RuntimeError):
    pass


def use_local_key(create: bool) -> str | None:
    """Make sure the key is set: from the environment, else from the .env file, else (if asked) a new local one.

    Returns a message for the user when it did something, so a local key is never used silently.
    """
    load_settings()
    if settings().pseudonymisation_key:
        return None
    legacy = REPO_ROOT / ".uec_secret"
    if legacy.is_file():
        # Earlier versions kept the demo key here, where only `uec` looked: move it where every process looks,
        # so the warehouse keeps its key.
        path = write_setting(KEY_ENV, legacy.read_text().strip())
        legacy.unlink()
        export_setting(KEY_ENV, file_setting(KEY_ENV) or "")
        return f"Moved the local pseudonymisation key from {legacy} into {path}, where every process reads it."
    if not create:
        return None
    path = write_setting(KEY_ENV, secrets.token_hex(32))
    export_setting(KEY_ENV, file_setting(KEY_ENV) or "")
    return (
        f"Generated a local pseudonymisation key in {path} (git ignores it); every process reads it from there. "
        f"In production set {KEY_ENV} from your secret store instead."
    )


# Shorter than this is a placeholder, not a secret: treated as no key at all.
MIN_KEY_LENGTH = 16


def key_is_set() -> bool:
    """Whether a usable key is in the environment (without raising, for callers that can do without one)."""
    return len(settings().pseudonymisation_key) >= MIN_KEY_LENGTH


def key_from_env() -> bytes:
    """The HMAC secret; it lives in the environment, never in the repository."""
    if not key_is_set():
        raise MissingKeyError(
            f"{KEY_ENV} is not set (or shorter than {MIN_KEY_LENGTH} characters): a feed carries patient identifiers "
            "and they must be hashed with a secret before anything is stored. Set it in the environment or in "
            "the .env file (docs/data-protection.md); `make demo` creates a local one."
        )
    return settings().pseudonymisation_key.encode()


def _keyed_hash(keyed: hmac.HMAC, digits: str) -> str:
    one = keyed.copy()
    one.update(digits.encode())
    return one.hexdigest()


def nhs_number_keys(numbers: pl.Series, key: bytes) -> tuple[pl.Series, pl.Series]:
    """(patient keys, valid) for a column of NHS numbers: the keyed hash of each valid one, no key for a bad one.

    A missing number is valid (nothing to check) and has no key. Spaces and dashes are ignored.
    """
    # nhs-number judges one value at a time (about 28 us each, 2 s of every England day), so the
    # modulus 11 check runs here on the whole column; the library still judges every number in a
    # range it has rules of its own for (Scotland's CHI numbers carry a date of birth), and a test
    # holds this to the library's verdict on every kind of number.
    frame = pl.DataFrame({"digits": numbers.cast(pl.Utf8).str.replace_all(r"[ \-]", "")})
    digit = [pl.col("digits").str.slice(i, 1).cast(pl.Int64, strict=False) for i in range(10)]
    check = (11 - pl.sum_horizontal(d * (10 - i) for i, d in enumerate(digit[:9])) % 11) % 11
    as_number = pl.col("digits").cast(pl.Int64, strict=False)
    own_rules = pl.any_horizontal([as_number.is_between(r.start, r.end) for r in REGION_SCOTLAND.ranges])
    judged = frame.select(
        "digits",
        shaped=pl.col("digits").str.contains(r"^[0-9]{10}$").fill_null(False),
        checksum_ok=(check == digit[9]).fill_null(False),
        own_rules=own_rules.fill_null(False),
    )
    valid = judged["shaped"] & judged["checksum_ok"]
    if judged["own_rules"].any():
        library = [
            nhs_number.is_valid(d) if s and o else None
            for d, s, o in zip(judged["digits"], judged["shaped"], judged["own_rules"])
        ]
        valid = pl.Series(library, dtype=pl.Boolean).fill_null(valid)
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # copied per value: the key's set-up is paid once
    keys = [_keyed_hash(keyed, d) if ok else None for d, ok in zip(judged["digits"], valid)]
    return pl.Series("patient_key", keys, dtype=pl.Utf8), (valid | numbers.is_null()).alias("valid")


def nhs_number_spans(text: str, in_an_id: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, its ten ASCII digits) of each NHS number in the text, however it is spaced or written.

    A candidate is a run of whole digit groups, joined by separators, holding exactly ten digits: so
    "943 476 5919", "943.476.5919", "９４３４７６５９１９" and "943\\n476\\n5919" are found, while ten valid digits
    inside an eleven-digit phone number ("0943 476 5919") or a longer reference are not. Two groups joined by
    one dot are a decimal (70.10000018); dates and times are blanked first (NOT_A_NUMBER); a candidate counts
    only when the nhs-number library finds it valid (the modulus 11 check).
    """
    blanked = (_NOT_A_NUMBER_IN_AN_ID if in_an_id else _NOT_A_NUMBER).sub(lambda m: "\0" * len(m.group()), text)
    found: list[tuple[int, int, str]] = []
    for run in _JOINED_GROUPS.finditer(blanked):
        groups = list(_GROUP.finditer(blanked, run.start(), run.end()))
        if len(groups) == 2 and blanked[groups[0].end() : groups[1].start()] == ".":
            continue
        for i, first in enumerate(groups):
            size = 0
            for last in groups[i:]:
                size += last.end() - last.start()
                if size >= 10:
                    break
            if size != 10:
                continue
            digits = "".join(str(unicodedata.decimal(c)) for c in text[first.start() : last.end()] if c.isdecimal())
            if nhs_number.is_valid(digits):
                found.append((first.start(), last.end(), digits))
    merged: list[tuple[int, int, str]] = []
    for start, end, digits in found:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
        else:
            merged.append((start, end, digits))
    return merged


def scrub_text(text: str) -> tuple[str, int]:
    """The text with every NHS number in it replaced by REMOVED, and how many were."""
    if not _TEN_DIGITS.search(text):
        return text, 0
    spans = nhs_number_spans(text)
    for start, end, _ in reversed(spans):
        text = text[:start] + REMOVED + text[end:]
    return text, len(spans)


def _candidates(text: pl.Series, in_an_id: bool = False) -> pl.Series:
    """Positions of the values that may hold an NHS number: polars regex passes, no Python per value.

    Ten digits between separators make a candidate (date-times never do: their digits touch a colon); a
    candidate left without once dates and glued references are blanked is dropped. Only the rest, nearly
    always real numbers, go to the exact check.
    """
    where = text.str.contains(TEN_DIGITS).fill_null(False).arg_true()
    if where.len() == 0:
        return where
    blank = NOT_A_NUMBER_IN_AN_ID if in_an_id else NOT_A_NUMBER
    return where.filter(text.gather(where).str.replace_all(blank, "\0").str.contains(TEN_DIGITS))


def _replace(text: pl.Series, in_an_id: bool, replace: Callable[[str], tuple[str, int]]) -> tuple[pl.Series, int]:
    """`text` with each candidate value passed through replace(value) -> (new value, count)."""
    where = _candidates(text, in_an_id)
    found, rows, changed = 0, [], []
    for row, value in zip(where, text.gather(where)):
        new, n = replace(value)
        if n:
            found += n
            rows.append(row)
            changed.append(new)
    return (text.clone().scatter(rows, changed), found) if rows else (text, 0)


def scrub_nhs_numbers(values: pl.Series) -> tuple[pl.Series, int]:
    """Text with every NHS number (ten digits, however spaced or written, passing the check) replaced; and how many.

    docs/domain.md §7.4: a comment or note is stored, but an NHS number typed into it never is; nor one that slid into
    another column. Ten digits that fail the modulus 11 check (a reference) are left as they are.
    """
    return _replace(values.cast(pl.Utf8), False, scrub_text)


def hash_record_ids(values: pl.Series, key: bytes | None = None) -> tuple[pl.Series, int]:
    """Record ids with every id holding an NHS number replaced by HASHED and its keyed hash; and how many.

    The hash is the patient key's (HMAC-SHA256 under the pseudonymisation key) of the id as sent, trimmed,
    with the number written as its bare ten digits: "943 476 5919" and "9434765919" are one id, stored as
    the patient key of that number, so a re-send still replaces the version before it. The key is read only
    when an id needs it, so a feed whose ids never hold a number runs without one.
    """
    keyed: list[hmac.HMAC] = []

    def hashed(value: str) -> tuple[str, int]:
        trimmed = value.strip()
        spans = nhs_number_spans(trimmed, in_an_id=True)
        if not spans:
            return value, 0
        for start, end, digits in reversed(spans):
            trimmed = trimmed[:start] + digits + trimmed[end:]
        if not keyed:
            keyed.append(hmac.new(key if key is not None else key_from_env(), digestmod=hashlib.sha256))
        return HASHED + _keyed_hash(keyed[0], trimmed), 1

    return _replace(values.cast(pl.Utf8), True, hashed)


def remove_nhs_numbers(frame: pl.DataFrame, text: list[str], ids: list[str]) -> tuple[pl.DataFrame, int]:
    """The frame with NHS numbers scrubbed from the `text` columns and record ids holding one hashed; and how many.

    One polars pass over the row's columns joined (by a character that neither joins digits nor is one)
    says whether the file has a candidate at all; most have none, and that costs one regex, not one per
    column (compiling it is most of a small file's cost).
    """
    columns = [c for c in dict.fromkeys([*ids, *text]) if c in frame.columns]
    joined = pl.concat_str([pl.col(c).cast(pl.Utf8) for c in columns], separator="\0", ignore_nulls=True)
    if not columns or not frame.select(joined.str.contains(TEN_DIGITS).any()).item():
        return frame, 0
    flagged = frame.select(pl.col(c).cast(pl.Utf8).str.contains(TEN_DIGITS).any() for c in columns).row(0)
    removed, replaced = 0, []
    for column, any_candidate in zip(columns, flagged):
        if not any_candidate:
            continue
        values, found = (hash_record_ids if column in ids else scrub_nhs_numbers)(frame[column])
        if found:
            removed += found
            replaced.append(values.alias(column))
    return (frame.with_columns(replaced) if replaced else frame), removed


def _scrub_json(value) -> tuple[object, int]:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        parts = [_scrub_json(v) for v in value]
        return [p for p, _ in parts], sum(n for _, n in parts)
    if isinstance(value, dict):
        fields = {k: _scrub_json(v) for k, v in value.items()}
        return {k: p for k, (p, _) in fields.items()}, sum(n for _, n in fields.values())
    return value, 0


def scrub_quarantine(quarantined: pl.DataFrame, ids: Sequence[str] = ()) -> tuple[pl.DataFrame, int]:
    """Quarantine rows with any NHS number left in `value` or in the JSON `record`'s strings removed; and how many.

    The file's columns are scrubbed before anything is mapped; this is the last look before storage, for
    whatever path built a quarantine row. A record is read as JSON, so a number broken across lines (an
    escaped "\\n" in its text) is seen as the file had it. `ids`: the record-id source columns, hashed (or
    kept as the provider's reference) already, and left as they are.
    """
    if quarantined.height == 0:
        return quarantined, 0
    is_id = pl.col("source_column").is_in(list(ids)).fill_null(False)
    others = quarantined.select(pl.when(~is_id).then(pl.col("value"))).to_series()
    scrubbed, found = scrub_nhs_numbers(others)
    value = quarantined.select(pl.when(is_id).then(pl.col("value")).otherwise(scrubbed)).to_series()
    records = quarantined["record"].cast(pl.Utf8)
    rows, changed = [], []
    # Ten digits, as characters or JSON escapes: fewer and no record can hold a number.
    for row in records.str.count_matches(r"\\u[0-9a-fA-F]{4}|\d").fill_null(0).ge(10).arg_true():
        record, n = json.loads(records[row]), 0
        for name, field in record.items():
            if name not in ids:
                record[name], m = _scrub_json(field)
                n += m
        if n:
            found += n
            rows.append(row)
            changed.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    if rows:
        records = records.clone().scatter(rows, changed)
    return quarantined.with_columns(value.alias("value"), records.alias("record")), found


# HMAC of this fixed label under the key: it identifies the key without revealing it, so a warehouse can
# tell whether the key now set is the one its patient keys were made with.
FINGERPRINT_LABEL = b"uec pseudonymisation key fingerprint v1"


class KeyMismatchError(RuntimeError):
    pass


def key_fingerprint(key: bytes) -> str:
    """A digest that names the key (never the key itself)."""
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def recorded_fingerprint(conn) -> str | None:
    """The fingerprint of the key the warehouse's patient keys were made with, if one is recorded."""
    exists = conn.execute(
        "select 1 from information_schema.tables where table_schema = 'ops' and table_name = 'pseudonymisation_key'"
    ).fetchall()
    if not exists:
        return None
    rows = conn.execute("select fingerprint from ops.pseudonymisation_key").fetchall()
    return rows[0][0] if rows else None


def mismatch_message(recorded: str, current: str) -> str:
    return (
        f"The warehouse's patient keys were made with another pseudonymisation key (fingerprint {recorded[:12]}; "
        f"the key now set has {current[:12]}). Nothing was written: linking a patient across days needs one key "
        f"for the life of the warehouse. Set {KEY_ENV} to the key the warehouse was built with, or see "
        "`uec rekey --help`."
    )


def check_key(conn, record: bool) -> None:
    """Stop before anything is written when the key set is not the warehouse's; record it on first use."""
    if not key_is_set():
        return  # no key: a feed with identifiers fails plainly in mapping, the rest need none
    current = key_fingerprint(key_from_env())
    recorded = recorded_fingerprint(conn)
    if recorded is None:
        if record:
            conn.execute(
                "insert into ops.pseudonymisation_key select $f, now() where not exists "
                "(select 1 from ops.pseudonymisation_key)",
                {"f": current},
            )
        return
    if recorded != current:
        raise KeyMismatchError(mismatch_message(recorded, current))
