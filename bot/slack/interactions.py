"""Slack's interactive surfaces: the answer buttons, the estimate form and the App Home tab.

* **Details**, **Page N** — answered ephemerally through the click's ``response_url`` (the
  original message stays): the full working, or a listing's next page.
* **Cost to train / fine-tune this** — opens the traincost form with the model, GPU and GPU
  count of the fits answer filled in (``views.open`` with the click's trigger id), so only the
  token count is asked for; without a trigger id it answers the matching traincost directly.
* **The form** — a bare ``/traincost``, ``/fits`` or ``/servecost`` opens it; a submission is
  answered as the typed command would be, through the command's ``response_url`` (in the channel
  it was opened from), and bad input is shown on its field (``response_action: errors``).
* **App Home** — published with ``views.publish`` on ``app_home_opened``.

Each listener acknowledges at once and spawns the Slack calls on ``AppState.tasks``; every
request leaves one ``napkin.request`` line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import log_fields, log_request
from bot.render.blocks import COST_ACTION_ID, DETAILS_ACTION_ID, PAGE_ACTION_ID, parse_share_value
from bot.render.forms import FORM_CALLBACK_ID, FORM_COMMANDS, FormTarget
from bot.slack.answers import Answer, Answerer, split_command
from bot.slack.delivery import guarded, respond
from bot.slack.hub_replies import HubReplies
from bot.slack.middleware import elapsed_ms, log_command
from bot.slack.state import AppState
from estimator.vocabulary import DIRECT_SLASH_COMMANDS, SHARE_WORDS, CommandName

logger = logging.getLogger("napkin.app")

BUTTON_KINDS = {DETAILS_ACTION_ID: "details", COST_ACTION_ID: "cost", PAGE_ACTION_ID: "page"}
"""Each answer button's action id → the ``kind`` of its request line."""


def register_interactions(app: AsyncApp, answerer: Answerer, state: AppState, hub: HubReplies | None) -> None:
    """Register the answer buttons, the form's submission and the App Home listener."""
    for action_id, kind in BUTTON_KINDS.items():
        app.action(action_id)(_button_listener(kind, answerer, state, hub))
    app.view_submission(FORM_CALLBACK_ID)(_form_listener(answerer, state, hub))
    app.event("app_home_opened")(_home_listener(answerer, state))


def form_request(name: str, text: str) -> CommandName | None:
    """The form a slash command asks for: ``/fits`` alone, or ``/napkin fits`` alone; else None."""
    if name not in DIRECT_SLASH_COMMANDS and not text.strip():
        return None  # `/napkin` alone is help
    verb, rest = (name, text) if name in DIRECT_SLASH_COMMANDS else split_command(text)
    for form in FORM_COMMANDS:
        if verb == form and not rest.strip():
            return form
    return None


# --- the estimate form ---------------------------------------------------------------------------


async def open_form(
    client: AsyncWebClient,
    view: dict[str, Any],
    trigger_id: str,
    *,
    fallback: Callable[[], Answer],
    response_url: object,
) -> str:
    """``views.open`` ``view``; when Slack refuses, answer ``fallback()`` through ``response_url``. The outcome."""
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
        error = str(err.response.get("error")) if isinstance(err, SlackApiError) else type(err).__name__
        log_fields(logger, logging.ERROR, "views.open failed", error=error)
        await respond(fallback(), response_url)
        return f"views_open_failed:{error}"
    return "form_opened"


