"""Settings: every variable, its default, the one-line errors, secrets, .env, and serving validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import DEFAULT_SLACK_API_URL, Settings, SettingsError, load_settings
from estimator.defaults import Defaults

BOT = "xoxb-123-456-abcdefsecret"
APP = "xapp-1-A1-789-appsecretvalue"
SIGNING = "0123456789abcdef0123456789abcdef"


def test_defaults_when_nothing_is_set() -> None:
    s = load_settings({})
    assert s.slack_bot_token is None
    assert s.slack_signing_secret is None
    assert s.slack_app_token is None
    assert s.slack_api_url == DEFAULT_SLACK_API_URL == "https://slack.com/api/"
    assert (s.port, s.napkin_host, s.napkin_mode, s.mode) == (3000, "0.0.0.0", "auto", "http")  # noqa: S104
    assert (s.napkin_log_level, s.napkin_log_format) == ("INFO", "text")
    assert s.napkin_drain_seconds == 10.0
    assert s.napkin_command_suffix == ""
    assert s.catalog_path is None
    assert s.defaults() == Defaults()
    assert not s.has_slack_credentials


def test_every_variable_is_read() -> None:
    s = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT,
            "SLACK_SIGNING_SECRET": SIGNING,
            "SLACK_APP_TOKEN": APP,
            "SLACK_API_URL": "http://127.0.0.1:9999/api",
            "PORT": "8080",
            "NAPKIN_HOST": "127.0.0.1",
            "NAPKIN_MODE": "HTTP",
            "NAPKIN_DEFAULT_GPU": "a100",
            "NAPKIN_MFU": "0.35",
            "NAPKIN_CATALOG": "/etc/napkin/catalog.toml",
            "NAPKIN_PUE": "1.1",
            "NAPKIN_GRID_KG_PER_KWH": "0.05",
            "NAPKIN_LOG_LEVEL": "debug",
            "NAPKIN_LOG_FORMAT": "json",
            "NAPKIN_DRAIN_SECONDS": "2.5",
            "NAPKIN_COMMAND_SUFFIX": "-dev",
        }
    )
    assert s.slack_bot_token is not None
    assert s.slack_bot_token.get_secret_value() == BOT
    assert s.slack_signing_secret is not None
    assert s.slack_signing_secret.get_secret_value() == SIGNING
    assert s.slack_app_token is not None
    assert s.slack_app_token.get_secret_value() == APP
    assert s.slack_api_url == "http://127.0.0.1:9999/api/"  # slack_sdk needs the trailing slash
    assert (s.port, s.napkin_host, s.mode) == (8080, "127.0.0.1", "http")  # explicit http beats the app token
    assert s.catalog_path == Path("/etc/napkin/catalog.toml")
    assert (s.napkin_log_level, s.napkin_log_format, s.napkin_drain_seconds) == ("DEBUG", "json", 2.5)
    assert s.command("traincost") == "/traincost-dev"
    assert s.commands() == {
        "traincost": "/traincost-dev",
        "fits": "/fits-dev",
        "servecost": "/servecost-dev",
        "gpus": "/gpus-dev",
        "napkin": "/napkin-dev",
    }
    d = s.defaults()
    assert (d.gpu, d.mfu, d.pue, d.grid_kg_co2_per_kwh) == ("a100", 0.35, 1.1, 0.05)
    assert d.mfu_source == "MFU 35%: set by NAPKIN_MFU"
    # Untouched defaults stay the estimator's.
    assert (d.flops_factor, d.ctx) == (Defaults().flops_factor, Defaults().ctx)


def test_auto_mode_is_socket_when_an_app_token_is_set() -> None:
    assert load_settings({"SLACK_APP_TOKEN": APP}).mode == "socket"
    assert load_settings({"SLACK_APP_TOKEN": APP, "NAPKIN_MODE": "auto"}).mode == "socket"
    assert load_settings({}).mode == "http"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NAPKIN_MFU": "abc"}, "NAPKIN_MFU: must be a number between 0 and 1 (got 'abc')"),
        ({"NAPKIN_MFU": "0"}, "NAPKIN_MFU: must be a number between 0 and 1 (got '0')"),
        ({"NAPKIN_MFU": "1.5"}, "NAPKIN_MFU: must be a number between 0 and 1 (got '1.5')"),
        ({"NAPKIN_MFU": "nan"}, "NAPKIN_MFU: must be a number between 0 and 1 (got 'nan')"),
        ({"PORT": "http"}, "PORT: must be a whole number between 1 and 65535 (got 'http')"),
        ({"PORT": "70000"}, "PORT: must be a whole number between 1 and 65535 (got '70000')"),
        ({"NAPKIN_MODE": "websocket"}, "NAPKIN_MODE: must be one of http, socket, auto (got 'websocket')"),
        ({"NAPKIN_PUE": "0.9"}, "NAPKIN_PUE: must be a number between 1 and 3 (got '0.9')"),
        ({"NAPKIN_GRID_KG_PER_KWH": "-1"}, "NAPKIN_GRID_KG_PER_KWH: must be a number between 0 and 2"),
        ({"NAPKIN_LOG_LEVEL": "loud"}, "NAPKIN_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"NAPKIN_LOG_FORMAT": "xml"}, "NAPKIN_LOG_FORMAT: must be one of json, text (got 'xml')"),
        ({"NAPKIN_DRAIN_SECONDS": "-3"}, "NAPKIN_DRAIN_SECONDS: must be a number of seconds between 0 and 600"),
        ({"NAPKIN_COMMAND_SUFFIX": " Dev"}, "NAPKIN_COMMAND_SUFFIX: must be at most 20 lower-case letters"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL: must be an http(s) URL"),
    ],
)
def test_bad_values_give_one_line_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    text = str(caught.value)
    assert text.startswith(message)
    assert "\n" not in text
    assert "Traceback" not in text
    assert "pydantic" not in text


def test_several_bad_values_are_all_named_on_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"NAPKIN_MFU": "2", "PORT": "x"})
    text = str(caught.value)
    assert "NAPKIN_MFU:" in text
    assert "PORT:" in text
    assert "\n" not in text


def test_empty_values_count_as_unset() -> None:
    s = load_settings({"NAPKIN_MFU": "", "PORT": "", "SLACK_BOT_TOKEN": ""})
    assert (s.napkin_mfu, s.port, s.slack_bot_token) == (None, 3000, None)


def test_an_explicit_mapping_ignores_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAPKIN_MFU", "0.9")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    assert load_settings({}).napkin_mfu is None
    assert load_settings({}).slack_bot_token is None
    assert load_settings().napkin_mfu == 0.9  # None: the environment


def test_dotenv_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("NAPKIN_MFU=0.3\nNAPKIN_PUE=1.5\nUNRELATED=1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAPKIN_PUE", "1.25")
    s = load_settings()
    assert (s.napkin_mfu, s.napkin_pue) == (0.3, 1.25)


def test_secrets_never_print() -> None:
    s = load_settings({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SIGNING, "SLACK_APP_TOKEN": APP})
    for shown in (str(s), repr(s), s.model_dump_json()):
        assert BOT not in shown
        assert SIGNING not in shown
        assert APP not in shown
    assert isinstance(s.slack_bot_token, SecretStr)


def test_http_mode_needs_a_bot_token_and_signing_secret() -> None:
    assert load_settings({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SIGNING}).validate_for_serving() == "http"
    with pytest.raises(SettingsError, match=r"^SLACK_SIGNING_SECRET: required in HTTP mode"):
        load_settings({"SLACK_BOT_TOKEN": BOT}).validate_for_serving()
    with pytest.raises(SettingsError, match=r"^SLACK_SIGNING_SECRET: required in HTTP mode"):
        load_settings({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": "   "}).validate_for_serving()
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN: required"):
        load_settings({"SLACK_SIGNING_SECRET": SIGNING}).validate_for_serving()


def test_socket_mode_needs_an_app_token_and_a_bot_token() -> None:
    assert load_settings({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP}).validate_for_serving() == "socket"
    with pytest.raises(SettingsError, match=r"^SLACK_APP_TOKEN: required in Socket Mode"):
        load_settings({"SLACK_BOT_TOKEN": BOT, "NAPKIN_MODE": "socket"}).validate_for_serving()
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN: required"):
        load_settings({"SLACK_APP_TOKEN": APP}).validate_for_serving()


def test_wrong_kinds_of_token_are_named_without_revealing_them() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": BOT, "NAPKIN_MODE": "socket"}).validate_for_serving()
    assert str(caught.value).startswith("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")
    assert BOT not in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        load_settings({"SLACK_BOT_TOKEN": APP, "SLACK_SIGNING_SECRET": SIGNING}).validate_for_serving()
    assert str(caught.value).startswith("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
    assert APP not in str(caught.value)


def test_credentials_decide_what_napkin_run_does() -> None:
    assert not load_settings({"NAPKIN_MFU": "0.5"}).has_slack_credentials
    assert load_settings({"SLACK_BOT_TOKEN": BOT}).has_slack_credentials
    assert load_settings({"SLACK_APP_TOKEN": APP}).has_slack_credentials


def test_settings_are_immutable() -> None:
    s = load_settings({})
    with pytest.raises(ValueError, match="frozen"):
        s.port = 1  # type: ignore[misc]
    assert isinstance(s, Settings)
