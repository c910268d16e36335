"""The alerts file (alerts.yaml, or UEC_ALERTS_FILE): which channels are on, and where messages go."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.settings import ALERTS_FILE_VARIABLE, settings
from schemas.yaml_loading import safe_load

ALERTS_FILE_ENV = ALERTS_FILE_VARIABLE


class AlertsConfigError(ValueError):
    pass


def _no_secret_in_file(raw: Any, key: str, instead: str) -> Any:
    # The file is read by everyone who can read the clone; secrets belong in the environment.
    if isinstance(raw, dict) and key in raw:
        raise ValueError(
            f"'{key}' cannot be written in the alerts file: put it in an environment variable and {instead}"
        )
    return raw


class EmailChannel(BaseModel):
    """E-mail over SMTP to a distribution list."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    host: str = ""
    port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    username: str | None = None
    password_env: str | None = None  # the name of the environment variable holding the password
    from_address: str = ""
    to: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=30, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _password_not_here(cls, raw: Any) -> Any:
        return _no_secret_in_file(raw, "password", "name that variable in password_env")

    @model_validator(mode="after")
    def _complete_when_on(self) -> EmailChannel:
        if not self.enabled:
            return self
        missing = [name for name in ("host", "from_address", "to") if not getattr(self, name)]
        if missing:
            raise ValueError(f"e-mail is enabled but {', '.join(missing)} not set")
        if self.username and not self.password_env:
            raise ValueError("e-mail has a username but no password_env naming the variable that holds its password")
        if self.username and not self.starttls:
            raise ValueError("e-mail with a username needs starttls: true, so the password never crosses in clear")
        return self

    def password(self) -> str:
        value = settings().get(self.password_env or "")
        if not value:
            raise AlertsConfigError(f"the SMTP password variable {self.password_env} is not set")
        return value


class TeamsChannel(BaseModel):
    """A Microsoft Teams channel's incoming webhook (a Workflows webhook or a legacy connector)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    webhook_url: str | None = None
    webhook_url_env: str | None = None  # the name of the environment variable holding the URL
    # Workflows webhooks take an Adaptive Card; the retiring Office 365 connectors also take the older MessageCard.
    payload: Literal["adaptive_card", "message_card"] = "adaptive_card"
    timeout_seconds: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _one_url_when_on(self) -> TeamsChannel:
        if self.enabled and (self.webhook_url is None) == (self.webhook_url_env is None):
            raise ValueError("Teams is enabled: give exactly one of webhook_url or webhook_url_env")
        return self

    def url(self) -> str:
        value = self.webhook_url or settings().get(self.webhook_url_env or "")
        if not value:
            raise AlertsConfigError(f"the Teams webhook variable {self.webhook_url_env} is not set")
        return value


class Readiness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # After the overnight run (07:15) has had time to finish, and before the 09:30 system call.
    at: time = time(8, 45)


class AlertsConfig(BaseModel):
    """Everything in the alerts file; an absent file means no channel, so nothing is sent."""

    model_config = ConfigDict(extra="forbid")

    email: EmailChannel = Field(default_factory=EmailChannel)
    teams: TeamsChannel = Field(default_factory=TeamsChannel)
    readiness: Readiness = Field(default_factory=Readiness)
    # The Dagster UI's address, for a link to a failed run; messages carry only the run id without it.
    ui_url: str | None = None

    @property
    def channels(self) -> list[str]:
        """The channels switched on, by name."""
        return [name for name, channel in (("email", self.email), ("teams", self.teams)) if channel.enabled]


def alerts_file() -> Path:
    """UEC_ALERTS_FILE, or alerts.yaml in the project root."""
    return settings().alerts_file


def load_alerts_config(path: Path | None = None) -> AlertsConfig:
    """The alerts file read afresh (so an edit takes effect at the next tick); no file gives no channels."""
    path = path or alerts_file()
    if not path.exists():
        return AlertsConfig()
    try:
        raw = safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise AlertsConfigError(f"alerts file {path} is not YAML: {exc}") from None
    try:
        return AlertsConfig.model_validate(raw)
    except ValidationError as exc:
        # Pydantic's own text quotes the input, which may be the very password the file must not hold.
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise AlertsConfigError(f"alerts file {path} is invalid: {problems}") from None


def startup_settings() -> tuple[bool, time]:
    """Whether the alert sensors start switched on, and the readiness time, as the code location loads.

    A broken file must not stop the code location loading (the overnight run still has to happen), so it
    counts as switched on: each tick then fails with the file's error, in plain sight in the UI.
    """
    try:
        config = load_alerts_config()
    except AlertsConfigError:
        return True, Readiness().at
    return bool(config.channels), config.readiness.at
