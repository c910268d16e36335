"""`make dev` as the README starts it: up on the configured port and address, and gone within 10 seconds of a signal.

`dagster dev` started by `make dev` once ignored SIGTERM and SIGINT for two minutes (its code server lived on
after the shell and make had died). Here the real `make dev` runs in a session of its own, as a terminal would
hold it; the signal goes to the process group make leads, as Ctrl-C (SIGINT) or a service manager (SIGTERM)
sends it, and every process make started, children and grandchildren, must be gone within 10 seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[1]
STOP_SECONDS = 10


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc (children of children too)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (field 2) may hold spaces: the fields after its closing bracket are fixed.
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(folder: Path) -> str:
    return "\n".join((folder / "make-dev.log").read_text().splitlines()[-15:])


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_make_dev_serves_on_its_settings_and_stops_within_ten_seconds(tmp_path: Path, sent: signal.Signals):
    home = tmp_path / "dagster_home"
    home.mkdir()
    # A copy newer than the repo's file: make finds the instance's dagster.yaml up to date and leaves it.
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    ui_port, reports_port = free_port(), free_port()
    (tmp_path / ".env").write_text(
        f"UEC_UI_PORT={ui_port}\nUEC_UI_HOST=127.0.0.1\nUEC_REPORTS_PORT={reports_port}\n"
        f"UEC_REPORTS={tmp_path / 'reports'}\nUEC_WAREHOUSE={tmp_path / 'warehouse' / 'uec.duckdb'}\n"
        f"UEC_LANDING={tmp_path / 'landing'}\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("UEC_")}
    environment |= {"UEC_ENV_FILE": str(tmp_path / ".env"), "PYTHONWARNINGS": "ignore"}
    log = (tmp_path / "make-dev.log").open("w")
    make = subprocess.Popen(
        ["make", "--no-print-directory", "dev", f"DAGSTER_HOME={home}"],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        # The UI on the port the .env file names, and the reports folder beside it.
        while not (_answers(f"http://127.0.0.1:{ui_port}/server_info") and _listening(reports_port)):
            assert make.poll() is None, _tail(tmp_path)
            assert time.monotonic() < deadline, "make dev never answered on its ports"
            time.sleep(0.5)
        started = _descendants(make.pid)
        assert len(started) >= 3, started  # at least the launcher, dagster dev and the reports server

        os.killpg(make.pid, sent)
        signalled = time.monotonic()
        while (left := {pid for pid in started | {make.pid} if _alive(pid)}) and (
            time.monotonic() - signalled < STOP_SECONDS
        ):
            time.sleep(0.2)
        took = time.monotonic() - signalled
        running = {pid: Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:80] for pid in left}
        assert running == {}, f"still running {took:.1f} s after {sent.name}: {running}\n" + _tail(tmp_path)
        assert not _listening(ui_port) and not _listening(reports_port)
    finally:
        for pid in [make.pid, *started]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        make.wait()
        log.close()
