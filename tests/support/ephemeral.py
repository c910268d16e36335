"""Dagster's ephemeral instance for the tests' in-process runs, its in-memory event log on one held connection.

Dagster's in-memory event log opens a new SQLite connection for every statement and sets two PRAGMAs on each: about a
tenth of a one-feed run's CPU in the test process. Holding the one connection it already keeps open for the
instance's life stores and reads the same events, one statement at a time under the same lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.instance import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage


class HeldConnectionEventLogStorage(InMemoryEventLogStorage):
    """InMemoryEventLogStorage whose statements all go through the connection it holds for the instance's life."""

    @contextmanager
    def _connect(self) -> Iterator:
        with self._db_lock, self._held_conn.begin():
            yield self._held_conn


def ephemeral_instance() -> dg.DagsterInstance:
    """What dg.materialize makes when given no instance (dagster._core.instance.factory), with the held connection."""
    return dg.DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=HeldConnectionEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
