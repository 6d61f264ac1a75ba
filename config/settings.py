"""Runtime settings from the environment and ``.env`` (pydantic-settings), with one-line errors.

Every variable, its default and its meaning are listed on :class:`Settings`; the README's
configuration reference is written from it. Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config.api_url import check_api_url, without_credentials
from estimator.defaults import Defaults
from estimator.vocabulary import SLASH_COMMANDS

Mode = Literal["http", "socket"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

DEFAULT_SLACK_API_URL = "https://slack.com/api/"

# What each variable accepts, in the words of the one-line error (`VAR: <this> (got 'value')`).
_REQUIREMENTS: dict[str, str] = {
    "SLACK_API_URL": "must be an http(s) URL such as https://slack.com/api/",
    "PORT": "must be a whole number between 1 and 65535",
    "NAPKIN_HOST": "must be a host name or IP address to listen on, such as 0.0.0.0",
    "NAPKIN_MODE": "must be one of http, socket, auto",
    "NAPKIN_DEFAULT_GPU": "must be a GPU name from the catalog, such as h100",
    "NAPKIN_MFU": "must be a number between 0 and 1",
    "NAPKIN_CATALOG": "must be the path of a catalog file or directory",
    "NAPKIN_PUE": "must be a number between 1 and 3",
    "NAPKIN_GRID_KG_PER_KWH": "must be a number between 0 and 2 (kg CO2 per kWh)",
    "NAPKIN_LOG_LEVEL": "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    "NAPKIN_LOG_FORMAT": "must be one of json, text",
    "NAPKIN_DRAIN_SECONDS": "must be a number of seconds between 0 and 600",
    "NAPKIN_COMMAND_SUFFIX": "must be at most 20 lower-case letters, digits, '-' or '_', such as -dev",
}
_LOG_LEVELS = frozenset(get_args(LogLevel))
_LOWER_CHOICES = frozenset({"http", "socket", "auto", "json", "text"})
_SECRETS = frozenset({"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"})
_BOT_TOKEN_PREFIXES = ("xoxb-", "xoxe.xoxb-")


class SettingsError(ValueError):
    """A setting is missing or malformed; ``str(error)`` is one line naming the variable."""


class Settings(BaseSettings):
    """napkin's configuration; each field is the environment variable of the same name, upper-cased."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    slack_bot_token: SecretStr | None = Field(default=None, description="Bot token (xoxb-…).")
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Signing secret; HTTP mode verifies every request with it."
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="App-level token (xapp-…, connections:write) for Socket Mode."
    )
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL, description="Web API base URL every Slack client of the app uses."
    )
    port: int = Field(default=3000, ge=1, le=65535, description="HTTP port (events, or health in Socket Mode).")
    napkin_host: str = Field(default="0.0.0.0", min_length=1, description="Interface to listen on.")  # noqa: S104
    napkin_mode: Literal["http", "socket", "auto"] = Field(
        default="auto", description="auto: socket when SLACK_APP_TOKEN is set, else http."
    )
    napkin_default_gpu: str | None = Field(default=None, min_length=1, description="GPU when none is named.")
    napkin_mfu: float | None = Field(default=None, gt=0, le=1, description="Model FLOPs utilisation.")
    napkin_catalog: Path | None = Field(default=None, description="Catalog override file or directory.")
    napkin_pue: float | None = Field(default=None, ge=1, le=3, description="Data-centre PUE.")
    napkin_grid_kg_per_kwh: float | None = Field(default=None, ge=0, le=2, description="Grid kg CO2 per kWh.")
    napkin_log_level: LogLevel = Field(default="INFO", description="Log level.")
    napkin_log_format: Literal["json", "text"] = Field(default="text", description="Log line format.")
    napkin_drain_seconds: float = Field(
        default=10.0, ge=0, le=600, description="Seconds SIGTERM waits for in-flight work."
    )
    hf_token: SecretStr | None = Field(
        default=None, description="Hugging Face token for gated or private Hub models (a secret, never logged)."
    )
    hf_endpoint: str | None = Field(default=None, description="Hub base URL (a mirror); huggingface_hub's own setting.")
    napkin_hub_timeout_seconds: float = Field(
        default=20.0, gt=0, le=300, description="Bound on one Hub look-up (model info, config, headers)."
    )
    napkin_hub_cache_seconds: float = Field(
        default=600.0, ge=0, le=86_400, description="How long Hub answers are kept."
    )
    napkin_command_suffix: str = Field(
        default="", pattern=r"^[a-z0-9_-]{0,20}$", description="Appended to slash commands, e.g. -dev."
    )

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return check_api_url(value)

    @field_validator("napkin_log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        # Normalise only values that then validate, so an error quotes what the user wrote.
        if isinstance(value, str) and value.strip().upper() in _LOG_LEVELS:
            return value.strip().upper()
        return value

    @field_validator("napkin_mode", "napkin_log_format", mode="before")
    @classmethod
    def _lower_choice(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in _LOWER_CHOICES:
            return value.strip().lower()
        return value

    @field_validator(
        "napkin_mfu", "napkin_pue", "napkin_grid_kg_per_kwh", "napkin_drain_seconds", "napkin_hub_timeout_seconds"
    )
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("not a finite number")
        return value

    # --- derived ---------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        """The serving mode ``auto`` resolves to: socket when an app token is set, else http."""
        if self.napkin_mode == "auto":
            return "socket" if self.slack_app_token is not None else "http"
        return self.napkin_mode

    @property
    def catalog_path(self) -> Path | None:
        """The catalog override (NAPKIN_CATALOG), or None for the built-in catalog."""
        return self.napkin_catalog

    @property
    def has_slack_credentials(self) -> bool:
        """Whether any Slack secret is configured (``napkin run`` then serves instead of the console)."""
        return any(s is not None for s in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token))

    def command(self, name: str) -> str:
        """The slash command as registered in Slack, e.g. ``/traincost-dev``."""
        return f"/{name}{self.napkin_command_suffix}"

    def commands(self) -> dict[str, str]:
        """Every registered slash command, keyed by napkin's name for it."""
        return {name: self.command(name) for name in SLASH_COMMANDS}

    def defaults(self) -> Defaults:
        """The estimator's defaults with the NAPKIN_* overrides applied."""
        overrides: dict[str, Any] = {}
        if self.napkin_default_gpu is not None:
            overrides["gpu"] = self.napkin_default_gpu.strip()
        if self.napkin_mfu is not None:
            overrides["mfu"] = self.napkin_mfu
            overrides["mfu_source"] = f"MFU {self.napkin_mfu:.0%}: set by NAPKIN_MFU"
        if self.napkin_pue is not None:
            overrides["pue"] = self.napkin_pue
        if self.napkin_grid_kg_per_kwh is not None:
            overrides["grid_kg_co2_per_kwh"] = self.napkin_grid_kg_per_kwh
        return Defaults(**overrides)

    def validate_for_serving(self) -> Mode:
        """Check that the chosen mode has its secrets; return the mode or raise SettingsError."""
        mode = self.mode
        _require_bot_token(self.slack_bot_token)
        if mode == "http":
            if self.slack_signing_secret is None or not self.slack_signing_secret.get_secret_value().strip():
                raise SettingsError(
                    "SLACK_SIGNING_SECRET: required in HTTP mode (Slack app > Basic Information > Signing Secret)"
                )
        else:
            token = self.slack_app_token
            if token is None:
                raise SettingsError(
                    "SLACK_APP_TOKEN: required in Socket Mode (an app-level xapp- token with connections:write)"
                )
            if not token.get_secret_value().startswith("xapp-"):
                raise SettingsError(
                    "SLACK_APP_TOKEN: must be an app-level token starting with xapp- "
                    f"(got one starting with {_prefix(token)!r})"
                )
        return mode


class _MappingSettings(Settings):
    """Settings from an explicit mapping only: no environment, no ``.env`` (the documented source customisation)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the keyword arguments: :func:`load_settings` passes the mapping's variables as them."""
        return (init_settings,)


def _as_fields(env: Mapping[str, str]) -> dict[str, Any]:
    """Variables as field values, normalised as for the environment: names case-insensitive, empty values unset."""
    return {name.lower(): value for name, value in env.items() if value != "" and name.lower() in Settings.model_fields}


def _prefix(secret: SecretStr) -> str:
    """The first few characters of a secret: enough to tell token kinds apart, too few to use."""
    return secret.get_secret_value()[:4]


def _require_bot_token(token: SecretStr | None) -> None:
    if token is None:
        raise SettingsError("SLACK_BOT_TOKEN: required to serve Slack (Slack app > OAuth & Permissions, xoxb-…)")
    if not token.get_secret_value().startswith(_BOT_TOKEN_PREFIXES):
        raise SettingsError(
            f"SLACK_BOT_TOKEN: must be a bot token starting with xoxb- (got one starting with {_prefix(token)!r})"
        )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` alone, or from the environment and ``.env`` when ``env`` is None.

    Raises SettingsError with one line naming each bad variable, e.g.
    ``NAPKIN_MFU: must be a number between 0 and 1 (got 'abc')``.
    """
    try:
        return Settings() if env is None else _MappingSettings(**_as_fields(env))
    except ValidationError as err:
        raise SettingsError(describe_validation_error(err)) from None
    except UnicodeDecodeError as err:  # pydantic-settings reads .env as UTF-8 and lets this through
        raise SettingsError(f".env: not UTF-8 text (byte {err.start})") from None


def describe_validation_error(err: ValidationError) -> str:
    """One line per ValidationError, joined with '; ', naming variables and never printing secrets."""
    parts: list[str] = []
    for item in err.errors():
        var = str(item["loc"][0]).upper() if item["loc"] else "settings"
        requirement = _REQUIREMENTS.get(var, item["msg"])
        if var in _SECRETS:
            parts.append(f"{var}: {requirement}")
        else:
            parts.append(f"{var}: {requirement} (got {without_credentials(str(item.get('input')))!r})")
    return "; ".join(parts)
