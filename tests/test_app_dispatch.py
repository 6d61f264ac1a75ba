"""The app factory and its listeners, dispatched in-process with signed AsyncBoltRequests."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from typing import Any

import pytest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.render.blocks import render_error, render_reply
from bot.slack.answers import (
    INTERNAL_ERROR_TEXT,
    Answerer,
    is_answerable_dm,
    is_answerable_mention,
    mention_text,
    split_command,
    thread_ts_for,
)
from bot.slack.app import AppState, build_app
from config.catalogs import cached_catalog
from config.settings import SettingsError, load_settings
from estimator.commands import UsageError, execute
from estimator.defaults import Defaults
from tests.conftest import expected_message, settings_for
from tests.logfields import fields_of
from tests.slack_standin import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackStandIn,
    event_envelope,
    mention_event,
    signed_headers,
    slash_form,
)


async def fake_authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-fake", bot_user_id="UBOT", bot_id="BBOT"
    )


def signed_command(command: str, text: str, *, secret: str = SIGNING_SECRET) -> AsyncBoltRequest:
    body = urllib.parse.urlencode(slash_form(command, text))
    headers: dict[str, Any] = {
        "content-type": "application/x-www-form-urlencoded",
        **signed_headers(body, secret=secret),
    }
    return AsyncBoltRequest(body=body, headers=headers)


# --- plain functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("traincost 70B 2T h100", ("traincost", "70B 2T h100")),
        ("  /fits   20B  ", ("fits", "20B")),
        ("MODELS", ("models", "")),
        ("", ("help", "")),
        ("/", ("help", "")),
        ("gpuz", ("gpuz", "")),
    ],
)
def test_split_command(text: str, expected: tuple[str, str]) -> None:
    assert split_command(text) == expected


def test_mention_text_drops_the_bots_mention_only() -> None:
    assert mention_text("<@UBOT> traincost 70B", "UBOT") == "traincost 70B"
    assert mention_text("<@UBOT|napkin>   fits 20B", "UBOT") == "fits 20B"
    assert mention_text("hey <@UBOT> fits 20B", "UBOT") == "hey fits 20B"
    assert mention_text("<@UOTHER> <@UBOT> gpus", None) == "gpus"


def test_threads_and_event_filters() -> None:
    assert thread_ts_for({"ts": "1.1"}) == "1.1"
    assert thread_ts_for({"ts": "2.2", "thread_ts": "1.1"}) == "1.1"
    person = {"channel_type": "im", "user": "U1", "text": "fits 20B", "ts": "1"}
    assert is_answerable_dm(person)
    assert not is_answerable_dm({**person, "bot_id": "B1"})
    assert not is_answerable_dm({**person, "subtype": "message_changed"})
    assert not is_answerable_dm({**person, "channel_type": "channel"})
    assert not is_answerable_dm({**person, "text": "  "})
    assert is_answerable_mention({"channel": "C1"})
    assert not is_answerable_mention({"channel": "D1"})  # DMs are answered as message.im


def test_answerer_uses_the_real_estimator_and_renderer() -> None:
    catalog = cached_catalog(None)
    answerer = Answerer(catalog, Defaults())
    ok = answerer.slash("traincost", "70B 2T h100", user_id="U1")
    reply = execute("traincost", "70B 2T h100", catalog=catalog, defaults=Defaults())
    assert ok.command == reply.command == "traincost"
    assert ok.message == render_reply(reply, command_text="70B 2T h100", user_id="U1")  # the real answer, whole
    assert (ok.outcome, ok.in_channel, ok.response_type) == ("ok", False, "ephemeral")
    assert any(b["type"] == "actions" for b in ok.message.blocks)  # the share button
    shared = answerer.slash("fits", "20B share")
    assert (shared.in_channel, shared.response_type) == (True, "in_channel")
    assert "share_in_channel" not in json.dumps(shared.message.blocks)  # no share button; Details stays
    assert shared.message == render_reply(
        execute("fits", "20B share", catalog=catalog, defaults=Defaults()), command_text="20B share", shareable=False
    )
    via_napkin = answerer.slash("napkin", "models")
    assert (via_napkin.command, via_napkin.outcome) == ("models", "ok")
    assert via_napkin.message == render_reply(
        execute("models", "", catalog=catalog, defaults=Defaults()), command_text="", shareable=True
    )
    bad = answerer.slash("traincost", "70X")
    assert (bad.outcome, bad.in_channel) == ("usage_error", False)
    with pytest.raises(UsageError) as raised:
        execute("traincost", "70X", catalog=catalog, defaults=Defaults())
    assert bad.message == render_error(raised.value)
    assert "70X" in bad.message.text


def test_an_unexpected_error_is_answered_politely_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object, **__: object) -> Any:
        raise RuntimeError("boom at xoxb-0000-leaky")

    answer = Answerer(cached_catalog(None), Defaults(), executor=broken).slash("fits", "20B")
    assert (answer.outcome, answer.message.text) == ("internal_error", INTERNAL_ERROR_TEXT)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    fields = fields_of(errors[0])
    assert fields["error_type"] == "RuntimeError"
    assert fields["command"] == "fits"
    assert fields["where"].startswith("test_app_dispatch.py:")


# --- the factory -------------------------------------------------------------------------------


async def test_the_factory_reads_no_environment(monkeypatch: pytest.MonkeyPatch, standin: SlackStandIn) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret-from-the-environment")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    app = build_app(settings_for(standin))
    response = await app.async_dispatch(signed_command("/gpus", ""))
    assert response.status == 200
    assert [c.body.get("token") or c.headers.get("authorization") for c in standin.calls("auth.test")] == [
        f"Bearer {BOT_TOKEN}"
    ]
    forged = await app.async_dispatch(signed_command("/gpus", "", secret="secret-from-the-environment"))
    assert forged.status == 401


async def test_client_id_and_secret_cannot_switch_on_oauth(
    monkeypatch: pytest.MonkeyPatch, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    app = build_app(settings_for(standin))
    response = await app.async_dispatch(signed_command("/fits", "20B"))
    assert response.status == 200
    assert json.loads(response.body)["response_type"] == "ephemeral"
    assert standin.calls("auth.test")[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert "SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are set and ignored" in caplog.text


def test_an_unknown_default_gpu_is_a_settings_error(standin: SlackStandIn) -> None:
    with pytest.raises(SettingsError, match=r"^NAPKIN_DEFAULT_GPU: 'h1000' is not in the GPU catalog; did you mean"):
        build_app(settings_for(standin, NAPKIN_DEFAULT_GPU="h1000"))


def test_no_token_and_no_authorize_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN"):
        build_app(load_settings({"SLACK_SIGNING_SECRET": SIGNING_SECRET}))


async def test_commands_follow_the_suffix() -> None:
    settings = load_settings({"SLACK_SIGNING_SECRET": SIGNING_SECRET, "NAPKIN_COMMAND_SUFFIX": "-dev"})
    app = build_app(settings, authorize=fake_authorize)
    dev = await app.async_dispatch(signed_command("/traincost-dev", "70B 2T h100"))
    assert dev.status == 200
    assert json.loads(dev.body)["blocks"] == expected_message("traincost", "70B 2T h100").blocks
    plain = await app.async_dispatch(signed_command("/traincost", "70B 2T h100"))
    assert plain.status == 200  # unregistered here, yet answered, never a 404
    assert "does not handle this command" in json.loads(plain.body)["text"]


async def test_an_error_before_the_listener_is_answered_200_and_politely(caplog: pytest.LogCaptureFixture) -> None:
    async def failing_authorize() -> AuthorizeResult:
        raise RuntimeError("the installation store is down")

    app = build_app(load_settings({"SLACK_SIGNING_SECRET": SIGNING_SECRET}), authorize=failing_authorize)
    response = await app.async_dispatch(signed_command("/fits", "20B"))
    assert response.status == 200
    body = json.loads(response.body)
    assert (body["response_type"], body["text"]) == ("ephemeral", INTERNAL_ERROR_TEXT)
    logged = [fields_of(r) for r in caplog.records if r.levelno == logging.ERROR]
    assert [(f["error_type"], f["kind"]) for f in logged] == [("RuntimeError", "command")]
    event = event_envelope(mention_event("fits 20B"))
    headers: dict[str, Any] = {"content-type": "application/json", **signed_headers(json.dumps(event))}
    event_response = await app.async_dispatch(AsyncBoltRequest(body=json.dumps(event), headers=headers))
    assert event_response.status == 200


async def test_socket_mode_requests_dispatch_unsigned() -> None:
    app = build_app(load_settings({}), authorize=fake_authorize)  # no signing secret: Socket Mode only
    request = AsyncBoltRequest(mode="socket_mode", body=slash_form("/fits", "70B h100"))
    response = await app.async_dispatch(request)
    assert response.status == 200
    answer = json.loads(response.body)
    expected = expected_message("fits", "70B h100")
    assert (answer["response_type"], answer["text"], answer["blocks"]) == ("ephemeral", expected.text, expected.blocks)


async def test_listener_tasks_are_tracked_until_they_finish(standin: SlackStandIn) -> None:
    state = AppState()
    app = build_app(settings_for(standin), state=state)
    standin.slow("chat.postMessage", 0.3)
    event = event_envelope(mention_event("gpus"))
    body = json.dumps(event)
    headers: dict[str, Any] = {"content-type": "application/json", **signed_headers(body)}
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 200
    await standin.wait_for(lambda: bool(standin.calls("chat.postMessage")))
    assert len(state.tasks) == 1  # acked, still posting: held by a strong reference
    assert await state.tasks.drain(5) == 0
    assert len(state.tasks) == 0
    assert standin.calls("chat.postMessage")[0].finished is not None
    await asyncio.sleep(0)
