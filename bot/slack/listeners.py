"""napkin's Bolt listeners: slash commands, the share button, mentions and DMs.

Listeners are thin: they call :class:`bot.slack.answers.Answerer` and send what it returns. Work that
outlives the acknowledgement (posting a reply) is spawned on ``AppState.tasks``, so it never delays it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import log_fields, log_request
from bot.render.blocks import ANSWER_ACTION_IDS, DETAILS_ACTION_ID, SHARE_ACTION_ID, SlackMessage
from bot.render.forms import FORM_CALLBACK_ID
from bot.slack.answers import Answer, Answerer, is_answerable_dm, is_answerable_mention, log_unexpected, thread_ts_for
from bot.slack.clients import make_webhook_client
from bot.slack.errors import error_handler
from bot.slack.middleware import elapsed_ms
from bot.slack.state import AppState
from config.settings import Settings

logger = logging.getLogger("napkin.app")

FORM_COMMANDS = ("traincost", "fits")


def register_listeners(app: AsyncApp, settings: Settings, answerer: Answerer, state: AppState) -> None:
    """Register the slash commands, the share button, mentions, DMs and the error handler."""
    commands = settings.commands()
    for name, slash in commands.items():
        app.command(slash)(_command_listener(name, answerer, state))
    app.action(SHARE_ACTION_ID)(_share_listener(answerer, state, commands))
    for action_id in ANSWER_ACTION_IDS:
        app.action(action_id)(_answer_action_listener(answerer, state, detail=action_id == DETAILS_ACTION_ID))
    app.event("app_home_opened")(_home_listener(answerer, state))
    app.view_submission(FORM_CALLBACK_ID)(_form_listener(answerer, state))
    app.event("app_mention")(_event_listener(answerer, state, is_answerable_mention))
    app.event("message")(_event_listener(answerer, state, is_answerable_dm))
    app.error(error_handler)


def _command_listener(name: str, answerer: Answerer, state: AppState) -> Callable[..., Awaitable[None]]:
    async def on_command(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        state.tasks.track_current()
        if name in FORM_COMMANDS and not str(command.get("text") or "").strip() and command.get("trigger_id"):
            await ack()  # the form answers; views.open must use the trigger id within 3 s
            await _open_form(answerer, client, name, command, context)
            return
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
            latency_ms=elapsed_ms(context),
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
        latency_ms=elapsed_ms(context),
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
        latency_ms=elapsed_ms(context),
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


async def _open_form(
    answerer: Answerer, client: AsyncWebClient, name: str, command: dict[str, Any], context: AsyncBoltContext
) -> None:
    """``views.open`` the estimate form for a bare ``/traincost`` or ``/fits``; one request line."""
    view = answerer.form(
        "traincost" if name == "traincost" else "fits",
        channel_id=str(command.get("channel_id") or ""),
        response_url=str(command.get("response_url") or ""),
    )
    outcome = "form_opened"
    try:
        await client.views_open(trigger_id=str(command["trigger_id"]), view=view)
    except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
        outcome = f"views_open_failed:{type(err).__name__}"
        log_fields(logger, logging.ERROR, "views.open failed", error=type(err).__name__)
    log_request(
        kind="command",
        command=command.get("command"),
        team_id=command.get("team_id"),
        user_id=command.get("user_id"),
        channel_id=command.get("channel_id"),
        outcome=outcome,
        latency_ms=elapsed_ms(context),
    )


def _answer_action_listener(answerer: Answerer, state: AppState, *, detail: bool) -> Callable[..., Awaitable[None]]:
    async def on_answer_action(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        user_id = str((body.get("user") or {}).get("id") or "") or None
        answer = answerer.action(str(action.get("value") or ""), user_id=user_id, detail=detail)
        work = _send_ephemeral(answer, body, context, kind=str(action.get("action_id")))
        state.tasks.spawn(_guarded(work, kind="action"))

    on_answer_action.__name__ = "on_details" if detail else "on_answer_action"
    return on_answer_action


async def _send_ephemeral(answer: Answer, body: dict[str, Any], context: AsyncBoltContext, *, kind: str) -> None:
    """Answer a button ephemerally through its ``response_url`` (a new message; the original stays)."""
    response_url = body.get("response_url")
    outcome: str = answer.outcome
    try:
        if not isinstance(response_url, str) or not response_url:
            raise ValueError("no response_url")
        result = await make_webhook_client(response_url).send(
            text=answer.message.text,
            blocks=answer.message.blocks,
            response_type="ephemeral",
            replace_original=False,
            unfurl_links=False,
            unfurl_media=False,
        )
        if result.status_code != 200:
            outcome = f"response_url_http_{result.status_code}"
    except (TimeoutError, aiohttp.ClientError, ValueError) as err:
        outcome = f"response_url_failed:{type(err).__name__}"
        log_fields(logger, logging.ERROR, "response_url failed", error=type(err).__name__)
    log_request(
        kind=kind,
        command=answer.command,
        team_id=(body.get("team") or {}).get("id"),
        user_id=(body.get("user") or {}).get("id"),
        channel_id=(body.get("channel") or {}).get("id"),
        outcome=outcome,
        latency_ms=elapsed_ms(context),
        response_type="ephemeral",
    )


def _home_listener(answerer: Answerer, state: AppState) -> Callable[..., Awaitable[None]]:
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        if event.get("tab") not in (None, "home") or not event.get("user"):
            return
        state.tasks.spawn(_guarded(_publish_home(answerer, event, client, context), kind="app_home_opened"))

    return on_home_opened


async def _publish_home(
    answerer: Answerer, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    outcome = "published"
    try:
        await client.views_publish(user_id=str(event["user"]), view=answerer.home())
    except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
        outcome = f"views_publish_failed:{type(err).__name__}"
        log_fields(logger, logging.ERROR, "views.publish failed", error=type(err).__name__)
    log_request(
        kind="app_home_opened",
        command=None,
        team_id=context.team_id,
        user_id=event.get("user"),
        channel_id=None,
        outcome=outcome,
        latency_ms=elapsed_ms(context),
    )


def _form_listener(answerer: Answerer, state: AppState) -> Callable[..., Awaitable[None]]:
    async def on_form_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        user_id = str((body.get("user") or {}).get("id") or "") or None
        result = answerer.submit(view, user_id=user_id)
        if isinstance(result, dict):
            await ack(response_action="errors", errors=result)
            return
        await ack()
        target, answer = result
        payload = {**body, "response_url": target.response_url, "channel": {"id": target.channel_id}}
        state.tasks.spawn(_guarded(_send_ephemeral(answer, payload, context, kind="form"), kind="form"))

    return on_form_submitted
