"""No secret reaches a log line: not at DEBUG, not for forged requests, not when Slack fails.

``napkin serve`` runs as a real process at NAPKIN_LOG_LEVEL=DEBUG (where Bolt and slack_sdk log
requests, responses and bodies), in HTTP mode with text logs and in Socket Mode with JSON logs,
and is sent the traffic a production app sees: commands, mentions and share clicks (whose
replies go through the Web API and ``response_url``, with rate limits and errors), Slack's URL
checks, and forged, stale or malformed requests. Every request carries the legacy verification
token, as Slack's do. Then no line of its output may contain the bot token, the signing secret,
the app token or the verification token, nor the part of a token after its ``xoxb-``/``xapp-``.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

from tests.conftest import subprocess_env
from tests.slack_standin import (
    NapkinProcess,
    SlackStandIn,
    block_actions_body,
    event_envelope,
    free_port,
    mention_event,
    slash_form,
)

BOT_TOKEN = "xoxb-5150-8086-nosecretsbottoken"
APP_TOKEN = "xapp-1-A0NOSECRET-4004-nosecretsapptoken"
SIGNING_SECRET = "c0ffee5ecretf0rsign1ng0123456789"
LEGACY_TOKEN = "Lg7cyV3rif1cat10nT0k3nQ"
FORGED_SECRET = "not-the-signing-secret-at-all"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

FORBIDDEN = (
    BOT_TOKEN,
    APP_TOKEN,
    SIGNING_SECRET,
    LEGACY_TOKEN,
    BOT_TOKEN.split("-", 1)[1],
    APP_TOKEN.split("-", 1)[1],
)


def command(text: str, slash: str = "/traincost") -> str:
    return urllib.parse.urlencode(slash_form(slash, text, token=LEGACY_TOKEN))


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    return {**event_envelope(event), "token": LEGACY_TOKEN}


def click(response_url: str) -> str:
    body = {**block_actions_body(json.dumps({"c": "fits", "t": "20B"}), response_url=response_url)}
    body["token"] = LEGACY_TOKEN
    return urllib.parse.urlencode({"payload": json.dumps(body)})


def assert_no_secrets(log: str) -> None:
    lines = log.splitlines()
    assert any(" DEBUG " in line or '"level": "DEBUG"' in line for line in lines), "DEBUG lines were not captured"
    for line in lines:
        for secret in FORBIDDEN:
            assert secret not in line, f"a secret in the log: {line[:300]}"


async def test_http_mode_at_debug_logs_no_secret(standin: SlackStandIn, tmp_path: Path) -> None:
    env = subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_APP_TOKEN=APP_TOKEN,  # configured but unused in HTTP mode: still never logged
        SLACK_API_URL=standin.api_url,
        NAPKIN_MODE="http",
        NAPKIN_LOG_LEVEL="DEBUG",
        NAPKIN_LOG_FORMAT="text",
    )
    napkin = NapkinProcess(env, port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path)
    async with napkin:

        async def send(body: str, content_type: str = FORM, **headers: str) -> int:
            return (await napkin.post(body, content_type, secret=SIGNING_SECRET, headers=headers))[0]

        assert await send(command("70B 2T h100")) == 200
        assert await send(command("405X 15T a100")) == 200  # a usage error
        assert await send(command("20B h100 share", "/fits")) == 200
        # Forged, stale, malformed: each body carries the verification token too.
        assert (await napkin.post(command("70B 2T h100"), secret=FORGED_SECRET))[0] == 401
        assert await send(command("70B 2T h100"), **{"X-Slack-Request-Timestamp": "1500000000"}) == 401
        assert await send(command("8B 1T h100"), **{"X-Slack-Signature": "v0=" + "0" * 64}) == 401
        assert await send('{"token": "' + LEGACY_TOKEN + '", "type": ', JSON) == 400
        assert await send(f"token={LEGACY_TOKEN}&ssl_check=1") == 200
        assert (
            await send(json.dumps({"token": LEGACY_TOKEN, "challenge": "c-1", "type": "url_verification"}), JSON) == 200
        )
        # Replies through the Web API (rate-limited, then failing) and through response_url.
        standin.fail("chat.postMessage", 429, retry_after=0)
        assert await send(json.dumps(envelope(mention_event("fits 20B"))), JSON) == 200
        await standin.wait_calls("chat.postMessage", 2)
        standin.fail("chat.postMessage", 500, times=2)
        assert await send(json.dumps(envelope(mention_event("gpus", ts="1700400000.000002"))), JSON) == 200
        await standin.wait_calls("chat.postMessage", 4)
        assert await send(click(standin.hook_url("actions/T0/7/share"))) == 200
        await standin.wait_calls("/hooks/actions/T0/7/share", 2)  # the post, then deleting the original
        napkin.terminate()
        assert await napkin.wait() == 0
        log = napkin.log_text()
    assert "Traceback" not in log
    assert_no_secrets(log)
    assert "request" in log  # the traffic was logged, just not its secrets


async def test_socket_mode_at_debug_logs_no_secret(standin: SlackStandIn, tmp_path: Path) -> None:
    env = subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        NAPKIN_MODE="socket",
        NAPKIN_LOG_LEVEL="DEBUG",
        NAPKIN_LOG_FORMAT="json",
    )
    napkin = NapkinProcess(env, port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path)
    async with napkin:
        payload = slash_form("/fits", "20B", token=LEGACY_TOKEN)
        await standin.send_envelope({"envelope_id": "e-1", "type": "slash_commands", "payload": payload})
        await standin.wait_ack("e-1")
        mention = envelope(mention_event("traincost 70B 2T h100", ts="1700400000.000003"))
        await standin.send_envelope({"envelope_id": "e-2", "type": "events_api", "payload": mention})
        await standin.wait_ack("e-2")
        await standin.wait_calls("chat.postMessage")
        napkin.terminate()
        assert await napkin.wait() == 0
        log = napkin.log_text()
        lines = napkin.json_lines()
    assert "Traceback" not in log
    assert_no_secrets(log)
    assert any(line.get("message") == "connected" for line in lines)
