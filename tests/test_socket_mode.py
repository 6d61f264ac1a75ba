"""Socket Mode: the same app over a real WebSocket to the stand-in, readiness, and a SIGTERM drain."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.server.probes import socket_ready
from bot.server.socket_mode import serve_socket_mode
from bot.slack.app import AppState, build_app
from tests.conftest import expected_message, settings_for, subprocess_env
from tests.slack_standin import (
    APP_TOKEN,
    BOT_TOKEN,
    CHANNEL_ID,
    SlackStandIn,
    block_actions_body,
    event_envelope,
    mention_event,
    slash_form,
    view_submission_body,
)
from tests.test_http_server import free_port


@pytest.mark.parametrize(
    ("connected", "last", "draining", "expected"),
    [
        (True, 995.0, False, (True, "ready")),
        (True, 961.0, False, (True, "ready")),  # 39 s < 4 × 10 s
        (True, 960.0, False, (False, "last ping-pong 40s ago")),
        (True, None, False, (False, "no ping-pong yet")),
        (False, 999.0, False, (False, "socket not connected")),
        (True, 999.0, True, (False, "draining")),
    ],
)
def test_readiness_needs_a_connection_and_a_fresh_ping_pong(
    connected: bool, last: float | None, draining: bool, expected: tuple[bool, str]
) -> None:
    assert (
        socket_ready(connected=connected, last_ping_pong=last, now=1000.0, ping_interval=10, draining=draining)
        == expected
    )


class SocketRun:
    """serve_socket_mode running in this loop against the stand-in."""

    def __init__(self, standin: SlackStandIn) -> None:
        self.port = free_port()
        self.settings = settings_for(
            standin,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_SIGNING_SECRET="",
            NAPKIN_MODE="socket",
            PORT=str(self.port),
            NAPKIN_HOST="127.0.0.1",
        )
        self.state = AppState()
        self.app = build_app(self.settings, state=self.state)
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def ready(self, within: float = 10.0) -> tuple[int, str]:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/readyz") as response:
                        status, text = response.status, await response.text()
                except aiohttp.ClientConnectionError:
                    status, text = 0, "down"
                if status == 200 or time.monotonic() > deadline:
                    return status, text
                await asyncio.sleep(0.05)


@pytest.fixture
async def socket_run(standin: SlackStandIn) -> AsyncIterator[SocketRun]:
    run = SocketRun(standin)
    run.task = asyncio.create_task(serve_socket_mode(run.settings, run.app, run.state, run.stop))
    assert await run.ready() == (200, "ready\n")
    yield run
    run.stop.set()
    await asyncio.wait_for(run.task, 15)


async def test_the_socket_opens_with_the_app_token_on_slack_api_url(
    socket_run: SocketRun, standin: SlackStandIn
) -> None:
    (opened,) = standin.calls("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert standin.connected


async def test_a_slash_command_is_answered_in_the_ack(socket_run: SocketRun, standin: SlackStandIn) -> None:
    envelope = {
        "envelope_id": "env-slash-1",
        "type": "slash_commands",
        "payload": slash_form("/traincost", "405B 15T a100"),
        "accepts_response_payload": True,
    }
    await standin.send_envelope(envelope)
    ack = await standin.wait_ack("env-slash-1")
    expected = expected_message("traincost", "405B 15T a100")
    assert ack["payload"]["response_type"] == "ephemeral"
    assert (ack["payload"]["text"], ack["payload"]["blocks"]) == (expected.text, expected.blocks)


async def test_mentions_are_answered_once_across_socket_retries(socket_run: SocketRun, standin: SlackStandIn) -> None:
    body = event_envelope(mention_event("fits 20B", ts="1700000700.000700"))
    first = {"envelope_id": "env-ev-1", "type": "events_api", "payload": body, "accepts_response_payload": False}
    await standin.send_envelope(first)
    await standin.wait_ack("env-ev-1")
    (post,) = await standin.wait_calls("chat.postMessage")
    assert (post.body["channel"], post.body["thread_ts"]) == (CHANNEL_ID, "1700000700.000700")
    assert post.body["blocks"] == expected_message("fits", "20B", shareable=False).blocks
    assert post.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    for n, reason in ((1, "timeout"), (2, "http_timeout")):
        retry = {**first, "envelope_id": f"env-ev-retry-{n}", "retry_attempt": n, "retry_reason": reason}
        await standin.send_envelope(retry)
        await standin.wait_ack(f"env-ev-retry-{n}")  # acknowledged, so Slack stops retrying
    await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 1


async def test_the_share_button_works_over_the_socket(socket_run: SocketRun, standin: SlackStandIn) -> None:
    hook = standin.hook_url("actions/T0/9/share")
    payload = block_actions_body(json.dumps({"c": "gpus", "t": ""}), response_url=hook)
    await standin.send_envelope({"envelope_id": "env-act-1", "type": "interactive", "payload": payload})
    await standin.wait_ack("env-act-1")
    shared, _ = await standin.wait_calls("/hooks/actions/T0/9/share", 2)
    assert shared.body["response_type"] == "in_channel"


async def test_the_form_opens_and_checks_its_fields_over_the_socket(
    socket_run: SocketRun, standin: SlackStandIn
) -> None:
    slash = {"envelope_id": "env-form-1", "type": "slash_commands", "payload": slash_form("/fits", "")}
    await standin.send_envelope({**slash, "accepts_response_payload": True})
    assert "payload" not in await standin.wait_ack("env-form-1")  # an empty acknowledgement: the form answers
    (opened,) = await standin.wait_calls("views.open")
    view = opened.body["view"]
    payload = view_submission_body(view, {"model": "20B", "gpu": "h100-sxm", "gpus": "two"})
    await standin.send_envelope({"envelope_id": "env-form-2", "type": "interactive", "payload": payload})
    ack = await standin.wait_ack("env-form-2")
    assert ack["payload"] == {"response_action": "errors", "errors": {"gpus": "A whole number of GPUs, like 8."}}


async def test_stopping_closes_the_socket_and_waits_for_replies(standin: SlackStandIn) -> None:
    run = SocketRun(standin)
    task = asyncio.create_task(serve_socket_mode(run.settings, run.app, run.state, run.stop))
    assert await run.ready() == (200, "ready\n")
    standin.slow("chat.postMessage", 0.5)
    body = event_envelope(mention_event("gpus"))
    await standin.send_envelope({"envelope_id": "env-stop-1", "type": "events_api", "payload": body})
    await standin.wait_for(lambda: bool(standin.calls("chat.postMessage")))
    run.stop.set()
    await asyncio.wait_for(task, 10)
    assert run.state.draining
    assert standin.calls("chat.postMessage")[0].finished is not None
    await standin.wait_for(lambda: not standin.connected)
    assert (await run.ready(within=0))[0] == 0  # the health server is gone too


async def test_socket_mode_process_exits_0_on_sigterm(standin: SlackStandIn, tmp_path: Path) -> None:
    port = free_port()
    env = subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=standin.api_url,
        PORT=str(port),
        NAPKIN_HOST="127.0.0.1",
        NAPKIN_LOG_FORMAT="json",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.server.serve", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        run = SocketRun.__new__(SocketRun)
        run.port = port
        assert await run.ready(within=15) == (200, "ready\n")
        await standin.send_envelope(
            {"envelope_id": "env-p-1", "type": "slash_commands", "payload": slash_form("/gpus", "")}
        )
        ack: dict[str, Any] = await standin.wait_ack("env-p-1")
        assert ack["payload"]["blocks"] == expected_message("gpus", "").blocks
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode()
    messages = [json.loads(line)["message"] for line in stderr.splitlines() if line.startswith("{")]
    assert "connected" in messages
    assert "draining" in messages
    assert "drained" in messages
    assert "Traceback" not in stderr
    assert APP_TOKEN not in stderr
    assert BOT_TOKEN not in stderr
