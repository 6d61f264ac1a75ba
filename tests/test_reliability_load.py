"""Load: ``napkin serve`` (a real process) answers thousands of concurrent signed requests, each correctly.

2,000 slash commands and 200 mentions, 64 in flight at a time, over loopback. Every command must
get HTTP 200 with exactly the answer the estimator and renderer give for *that* request (most
requests carry a GPU count no other request has, so an answer mixed up between requests, or
computed from another's numbers, cannot pass), and the training-cost figures are checked against
C = 6·N·D independently of the estimator. Every mention must be acknowledged and answered once,
in its own thread. The server's log must hold exactly one request line per request and no
warnings or errors. No timing is asserted: speed belongs to ``make bench``.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.render.blocks import SlackMessage
from tests.conftest import expected_error, expected_message, subprocess_env
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

COMMANDS = 2000
MENTIONS = 200
CONCURRENCY = 64

# (params in B, tokens in T): 6·N·D has two significant digits, as napkin prints it.
TRAINCOST_SIZES = ((7, 1), (70, 2), (8, 2), (12, 1))
FIXED = (
    ("/traincost", "405B 15T a100", "traincost", "405B 15T a100"),
    ("/traincost", "llama-3.1-70b 2T h100 gpus=1024", "traincost", "llama-3.1-70b 2T h100 gpus=1024"),
    ("/fits", "20B", "fits", "20B"),
    ("/fits", "70B a100 lora", "fits", "70B a100 lora"),
    ("/fits", "mixtral-8x7b 4090 qlora ctx=8k", "fits", "mixtral-8x7b 4090 qlora ctx=8k"),
    ("/fits", "20B h100 share", "fits", "20B h100 share"),  # in_channel, "Asked by" the requester
    ("/gpus", "", "gpus", ""),
    ("/napkin", "traincost 7B 1T", "traincost", "7B 1T"),
    ("/napkin", "models", "models", ""),
)
USAGE_ERRORS = (("/traincost", "405X 15T a100", "traincost"), ("/fits", "20B h1000", "fits"))
MENTION_TEXTS = (("traincost 70B 2T h100", "traincost", "70B 2T h100"), ("fits 20B", "fits", "20B"))

_FLOP = re.compile(r"([0-9.]+e[0-9]+) FLOP")
_ON_GPUS = re.compile(r"on ([0-9,]+) GPUs")


@dataclass(frozen=True)
class Request:
    """One slash command of the load and what napkin must answer to it."""

    slash: str
    text: str
    user_id: str
    command: str  # napkin's command name, for the expected answer
    command_text: str
    usage_error: bool = False
    flops: float | None = None  # 6·N·D for training-cost requests
    gpus: int | None = None


def plan(count: int) -> list[Request]:
    """Two thirds training-cost requests with a unique GPU count each; the rest fixed commands and errors."""
    requests = []
    for n in range(count):
        user = f"U0LOAD{n:05d}"
        kind = n % 3
        if kind < 2:
            params, tokens = TRAINCOST_SIZES[n % len(TRAINCOST_SIZES)]
            gpus = 64 + n
            text = f"{params}B {tokens}T h100 gpus={gpus}"
            requests.append(
                Request("/traincost", text, user, "traincost", text, flops=6 * params * 1e9 * tokens * 1e12, gpus=gpus)
            )
        elif n % 30 == 2:
            slash, text, command = USAGE_ERRORS[(n // 30) % len(USAGE_ERRORS)]
            requests.append(Request(slash, text, user, command, text, usage_error=True))
        else:
            slash, text, command, command_text = FIXED[(n // 3) % len(FIXED)]
            requests.append(Request(slash, text, user, command, command_text))
    return requests


def ack_body(message: SlackMessage, response_type: str) -> dict[str, Any]:
    """The JSON napkin acks a slash command with."""
    return {
        "text": message.text,
        "blocks": message.blocks,
        "response_type": response_type,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def expected_answer(request: Request) -> dict[str, Any]:
    if request.usage_error:
        return ack_body(expected_error(request.command, request.command_text), "ephemeral")
    shared = request.command_text.endswith(" share")
    message = expected_message(request.command, request.command_text, user_id=request.user_id)
    return ack_body(message, "in_channel" if shared else "ephemeral")


def check_training_figures(request: Request, answer: dict[str, Any]) -> None:
    """C = 6·N·D (the compact answer's second line) and the cluster size (its first line, the notification)."""
    assert request.flops is not None
    flop = _FLOP.search(answer["blocks"][0]["text"]["text"])
    gpus = _ON_GPUS.search(answer["text"])
    assert flop is not None, answer["text"]
    assert gpus is not None, answer["text"]
    # napkin prints two significant digits: within 5% of the exact product.
    assert float(flop.group(1)) == pytest.approx(request.flops, rel=0.05)
    assert int(gpus.group(1).replace(",", "")) == request.gpus


async def test_thousands_of_concurrent_requests_are_all_answered_correctly(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    requests = plan(COMMANDS)
    env = subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        NAPKIN_LOG_FORMAT="json",
    )
    answers: list[tuple[int, str] | None] = [None] * len(requests)
    event_statuses: list[int] = []
    mention_ts = [f"1700100000.{n:06d}" for n in range(MENTIONS)]
    work: asyncio.Queue[int] = asyncio.Queue()
    every = COMMANDS // MENTIONS
    for n in range(COMMANDS):  # a mention after every `every`-th command
        work.put_nowait(n)
        if n % every == 0:
            work.put_nowait(COMMANDS + n // every)

    async with NapkinProcess(env, port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path) as napkin:

        async def worker() -> None:
            while not work.empty():
                n = work.get_nowait()
                if n >= COMMANDS:  # a mention
                    m = n - COMMANDS
                    text = MENTION_TEXTS[m % len(MENTION_TEXTS)][0]
                    envelope = event_envelope(mention_event(text, ts=mention_ts[m]))
                    status, _ = await napkin.post(json.dumps(envelope), "application/json")
                    event_statuses.append(status)
                    continue
                request = requests[n]
                form = slash_form(request.slash, request.text, user_id=request.user_id)
                answers[n] = await napkin.post(urllib.parse.urlencode(form))

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        posts = await standin.wait_calls("chat.postMessage", MENTIONS, within=60)
        napkin.terminate()  # its last log lines are written once it has drained and exited
        assert await napkin.wait() == 0
        log = napkin.json_lines()

    assert all(answer is not None for answer in answers), "a command got no response"
    for request, answer in zip(requests, answers, strict=True):
        assert answer is not None
        status, raw = answer
        assert status == 200, (request, raw[:200])
        body = json.loads(raw)
        assert body == expected_answer(request), request
        if request.flops is not None:
            check_training_figures(request, body)

    assert event_statuses == [200] * MENTIONS
    by_thread: dict[str, list[dict[str, Any]]] = {}
    for post in posts:
        by_thread.setdefault(str(post.body.get("thread_ts")), []).append(post.body)
    assert sorted(by_thread) == sorted(mention_ts)  # every mention answered, in its own thread
    for m, ts in enumerate(mention_ts):
        (reply,) = by_thread[ts]  # exactly once
        _, command, command_text = MENTION_TEXTS[m % len(MENTION_TEXTS)]
        expected = expected_message(command, command_text, shareable=False)
        assert (reply["text"], reply["blocks"]) == (expected.text, expected.blocks)

    request_lines = [line for line in log if line.get("message") == "request"]
    commands_logged = [line for line in request_lines if line["kind"] == "command"]
    assert len(commands_logged) == COMMANDS
    assert sorted(line["user"] for line in commands_logged) == sorted(r.user_id for r in requests)
    errors = sum(1 for r in requests if r.usage_error)
    assert [line["outcome"] for line in commands_logged].count("usage_error") == errors
    assert [line["outcome"] for line in request_lines if line["kind"] == "app_mention"] == ["ok"] * MENTIONS
    assert [line for line in log if line["level"] in {"WARNING", "ERROR", "CRITICAL"}] == []
