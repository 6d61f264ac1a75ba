"""The Slack app: an AsyncApp built from a Settings object, with napkin's listeners registered.

``build_app`` reads no environment. It always passes Bolt an explicit ``authorize`` (from the bot
token, or the caller's), so ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` in the environment can
never make Bolt authorize through OAuth instead; napkin serves its own routes (``bot.server.serve``),
so Bolt's OAuth install pages are never exposed either.

Listeners are thin: they call :class:`bot.slack.answers.Answerer` and send what it returns. Answers are
computed on the event loop, inside the ack: estimate plus Block Kit rendering measured 0.4-1.5 ms
per command (a thread would not help pure-Python work under the GIL, and Slack allows 3 s).

Listeners run inline (``process_before_response=True``): the HTTP answer leaves as soon as the
listener returns, instead of Bolt's default of running it in a task and polling for ``ack()``
every 10 ms, which put a 10 ms floor under every answer and cost CPU under load
(docs/performance.md). Work that outlives the answer (posting a reply) is spawned on
``AppState.tasks`` by the listener, so it never delays an acknowledgement.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.logs import log_fields, log_request, quiet_request_verification
from bot.render.blocks import SHARE_ACTION_ID, SlackMessage
from bot.slack.answers import (
    Answerer,
    internal_error_message,
    is_answerable_dm,
    is_answerable_mention,
    log_unexpected,
    thread_ts_for,
    unknown_command_message,
)
from bot.slack.dedupe import Decision, SeenEvents, decide, delivery_from_headers, share_key
from bot.slack.retry_after import CappedRateLimitRetryHandler
from bot.slack.tasks import TaskTracker
from config.settings import Settings, SettingsError
from estimator.catalog import Catalog

logger = logging.getLogger("napkin.app")

WEB_API_TIMEOUT_SECONDS = 10
_STARTED = "napkin_started"  # context key: perf_counter() when napkin first saw the request

Authorize = Callable[..., Awaitable[AuthorizeResult]]


@dataclass
class AppState:
    """Per-process state shared by the app and its server: in-flight work, seen events, draining."""

    tasks: TaskTracker = field(default_factory=TaskTracker)
    seen: SeenEvents = field(default_factory=SeenEvents)
    draining: bool = False


def retry_handlers() -> list[AsyncRetryHandler]:
    """Web API retries, chosen so that one reply is not posted twice.

    429 waits for ``Retry-After`` (nothing was posted). 500/503 retry once: a 5xx returned after
    Slack had stored the message would duplicate it, a risk accepted to ride out transient
    outages. Connection errors retry only when no connection was made (``ClientConnectorError``),
    never after a request may have reached Slack (a reset or disconnect mid-response).
    """
    return [
        CappedRateLimitRetryHandler(max_retry_count=2),  # Retry-After bounded, HTTP-dates read
        AsyncServerErrorRetryHandler(max_retry_count=1),
        AsyncConnectionErrorRetryHandler(max_retry_count=1, error_types=[aiohttp.ClientConnectorError]),
    ]


def make_web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """An AsyncWebClient on SLACK_API_URL with napkin's retry handlers."""
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
    )


def make_webhook_client(response_url: str) -> AsyncWebhookClient:
    """A ``response_url`` client with the same timeout and retry rules as the Web API client.

    Bolt's ``respond()`` uses slack_sdk's defaults instead: a 30 s timeout, and a retry after a
    connection reset or disconnect, when the message may already have been posted.
    """
    return AsyncWebhookClient(url=response_url, timeout=WEB_API_TIMEOUT_SECONDS, retry_handlers=retry_handlers())


def token_authorize(bot_token: str) -> Authorize:
    """Single-workspace authorize: ``auth.test`` once (on SLACK_API_URL), then cached."""
    cached: list[AuthorizeResult] = []
    lock = asyncio.Lock()

    async def authorize(client: AsyncWebClient) -> AuthorizeResult:
        async with lock:
            if not cached:
                response = await client.auth_test(token=bot_token)
                cached.append(AuthorizeResult.from_auth_test_response(auth_test_response=response, bot_token=bot_token))
            return cached[0]

    return authorize


