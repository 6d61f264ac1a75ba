"""Slack faults: the Web API and ``response_url`` rate-limit, fail, stall or vanish; napkin copes.

napkin is served over real loopback HTTP as ``napkin serve`` builds it; the Slack stand-in
misbehaves on cue. For replies posted with ``chat.postMessage`` (mentions) and through a share
click's ``response_url``: a 429 is retried after its Retry-After, a 500 once; a request that may
have reached Slack (a timeout, a dropped connection) is never retried, so nothing is posted
twice; a final failure is one clear ERROR line plus the request line with its outcome; the
request itself was acknowledged with 200 at once; and the server keeps answering afterwards.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.slack import clients as slack_clients
from tests.conftest import NapkinHttp, expected_message, settings_for
from tests.slack_standin import (
    CHANNEL_ID,
    USER_ID,
    SlackStandIn,
    block_actions_body,
    event_envelope,
    free_port,
    mention_event,
)

DRAIN_WITHIN = 15.0  # seconds for the reply work to finish; generous, never the point of a test


@dataclass(frozen=True)
class FaultCase:
    """A fault, how many attempts napkin should make, whether one succeeds, and the error it logs."""

    name: str
    inject: Callable[[SlackStandIn, str], None]
    attempts: int
    delivered: bool
    error: str | None = None


def _fail(status: int, *, retry_after: int | None = None, times: int = 1) -> Callable[[SlackStandIn, str], None]:
    return lambda standin, method: standin.fail(method, status, retry_after=retry_after, times=times)


def _fail_429_until(seconds: float) -> Callable[[SlackStandIn, str], None]:
    """A 429 whose Retry-After is the HTTP-date ``seconds`` from now (RFC 9110 allows either form)."""
    return lambda standin, method: standin.fail(
        method, 429, retry_after=email.utils.formatdate(time.time() + seconds, usegmt=True)
    )


POST_FAULTS = [
    FaultCase("429, then posted after Retry-After", _fail(429, retry_after=1), attempts=2, delivered=True),
    FaultCase("429 past the retry budget", _fail(429, retry_after=0, times=5), 3, False, "http_429"),
    FaultCase("429, then posted after an HTTP-date Retry-After", _fail_429_until(2), attempts=2, delivered=True),
    # MAX_RETRY_AFTER_SECONDS (30 s): an hour's wait is not waited for; the reply fails as one line.
    FaultCase("429 with Retry-After: 3600", _fail(429, retry_after=3600), 1, False, "http_429"),
    FaultCase("500 once, retried once", _fail(500), attempts=2, delivered=True),
    FaultCase("500 every time", _fail(500, times=5), attempts=2, delivered=False, error="http_500"),
    FaultCase("503 once, retried once", _fail(503), attempts=2, delivered=True),
    FaultCase("slow but in time", lambda s, m: s.slow(m, 1.0), attempts=1, delivered=True),
    FaultCase(
        "connection dropped", lambda s, m: s.drop(m), attempts=1, delivered=False, error="ServerDisconnectedError"
    ),
    FaultCase("refused by Slack", lambda s, m: s.refuse(m, "channel_not_found"), 1, False, "channel_not_found"),
]


def error_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.napkin_fields for r in caplog.records if r.name == "napkin.request"]  # type: ignore[attr-defined]


async def still_serving(napkin: NapkinHttp) -> None:
    """The server answers probes and commands after whatever happened."""
    assert await napkin.get("/healthz") == (200, "ok\n")
    status, answer = await napkin.command("/fits", "20B")
    assert status == 200
    assert answer["blocks"] == expected_message("fits", "20B").blocks


# --- chat.postMessage (mention replies) -----------------------------------------------------------


@pytest.mark.parametrize("case", POST_FAULTS, ids=lambda case: case.name)
async def test_mention_replies_survive_web_api_faults(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture, case: FaultCase
) -> None:
    caplog.set_level(logging.INFO)
    case.inject(standin, "chat.postMessage")
    assert await napkin.event(event_envelope(mention_event("fits 20B", ts="1700300000.000001"))) == 200
    if case.name.startswith("slow"):  # acknowledged while the reply is still being posted
        assert not any(call.finished for call in standin.calls("chat.postMessage"))
    assert await napkin.state.tasks.drain(DRAIN_WITHIN) == 0  # the reply work is over
    attempts = standin.calls("chat.postMessage")
    assert len(attempts) == case.attempts
    assert all(a.body == attempts[0].body for a in attempts)  # a retry resends the same reply
    assert attempts[0].body["thread_ts"] == "1700300000.000001"
    assert attempts[0].body["blocks"] == expected_message("fits", "20B", shareable=False).blocks
    if case.name.startswith("429, then"):
        assert attempts[1].started - (attempts[0].finished or 0.0) >= 1.0  # Retry-After honoured
    (line,) = request_lines(caplog)
    failures = [r for r in error_lines(caplog) if r.getMessage() == "chat.postMessage failed"]
    if case.delivered:
        assert line["outcome"] == "ok"
        assert error_lines(caplog) == []
    else:
        assert line["outcome"] == f"post_failed:{case.error}"
        assert [f.napkin_fields for f in failures] == [{"channel": CHANNEL_ID, "error": case.error}]  # type: ignore[attr-defined]
        assert [r.getMessage() for r in error_lines(caplog)] == ["chat.postMessage failed"]
    assert "Traceback" not in caplog.text
    await still_serving(napkin)


async def test_a_web_api_timeout_is_not_retried_because_slack_may_have_posted(
    standin: SlackStandIn, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(slack_clients, "WEB_API_TIMEOUT_SECONDS", 0.3)
    async with NapkinHttp(settings_for(standin)) as napkin:
        standin.slow("chat.postMessage", 3.0)
        assert await napkin.event(event_envelope(mention_event("gpus"))) == 200
        assert await napkin.state.tasks.drain(DRAIN_WITHIN) == 0
        assert len(standin.calls("chat.postMessage")) == 1
        (failure,) = error_lines(caplog)
        assert failure.getMessage() == "chat.postMessage failed"
        assert failure.napkin_fields["error"] == "TimeoutError"  # type: ignore[attr-defined]
        assert request_lines(caplog)[0]["outcome"] == "post_failed:TimeoutError"
        await still_serving(napkin)


# --- response_url (the share button) ---------------------------------------------------------------


def share_click(response_url: str) -> dict[str, Any]:
    return block_actions_body(json.dumps({"c": "fits", "t": "20B"}), response_url=response_url)


HOOK = "/hooks/actions/T0/9/share"

HOOK_FAULTS = [
    FaultCase("429, then posted after Retry-After", _fail(429, retry_after=0), attempts=2, delivered=True),
    FaultCase("500 once, retried once", _fail(500), attempts=2, delivered=True),
    FaultCase("500 every time", _fail(500, times=5), attempts=2, delivered=False, error="http_500"),
    FaultCase("404: the url expired", _fail(404), attempts=1, delivered=False, error="http_404"),
    FaultCase("slow but in time", lambda s, m: s.slow(m, 1.0), attempts=1, delivered=True),
    FaultCase(
        "connection dropped", lambda s, m: s.drop(m), attempts=1, delivered=False, error="ServerDisconnectedError"
    ),
]


@pytest.mark.parametrize("case", HOOK_FAULTS, ids=lambda case: case.name)
async def test_shares_survive_response_url_faults(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture, case: FaultCase
) -> None:
    caplog.set_level(logging.INFO)
    case.inject(standin, HOOK)
    assert await napkin.action(share_click(standin.base_url + HOOK.lstrip("/"))) == 200
    assert await napkin.state.tasks.drain(DRAIN_WITHIN) == 0
    calls = standin.calls(HOOK)
    posts = [c for c in calls if "delete_original" not in c.body]
    deletes = [c for c in calls if c.body.get("delete_original") is True]
    assert len(posts) == case.attempts  # never more: a possibly delivered message is not resent
    assert all(p.body["response_type"] == "in_channel" for p in posts)
    assert f"<@{USER_ID}>" in json.dumps(posts[0].body["blocks"])
    (line,) = request_lines(caplog)
    if case.delivered:
        assert line["outcome"] == "ok"
        assert len(deletes) == 1  # the ephemeral original goes, so it cannot be shared twice
        assert error_lines(caplog) == []
    else:
        prefix = "response_url_" if case.error and case.error.startswith("http_") else "response_url_failed:"
        assert line["outcome"] == f"{prefix}{case.error}"
        assert deletes == []
        (failure,) = error_lines(caplog)
        assert (failure.getMessage(), failure.napkin_fields) == ("response_url failed", {"error": case.error})  # type: ignore[attr-defined]
    assert "Traceback" not in caplog.text
    await still_serving(napkin)


async def test_an_unreachable_response_url_is_one_error_line(
    napkin: NapkinHttp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert await napkin.action(share_click(f"http://127.0.0.1:{free_port()}/hooks/gone")) == 200
    assert await napkin.state.tasks.drain(DRAIN_WITHIN) == 0
    (failure,) = error_lines(caplog)
    assert (failure.getMessage(), failure.napkin_fields) == ("response_url failed", {"error": "ClientConnectorError"})  # type: ignore[attr-defined]
    assert request_lines(caplog)[0]["outcome"] == "response_url_failed:ClientConnectorError"
    assert "Traceback" not in caplog.text
    await still_serving(napkin)
