"""Infrastructure faults in plain words: a damaged warehouse file, a full disk, and restoring from a backup."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.storage.warehouse import (
    DiskFull,
    WarehouseDamaged,
    _highest_block_named,
    connect,
    plain_fault,
    transaction,
)
from tests.support.cli import DAY, UEC, three_uhdb_attendances, three_uhdb_rows, uec, uec_env
from tests.support.rows import uhdb_row
from tests.support.warehouse import TEST_KEY, Env


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real warehouse, built once: one UHDB file for the day, every asset materialised."""
    env = Env(tmp_path_factory.mktemp("built"))
    three_uhdb_attendances(env)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, TEST_KEY)
        env.materialize(DAY)
    return env.warehouse


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def install(built: Path, env: Env) -> Path:
    """The built warehouse copied into this test's env (as its UEC_WAREHOUSE)."""
    env.warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, env.warehouse)
    return env.warehouse


def cut_in_half(path: Path) -> str:
    """Truncate the file to half its size, as an interrupted copy leaves it; return its checksum."""
    os.truncate(path, path.stat().st_size // 2)
    return sha256(path)


# --- A damaged warehouse is named before anything is written --------------------------------------------------


def _overwrite(offset: int, data: bytes):
    def damage(path: Path) -> None:
        with open(path, "r+b") as handle:
            handle.seek(offset)
            handle.write(data)

    return damage


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: os.truncate(p, p.stat().st_size // 2), "has been cut short"),
        (lambda p: os.truncate(p, p.stat().st_size - 1), "has been cut short"),
        (lambda p: os.truncate(p, 12288), "has been cut short"),
        (lambda p: p.write_bytes(b""), "not a DuckDB database file"),
        (lambda p: p.write_text("ATTENDANCE_ID,SITE\n"), "not a DuckDB database file"),
        (_overwrite(0, b"\xff" * 64), "not a DuckDB database file"),
        (_overwrite(12288 + 8, b"\xff" * 64), "fails its checksum"),
    ],
    ids=["half", "one-byte-short", "headers-only", "empty", "a-csv", "main-header-overwritten", "block-overwritten"],
)
def test_connect_refuses_a_damaged_file_in_either_mode_and_leaves_it_as_it_was(built, env, damage, reason):
    path = install(built, env)
    damage(path)
    digest = sha256(path)
    for read_only in (True, False):
        with pytest.raises(WarehouseDamaged, match=reason) as raised:
            connect(str(path), read_only=read_only, timeout_seconds=5)
        assert raised.value.path == str(path) and "uec restore" in str(raised.value)
    assert sha256(path) == digest
    assert sorted(p.name for p in path.parent.iterdir()) == ["uec.duckdb"]  # no write-ahead log either


def test_a_read_write_open_of_a_damaged_file_with_a_write_ahead_log_writes_nothing(built, env):
    # Closing a read-write connection would checkpoint the log into the damaged file (and delete the log).
    path = install(built, env)
    subprocess.run([sys.executable, "-c", LEAVE_A_WAL, str(path)], check=True)
    wal = Path(f"{path}.wal")
    digest, wal_digest = cut_in_half(path), sha256(wal)
    with pytest.raises(WarehouseDamaged, match="cut short"):
        connect(str(path), timeout_seconds=5)
    assert sha256(path) == digest and sha256(wal) == wal_digest


