"""napkin over real HTTP on loopback, exactly as ``napkin serve`` runs it: signed requests, probes,
built-in Slack checks, request logs, startup errors, the healthcheck and a SIGTERM drain."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
import socket
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.logs import JsonFormatter, RedactingFilter, configure_logging
from bot.server import healthcheck as health
from bot.server import serve
from tests.conftest import NapkinHttp, expected_error, expected_message, settings_for, subprocess_env
from tests.slack_standin import (
    BOT_TOKEN,
    CHANNEL_ID,
    SIGNING_SECRET,
    TEAM_ID,
    USER_ID,
    SlackStandIn,
    event_envelope,
    mention_event,
    slash_form,
)

FORM = "application/x-www-form-urlencoded"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.napkin_fields for r in caplog.records if r.name == "napkin.request"]  # type: ignore[attr-defined]


async def wait_until(predicate: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# --- answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slash", "text", "command", "command_text"),
    [
        ("/traincost", "405B 15T a100", "traincost", "405B 15T a100"),
        ("/traincost", "llama-3.1-70b 2T h100 gpus=1024", "traincost", "llama-3.1-70b 2T h100 gpus=1024"),
        ("/fits", "20B", "fits", "20B"),
        ("/fits", "70B a100 lora", "fits", "70B a100 lora"),
        (
            "/servecost",
            "llama-3.3-70b 2xh100 fp8 in=1000 out=1000",
            "servecost",
            "llama-3.3-70b 2xh100 fp8 in=1000 out=1000",
        ),
        ("/gpus", "", "gpus", ""),
        ("/napkin", "models", "models", ""),
        ("/napkin", "traincost 7B 1T", "traincost", "7B 1T"),
        ("/traincost", "help", "traincost", "help"),
        ("/napkin", "", "help", "intro"),  # an empty question gets the friendly intro
    ],
)
async def test_commands_are_answered_ephemerally_in_the_ack(
    napkin: NapkinHttp, slash: str, text: str, command: str, command_text: str
) -> None:
    status, answer = await napkin.command(slash, text)
    expected = expected_message(command, command_text)
    assert status == 200
    assert answer == {
        "text": expected.text,
        "blocks": expected.blocks,
        "response_type": "ephemeral",
        "unfurl_links": False,
        "unfurl_media": False,
    }


async def test_share_keyword_posts_in_the_channel_at_once(napkin: NapkinHttp) -> None:
    for word in ("share", "public"):
        status, answer = await napkin.command("/fits", f"20B h100 {word}")
        assert status == 200
        assert answer["response_type"] == "in_channel"
        assert answer["blocks"] == expected_message("fits", f"20B h100 {word}").blocks
        buttons = [e["action_id"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert buttons == ["napkin_details", "napkin_cost"]  # nothing left to share; the details for anyone
        assert f"<@{USER_ID}>" in json.dumps(answer["blocks"])  # attributed to the asker


@pytest.mark.parametrize(
    ("slash", "text", "command", "fragment"),
    [
        ("/traincost", "405X 15T a100", "traincost", "405X"),
        ("/fits", "20B h1000", "fits", "h1000"),
        ("/napkin", "trainkost 70B", "trainkost", "traincost"),  # suggestion for a misspelling
        ("/fits", "x" * 2000, "fits", ""),
    ],
)
async def test_usage_errors_are_200_with_an_ephemeral_explanation(
    napkin: NapkinHttp, slash: str, text: str, command: str, fragment: str
) -> None:
    status, answer = await napkin.command(slash, text)
    rest = text.split(maxsplit=1)[1] if slash == "/napkin" and " " in text else ("" if slash == "/napkin" else text)
    expected = expected_error(command, rest)
    assert status == 200
    assert (answer["response_type"], answer["text"], answer["blocks"]) == ("ephemeral", expected.text, expected.blocks)
    assert fragment in answer["text"]
    assert "Usage:" in json.dumps(answer["blocks"])


# --- signatures and Slack's built-in checks ------------------------------------------------------


async def test_a_forged_signature_is_401_and_its_body_is_not_logged(
    napkin: NapkinHttp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = urllib.parse.urlencode(slash_form("/fits", "20B secret-user-text"))
    status, text, _ = await napkin.post(body, FORM, secret="not-the-signing-secret")
    assert (status, json.loads(text)) == (401, {"error": "invalid request"})
    assert "secret-user-text" not in caplog.text
    assert any(r.name == "napkin.serve" and r.napkin_fields["status"] == 401 for r in caplog.records)  # type: ignore[attr-defined]


async def test_a_stale_timestamp_is_401(napkin: NapkinHttp) -> None:
    body = urllib.parse.urlencode(slash_form("/fits", "20B"))
    status, _, _ = await napkin.post(body, FORM, timestamp=int(time.time()) - 301)
    assert status == 401
    fresh, _, _ = await napkin.post(body, FORM, timestamp=int(time.time()) - 240)
    assert fresh == 200


async def test_an_unsigned_request_is_401(napkin: NapkinHttp) -> None:
    assert napkin.session is not None
    body = urllib.parse.urlencode(slash_form("/fits", "20B"))
    async with napkin.session.post(napkin.url(), data=body, headers={"Content-Type": FORM}) as response:
        assert response.status == 401


async def test_ssl_check_and_url_verification(napkin: NapkinHttp) -> None:
    assert napkin.session is not None
    body = urllib.parse.urlencode({"ssl_check": "1", "token": "legacy"})
    async with napkin.session.post(napkin.url(), data=body, headers={"Content-Type": FORM}) as response:
        assert (response.status, await response.text()) == (200, "")
    challenge = {
        "token": "legacy",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    status, text, _ = await napkin.post(json.dumps(challenge), "application/json")
    assert (status, json.loads(text)) == (200, {"challenge": challenge["challenge"]})


# --- probes and draining -----------------------------------------------------------------------


async def test_health_and_readiness(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    assert await napkin.get("/healthz") == (200, "ok\n")
    assert await napkin.get("/readyz") == (200, "ready\n")
    napkin.state.draining = True
    assert await napkin.get("/readyz") == (503, "draining\n")
    assert (await napkin.get("/healthz"))[0] == 200  # alive, just not taking traffic
    # An event delivered while draining is refused before processing: Slack redelivers it elsewhere.
    status = await napkin.event(event_envelope(mention_event("gpus")))
    assert status == 503
    # Slash commands cannot be redelivered, so they are still answered.
    assert (await napkin.command("/gpus", ""))[0] == 200
    await standin.settle()
    assert standin.calls("chat.postMessage") == []


async def test_shutdown_waits_for_replies_being_posted(standin: SlackStandIn) -> None:
    server = NapkinHttp(settings_for(standin))
    await server.__aenter__()
    standin.slow("chat.postMessage", 0.5)
    assert await server.event(event_envelope(mention_event("gpus"))) == 200
    await standin.wait_for(lambda: bool(standin.calls("chat.postMessage")))
    await server.__aexit__()  # runs on_shutdown / on_cleanup like SIGTERM does
    assert standin.calls("chat.postMessage")[0].finished is not None
    assert server.state.draining


# --- logging -----------------------------------------------------------------------------------


async def test_one_structured_line_per_request_without_text_or_secrets(
    napkin: NapkinHttp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await napkin.command("/traincost", "70B 2T h100 please-do-not-log-me")
    await napkin.command("/traincost", "70B 2T h100")
    await wait_until(lambda: len(request_lines(caplog)) == 2)
    error_line, ok_line = request_lines(caplog)
    assert ok_line["kind"] == "command"
    assert ok_line["command"] == "/traincost"
    assert (ok_line["team"], ok_line["user"], ok_line["channel"]) == (TEAM_ID, USER_ID, CHANNEL_ID)
    assert (ok_line["outcome"], ok_line["response_type"], ok_line["estimate"]) == ("ok", "ephemeral", "traincost")
    assert isinstance(ok_line["latency_ms"], float)
    assert ok_line["latency_ms"] >= 0
    assert error_line["outcome"] == "usage_error"
    assert "please-do-not-log-me" not in caplog.text
    assert BOT_TOKEN not in caplog.text


def test_json_lines_are_single_lines_with_tokens_redacted() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", "json", secrets=[SIGNING_SECRET], stream=stream)
    try:
        log = logging.getLogger("napkin.test")
        log.info("token %s and secret %s", BOT_TOKEN, SIGNING_SECRET, extra={"napkin_fields": {"k": "xapp-1-A-2-b"}})
        try:
            raise ValueError(f"bad {BOT_TOKEN}")
        except ValueError:
            log.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "token xoxb-[redacted] and secret [redacted]"
    assert first["k"] == "xapp-[redacted]"
    assert first["level"] == "INFO"
    assert first["logger"] == "napkin.test"
    assert "Traceback" in second["exception"]
    assert BOT_TOKEN not in second["exception"]
    assert isinstance(JsonFormatter(), logging.Formatter)
    assert isinstance(handler.filters[0], RedactingFilter)


# --- startup and the healthcheck ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "first_words"),
    [
        ({"NAPKIN_MFU": "abc"}, "napkin: NAPKIN_MFU: must be a number between 0 and 1 (got 'abc')"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "napkin: SLACK_SIGNING_SECRET: required in HTTP mode"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "NAPKIN_MODE": "socket"}, "napkin: SLACK_APP_TOKEN: required in Socket Mode"),
        (
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "NAPKIN_CATALOG": "/nonexistent/x.toml",
            },
            "napkin: ",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "NAPKIN_DEFAULT_GPU": "h1000"},
            "napkin: NAPKIN_DEFAULT_GPU: 'h1000' is not in the GPU catalog",
        ),
    ],
)
def test_startup_errors_are_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    env: dict[str, str],
    first_words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert serve.main([]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("napkin: ")]
    assert len(lines) == 1
    assert lines[0].startswith(first_words)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("mode_env", "method", "variable"),
    [
        ({"SLACK_SIGNING_SECRET": SIGNING_SECRET}, "auth.test", "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1-A1-2-revoked"}, "apps.connections.open", "SLACK_APP_TOKEN"),
    ],
)
async def test_a_token_slack_rejects_fails_startup(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    standin: SlackStandIn,
    *,
    mode_env: dict[str, str],
    method: str,
    variable: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": standin.api_url, **mode_env}.items():
        monkeypatch.setenv(name, value)
    standin.refuse(method, "invalid_auth")
    assert await asyncio.to_thread(serve.main, []) == 2
    assert capsys.readouterr().err.strip() == f"napkin: {variable}: Slack rejected it (invalid_auth)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_healthcheck_exits_0_when_healthz_answers_else_1(napkin: NapkinHttp) -> None:
    port = napkin.server.port
    assert port is not None
    assert await asyncio.to_thread(health.main, ["--port", str(port)]) == 0
    assert await asyncio.to_thread(health.main, ["--port", str(port), "--path", "/readyz"]) == 0
    napkin.state.draining = True
    assert await asyncio.to_thread(health.main, ["--port", str(port), "--path", "/readyz"]) == 1
    assert await asyncio.to_thread(health.main, ["--port", str(free_port()), "--timeout", "1"]) == 1


def test_healthcheck_reads_port_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-port")
    assert health.main([]) == 1
    monkeypatch.setenv("PORT", str(free_port()))
    assert health.main(["--timeout", "1"]) == 1


# --- napkin serve as a process ---------------------------------------------------------------------


async def test_napkin_serve_drains_on_sigterm_and_exits_0(standin: SlackStandIn, tmp_path: Path) -> None:
    port = free_port()
    env = subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        PORT=str(port),
        NAPKIN_HOST="127.0.0.1",
        NAPKIN_LOG_FORMAT="json",
        NAPKIN_DRAIN_SECONDS="8",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.server.serve", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    client = NapkinClient(f"http://127.0.0.1:{port}")
    try:
        await client.wait_healthy(process)
        status, answer = await client.command("/fits", "20B")
        assert status == 200
        assert answer["blocks"] == expected_message("fits", "20B").blocks
        standin.slow("chat.postMessage", 1.5)
        event = mention_event("traincost 70B 2T h100", ts="1700000999.000999")
        assert await client.event(event_envelope(event)) == 200
        await standin.wait_for(lambda: bool(standin.calls("chat.postMessage")))
        process.send_signal(signal.SIGTERM)  # while the reply is still being posted
        assert await asyncio.wait_for(process.wait(), 15) == 0
    finally:
        await client.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode()
    posts = standin.calls("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].finished is not None
    assert (posts[0].body["channel"], posts[0].body["thread_ts"]) == (CHANNEL_ID, "1700000999.000999")
    logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    messages = [line["message"] for line in logs]
    assert "starting" in messages
    assert "draining" in messages
    assert "drained" in messages
    assert any(line.get("kind") == "app_mention" and line.get("outcome") == "ok" for line in logs)
    assert "Traceback" not in stderr
    assert BOT_TOKEN not in stderr
    assert SIGNING_SECRET not in stderr


class NapkinClient:
    """Signed requests to a napkin server in another process."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def wait_healthy(self, process: asyncio.subprocess.Process, within: float = 15.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert process.returncode is None, "napkin serve exited early"
            try:
                async with self.session.get(f"{self.base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError("napkin serve did not become healthy")

    async def _post(self, body: str, content_type: str) -> tuple[int, str]:
        from tests.slack_standin import signed_headers

        headers = {"Content-Type": content_type, **signed_headers(body)}
        async with self.session.post(f"{self.base}/slack/events", data=body, headers=headers) as response:
            return response.status, await response.text()

    async def command(self, command: str, text: str) -> tuple[int, dict[str, Any]]:
        status, raw = await self._post(urllib.parse.urlencode(slash_form(command, text)), FORM)
        return status, json.loads(raw)

    async def event(self, envelope: dict[str, Any]) -> int:
        return (await self._post(json.dumps(envelope), "application/json"))[0]
