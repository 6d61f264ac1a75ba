"""Sending answers after the acknowledgement: through a ``response_url``, and guarding the spawned work."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.logs import log_fields
from bot.slack.answers import Answer, log_unexpected
from bot.slack.clients import make_webhook_client

logger = logging.getLogger("napkin.app")


async def guarded(work: Awaitable[None], *, kind: str) -> None:
    """Run work spawned after the acknowledgement; an unexpected error is one logged line, never raised."""
    try:
        await work
    except Exception as err:  # nothing else would see it: the request was answered already
        log_unexpected(err, kind=kind)


async def post_answer(webhook: AsyncWebhookClient, answer: Answer) -> int:
    """Post ``answer`` through ``webhook`` as a new message (the original stays, no unfurling); the HTTP status."""
    result = await webhook.send(
        text=answer.message.text,
        blocks=answer.message.blocks,
        response_type=answer.response_type,
        replace_original=False,
        unfurl_links=False,
        unfurl_media=False,
    )
    return result.status_code


async def respond(answer: Answer, response_url: object, *, log: logging.Logger = logger) -> str:
    """Send ``answer`` as a new message through ``response_url`` (the original stays); the outcome.

    ``answer.outcome`` when Slack took it, else ``response_url_http_<status>`` or
    ``response_url_failed:<error>`` (also logged as one line on ``log``).
    """
    outcome: str = answer.outcome
    try:
        if not isinstance(response_url, str) or not response_url:
            raise ValueError("no response_url")
        status = await post_answer(make_webhook_client(response_url), answer)
        if status != 200:
            outcome = f"response_url_http_{status}"
    except (TimeoutError, aiohttp.ClientError, ValueError) as err:
        outcome = f"response_url_failed:{type(err).__name__}"
    if outcome.startswith("response_url"):
        log_fields(log, logging.ERROR, "response_url failed", error=outcome)
    return outcome
