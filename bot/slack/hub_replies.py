"""Slack answers that need a Hugging Face Hub look-up, which may outlast Slack's 3-second window.

A slash command naming a Hub model is acknowledged at once ("looking up org/name on the Hub…",
ephemeral) and answered once, through its ``response_url``, when the look-up ends or its bound
passes. Mentions and DMs are already answered after the acknowledgement: they await the look-up.
The listeners spawn this work on the app's TaskTracker, so a SIGTERM drain waits for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.hub.client import HubClient, HubError, HubRef
from bot.hub.resolve import hub_ref, prepare, source_line
from bot.render.blocks import SlackMessage, escape_mrkdwn, render_error, render_reply
from bot.slack import delivery
from bot.slack.answers import Answer, internal_error_message, log_unexpected, split_command
from bot.slack.middleware import log_command
from estimator.catalog import Catalog
from estimator.commands import UsageError, execute
from estimator.defaults import Defaults
from estimator.vocabulary import ESTIMATE_COMMANDS

logger = logging.getLogger("napkin.hub")


def _message(text: str) -> SlackMessage:
    return SlackMessage(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


class HubReplies:
    """Answers for commands naming a Hub model: the same estimate, with the Hub's numbers."""

    def __init__(self, catalog: Catalog, defaults: Defaults, client: HubClient) -> None:
        self._catalog = catalog
        self._defaults = defaults
        self.client = client

    def ref(self, command: str, text: str) -> HubRef | None:
        """The Hub model ``command text`` names (``fits``/``traincost`` only), or None."""
        try:
            return hub_ref(command, text)
        except HubError:
            return HubRef("", None)  # two models: answered (as a one-line error) by answer()

    @staticmethod
    def slash_command(name: str, text: str) -> tuple[str, str]:
        """``/fits org/name`` → (fits, org/name); ``/napkin fits org/name`` likewise."""
        return (name, text) if name in ESTIMATE_COMMANDS else split_command(text)

    def pending(self, ref: HubRef) -> SlackMessage:
        """The immediate acknowledgement."""
        bound = f"{self.client.timeout:g}"
        return _message(
            f":hourglass_flowing_sand: Looking up `{escape_mrkdwn(str(ref))}` on the Hub… (up to {bound} s)"
        )

    async def answer(self, command: str, text: str, *, user_id: str | None, detail: bool = False) -> Answer:
        """The full answer: the estimate with a line naming the Hub source, or one line saying why not.

        ``detail`` gives the full working (a Details button's answer) instead of the compact answer.
        """
        try:
            prepared = await prepare(command, text, self._catalog, self.client)
            reply = execute(command, prepared.text, catalog=prepared.catalog, defaults=self._defaults)
        except HubError as err:
            return Answer(command, _message(f":warning: {escape_mrkdwn(err.message)}"), outcome="usage_error")
        except UsageError as err:
            return Answer(command, render_error(err), outcome="usage_error")
        except Exception as err:  # answer politely whatever went wrong; the log has the details
            log_unexpected(err, command=command, kind="hub")
            return Answer(command, internal_error_message(), outcome="internal_error")
        # The share button would recompute without the look-up: `share` in the command posts it instead.
        message = render_reply(reply, command_text=text, user_id=user_id, shareable=False, detail=detail)
        if prepared.source is not None:
            context = {"type": "context", "elements": [{"type": "mrkdwn", "text": source_line(prepared.source)}]}
            body, actions = message.blocks, []
            if body and body[-1].get("type") == "actions":  # the source line goes above the buttons
                body, actions = body[:-1], body[-1:]
            message = SlackMessage(text=message.text, blocks=[*body, context, *actions])
        return Answer(reply.command, message, in_channel=reply.share)

    async def respond(self, command_body: dict[str, Any], command: str, text: str) -> None:
        """Answer a slash command through its ``response_url``, once; one request line either way."""
        started = time.perf_counter()
        user_id = command_body.get("user_id")
        answer = await self.answer(command, text, user_id=user_id)
        outcome = await delivery.respond(answer, command_body.get("response_url"), log=logger)
        log_command(
            command_body,
            outcome=outcome,
            latency_ms=(time.perf_counter() - started) * 1000,
            response_type=answer.response_type,
            estimate=answer.command if answer.outcome == "ok" else None,
        )