async def open_command_form(
    answerer: Answerer, client: AsyncWebClient, form: CommandName, command: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Open the form a bare command asks for (its help is the fallback); one request line."""
    target = FormTarget(str(command.get("channel_id") or ""), str(command.get("response_url") or ""))
    outcome = await open_form(
        client,
        answerer.form(form, target=target),
        str(command.get("trigger_id")),
        fallback=lambda: answerer.slash(form, "help"),
        response_url=command.get("response_url"),
    )
    log_command(command, outcome=outcome, latency_ms=elapsed_ms(context))


def _form_listener(answerer: Answerer, state: AppState, hub: HubReplies | None) -> Callable[..., Awaitable[None]]:
    async def on_form_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        user_id = str((body.get("user") or {}).get("id") or "") or None
        submission = answerer.read_form(view)
        if isinstance(submission, dict):
            await ack(response_action="errors", errors=submission)
            _log_form(body, context, outcome="usage_error", command=None)
            return
        if hub is not None and hub.ref(submission.command, submission.text) is not None:
            await ack()  # the Hub look-up may take longer than Slack waits for a modal's answer
            command_body = {
                "command": f"/{submission.command}",
                "team_id": (body.get("team") or {}).get("id"),
                "user_id": user_id,
                "channel_id": submission.target.channel_id,
                "response_url": submission.target.response_url,
            }
            state.tasks.spawn(guarded(hub.respond(command_body, submission.command, submission.text), kind="hub"))
            return
        answer = answerer.answer_form(submission, view, user_id=user_id)
        if isinstance(answer, dict):
            await ack(response_action="errors", errors=answer)
            _log_form(body, context, outcome="usage_error", command=submission.command)
            return
        await ack()

        async def deliver() -> None:
            outcome = await respond(answer, submission.target.response_url)
            _log_form(body, context, outcome=outcome, command=answer.command, channel=submission.target.channel_id)

        state.tasks.spawn(guarded(deliver(), kind="form"))

    return on_form_submitted


def _log_form(
    body: dict[str, Any], context: AsyncBoltContext, *, outcome: str, command: str | None, channel: str | None = None
) -> None:
    log_request(
        kind="form",
        command=None,
        team_id=(body.get("team") or {}).get("id"),
        user_id=(body.get("user") or {}).get("id"),
        channel_id=channel,
        outcome=outcome,
        latency_ms=elapsed_ms(context),
        estimate=command if outcome == "ok" else None,
    )


# --- answer buttons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Click:
    """One click on an answer button: which button, its value, and the request it came in."""

    kind: str
    value: str
    body: dict[str, Any]
    context: AsyncBoltContext

    @property
    def user_id(self) -> str | None:
        return str((self.body.get("user") or {}).get("id") or "") or None

    @property
    def target(self) -> FormTarget:
        channel = str((self.body.get("channel") or {}).get("id") or "")
        return FormTarget(channel, str(self.body.get("response_url") or ""))

    def log(self, *, outcome: str, command: str) -> None:
        log_request(
            kind=self.kind,
            command=None,
            team_id=(self.body.get("team") or {}).get("id"),
            user_id=self.user_id,
            channel_id=(self.body.get("channel") or {}).get("id"),
            outcome=outcome,
            latency_ms=elapsed_ms(self.context),
            response_type="ephemeral",
            estimate=command if outcome in ("ok", "form_opened") else None,
        )


def _button_listener(
    kind: str, answerer: Answerer, state: AppState, hub: HubReplies | None
) -> Callable[..., Awaitable[None]]:
    async def on_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        click = _Click(kind, str(action.get("value") or ""), body, context)
        trigger_id = body.get("trigger_id")
        if kind == "cost" and isinstance(trigger_id, str) and trigger_id:
            view = answerer.cost_form(click.value, target=click.target)
            if view is not None:
                state.tasks.spawn(guarded(_open_cost_form(answerer, client, view, trigger_id, click), kind=kind))
                return
        state.tasks.spawn(guarded(_answer_button(answerer, hub, click), kind=kind))

    on_button.__name__ = f"on_{kind}"
    return on_button


async def _open_cost_form(
    answerer: Answerer, client: AsyncWebClient, view: dict[str, Any], trigger_id: str, click: _Click
) -> None:
    outcome = await open_form(
        client,
        view,
        trigger_id,
        fallback=lambda: answerer.action(click.value, user_id=click.user_id, detail=False),
        response_url=click.target.response_url,
    )
    click.log(outcome=outcome, command="traincost")


async def _answer_button(answerer: Answerer, hub: HubReplies | None, click: _Click) -> None:
    """Answer a Details, Page (or trigger-less Cost) click ephemerally; one request line."""
    detail = click.kind == "details"
    answer = await _hub_answer(hub, click.value, user_id=click.user_id, detail=detail) if hub is not None else None
    if answer is None:
        answer = answerer.action(click.value, user_id=click.user_id, detail=detail)
    outcome = await respond(answer, click.target.response_url)
    click.log(outcome=outcome, command=answer.command)


async def _hub_answer(hub: HubReplies, value: str, *, user_id: str | None, detail: bool) -> Answer | None:
    """A button's answer when its command names a Hub model (looked up again; the client caches); else None."""
    try:
        command, text = parse_share_value(value)
    except ValueError:
        return None
    text = " ".join(word for word in text.split() if word.lower() not in SHARE_WORDS)
    if hub.ref(command, text) is None:
        return None
    found = await hub.answer(command, text, user_id=user_id, detail=detail)
    return Answer(found.command, found.message, outcome=found.outcome)  # private, like every button's answer


# --- App Home ------------------------------------------------------------------------------------


def _home_listener(answerer: Answerer, state: AppState) -> Callable[..., Awaitable[None]]:
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return  # the Messages tab: nothing to publish
        state.tasks.spawn(guarded(_publish_home(answerer, event, client, context), kind="app_home_opened"))

    return on_home_opened


async def _publish_home(
    answerer: Answerer, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    outcome = "published"
    try:
        await client.views_publish(user_id=str(event["user"]), view=answerer.home())
    except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
        error = str(err.response.get("error")) if isinstance(err, SlackApiError) else type(err).__name__
        outcome = f"views_publish_failed:{error}"
        log_fields(logger, logging.ERROR, "views.publish failed", error=error)
    log_request(
        kind="app_home_opened",
        command=None,
        team_id=context.team_id,
        user_id=event.get("user"),
        channel_id=None,
        outcome=outcome,
        latency_ms=elapsed_ms(context),
    )
