"""Settings with command-line overrides, validated as the environment variables they stand for."""

from __future__ import annotations

from pydantic import ValidationError

from config.settings import Settings, SettingsError, describe_validation_error, load_settings


def settings_with(overrides: dict[str, str]) -> Settings:
    """Settings from the environment and ``.env``, with command-line ``overrides`` (field names) on top.

    An override is validated exactly as the variable it stands for (PORT has one definition:
    :class:`config.settings.Settings`). Raises SettingsError with one line.
    """
    settings = load_settings()
    if not overrides:
        return settings
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates the strings
    except ValidationError as err:
        raise SettingsError(describe_validation_error(err)) from None
