"""Seconds spent in each stage of loading a feed (read, validate, write), for a run's metadata and the benchmark."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# The load under way keeps its stages' seconds here, so the functions it calls need no counter handed down;
# outside a load (a dry run of one file) there is none and nothing is kept.
_seconds: ContextVar[Counter | None] = ContextVar("ingest_stage_seconds", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the block's seconds to the stage `name` of the recording under way."""
    started = time.perf_counter()
    # Not in a `finally`: a file that fails to read is rejected, and its time was never counted.
    yield
    seconds = _seconds.get()
    if seconds is not None:
        seconds[name] += time.perf_counter() - started  # type: ignore[assignment]  # Counter is typed for ints


@contextmanager
def recording() -> Iterator[Counter]:
    """The seconds of each stage run within the block, filled in as it runs."""
    seconds: Counter = Counter()
    token = _seconds.set(seconds)
    try:
        yield seconds
    finally:
        _seconds.reset(token)
