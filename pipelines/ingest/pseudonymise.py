"""Keyed hashing of patient identifiers at ingestion (brief, section 4)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

import nhs_number
import polars as pl
from nhs_number.constants import REGION_SCOTLAND

from pipelines import REPO_ROOT
from pipelines.settings import file_setting, load_settings, write_setting

KEY_ENV = "UEC_PSEUDONYMISATION_KEY"
MASK = "<redacted>"
REMOVED = "[NHS number removed]"
# Ten digits, each optionally followed by one space or dash: "943 476 5919", "9434765919", "943-476-5919".
NHS_NUMBER_SHAPED = re.compile(r"(?<!\d)(?:\d[ -]?){9}\d(?!\d)")


class MissingKeyError(RuntimeError):
    pass


def use_local_key(create: bool) -> str | None:
    """Make sure the key is set: from the environment, else from the .env file, else (if asked) a new local one.

    Returns a message for the user when it did something, so a local key is never used silently.
    """
    load_settings()
    if os.environ.get(KEY_ENV):
        return None
    legacy = REPO_ROOT / ".uec_secret"
    if legacy.is_file():
        # Earlier versions kept the demo key here, where only `uec` looked: move it where every process looks,
        # so the warehouse keeps its key.
        path = write_setting(KEY_ENV, legacy.read_text().strip())
        legacy.unlink()
        os.environ[KEY_ENV] = file_setting(KEY_ENV) or ""
        return f"Moved the local pseudonymisation key from {legacy} into {path}, where every process reads it."
    if not create:
        return None
    path = write_setting(KEY_ENV, secrets.token_hex(32))
    os.environ[KEY_ENV] = file_setting(KEY_ENV) or ""
    return (
        f"Generated a local pseudonymisation key in {path} (git ignores it); every process reads it from there. "
        f"In production set {KEY_ENV} from your secret store instead."
    )


# Shorter than this is a placeholder, not a secret: treated as no key at all.
MIN_KEY_LENGTH = 16


def key_is_set() -> bool:
    """Whether a usable key is in the environment (without raising, for callers that can do without one)."""
    return len(os.environ.get(KEY_ENV, "")) >= MIN_KEY_LENGTH


def key_from_env() -> bytes:
    """The HMAC secret; it lives in the environment, never in the repository."""
    if not key_is_set():
        raise MissingKeyError(
            f"{KEY_ENV} is not set (or shorter than {MIN_KEY_LENGTH} characters): a feed carries patient identifiers "
            "and they must be hashed with a secret before anything is stored. Set it in the environment or in "
            "the .env file (docs/data-protection.md); `make demo` creates a local one."
        )
    return os.environ[KEY_ENV].encode()


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


def scrub_nhs_numbers(values: pl.Series) -> tuple[pl.Series, int]:
    """Free text with every NHS number (ten digits, spaced or not, passing the check) replaced; and how many.

    Brief 7.4: a comment or note is stored, but an NHS number typed into it never is. Runs that fail the
    modulus 11 check (a phone number, a reference) are left as they are.
    """
    found = 0

    def replace(match: re.Match) -> str:
        nonlocal found
        if not nhs_number.is_valid(re.sub(r"[ -]", "", match.group())):
            return match.group()
        found += 1
        return REMOVED

    # Most cells hold no ten-digit run: only those are looked at one by one.
    candidates = values.cast(pl.Utf8).str.contains(r"\d").fill_null(False)
    if not candidates.any():
        return values, 0
    scrubbed = [NHS_NUMBER_SHAPED.sub(replace, v) if v is not None and c else v for v, c in zip(values, candidates)]
    return pl.Series(values.name, scrubbed, dtype=pl.Utf8), found


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