def test_a_healthy_file_shorter_than_its_block_count_opens_but_not_once_cut(built, env):
    # DuckDB trims free blocks off the end of the file yet still counts them: comparing the length with the
    # block count alone called healthy warehouses damaged after a day was re-run.
    path = install(built, env)
    # A filler dropped first leaves free blocks low in the file for the catalogue's next write, so the scratch table's
    # blocks are the file's tail when it is dropped (a warehouse a run wrote in one go has no free blocks of its own).
    table = "create table ops.{} as select range as i, md5(range::varchar) as s from range(300000)"
    with duckdb.connect(str(path)) as conn:
        for statement in (table.format("filler"), "checkpoint", table.format("scratch"), "checkpoint"):
            conn.execute(statement)
        for statement in ("drop table ops.filler", "checkpoint", "drop table ops.scratch", "checkpoint"):
            conn.execute(statement)
    with duckdb.connect(str(path), read_only=True) as conn:
        [(block_size, total)] = conn.sql("select block_size, total_blocks from pragma_database_size()").fetchall()
    assert path.stat().st_size < 3 * 4096 + total * block_size  # the trimmed state itself
    connect(str(path), read_only=True).close()
    connect(str(path)).close()
    # Cut it short of the last block still in use (where that falls depends on DuckDB's layout of the tables).
    with duckdb.connect(str(path), read_only=True) as conn:
        [(used,)] = conn.sql("select used_blocks from pragma_database_size()").fetchall()
        needed = max(used, _highest_block_named(conn) + 1)
    os.truncate(path, 3 * 4096 + (needed - 1) * block_size)
    with pytest.raises(WarehouseDamaged, match="cut short"):
        connect(str(path), read_only=True)


def test_an_intact_warehouse_opens(built, env):
    # Guards the size arithmetic against a change in DuckDB's file layout: an upgrade that broke it would
    # call every good warehouse damaged, and fail here first.
    path = install(built, env)
    with connect(str(path), read_only=True) as conn:
        assert conn.sql("select count(*) from raw.ed_attendances").fetchall() == [(3,)]


@pytest.mark.parametrize(
    "command, exit_code", [("status", 1), ("refresh", 1), ("report", 1), ("backup", 2)], ids=lambda v: str(v)
)
def test_each_command_names_a_truncated_warehouse_exits_non_zero_and_writes_nothing(built, env, command, exit_code):
    three_uhdb_attendances(env)  # a file `refresh` would load, were it allowed to
    path = install(built, env)
    digest = cut_in_half(path)
    done = uec(env, command, *(["--date", DAY] if command != "backup" else []))
    assert done.returncode == exit_code, done.stdout + done.stderr
    assert f"The warehouse file {path} is damaged" in done.stderr and "cut short" in done.stderr
    assert "Nothing was written to it" in done.stderr and "uec restore" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert sha256(path) == digest
    assert sorted(p.name for p in path.parent.iterdir()) == ["uec.duckdb"]
    assert not (env.root / "backups").exists() or not any((env.root / "backups").iterdir())
    assert not (env.root / "reports").exists()


