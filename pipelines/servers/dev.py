"""`make dev`: the Dagster UI and daemon, with the reports folder served beside them, stopped cleanly by a signal.

`make dev` used to start `dagster dev` and the reports server from a shell line. On Ctrl-C or SIGTERM the
shell and make died at once while `dagster dev`'s code server lived on until its 45-second heartbeat ran out,
and a signal arriving while a code location loaded could leave the whole lot up for minutes. Here one process
owns both children, each in a process group of its own: a signal asks them to stop, and whatever is still
running GRACE_SECONDS later (code servers, a run worker) is killed with its group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pipelines.servers.serve_reports import HOST_VARIABLE, bind_address
from pipelines.servers.serve_reports import PORT_VARIABLE as REPORTS_PORT_VARIABLE
from pipelines.settings import REPORTS_URL_VARIABLE, child_environment, load_settings, settings

# Leaves room inside the 10 seconds a stop may take (tests/test_dev.py) for make and the kill itself.
GRACE_SECONDS = 6.0
DAGSTER = Path(sys.executable).with_name("dagster")


def _url_host(host: str) -> str:
    # A server bound to every interface is reached by the machine's name, not by 0.0.0.0.
    return socket.getfqdn() if host in ("0.0.0.0", "::", "") else host


def _stop(process: subprocess.Popen, first: int, deadline: float) -> None:
    """Ask a child's process group to stop with `first`, then kill what is left of the group at `deadline`."""
    try:
        os.killpg(process.pid, first)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        pass
    # The group, not only the child: dagster dev's code server and any run worker are its grandchildren.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def main() -> int:
    load_settings()
    host = bind_address()
    config = settings()
    ui_port, reports_port = config.ui_port, config.reports_port
    environment = child_environment(
        {
            HOST_VARIABLE: host,
            REPORTS_PORT_VARIABLE: str(reports_port),
            REPORTS_URL_VARIABLE: config.reports_url or f"http://{_url_host(host)}:{reports_port}/",
        }
    )
    received: list[int] = []

    # Only a list append here: the handler runs in the main thread between bytecodes, and a threading.Event's
    # set() taken there deadlocks whenever the signal lands while Event.wait() holds the same lock (CI saw a
    # SIGTERM leave every process up).
    def on_signal(number: int, _frame) -> None:
        received.append(number)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # Each child leads a group of its own, so Ctrl-C in the terminal reaches this process only and the stop
    # below is done once, in order, rather than by every process racing at once.
    reports = subprocess.Popen(
        [sys.executable, "-m", "pipelines.servers.serve_reports"], env=environment, start_new_session=True
    )
    dagster = subprocess.Popen(
        [str(DAGSTER), "dev", "-h", host, "-p", str(ui_port)], env=environment, start_new_session=True
    )
    children = [dagster, reports]
    while not received and all(child.poll() is None for child in children):
        time.sleep(0.2)
    deadline = time.monotonic() + GRACE_SECONDS
    # dagster dev shuts its webserver, daemon and code server down on SIGINT, as on Ctrl-C.
    _stop(dagster, signal.SIGINT, deadline)
    _stop(reports, signal.SIGTERM, deadline)
    if received:
        print(f"make dev: stopped on {signal.Signals(received[0]).name}", file=sys.stderr, flush=True)
        return 0
    return next((c.returncode for c in children if c.returncode), 1)


if __name__ == "__main__":
    sys.exit(main())
