"""Sending a message: e-mail over SMTP (standard library) and a JSON POST to a Teams webhook (urllib)."""

from __future__ import annotations

import json
import mimetypes
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pipelines.alerts.config import AlertsConfig, EmailChannel, TeamsChannel
from pipelines.alerts.messages import Message


def send_email(channel: EmailChannel, message: Message) -> None:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = channel.from_address
    mail["To"] = ", ".join(channel.to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=channel.from_address.rpartition("@")[2] or None)
    mail.set_content(message.text + "\n")
    for path in message.attachments:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        mail.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds) as smtp:
        if channel.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if channel.username:
            smtp.login(channel.username, channel.password())
        smtp.send_message(mail)


def teams_payload(message: Message, kind: str) -> dict:
    """The card Teams shows. Attachments cannot travel through a webhook; their names are given, never their paths,
    which only the server could open (the message links them where the reports folder is served)."""
    lines = list(message.lines) + [f"Attached to the e-mail alert: {path.name}" for path in message.attachments]
    if kind == "message_card":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.subject,
            "title": message.subject,
            "text": "\n\n".join(lines),
        }
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
            *({"type": "TextBlock", "text": line, "wrap": True} for line in lines),
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def post_teams(channel: TeamsChannel, message: Message) -> None:
    request = urllib.request.Request(
        channel.url(),
        data=json.dumps(teams_payload(message, channel.payload)).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    # urlopen raises for 4xx and 5xx; Workflows answer 202, connectors 200.
    with urllib.request.urlopen(request, timeout=channel.timeout_seconds) as response:
        response.read()


@dataclass
class Delivery:
    """Which channels took a message, and why any did not."""

    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def reached_someone(self) -> bool:
        return bool(self.sent)

    def describe_failures(self) -> str:
        return "; ".join(f"{name}: {why}" for name, why in self.failed.items())


def deliver(config: AlertsConfig, message: Message) -> Delivery:
    """Send on every channel switched on; one channel failing does not stop the others."""
    delivery = Delivery()
    senders = {"email": lambda: send_email(config.email, message), "teams": lambda: post_teams(config.teams, message)}
    for name in config.channels:
        try:
            senders[name]()
        # Whatever stops one channel (a refused login, a timeout, a 4xx) must not stop the others; the
        # exception's text, not its traceback, says what went wrong: an SMTP reply or an HTTP status.
        except Exception as exc:
            delivery.failed[name] = f"{type(exc).__name__}: {exc}"
        else:
            delivery.sent.append(name)
    return delivery
