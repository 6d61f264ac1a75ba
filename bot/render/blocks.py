"""Answers as Slack Block Kit messages: plain dicts, no Slack SDK, every Slack limit enforced.

An answer is compact: its first line is the answer and the notification text (at most 150
characters), then one line per scenario, one context line, and buttons — Details (the working:
``detail=True``), Cost to train / fine-tune this (fits), Page N (listings), Share in channel. The
command renderers live beside this module (``traincost``, ``fits``, ``serving``, ``listings``);
the constructors, limits and escaping in :mod:`bot.render.kit`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.render.code_spans import safe_code_spans
from bot.render.fits import cost_command, fits_answer
from bot.render.kit import (
    MAX_BUTTON_VALUE_CHARS,
    Block,
    SlackMessage,
    context_blocks,
    escape_mrkdwn,
    fit_blocks,
    inline_code,
    mention,
    monospace_blocks,
    plain,
    section,
    slack_message,
)
from bot.render.listings import gpu_listing_answer, help_answer, model_listing_answer
from bot.render.serving import servecost_answer
from bot.render.traincost import traincost_answer
from estimator.commands import GpuListing, HelpTopic, ModelListing, Reply, UsageError
from estimator.results import FitsResult, TrainCostResult
from estimator.serving_results import ServeCostResult
from estimator.vocabulary import CommandName, is_command

__all__ = [
    "ANSWER_ACTION_IDS",
    "COST_ACTION_ID",
    "DETAILS_ACTION_ID",
    "PAGE_ACTION_ID",
    "SHARE_ACTION_ID",
    "SlackMessage",
    "escape_mrkdwn",
    "inline_code",
    "parse_share_value",
    "render_error",
    "render_reply",
    "render_shared",
    "share_value",
]

SHARE_ACTION_ID = "share_in_channel"
SHARE_BUTTON_TEXT = "Share in channel"
DETAILS_ACTION_ID = "napkin_details"
DETAILS_BUTTON_TEXT = "Details"
COST_ACTION_ID = "napkin_cost"
COST_BUTTON_TEXT = "Cost to train / fine-tune this"
PAGE_ACTION_ID = "napkin_page"
ANSWER_ACTION_IDS = (DETAILS_ACTION_ID, COST_ACTION_ID, PAGE_ACTION_ID)
"""The buttons under an answer besides Share: each is answered privately to whoever clicks it."""


def _button(text: str, action_id: str, command: CommandName, command_text: str) -> Block | None:
    value = share_value(command, command_text)
    if value is None:
        return None
    return {"type": "button", "text": plain(text, 75), "action_id": action_id, "value": value}


def _actions(buttons: Iterable[Block | None]) -> list[Block]:
    elements = [b for b in buttons if b is not None]
    return [{"type": "actions", "elements": elements}] if elements else []


# --- button values --------------------------------------------------------------------------


def share_value(command: CommandName, command_text: str) -> str | None:
    """The share button's value ``{"c": command, "t": text}``, or None when over Slack's 2,000 chars."""
    value = json.dumps({"c": command, "t": command_text}, ensure_ascii=False, separators=(",", ":"))
    return value if len(value) <= MAX_BUTTON_VALUE_CHARS else None


def parse_share_value(value: str) -> tuple[CommandName, str]:
    """The command and its text from a share button's value; ValueError when it is not ours."""
    try:
        data = json.loads(value)
    except json.JSONDecodeError as err:
        raise ValueError("share value is not JSON") from err
    if not isinstance(data, dict) or not is_command(data.get("c", "")) or not isinstance(data.get("t"), str):
        raise ValueError("share value needs a known command 'c' and a text 't'")
    command: CommandName = data["c"]
    return command, data["t"]


# --- public renderers ------------------------------------------------------------------------


