"""The Dagster instance's SQLite storage (runs, event logs, schedules under DAGSTER_HOME) keeping one SQLAlchemy
engine per database file for the life of the process, where Dagster's own builds a new engine for every statement.

Same files, same tables and the same one-connection-per-statement locking (NullPool): only the engine is kept.
A new engine starts with an empty statement cache and dialect, so Dagster's SQLite storage compiled every statement
afresh: one `uec refresh` of a sample day made 2,300 engines for its event log alone, and keeping them took its
process from 19.7 to 17.3 s of CPU (docs/benchmark.md, "The test suite's time"). dagster.yaml names this class as
its `storage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool


# One engine per database file in this process. NullPool: an engine holds no connection between statements, so
# one dropped from the cache needs no closing. The daemon and the UI read many runs' event logs, a file each: the
# most recent files' engines are kept.
@lru_cache(maxsize=64)
def engine(url: str, busy_timeout: float | None = None) -> Engine:
    connect_args = {} if busy_timeout is None else {"timeout": busy_timeout}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


class KeptEngineEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, with its engines kept."""

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's _connect, without creating and disposing of an engine each time.
        with self._db_lock:
            engine_ = engine(self.conn_string_for_shard(shard), SQLITE_BUSY_TIMEOUT_SECONDS)
            if shard not in self._initialized_dbs:
                self._initdb(engine_)
                self._initialized_dbs.add(shard)
            with engine_.connect() as conn, conn.begin():
                yield conn


class KeptEngineRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage, with its engine kept."""

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with engine(self._conn_string).connect() as conn, conn.begin():
            yield conn


class KeptEngineSqliteStorage(DagsterSqliteStorage):
    """What `storage: sqlite: base_dir` gives, in the same folders, with the run and event-log engines kept."""

    # Dagster's __init__ with the two classes swapped. It is not called: it would open and check the same files
    # through the plain classes first. Its own parent's __init__ is.
    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.base_dir = base_dir
        self._inst_data = inst_data
        self._run_storage = KeptEngineRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = KeptEngineEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        super(DagsterSqliteStorage, self).__init__()

    # Dagster's names its own class, not cls.
    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value) -> KeptEngineSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
