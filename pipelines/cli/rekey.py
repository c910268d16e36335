"""`uec rekey`, and the key check every command that writes or reads with the key makes first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.ingest.pseudonymise import (
    HASHED,
    KEY_ENV,
    key_fingerprint,
    key_from_env,
    key_is_set,
    mismatch_message,
    recorded_fingerprint,
)
from pipelines.storage.warehouse import connect, ensure_schema, quoted, transaction, warehouse_path
from schemas import catalogue

Print = Callable[[str], None]


def key_problem() -> str | None:
    """Why the key now set must not be used with the warehouse (another key built it), or None."""
    path = warehouse_path()
    if not Path(path).is_file() or not key_is_set():
        return None
    with connect(path, read_only=True) as conn:
        recorded = recorded_fingerprint(conn)
    current = key_fingerprint(key_from_env())
    return mismatch_message(recorded, current) if recorded and recorded != current else None


def patient_keys_held(conn) -> int:
    """Keyed hashes in the warehouse's raw tables, patient keys and hashed record ids: what a change of key would
    orphan (a re-sent record whose id is an NHS number would no longer find the version it replaces)."""
    held = 0
    for feed in catalogue.FEEDS:
        hashes = [
            "count(patient_key)" if c.kind == "nhs_number" else f"count(*) filter ({quoted(c.name)} like $hashed)"
            for c in feed.spec.columns
            if c.kind == "nhs_number" or c.identifies_record
        ]
        exists = conn.sql(
            "select 1 from information_schema.tables where table_schema || '.' || table_name = $t",
            params={"t": feed.table},
        ).fetchall()
        if hashes and exists:
            query = f"select {' + '.join(hashes)} from {quoted(feed.table)}"
            held += conn.execute(query, {"hashed": HASHED + "%"} if "$hashed" in query else None).fetchall()[0][0]
    return held


def rekey(out: Print = print) -> int:
    """Adopt the key now set when the warehouse holds no patient keys; refuse, with the reason, when it does."""
    if not key_is_set():
        out(f"{KEY_ENV} is not set: set the new key first.")
        return 1
    current = key_fingerprint(key_from_env())
    with connect(warehouse_path()) as conn:
        ensure_schema(conn)
        recorded = recorded_fingerprint(conn)
        if recorded == current:
            out("The key set is already the warehouse's key; nothing to do.")
            return 0
        held = patient_keys_held(conn)
        if recorded and held:
            out(
                f"Refused: the warehouse holds {held:,} patient keys made with the old key (record ids that are NHS "
                "numbers included). A keyed hash cannot be re-hashed under a new key without the NHS number, which "
                "is never stored. To change the key, move "
                f"the warehouse ({warehouse_path()}) aside and rebuild it under the new key from the landing files "
                "with `uec refresh --from FIRST --to LAST`."
            )
            return 1
        with transaction(conn):
            conn.execute("delete from ops.pseudonymisation_key")
            conn.execute("insert into ops.pseudonymisation_key select $f, now()", {"f": current})
    out(f"The warehouse now uses the key with fingerprint {current[:12]} (it held no patient keys).")
    return 0