def test_a_dagster_run_on_a_damaged_warehouse_fails_with_the_plain_message(built, env):
    three_uhdb_attendances(env)
    path = install(built, env)
    digest = cut_in_half(path)
    result = env.materialize(DAY, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures
    for failure in failures:
        error = failure.event_specific_data.error
        # `uec refresh` reports the innermost cause of a step's failure: it must be the plain message.
        while error.cause is not None:
            error = error.cause
        assert error.message.startswith(
            f"pipelines.storage.warehouse.WarehouseDamaged: The warehouse file {path} is damaged"
        )
    assert sha256(path) == digest


# --- Restoring from a backup ----------------------------------------------------------------------------------

LEAVE_A_WAL = """
import duckdb, os, sys
conn = duckdb.connect(sys.argv[1])
conn.execute("create table ops.from_the_damaged_file as select 1 as x")
os._exit(0)  # killed before a checkpoint: the change is only in uec.duckdb.wal
"""


def test_restore_from_a_uec_backup_brings_status_back(built, env):
    three_uhdb_attendances(env)
    path = install(built, env)
    before = uec(env, "status", "--date", DAY)
    made = uec(env, "backup")
    assert made.returncode == 0, made.stdout + made.stderr
    [backup] = (env.root / "backups").glob("uec-*.duckdb")
    # A writer killed mid-run left a write-ahead log, and then the file was cut short.
    subprocess.run([sys.executable, "-c", LEAVE_A_WAL, str(path)], check=True)
    wal = Path(f"{path}.wal")
    assert wal.is_file()
    digest = cut_in_half(path)
    damaged = uec(env, "status", "--date", DAY)
    assert damaged.returncode == 1 and f"`uec restore {backup}` (the newest backup)" in damaged.stderr

    done = uec(env, "restore", str(backup))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Restored {path} from {backup}." in done.stdout
    [kept] = path.parent.glob("uec.duckdb.damaged-*[0-9]")
    assert sha256(kept) == digest and f"kept as {kept}" in done.stdout
    # The damaged file's log went with it: replayed into the backup it would have added its change.
    assert Path(f"{kept}.wal").is_file() and not wal.exists()
    assert not path.with_name("uec.duckdb.restoring").exists()

    after = uec(env, "status", "--date", DAY)
    assert after.returncode == before.returncode
    assert after.stdout.splitlines()[1:] == before.stdout.splitlines()[1:]  # the first line has the time
    assert "damaged" not in after.stdout + after.stderr
    assert env.query("select count(*) from duckdb_tables() where table_name = 'from_the_damaged_file'").item() == 0
    assert env.query("select count(*) from raw.ed_attendances").item() == 3


HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"


def test_restore_refuses_an_unusable_backup_and_a_warehouse_in_use(built, env, tmp_path):
    path = install(built, env)
    digest = sha256(path)
    cut = tmp_path / "cut.duckdb"
    shutil.copyfile(built, cut)
    cut_in_half(cut)
    done = uec(env, "restore", str(cut))
    assert done.returncode == 1 and f"Not restored: the backup {cut} cannot be used" in done.stdout
    assert "cut short" in done.stdout
    stranger = tmp_path / "stranger.duckdb"
    with duckdb.connect(str(stranger)) as conn:
        conn.execute("create table t as select 1 as x")
    done = uec(env, "restore", str(stranger))
    assert done.returncode == 1 and "not a warehouse" in done.stdout
    assert uec(env, "restore", str(tmp_path / "missing.duckdb")).returncode == 2

    good = tmp_path / "good.duckdb"
    shutil.copyfile(built, good)  # a closed, checkpointed warehouse: as complete as a `uec backup` copy
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = uec(env, "restore", str(good))
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1 and "is open in another process" in done.stdout
    assert sha256(path) == digest
    assert sorted(p.name for p in path.parent.iterdir()) == ["uec.duckdb"]

    done = uec(env, "restore", str(good))
    assert done.returncode == 0, done.stdout + done.stderr
    # The file it replaced was intact: kept, but not called damaged.
    assert [p.name.split("-")[0] for p in path.parent.glob("uec.duckdb.*")] == ["uec.duckdb.replaced"]


# --- A full disk says so ----------------------------------------------------------------------------------------


def test_a_failed_commit_is_reported_not_the_rollback_that_follows_it():
    # What a full disk does to a transaction, with DuckDB's real rollback error: the commit has already ended the
    # transaction, so the rollback in transaction() fails with "no transaction is active".
    conn = duckdb.connect()
    with pytest.raises(OSError, match="the original failure") as raised:
        with transaction(conn):
            conn.execute("commit")
            raise OSError("the original failure")
    assert "cannot rollback - no transaction is active" in "".join(raised.value.__notes__)


def test_duckdb_disk_full_and_damage_errors_become_plain_faults(tmp_path):
    # DuckDB 2.0's own words, as the tmpfs test below and the damage tests above meet them.
    wal = tmp_path / "uec.duckdb.wal"
    commit = duckdb.TransactionException(
        f'TransactionContext Error: Failed to commit: Could not write file "{wal}": No space left on device'
    )
    fault = plain_fault(commit, str(tmp_path / "uec.duckdb"))
    assert isinstance(fault, DiskFull) and fault.path == str(wal)
    assert str(fault).startswith(f"No space left on {fault.mount} (the disk holding {wal}).")
    assert "as it was before that write" in str(fault)
    report = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "brief.html"))
    assert isinstance(plain_fault(report), DiskFull) and "brief.html may be incomplete" in str(plain_fault(report))
    corrupt = duckdb.Error("Corrupt database file: computed checksum 1 does not match stored checksum 2 in block")
    assert isinstance(plain_fault(corrupt, "/w/uec.duckdb"), WarehouseDamaged)
    assert plain_fault(duckdb.IOException('Could not set lock on file "/w/uec.duckdb"'), "/w/uec.duckdb") is None
    assert plain_fault(ValueError("No space left on device")) is None


