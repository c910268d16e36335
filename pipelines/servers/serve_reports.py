"""`make dev`'s web server for the reports folder: the Dagster UI's links to the brief and Data Docs open with a click.

Browsers refuse a web page's file:// links, so the UI links to the files as this server serves them
(UEC_REPORTS_URL, which `make dev` sets to the address here). It listens where the UI does: UEC_UI_HOST,
127.0.0.1 unless set, so a link the UI shows is reachable by whoever can reach the UI and by no one else.
"""

from __future__ import annotations

import functools
import http.server

from pipelines.resources import default_resources
from pipelines.settings import (
    DEFAULT_REPORTS_PORT,
    DEFAULT_UI_HOST,
    REPORTS_PORT_VARIABLE,
    UI_HOST_VARIABLE,
    load_settings,
    settings,
)

PORT_VARIABLE = REPORTS_PORT_VARIABLE
DEFAULT_PORT = DEFAULT_REPORTS_PORT
HOST_VARIABLE = UI_HOST_VARIABLE
DEFAULT_HOST = DEFAULT_UI_HOST


def bind_address() -> str:
    """The address the UI and this server listen on (UEC_UI_HOST): loopback unless a host is set."""
    return settings().ui_host


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass  # a line per file fetched would bury `dagster dev`'s own output


def main() -> None:
    load_settings()
    folder = default_resources()["reports"].path
    folder.mkdir(parents=True, exist_ok=True)
    port = settings().reports_port
    host = bind_address()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        print(f"Reports (briefs, Data Docs) served at http://{host}:{port}/ from {folder}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
