"""Bolt's last-resort error handler: one log line, and a 200 (a polite message for commands)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse

from bot.logs import log_fields
from bot.slack.answers import internal_error_message, log_unexpected, unknown_command_message

logger = logging.getLogger("napkin.app")


async def error_handler(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> BoltResponse | None:
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
