"""Keyed hashing of patient identifiers at ingestion (brief, section 4)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

import nhs_number
import polars as pl
from nhs_number.constants import REGION_SCOTLAND

from pipelines import REPO_ROOT

KEY_ENV = "UEC_PSEUDONYMISATION_KEY"
MASK = "<redacted>"


LOCAL_SECRET = REPO_ROOT / ".uec_secret"


class MissingKeyError(RuntimeError):
    pass


def use_local_key(create: bool) -> str | None:
    """Put the local demo key (.uec_secret, ignored by git) in the environment when none is set.

    Returns a message for the user when it did something, so a local key is never used silently.
    """
    if os.environ.get(KEY_ENV):
        return None
    message = None
    if not LOCAL_SECRET.exists():
        if not create:
            return None
        LOCAL_SECRET.write_text(secrets.token_hex(32))
        LOCAL_SECRET.chmod(0o600)
        message = (
            f"Generated a local pseudonymisation key in {LOCAL_SECRET} (git ignores it). "
            f"In production set {KEY_ENV} from your secret store instead."
        )
    os.environ[KEY_ENV] = LOCAL_SECRET.read_text().strip()
    return message or f"Using the local pseudonymisation key in {LOCAL_SECRET} ({KEY_ENV} is not set)."


def key_from_env() -> bytes:
    """The HMAC secret; it lives in the environment, never in the repository."""
    key = os.environ.get(KEY_ENV, "")
    if len(key) < 16:
        raise MissingKeyError(
            f"{KEY_ENV} is not set (or shorter than 16 characters): a feed carries patient identifiers "
            "and they must be hashed with a secret before anything is stored. `make demo` creates a local one."
        )
    return key.encode()


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
