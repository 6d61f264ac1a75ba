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
from bot.render.blocks import SHARE_ACTION_ID, SlackMessage
from bot.slack.answers import (
    Answer,
    Answerer,
    is_answerable_dm,
    is_answerable_mention,
    mention_text,
    split_command,
    thread_ts_for,
)
from bot.slack.clients import make_webhook_client
from bot.slack.dedupe import share_key
from bot.slack.delivery import guarded, post_answer
from bot.slack.errors import error_handler
from bot.slack.hub_replies import HubReplies
from bot.slack.interactions import form_request, open_command_form, register_interactions
from bot.slack.middleware import elapsed_ms, log_command
from bot.slack.state import AppState
from config.settings import Settings

logger = logging.getLogger("napkin.app")


def register_listeners(
    app: AsyncApp, settings: Settings, answerer: Answerer, state: AppState, hub: HubReplies | None = None
) -> None:
    """Register the slash commands, the share button, mentions, DMs, the interactive surfaces and the error handler."""
    commands = settings.commands()
    for name, slash in commands.items():
        app.command(slash)(_command_listener(name, answerer, state, hub))
    app.action(SHARE_ACTION_ID)(_share_listener(answerer, state, commands))
    register_interactions(app, answerer, state, hub)
    app.event("app_mention")(_event_listener(answerer, state, is_answerable_mention, hub))
    app.event("message")(_event_listener(answerer, state, is_answerable_dm, hub))
    app.error(error_handler)


def _command_listener(
    name: str, answerer: Answerer, state: AppState, hub: HubReplies | None = None
) -> Callable[..., Awaitable[None]]:
    async def on_command(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        state.tasks.track_current()
        form = form_request(name, str(command.get("text") or ""))
        if form is not None and command.get("trigger_id"):
            await ack()  # an empty acknowledgement: the form is the answer (views.open within 3 s of the trigger)
            state.tasks.spawn(guarded(open_command_form(answerer, client, form, command, context), kind="form"))
            return
        if hub is not None:  # a Hub model: acknowledged now, answered through response_url (bot.slack.hub_replies)
            verb, rest = hub.slash_command(name, str(command.get("text") or ""))
            if (ref := hub.ref(verb, rest)) is not None:
                pending = hub.pending(ref)
                await ack(text=pending.text, blocks=pending.blocks, response_type="ephemeral")
                state.tasks.spawn(guarded(hub.respond(command, verb, rest), kind="hub"))
                return
        answer = answerer.slash(name, str(command.get("text") or ""), user_id=command.get("user_id"))
        await ack(
            text=answer.message.text,
            blocks=answer.message.blocks,
            response_type=answer.response_type,
            unfurl_links=False,
            unfurl_media=False,
        )
        log_command(
            command,
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
        if not state.seen.first_time(share_key(body)):  # the same click again: posted once (bot/slack/dedupe.py)
            return
        value = str(action.get("value") or "")
        state.tasks.spawn(guarded(_share(answerer, commands, body, value, context), kind="share"))

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
        status = await post_answer(webhook, answer)
        if status != 200:
            error = f"http_{status}"
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
    answerer: Answerer, state: AppState, accepts: Callable[[dict[str, Any]], bool], hub: HubReplies | None = None
) -> Callable[..., Awaitable[None]]:
    async def on_event(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # Returns at once: Bolt then acknowledges the event, and the reply is posted afterwards.
        if accepts(event):
            reply = _reply(answerer, event, body, client, context, hub=hub)
            state.tasks.spawn(guarded(reply, kind=str(event.get("type"))))

    on_event.__name__ = "on_event"
    return on_event


async def _reply(
    answerer: Answerer,
    event: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    *,
    hub: HubReplies | None = None,
) -> None:
    """Answer a mention or DM in its thread; one request line either way."""
    verb, rest = split_command(mention_text(str(event.get("text") or ""), context.bot_user_id))
    if hub is not None and hub.ref(verb, rest) is not None:  # posted when the look-up ends (bot.slack.hub_replies)
        hub_answer = await hub.answer(verb, rest, user_id=event.get("user"))
        answer = Answer(hub_answer.command, hub_answer.message, in_channel=True, outcome=hub_answer.outcome)
    else:
        text = str(event.get("text") or "")
        answer = answerer.mention(text, user_id=event.get("user"), bot_user_id=context.bot_user_id)
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
