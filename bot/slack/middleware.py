"""Global Bolt middleware (the request start time, the drain 503, the reply-once rule for events); request lines."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.logs import log_request
from bot.slack.dedupe import Decision, decide, delivery_from_headers
from bot.slack.state import AppState

STARTED = "napkin_started"  # context key: perf_counter() when napkin first saw the request


def events_gate(state: AppState) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Before authorize: stamp the start time; for events, the drain 503 and the reply-once rule."""

    async def gate(
        req: AsyncBoltRequest, context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        context[STARTED] = time.perf_counter()
        body = req.body
        if body.get("type") != "event_callback":
            await next_()
            return None
        event = body.get("event") or {}
        if state.draining:
            # Not processed: Slack retries (reason http_error) and another replica answers.
            _log_event(body, event, outcome="rejected_draining", started=context[STARTED])
            return BoltResponse(status=503, body="")
        decision = decide(delivery_from_headers(req.headers), body.get("event_id"), state.seen)
        if decision is not Decision.PROCESS:
            _log_event(body, event, outcome=decision.value, started=context[STARTED])
            return BoltResponse(status=200, body="")
        await next_()
        return None

    return gate


def _log_event(body: dict[str, Any], event: dict[str, Any], *, outcome: str, started: float) -> None:
    log_request(
        kind=str(event.get("type") or "event"),
        command=None,
        team_id=body.get("team_id"),
        user_id=event.get("user"),
        channel_id=event.get("channel"),
        outcome=outcome,
        latency_ms=(time.perf_counter() - started) * 1000,
        event_id=body.get("event_id"),
    )


def elapsed_ms(context: AsyncBoltContext) -> float:
    """Milliseconds since :func:`events_gate` first saw this request (0 if it did not)."""
    started = context.get(STARTED)
    return (time.perf_counter() - started) * 1000 if isinstance(started, float) else 0.0


def log_command(
    command: Mapping[str, Any],
    *,
    outcome: str,
    latency_ms: float,
    response_type: str | None = None,
    **fields: object,
) -> None:
    """The request line of a slash command, its ids read from the command's payload."""
    log_request(
        kind="command",
        command=command.get("command"),
        team_id=command.get("team_id"),
        user_id=command.get("user_id"),
        channel_id=command.get("channel_id"),
        outcome=outcome,
        latency_ms=latency_ms,
        response_type=response_type,
        **fields,
    )
