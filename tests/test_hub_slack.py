"""Hub models in Slack over real HTTP: Slack-signed requests verified by Bolt, the fake Hub on loopback
read by the real ``huggingface_hub`` client, and the Slack stand-in receiving response_url posts and
``chat.postMessage`` calls. A slash command is acknowledged at once and answered once, later."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.hub.client import HubClient
from bot.render.blocks import SlackMessage
from bot.slack.hub_replies import HubReplies
from config.catalogs import cached_catalog
from config.settings import load_settings
from tests.conftest import NapkinHttp, settings_for, subprocess_env
from tests.fake_hub import FakeHub, FakeRepo, VirtualFile, add_checkpoint
from tests.hub_models import llama_config, llama_tensors
from tests.logfields import fields_of
from tests.slack_standin import (
    BOT_TOKEN,
    SIGNING_SECRET,
    USER_ID,
    NapkinProcess,
    SlackStandIn,
    event_envelope,
    free_port,
    mention_event,
    slash_form,
)

CATALOG = cached_catalog(None)
LLAMA_8B_PARAMS = "8,030,261,248 parameters"  # Llama 3.1 8B, HF safetensors metadata (exact)


@pytest.fixture
async def hub() -> AsyncIterator[FakeHub]:
    """The fake Hub on loopback, on the test's loop (look-ups run in worker threads)."""
    fake = FakeHub()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


def llama_repo(hub: FakeHub, repo_id: str = "acme/llama-8b") -> FakeRepo:
    """A checkpoint of Llama 3.1 8B's exact shapes, as ``transformers`` stores it."""
    arch = CATALOG.model("llama-3.1-8b")
    assert arch is not None
    files: dict[str, VirtualFile] = {}
    add_checkpoint(files, [llama_tensors(arch)], llama_config(arch))
    return hub.add(FakeRepo(repo_id, files))


async def hub_answer(hub: FakeHub, command: str, text: str, *, user_id: str | None = USER_ID) -> SlackMessage:
    """The answer napkin's Hub path computes for ``command text`` (a fresh client, no cache)."""
    replies = HubReplies(CATALOG, load_settings({}).defaults(), HubClient(endpoint=hub.url, timeout=5))
    return (await replies.answer(command, text, user_id=user_id)).message


async def hub_request(hub: FakeHub, suffix: str, within: float = 10.0) -> None:
    """Wait until the fake Hub has received a request for a path ending in ``suffix``."""
    deadline = time.monotonic() + within
    while not any(path.endswith(suffix) for _, path in hub.requests):
        assert time.monotonic() < deadline, f"no request for *{suffix}: {hub.requests}"
        await asyncio.sleep(0.02)


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [fields_of(r) for r in caplog.records if r.name == "napkin.request"]


