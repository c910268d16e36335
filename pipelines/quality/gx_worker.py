"""A process that imports great-expectations as soon as a run that will need it starts, then validates that run's
frames when asked: the import (about 4 s of one core) overlaps the run's earlier steps instead of following them."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import traceback
from datetime import date
from pathlib import Path
from typing import IO

import polars as pl

from pipelines.quality.gx_suites import Outcome, validate
from pipelines.settings import child_environment, disable_gx_analytics
from schemas.expectations import Expectation


class GxWorkerError(RuntimeError):
    """The worker failed to validate: its traceback is the message."""


class GxWorker:
    """One worker process for one run; `validate` takes what gx_suites.validate takes and returns what it returns."""

    def __init__(self) -> None:
        disable_gx_analytics()  # in this process's environment, so in the worker's
        self._process: subprocess.Popen[str] | None = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_environment({}),
        )

    def validate(
        self, frames: dict[Expectation, pl.DataFrame], reports_dir: Path, days: tuple[date, date] | None = None
    ) -> list[Outcome]:
        process = self._process
        if process is None or process.poll() is not None:
            # A worker that died before it was needed (killed, out of memory) costs the import here, not the run.
            return validate(frames, reports_dir, days)
        reports_dir.mkdir(parents=True, exist_ok=True)
        assert process.stdin is not None and process.stdout is not None  # both are pipes
        with tempfile.TemporaryDirectory(prefix=".gx-request-", dir=reports_dir) as folder:
            request = Path(folder) / "request.pickle"
            request.write_bytes(pickle.dumps((frames, reports_dir, days)))
            process.stdin.write(f"{request}\n")
            process.stdin.flush()
            answer = process.stdout.readline().strip()
            if not answer:
                raise GxWorkerError(f"the great-expectations worker ended without an answer (exit {process.wait()})")
            status, payload = pickle.loads(Path(answer).read_bytes())
        if status != "ok":
            raise GxWorkerError(f"great-expectations failed in its worker process:\n{payload}")
        return payload

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


def _serve(requests: IO[str], answers: IO[str]) -> None:
    import great_expectations  # noqa: F401  the reason this process exists: imported before it is needed

    for line in requests:
        request = Path(line.strip())
        try:
            frames, reports_dir, days = pickle.loads(request.read_bytes())
            result: tuple[str, object] = ("ok", validate(frames, reports_dir, days))
        except Exception:
            result = ("error", traceback.format_exc())
        answer = request.with_name("answer.pickle")
        answer.write_bytes(pickle.dumps(result))
        answers.write(f"{answer}\n")
        answers.flush()


if __name__ == "__main__":
    # The answers keep stdout's pipe to themselves: whatever GX prints goes to stderr instead.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin, answers)
