"""Configuration from the environment and an optional `.env` file (pydantic-settings).

Tokens are `SecretStr` so that a settings object printed or logged by accident shows `**********`;
`bot.slack.app.install_log_redaction` also scrubs them from every log record.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Mode = Literal["http", "socket"]

SLACK_API_URL = "https://slack.com/api/"
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
# Slack channel ids: C (public), G (private / legacy group), D (DM). Anything else in the list is a name.
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class SettingsError(Exception):
    """A missing or invalid setting; the message is one line that names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    natobot_data_dir: Path = Path("data")
    database_url: str | None = None
    natobot_command: str = "/nato"
    log_level: str = "INFO"
    natobot_auto_channels: str = ""
    # The work queue (bot.slack.work): how long a replica holds a job before others may take it over, and how many
    # jobs may wait in one process before new work gets a "busy" reply.
    natobot_job_lease: float = Field(default=60.0, ge=1.0, le=3600.0)
    natobot_backlog: int = Field(default=512, ge=1, le=100_000)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and v.get_secret_value() and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and v.get_secret_value() and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        # slack_sdk joins method names onto the base URL, so it must end in "/".
        return v if v.endswith("/") else v + "/"

    @field_validator("natobot_command")
    @classmethod
    def _command(cls, v: str) -> str:
        if not re.fullmatch(r"/[a-z0-9_-]{1,31}", v):
            raise ValueError("must be a slash command such as /nato")
        return v

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        if v.upper() not in _LOG_LEVELS:
            raise ValueError("must be one of " + ", ".join(_LOG_LEVELS))
        return v.upper()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            return None
        if v is not None and not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", v):
            raise ValueError("must be a sqlite:///FILE or postgresql://... URL")
        return v

    @property
    def database(self) -> str:
        """The database URL; by default a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.natobot_data_dir / 'natobot.db').as_posix()}"

    @property
    def auto_channels(self) -> frozenset[str]:
        """Channels (ids, or names without '#') where every question is answered without a mention."""
        items = (c.strip().lstrip("#") for c in self.natobot_auto_channels.split(","))
        return frozenset(c for c in items if c)

    @property
    def auto_channel_ids(self) -> frozenset[str]:
        return frozenset(c for c in self.auto_channels if _CHANNEL_ID.match(c))

    @property
    def auto_channel_names(self) -> frozenset[str]:
        return frozenset(c.lower() for c in self.auto_channels if not _CHANNEL_ID.match(c))

    @property
    def log_level_number(self) -> int:
        return int(getattr(logging, self.log_level))

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction."""
        values = (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token)
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]

    def choose_mode(self, requested: Mode | None = None) -> Mode:
        """Socket Mode when an app token is set, otherwise HTTP; `requested` overrides."""
        if requested is not None:
            return requested
        return "socket" if self.slack_app_token is not None and self.slack_app_token.get_secret_value() else "http"

    def require(self, mode: Mode) -> None:
        """Raise SettingsError naming the first setting `mode` needs but lacks."""
        needed = ["SLACK_BOT_TOKEN"] + (["SLACK_SIGNING_SECRET"] if mode == "http" else ["SLACK_APP_TOKEN"])
        for name in needed:
            value: SecretStr | None = getattr(self, name.lower())
            if value is None or not value.get_secret_value():
                how = "HTTP mode" if mode == "http" else "Socket Mode"
                raise SettingsError(f"{name} is not set (required in {how})")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a validation problem becomes one SettingsError line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err.get("loc") else "settings"
        # The input value is left out on purpose: it may be a token.
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise SettingsError(f"{name} is invalid: {msg}") from None
