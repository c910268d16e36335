"""Keyed hashing of patient identifiers at ingestion (brief, section 4)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import nhs_number

KEY_ENV = "UEC_PSEUDONYMISATION_KEY"
MASK = "<redacted>"


LOCAL_SECRET = Path(__file__).resolve().parents[1] / ".uec_secret"


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
        message = (f"Generated a local pseudonymisation key in {LOCAL_SECRET} (git ignores it). "
                   f"In production set {KEY_ENV} from your secret store instead.")
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


def nhs_number_key(value: str | None, key: bytes) -> tuple[str | None, bool]:
    """(patient key, valid): the keyed hash of a modulus-11-valid NHS number; no key for a bad one."""
    if value is None:
        return None, True
    digits = value.replace(" ", "").replace("-", "")
    if not (digits.isdigit() and len(digits) == 10 and nhs_number.is_valid(digits)):
        return None, False
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest(), True