async def test_slash_command_acks_then_answers_once_at_response_url(
    hub: FakeHub, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    llama_repo(hub)
    hook = standin.hook_url("commands/T0/1/hub")
    async with NapkinHttp(settings_for(standin, HF_ENDPOINT=hub.url)) as napkin:
        status, ack = await napkin.command("/fits", "acme/llama-8b h100", response_url=hook)
        assert status == 200
        assert ack["response_type"] == "ephemeral"
        assert ack["text"].startswith(":hourglass_flowing_sand: Looking up `acme/llama-8b` on the Hub…")
        (posted,) = await standin.wait_calls("/hooks/commands/T0/1/hub")
        await standin.settle()
        assert len(standin.calls("/hooks/commands/T0/1/hub")) == 1  # answered once
    expected = await hub_answer(hub, "fits", "acme/llama-8b h100")
    assert (posted.body["text"], posted.body["blocks"]) == (expected.text, expected.blocks)
    assert posted.body["response_type"] == "ephemeral"
    assert posted.body["replace_original"] is False
    assert LLAMA_8B_PARAMS in json.dumps(posted.body["blocks"])  # the checkpoint's real count
    assert "From the Hub: `acme/llama-8b`" in json.dumps(posted.body["blocks"])
    lines = request_lines(caplog)
    assert [(line["kind"], line["outcome"], line["estimate"]) for line in lines] == [("command", "ok", "fits")]


async def test_napkin_slash_command_with_a_hub_model(hub: FakeHub, standin: SlackStandIn) -> None:
    llama_repo(hub)
    hook = standin.hook_url("commands/T0/2/hub")
    async with NapkinHttp(settings_for(standin, HF_ENDPOINT=hub.url)) as napkin:
        _, ack = await napkin.command("/napkin", "traincost acme/llama-8b 1T h100", response_url=hook)
        assert "Looking up `acme/llama-8b`" in ack["text"]
        (posted,) = await standin.wait_calls("/hooks/commands/T0/2/hub")
    expected = await hub_answer(hub, "traincost", "acme/llama-8b 1T h100")
    assert posted.body["blocks"] == expected.blocks


async def test_a_mention_is_posted_in_its_thread_when_ready(hub: FakeHub, standin: SlackStandIn) -> None:
    llama_repo(hub)
    event = mention_event("fits acme/llama-8b h100", ts="1700000500.000500")
    async with NapkinHttp(settings_for(standin, HF_ENDPOINT=hub.url)) as napkin:
        assert await napkin.event(event_envelope(event)) == 200
        (posted,) = await standin.wait_calls("chat.postMessage")
        await standin.settle()
        assert len(standin.calls("chat.postMessage")) == 1
    expected = await hub_answer(hub, "fits", "acme/llama-8b h100", user_id=USER_ID)
    assert posted.body["thread_ts"] == "1700000500.000500"
    assert posted.body["blocks"] == expected.blocks
    assert LLAMA_8B_PARAMS in json.dumps(posted.body["blocks"])


async def test_a_slow_hub_is_answered_as_timed_out_within_the_bound(hub: FakeHub, standin: SlackStandIn) -> None:
    llama_repo(hub).delay = 3.0
    hook = standin.hook_url("commands/T0/3/hub")
    settings = settings_for(standin, HF_ENDPOINT=hub.url, NAPKIN_HUB_TIMEOUT_SECONDS="0.5")
    async with NapkinHttp(settings) as napkin:
        _, ack = await napkin.command("/fits", "acme/llama-8b", response_url=hook)
        assert "(up to 0.5 s)" in ack["text"]
        (posted,) = await standin.wait_calls("/hooks/commands/T0/3/hub")
        await standin.settle(0.5)
        assert len(standin.calls("/hooks/commands/T0/3/hub")) == 1
    assert posted.body["text"] == (
        ":warning: the Hub did not answer about `acme/llama-8b` within 0.5 s "
        "(timed out; NAPKIN_HUB_TIMEOUT_SECONDS sets the bound)"
    )


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("down", ":warning: the Hub answered HTTP 500 about `acme/llama-8b`; try again later"),
        ("missing", ":warning: no model `acme/nothing` on the Hub (a private model needs HF_TOKEN)"),
        ("gated", ":warning: `acme/llama-8b` is gated"),
    ],
)
async def test_a_hub_failure_is_one_clear_line(hub: FakeHub, standin: SlackStandIn, fault: str, expected: str) -> None:
    repo = llama_repo(hub)
    if fault == "down":
        repo.status = 500
    elif fault == "gated":
        repo.gated = True
    model = "acme/nothing" if fault == "missing" else "acme/llama-8b"
    hook = standin.hook_url("commands/T0/4/hub")
    event = mention_event(f"fits {model}", ts="1700000600.000600")
    async with NapkinHttp(settings_for(standin, HF_ENDPOINT=hub.url)) as napkin:
        await napkin.command("/fits", model, response_url=hook)
        assert await napkin.event(event_envelope(event)) == 200
        (posted,) = await standin.wait_calls("/hooks/commands/T0/4/hub")
        (mentioned,) = await standin.wait_calls("chat.postMessage")
        await standin.settle()
        assert len(standin.calls("/hooks/commands/T0/4/hub")) == 1
        assert len(standin.calls("chat.postMessage")) == 1
    for body in (posted.body, mentioned.body):
        assert body["text"].startswith(expected)
        assert "\n" not in body["text"]
        assert len(body["blocks"]) == 1


async def test_sigterm_drain_waits_for_a_look_up_in_flight(hub: FakeHub, standin: SlackStandIn, tmp_path: Path) -> None:
    llama_repo(hub).delay = 1.5
    hook = standin.hook_url("commands/T0/5/hub")
    env = subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        HF_ENDPOINT=hub.url,
        NAPKIN_LOG_FORMAT="json",
        NAPKIN_DRAIN_SECONDS="20",
    )
    async with NapkinProcess(env, port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path) as napkin:
        status, raw = await napkin.post(urllib.parse.urlencode(slash_form("/fits", "acme/llama-8b", response_url=hook)))
        assert status == 200
        assert "Looking up" in json.loads(raw)["text"]
        await hub_request(hub, "/config.json")
        assert standin.calls("/hooks/commands/T0/5/hub") == []  # still looking up
        napkin.terminate()
        exit_code = await napkin.wait()
        log = napkin.json_lines()
    assert exit_code == 0
    (posted,) = standin.calls("/hooks/commands/T0/5/hub")  # answered before the process exited
    assert LLAMA_8B_PARAMS in json.dumps(posted.body["blocks"])
    commands = [line for line in log if line.get("message") == "request" and line.get("kind") == "command"]
    assert [line["outcome"] for line in commands] == ["ok"]
    messages = [line["message"] for line in log]
    assert "drained" in messages
    assert "drain deadline passed" not in messages