def build_app(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    authorize: Authorize | None = None,
    state: AppState | None = None,
) -> AsyncApp:
    """napkin's AsyncApp; reads no environment. Raises SettingsError for unusable settings.

    ``catalog`` defaults to the (cached) catalog NAPKIN_CATALOG names; ``authorize`` to the bot
    token's ``auth.test``; ``state`` to a fresh :class:`AppState` (pass one to share it with a server).
    """
    if catalog is None:
        from config.catalogs import cached_catalog

        override = settings.catalog_path
        catalog = cached_catalog(None if override is None else str(override))
    defaults = settings.defaults()
    if catalog.gpu(defaults.gpu) is None:
        hint = catalog.suggest_gpu(defaults.gpu)
        did_you_mean = f"; did you mean {hint!r}?" if hint else ""
        raise SettingsError(f"NAPKIN_DEFAULT_GPU: {defaults.gpu!r} is not in the GPU catalog{did_you_mean}")
    if authorize is None:
        if settings.slack_bot_token is None:
            raise SettingsError("SLACK_BOT_TOKEN: required to build the Slack app")
        authorize = token_authorize(settings.slack_bot_token.get_secret_value())
    state = state if state is not None else AppState()
    secret = settings.slack_signing_secret
    app = AsyncApp(
        name="napkin.bolt",
        signing_secret=secret.get_secret_value() if secret is not None else "",
        client=make_web_client(settings),
        authorize=authorize,
        before_authorize=_events_gate(state),
        raise_error_for_unhandled_request=True,
        process_before_response=True,  # see the module docstring
    )
    quiet_request_verification()  # Bolt has just reset these loggers' levels
    if app.oauth_flow is not None:
        logger.warning("SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are set and ignored: napkin uses SLACK_BOT_TOKEN")
    register_listeners(app, settings, Answerer(catalog, defaults), state)
    return app


# --- global middleware -----------------------------------------------------------------------


def _events_gate(state: AppState) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Before authorize: stamp the start time; for events, the drain 503 and the reply-once rule."""

    async def gate(
        req: AsyncBoltRequest, context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        context[_STARTED] = time.perf_counter()
        body = req.body
        if body.get("type") != "event_callback":
            await next_()
            return None
        event = body.get("event") or {}
        if state.draining:
            # Not processed: Slack retries (reason http_error) and another replica answers.
            _log_event(body, event, outcome="rejected_draining", started=context[_STARTED])
            return BoltResponse(status=503, body="")
        decision = decide(delivery_from_headers(req.headers), body.get("event_id"), state.seen)
        if decision is not Decision.PROCESS:
            _log_event(body, event, outcome=decision.value, started=context[_STARTED])
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


def _elapsed_ms(context: AsyncBoltContext) -> float:
    started = context.get(_STARTED)
    return (time.perf_counter() - started) * 1000 if isinstance(started, float) else 0.0


# --- listeners -------------------------------------------------------------------------------


def register_listeners(app: AsyncApp, settings: Settings, answerer: Answerer, state: AppState) -> None:
    """Register the slash commands, the share button, mentions, DMs and the error handler."""
    commands = settings.commands()
    for name, slash in commands.items():
        app.command(slash)(_command_listener(name, answerer, state))
    app.action(SHARE_ACTION_ID)(_share_listener(answerer, state, commands))
    app.event("app_mention")(_event_listener(answerer, state, is_answerable_mention))
    app.event("message")(_event_listener(answerer, state, is_answerable_dm))
    app.error(_error_handler)


def _command_listener(name: str, answerer: Answerer, state: AppState) -> Callable[..., Awaitable[None]]:
    async def on_command(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
        state.tasks.track_current()
        answer = answerer.slash(name, str(command.get("text") or ""), user_id=command.get("user_id"))
        await ack(
            text=answer.message.text,
            blocks=answer.message.blocks,
            response_type=answer.response_type,
            unfurl_links=False,
            unfurl_media=False,
        )
        log_request(
            kind="command",
            command=command.get("command"),
            team_id=command.get("team_id"),
            user_id=command.get("user_id"),
            channel_id=command.get("channel_id"),
            outcome=answer.outcome,
            latency_ms=_elapsed_ms(context),
            response_type=answer.response_type,
            estimate=answer.command if answer.outcome == "ok" else None,
        )

    on_command.__name__ = f"on_{name}"
    return on_command


def _share_listener(answerer: Answerer, state: AppState, commands: dict[str, str]) -> Callable[..., Awaitable[None]]:
    async def on_share(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        if not state.seen.first_time(share_key(body)):  # the same click again: posted once (bot/slack/dedupe.py)
            return
        value = str(action.get("value") or "")
        state.tasks.spawn(_guarded(_share(answerer, commands, body, value, context), kind="share"))

    return on_share


async def _share(
    answerer: Answerer, commands: dict[str, str], body: dict[str, Any], value: str, context: AsyncBoltContext
) -> None:
    """Post the shared answer through the click's ``response_url``; one request line either way."""
    user_id = str((body.get("user") or {}).get("id") or "")
    answer = answerer.share(value, user_id=user_id, command_names=commands)
    outcome: str = answer.outcome
    error: str | None = None
    response_url = body.get("response_url")
    try:
        if not isinstance(response_url, str) or not response_url:
            raise ValueError("no response_url")
        webhook = make_webhook_client(response_url)
        # A new message in the channel; the ephemeral original then goes away, so it cannot
        # be shared twice (deleting is best effort: older clients may keep it).
        result = await webhook.send(
            text=answer.message.text,
            blocks=answer.message.blocks,
            response_type=answer.response_type,
            replace_original=False,
            unfurl_links=False,
            unfurl_media=False,
        )
        if result.status_code != 200:
            error = f"http_{result.status_code}"
            outcome = f"response_url_{error}"
        elif answer.in_channel:
            await webhook.send_dict({"text": "", "delete_original": True})
    except (TimeoutError, aiohttp.ClientError, ValueError) as err:
        error = type(err).__name__
        outcome = f"response_url_failed:{error}"
    if error is not None:
        log_fields(logger, logging.ERROR, "response_url failed", error=error)
    log_request(
        kind="share",
        command=answer.command,
        team_id=(body.get("team") or {}).get("id"),
        user_id=user_id,
        channel_id=(body.get("channel") or {}).get("id"),
        outcome=outcome,
        latency_ms=_elapsed_ms(context),
        response_type=answer.response_type,
    )