def render_reply(
    reply: Reply, *, command_text: str, user_id: str | None = None, shareable: bool = True, detail: bool = False
) -> SlackMessage:
    """Block Kit for one command's answer: its first line is the answer, and the notification text.

    The answer is compact: a summary, one context line, and buttons for the details (the breakdown,
    formula and every assumption), a fits answer's training cost, a listing's next page. ``detail``
    renders the full working instead (the Details button's answer and the CLI's). ``command_text``
    is what the user typed after the command; it goes into the buttons' values. ``shareable`` adds
    the share button, except to help and to answers already shared (``reply.share``); those carry
    "Asked by" when ``user_id`` is known.
    """
    result = reply.result
    buttons: list[Block | None] = []
    if isinstance(result, TrainCostResult):
        text, blocks = traincost_answer(result, detail)
        buttons.append(_details_button(reply.command, command_text, detail))
    elif isinstance(result, FitsResult):
        text, blocks = fits_answer(result, detail)
        buttons.append(_details_button(reply.command, command_text, detail))
        buttons.append(_button(COST_BUTTON_TEXT, COST_ACTION_ID, "traincost", cost_command(result, command_text)))
    elif isinstance(result, ServeCostResult):
        text, blocks = servecost_answer(result, detail)
        buttons.append(_details_button(reply.command, command_text, detail))
    elif isinstance(result, GpuListing):
        text, blocks, next_page = gpu_listing_answer(result, detail)
        buttons.append(_page_button("gpus", result.query, next_page))
    elif isinstance(result, ModelListing):
        text, blocks, next_page = model_listing_answer(result, detail)
        buttons.append(_page_button("models", result.query, next_page))
    else:
        text, blocks = help_answer(result)
    asked_by = reply.share and user_id is not None
    blocks = fit_blocks(blocks, reserve=int(not detail) + int(asked_by))  # room for the buttons, "Asked by"
    if reply.share:
        if user_id is not None:
            blocks.extend(context_blocks([_asked_by(user_id, f"/{reply.command} {command_text}")]))
    elif shareable and not isinstance(result, HelpTopic) and not detail:
        buttons.append(_button(SHARE_BUTTON_TEXT, SHARE_ACTION_ID, reply.command, command_text))
    if not detail:  # the full working is the end of the conversation (and the CLI has no buttons)
        blocks.extend(_actions(buttons))
    return slack_message(text, blocks)


def render_error(err: UsageError) -> SlackMessage:
    """A usage error: what was wrong, the closest known name, and how to write the command."""
    lines = [f":warning: {escape_mrkdwn(safe_code_spans(err.message))}"]
    if err.suggestion:
        lines.append(f"Did you mean {inline_code(err.suggestion)}?")
    blocks = [section("\n".join(lines)), *monospace_blocks([f"Usage: {err.usage}"])]
    return slack_message(" ".join(lines), blocks)


def render_shared(message: SlackMessage, *, user_id: str, command_text: str) -> SlackMessage:
    """The same compact answer for the channel: no share button, plus "Asked by <@U…>: `command`".

    ``command_text`` is shown as typed, e.g. ``/traincost 405B 15T a100``. The other buttons stay:
    anyone in the channel can ask for the details.
    """
    blocks: list[Block] = []
    for block in message.blocks:
        if block.get("type") != "actions":
            blocks.append(block)
            continue
        elements = [e for e in block.get("elements", []) if e.get("action_id") != SHARE_ACTION_ID]
        if elements:
            blocks.append({**block, "elements": elements})
    actions = [b for b in blocks if b.get("type") == "actions"]
    body = fit_blocks([b for b in blocks if b.get("type") != "actions"], reserve=2)
    body.extend(context_blocks([_asked_by(user_id, command_text)]))
    return slack_message(message.text, [*body, *actions])


def _details_button(command: CommandName, command_text: str, detail: bool) -> Block | None:
    return None if detail else _button(DETAILS_BUTTON_TEXT, DETAILS_ACTION_ID, command, command_text)


def _page_button(command: CommandName, query: str, page: int | None) -> Block | None:
    if page is None:
        return None
    return _button(f"Page {page}", PAGE_ACTION_ID, command, f"{query} page={page}".strip())


def _asked_by(user_id: str, command_text: str) -> str:
    return f"Asked by {mention(user_id)}: {inline_code(command_text)}"
