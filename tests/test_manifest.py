"""manifest.json matches the app: same commands, the scopes and events the features need, Slack's limits."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack import manifest as manifest_module
from bot.slack.app import build_app
from bot.slack.manifest import MANIFEST_FILE, load_manifest, variant
from config.settings import load_settings
from estimator.vocabulary import SLASH_COMMANDS
from tests.slack_standin import SIGNING_SECRET, signed_headers, slash_form


async def fake_authorize() -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-fake", bot_user_id="UBOT", bot_id="BBOT")


async def answers(app: AsyncApp, command: str) -> bool:
    """Whether the app answers ``command`` with a listener (not the unhandled-command reply)."""
    body = urllib.parse.urlencode(slash_form(command, "help"))
    headers: dict[str, Any] = {"content-type": "application/x-www-form-urlencoded", **signed_headers(body)}
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 200
    return "does not handle" not in json.loads(response.body)["text"]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest()


def test_the_manifest_lives_at_the_repository_root(manifest: dict[str, Any]) -> None:
    assert MANIFEST_FILE.name == "manifest.json"
    assert (MANIFEST_FILE.parent / "pyproject.toml").exists()
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}


@pytest.mark.parametrize("suffix", ["", "-dev"])
async def test_commands_are_exactly_the_registered_ones(manifest: dict[str, Any], suffix: str) -> None:
    settings = load_settings({"SLACK_SIGNING_SECRET": SIGNING_SECRET, "NAPKIN_COMMAND_SUFFIX": suffix})
    app = build_app(settings, authorize=fake_authorize)
    in_manifest = {c["command"] for c in variant(manifest, command_suffix=suffix)["features"]["slash_commands"]}
    assert in_manifest == set(settings.commands().values())
    assert in_manifest == {f"/{name}{suffix}" for name in SLASH_COMMANDS}
    for command in in_manifest:
        assert await answers(app, command), command
    assert not await answers(app, "/traincost-prod")  # a command the manifest lacks is not registered


def test_slack_limits(manifest: dict[str, Any]) -> None:
    display = manifest["display_information"]
    assert 0 < len(display["name"]) <= 35
    assert 0 < len(display["description"]) <= 140
    assert 175 <= len(display["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", display["background_color"])
    assert 0 < len(manifest["features"]["bot_user"]["display_name"]) <= 80
    commands = manifest["features"]["slash_commands"]
    assert len(commands) <= 50
    for command in commands:
        assert set(command) <= {"command", "description", "usage_hint", "should_escape", "url"}
        assert re.fullmatch(r"/[a-z0-9_-]{1,31}", command["command"])
        assert 0 < len(command["description"]) <= 2000
        assert len(command["usage_hint"]) <= 1000
        assert command["should_escape"] is False  # numbers and names, not mentions or links


def test_scopes_events_and_settings_cover_the_features(manifest: dict[str, Any]) -> None:
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
    ]
    settings = manifest["settings"]
    # app_home_opened: the Home tab is published when opened (views.publish and views.open need no scope;
    # views.publish answers `not_enabled` unless the home tab is on: docs.slack.dev, methods/views.publish).
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_home_opened", "app_mention", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True  # the buttons and the estimate form
    assert settings["socket_mode_enabled"] is True
    assert settings["token_rotation_enabled"] is False
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # the App Home tab
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # DMs
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False


async def test_every_event_and_interaction_the_manifest_enables_has_a_listener(
    manifest: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Each bot event, button and the form's submission reaches a listener: none is an "unhandled request"."""
    from bot.render.blocks import ANSWER_ACTION_IDS, SHARE_ACTION_ID
    from bot.render.forms import FORM_CALLBACK_ID

    caplog.set_level(logging.WARNING, logger="napkin.app")
    settings = load_settings({"SLACK_SIGNING_SECRET": SIGNING_SECRET})
    app = build_app(settings, authorize=fake_authorize)
    samples = {
        "app_home_opened": {"type": "app_home_opened", "user": "U1", "tab": "messages"},
        "app_mention": {"type": "app_mention", "user": "U1", "text": "<@UBOT> help", "ts": "1.1", "channel": "D1"},
        "message.im": {"type": "message", "channel_type": "im", "user": "U1", "text": "hi", "ts": "1.2", "bot_id": "B"},
    }  # each one napkin leaves unanswered (the Messages tab, a mention in a DM, a bot's DM): no Web API call
    assert set(samples) == set(manifest["settings"]["event_subscriptions"]["bot_events"])
    requests: list[tuple[str, str, str]] = []
    for n, event in enumerate(samples.values()):
        envelope = {"type": "event_callback", "team_id": "T1", "event": event, "event_id": f"Ev{n}"}
        requests.append((event["type"], json.dumps(envelope), "application/json"))
    for action_id in (SHARE_ACTION_ID, *ANSWER_ACTION_IDS):
        click = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"},
                 "actions": [{"action_id": action_id, "type": "button", "value": "{}"}]}  # fmt: skip
        requests.append((action_id, urllib.parse.urlencode({"payload": json.dumps(click)}), FORM))
    view = {"type": "modal", "callback_id": FORM_CALLBACK_ID, "private_metadata": "", "state": {"values": {}}}
    submission = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"}, "view": view}
    requests.append((FORM_CALLBACK_ID, urllib.parse.urlencode({"payload": json.dumps(submission)}), FORM))
    for name, body, content_type in requests:
        assert await _status(app, body, content_type) == 200, name
        assert "unhandled request" not in caplog.messages, name
    control = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"},
               "actions": [{"action_id": "not_napkins", "type": "button", "value": "{}"}]}  # fmt: skip
    assert await _status(app, urllib.parse.urlencode({"payload": json.dumps(control)}), FORM) == 200
    assert caplog.messages.count("unhandled request") == 1  # the control: a button napkin never drew


FORM = "application/x-www-form-urlencoded"


async def _status(app: AsyncApp, body: str, content_type: str) -> int:
    headers: dict[str, Any] = {"content-type": content_type, **signed_headers(body)}
    return (await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))).status


def test_the_http_variant_points_every_url_at_slack_events(manifest: dict[str, Any]) -> None:
    http = variant(manifest, base_url="https://napkin.example.com/")
    url = "https://napkin.example.com/slack/events"
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["event_subscriptions"]["request_url"] == url
    assert http["settings"]["interactivity"]["request_url"] == url
    assert {c["url"] for c in http["features"]["slash_commands"]} == {url}
    assert "request_url" not in manifest["settings"]["interactivity"]  # the original is untouched


def test_the_variant_tool_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert manifest_module.main(["--http", "https://napkin.example.com", "--suffix=-dev"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["features"]["slash_commands"][0]["url"] == "https://napkin.example.com/slack/events"
    assert printed["features"]["slash_commands"][0]["command"] == "/traincost-dev"
    assert manifest_module.main(["--http", "http://insecure.example.com"]) == 2


def test_the_wheel_ships_the_manifest_where_load_manifest_finds_it() -> None:
    # Building a wheel needs hatchling from the network on a fresh machine, so the packaging config is checked.
    import tomllib
    from pathlib import Path

    from bot.slack.manifest import MANIFEST_RESOURCE

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"] == {"manifest.json": f"bot/slack/{MANIFEST_RESOURCE}"}
    assert "bot" in wheel["packages"]
    assert MANIFEST_FILE.name == "manifest.json"
