"""Keyed hashing of patient identifiers at ingestion (brief, section 4)."""

from __future__ import annotations

import hashlib
import hmac
import os

import nhs_number

KEY_ENV = "UEC_PSEUDONYMISATION_KEY"
MASK = "<redacted>"


class MissingKeyError(RuntimeError):
    pass


def key_from_env() -> bytes:
    """The HMAC secret; it lives in the environment, never in the repository."""
    key = os.environ.get(KEY_ENV, "")
    if len(key) < 16:
        raise MissingKeyError(
            f"{KEY_ENV} is not set (or shorter than 16 characters): a feed carries patient identifiers "
            "and they must be hashed with a secret before anything is stored. `make demo` creates a local one."
        )
    return key.encode()


def nhs_number_key(value: str | None, key: bytes) -> tuple[str | None, bool]:
    """(patient key, valid): the keyed hash of a modulus-11-valid NHS number; no key for a bad one."""
    if value is None:
        return None, True
    digits = value.replace(" ", "").replace("-", "")
    if not (digits.isdigit() and len(digits) == 10 and nhs_number.is_valid(digits)):
        return None, False
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest(), True
