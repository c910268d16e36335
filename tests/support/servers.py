"""Local stand-ins for the services the pipeline talks to: an SMTP relay that keeps what it accepts, a Teams webhook
that keeps what is posted to it, and a free port to start a server on."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nothing listens on at the moment (for a server that cannot be given port 0, or to find one closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps every message the server accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=default_policy))
        )
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [m for _, m in self.received]


def body(message: EmailMessage) -> str:
    """A message's plain-text body."""
    return message.get_body(preferencelist=("plain",)).get_content()


def smtp_channel(port: int, to: list[str]) -> dict:
    """The alerts file's e-mail section, pointing at a local SMTP server (plain, no STARTTLS)."""
    return {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "from_address": "uec.alerts@example.nhs.uk",
        "to": to,
    }


@contextmanager
def local_smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 standing in for the relay, and the mailbox it fills."""
    # aiosmtpd's controller checks it is up by connecting to its port, so it cannot be given port 0.
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


class Webhook:
    """What a Teams workflow webhook received, and the status it answers with."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 202  # what Teams Workflows answer

    def texts(self) -> list[str]:
        """Each post's card as one string: the subject and every line."""
        return ["\n".join(block["text"] for block in post["attachments"][0]["content"]["body"]) for post in self.posts]


@contextmanager
def local_webhook() -> Iterator[tuple[Webhook, str]]:
    """An HTTP server on 127.0.0.1 standing in for a Teams webhook, and its URL."""
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            # Refused like Teams would, so a wrong content type fails the sender, not just this thread.
            if self.headers["Content-Type"] != "application/json":
                self.send_response(415)
                self.end_headers()
                return
            hook.posts.append(json.loads(body))
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    with _serving(Handler) as base:
        yield hook, f"{base}/webhook/scc"


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 with the handler, in a thread, for the block; its base URL (no trailing slash)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Publisher:
    """What a stand-in for NHS England's statistics site serves: path -> bytes (a page when the path ends in /),
    (bytes, content type), or an HTTP status to fail with."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes | tuple[bytes, str] | int] = {}
        self.requests: list[str] = []


@contextmanager
def local_publisher() -> Iterator[tuple[Publisher, str]]:
    """An HTTP server on 127.0.0.1 serving a publisher's pages and files, and its base URL (no trailing slash)."""
    site = Publisher()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            found = site.routes.get(self.path.split("?", 1)[0], 404)
            if isinstance(found, int):
                self.send_error(found)
                return
            self.send_response(200)
            kind = "text/html; charset=utf-8" if self.path.endswith("/") else "application/octet-stream"
            if isinstance(found, tuple):
                found, kind = found
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(found)))
            self.end_headers()
            self.wfile.write(found)

        def log_message(self, *args) -> None:
            pass

    with _serving(Handler) as base:
        yield site, base
