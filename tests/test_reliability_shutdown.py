"""Shutdown: SIGTERM while ``napkin serve`` is under load loses nothing it accepted, and exits 0.

48 clients keep signed commands in flight, and mentions whose replies the Slack stand-in holds
back are being posted, when SIGTERM arrives. Each client then sees either a complete, correct
answer or a refused connection, never a broken or wrong response; every command napkin logged as
answered reached its client (so no answer was computed and then dropped); every mention napkin
acknowledged got its reply posted, once; the process logs its drain and exits 0.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import expected_message, subprocess_env
from tests.slack_standin import (
    BOT_TOKEN,
    SIGNING_SECRET,
    NapkinProcess,
    SlackStandIn,
    event_envelope,
    free_port,
    mention_event,
    slash_form,
)

CLIENTS = 48
ANSWERS_BEFORE_SIGTERM = 150
SLOW_MENTIONS = 3
TEXTS = ("70B 2T h100", "405B 15T a100", "8B 1T h100 mfu=0.45")


@dataclass
class Outcomes:
    """What the clients saw, by request."""

    answered: int = 0
    answered_after_sigterm: int = 0  # sent before SIGTERM, answered after it
    refused: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    sigterm_at: float | None = None
    enough: asyncio.Event = field(default_factory=asyncio.Event)


async def client(napkin: NapkinProcess, n: int, expected: dict[str, list[dict[str, Any]]], seen: Outcomes) -> None:
    """Send commands one after another until the server stops taking them."""
    sent = 0
    while True:
        text = TEXTS[(n + sent) % len(TEXTS)]
        sent += 1
        started = time.monotonic()
        try:
            status, raw = await napkin.post(urllib.parse.urlencode(slash_form("/traincost", text)))
        except aiohttp.ClientConnectionError as err:  # not accepted: the listener was closed
            seen.refused.append(type(err).__name__)
            return
        if status != 200 or json.loads(raw).get("blocks") != expected[text]:
            seen.wrong.append(f"{status} {raw[:120]}")
            return
        seen.answered += 1
        if seen.sigterm_at is not None and started < seen.sigterm_at:
            seen.answered_after_sigterm += 1
        if seen.answered >= ANSWERS_BEFORE_SIGTERM:
            seen.enough.set()


async def test_sigterm_under_load_answers_everything_accepted_and_exits_0(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    env = subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        NAPKIN_LOG_FORMAT="json",
        NAPKIN_DRAIN_SECONDS="20",
    )
    expected = {text: expected_message("traincost", text).blocks for text in TEXTS}
    seen = Outcomes()
    async with NapkinProcess(env, port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path) as napkin:
        standin.slow("chat.postMessage", 1.0, times=SLOW_MENTIONS)
        mentions = [mention_event("fits 20B", ts=f"1700200000.{m:06d}") for m in range(SLOW_MENTIONS)]
        for event in mentions:
            status, _ = await napkin.post(json.dumps(event_envelope(event)), "application/json")
            assert status == 200
        clients = [asyncio.ensure_future(client(napkin, n, expected, seen)) for n in range(CLIENTS)]
        await asyncio.wait_for(seen.enough.wait(), 60)
        # Replies still being posted (the stand-in holds them) while commands are in flight.
        await standin.wait_for(lambda: len(standin.calls("chat.postMessage")) == SLOW_MENTIONS)
        assert all(call.finished is None for call in standin.calls("chat.postMessage"))
        seen.sigterm_at = time.monotonic()
        napkin.terminate()
        await asyncio.wait_for(asyncio.gather(*clients), 60)
        exit_code = await napkin.wait()
        log = napkin.json_lines()
        stderr = napkin.log_text()

    assert exit_code == 0
    assert seen.wrong == []
    assert len(seen.refused) == CLIENTS  # each client ran until the server stopped taking requests
    assert seen.answered_after_sigterm > 0  # requests in flight at SIGTERM were answered
    answered_lines = [line for line in log if line.get("message") == "request" and line["kind"] == "command"]
    assert len(answered_lines) == seen.answered  # nothing answered by napkin was lost on the way
    posts = standin.calls("chat.postMessage")
    assert sorted(post.body["thread_ts"] for post in posts) == sorted(event["ts"] for event in mentions)
    assert all(post.finished is not None for post in posts)
    expected_reply = expected_message("fits", "20B", shareable=False)
    assert all(post.body["blocks"] == expected_reply.blocks for post in posts)
    messages = [line["message"] for line in log]
    assert messages.count("draining") == 1
    assert messages.count("drained") == 1
    assert "drain deadline passed" not in messages
    assert "Traceback" not in stderr