def _event_listener(
    answerer: Answerer, state: AppState, accepts: Callable[[dict[str, Any]], bool]
) -> Callable[..., Awaitable[None]]:
    async def on_event(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # Returns at once: Bolt then acknowledges the event, and the reply is posted afterwards.
        if accepts(event):
            state.tasks.spawn(_guarded(_reply(answerer, event, body, client, context), kind=str(event.get("type"))))

    on_event.__name__ = "on_event"
    return on_event


async def _reply(
    answerer: Answerer, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Answer a mention or DM in its thread; one request line either way."""
    answer = answerer.mention(str(event.get("text") or ""), user_id=event.get("user"), bot_user_id=context.bot_user_id)
    outcome = await post_in_thread(client, event, answer.message)
    log_request(
        kind=str(event.get("type")),
        command=answer.command if answer.outcome == "ok" else None,
        team_id=body.get("team_id"),
        user_id=event.get("user"),
        channel_id=event.get("channel"),
        outcome=answer.outcome if outcome == "posted" else outcome,
        latency_ms=_elapsed_ms(context),
        event_id=body.get("event_id"),
    )


async def _guarded(work: Awaitable[None], *, kind: str) -> None:
    """Run work spawned after the acknowledgement; an unexpected error is one logged line, never raised."""
    try:
        await work
    except Exception as err:  # nothing else would see it: the request was answered already
        log_unexpected(err, kind=kind)


async def post_in_thread(client: AsyncWebClient, event: dict[str, Any], message: SlackMessage) -> str:
    """``chat.postMessage`` in the event's thread, once (the client retries only safe failures).

    Returns ``"posted"`` or a short failure outcome; a final failure is logged as one line.
    """
    channel = str(event.get("channel") or "")
    try:
        await client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts_for(event),
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as err:
        error = str(err.response.get("error") or err.response.status_code)
        log_fields(logger, logging.ERROR, "chat.postMessage failed", channel=channel, error=error)
        return f"post_failed:{error}"
    except (TimeoutError, aiohttp.ClientError) as err:
        log_fields(logger, logging.ERROR, "chat.postMessage failed", channel=channel, error=type(err).__name__)
        return f"post_failed:{type(err).__name__}"
    return "posted"


# --- errors ----------------------------------------------------------------------------------


async def _error_handler(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> BoltResponse | None:
    """Last resort: log one line and answer 200 (a polite message for commands), never 4xx/5xx."""
    is_command = isinstance(body, dict) and "command" in body
    if isinstance(error, BoltUnhandledRequestError):
        log_fields(logger, logging.WARNING, "unhandled request", kind=_kind(body))
    else:
        log_unexpected(error, kind=_kind(body))
    if response is None:  # already acknowledged; the answer (if any) went out
        return None
    if is_command:
        message = (
            unknown_command_message() if isinstance(error, BoltUnhandledRequestError) else internal_error_message()
        )
        payload = {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json;charset=utf-8"}
        )
    return BoltResponse(status=200, body="")


def _kind(body: Any) -> str:
    if not isinstance(body, dict):
        return "unknown"
    if "command" in body:
        return "command"
    return str(body.get("type") or "unknown")