FULL_DISK_RUN = """
import json, os, shutil, subprocess, sys

disk, source, landing_copy, uec = sys.argv[1:5]
# Inside a private mount namespace (unshare): this mount disappears with this process, however it ends.
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk], check=True)
warehouse = os.path.join(disk, "uec.duckdb")
shutil.copyfile(source, warehouse)
filler = os.path.join(disk, "filler")
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
for chunk in (1 << 20, 1 << 12):  # fill the disk to the last page, as a runaway log would
    try:
        while True:
            os.write(fd, b"x" * chunk)
    except OSError:
        pass
os.close(fd)
env = dict(os.environ, UEC_WAREHOUSE=warehouse)
done = subprocess.run([uec, "refresh", "--date", sys.argv[5]], env=env, capture_output=True, text=True, timeout=600)
os.remove(filler)
# Take the warehouse (and any write-ahead log) out of the disk before it goes, for the test to open.
os.makedirs(landing_copy, exist_ok=True)
for name in os.listdir(disk):
    if name.startswith("uec.duckdb") and os.path.isfile(os.path.join(disk, name)):
        shutil.copyfile(os.path.join(disk, name), os.path.join(landing_copy, name))
print(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}))
"""


def contents(path: Path) -> dict[str, tuple[int, int]]:
    """Every table's row count and a hash of all its rows."""
    with duckdb.connect(str(path), read_only=True) as conn:
        tables = conn.sql("select schema_name || '.' || table_name from duckdb_tables()").fetchall()
        return {t: conn.sql(f"select count(*), bit_xor(hash(x)) from {t} x").fetchall()[0] for (t,) in tables}


def _tmpfs_unavailable(where: Path) -> str | None:
    if sys.platform != "linux" or not shutil.which("unshare"):
        return "needs Linux with unshare(1) to mount a small tmpfs in a private mount namespace"
    probe = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "size=1m",
            "tmpfs",
            str(where),
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        return f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {probe.stderr.strip()}"
    return None


def test_a_full_disk_is_reported_as_such_and_the_warehouse_is_left_as_it_was(built, env, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if reason := _tmpfs_unavailable(disk):
        pytest.skip(reason)
    # A correction for the day is waiting, so the refresh has something to write: A1 now breaches 4 hours.
    three_uhdb_attendances(env)
    # UHDB re-sends the whole day (resend: full): A1 corrected, A2 and A3 as before.
    env.write_uhdb(
        "20250115",
        "20250117T0600",
        [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 15:00:00"), *three_uhdb_rows()[1:]],
    )
    afterwards = tmp_path / "afterwards"
    run = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", textwrap.dedent(FULL_DISK_RUN)]
        + [str(disk), str(built), str(afterwards), str(UEC), DAY],
        env=uec_env(env),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr
    assert not os.path.ismount(disk)  # nothing left mounted out here
    done = json.loads(run.stdout.splitlines()[-1])
    out = done["stdout"] + done["stderr"]
    assert done["returncode"] == 1, out
    assert f"No space left on {disk} (the disk holding {disk}/uec.duckdb" in out
    assert f"The warehouse {disk}/uec.duckdb is as it was before that write" in out
    assert "Refresh FAILED at" in out
    assert "cannot rollback" not in out and "no transaction is active" not in out and "Traceback" not in out

    # The warehouse as the full disk left it: every table as before the refresh (A1 within 4 hours).
    env.warehouse.parent.mkdir(parents=True)
    for name in os.listdir(afterwards):
        shutil.copyfile(afterwards / name, env.warehouse.parent / name)
    assert contents(env.warehouse) == contents(built)
    assert env.query("select attendances, within_4h from marts.ed_four_hour_daily").rows() == [(3, 2)]
    # With space again, the same command completes and takes the correction.
    again = uec(env, "refresh", "--date", DAY)
    assert again.returncode == 0, again.stdout + again.stderr
    assert env.query("select attendances, within_4h from marts.ed_four_hour_daily").rows() == [(3, 1)]
