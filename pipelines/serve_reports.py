"""`make dev`'s web server for the reports folder: the Dagster UI's links to the brief and Data Docs open with a click.

Browsers refuse a web page's file:// links, so the UI links to the files as this server serves them
(UEC_REPORTS_URL, which `make dev` sets to the address here). It listens on 127.0.0.1 only, like the UI.
"""

from __future__ import annotations

import functools
import http.server
import os

from pipelines.resources import default_resources
from pipelines.settings import load_settings

PORT_VARIABLE = "UEC_REPORTS_PORT"
DEFAULT_PORT = 3001


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass  # a line per file fetched would bury `dagster dev`'s own output


def main() -> None:
    load_settings()
    folder = default_resources()["reports"].path
    folder.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get(PORT_VARIABLE) or DEFAULT_PORT)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"Reports (briefs, Data Docs) served at http://127.0.0.1:{port}/ from {folder}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
