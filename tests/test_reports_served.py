"""The reports folder served as `make dev` serves it: the UI's links to the brief and Data Docs open with a click."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pipelines.resources import ReportsResource
from tests.support.servers import free_port


def test_the_served_reports_folder_answers_the_links_the_ui_shows(tmp_path: Path):
    reports = tmp_path / "reports"
    (reports / "data_docs").mkdir(parents=True)
    brief = reports / "brief 2025-03-31.html"  # a space: the link must be percent-encoded
    brief.write_text("<h1>Morning brief</h1>", encoding="utf-8")
    (reports / "data_docs" / "index.html").write_text("<h1>Data Docs</h1>", encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.servers.serve_reports"],
        env={**os.environ, "UEC_REPORTS": str(reports), "UEC_REPORTS_PORT": str(port)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert f"http://127.0.0.1:{port}/" in server.stdout.readline()
        served = ReportsResource(directory=str(reports), url=f"http://127.0.0.1:{port}/")
        for file, words in ((brief, "Morning brief"), (reports / "data_docs" / "index.html", "Data Docs")):
            link = served.link(file).value
            assert link.startswith(f"http://127.0.0.1:{port}/") and " " not in link
            deadline = time.monotonic() + 10
            while True:
                try:
                    with urllib.request.urlopen(link, timeout=5) as response:
                        assert response.status == 200 and words in response.read().decode()
                    break
                except ConnectionError:
                    assert time.monotonic() < deadline, "the server never answered"
                    time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Without a served address (or for a file outside the folder), the link is the file's own file:// URL.
    assert ReportsResource(directory=str(reports)).link(brief).value == brief.resolve().as_uri()
    outside = tmp_path / "elsewhere.html"
    assert served.link(outside).value == outside.resolve().as_uri()
