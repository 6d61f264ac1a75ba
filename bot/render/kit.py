"""Block Kit building blocks: escaping, the constructors (each clips to Slack's limits), phone-sized text.

Plain dicts, no Slack SDK. Every piece of dynamic text that lands in ``mrkdwn`` goes through
:func:`escape_mrkdwn`, so user input such as ``<!channel>`` can never ping or link. Monospace
blocks wrap at 60 columns so they fit a phone; a notification is at most 150 characters.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Block = dict[str, Any]

# Slack's limits (docs.slack.dev, Block Kit reference); slack_sdk checks some, not the 50 blocks
# or the 2,000-char fields, so every constructor below clips to them.
MAX_BLOCKS = 50
MAX_HEADER_CHARS = 150
MAX_SECTION_CHARS = 3000
MAX_FIELDS = 10
MAX_FIELD_CHARS = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_CHARS = 2000  # text objects allow 3,000; assumptions longer than this are unreadable
MAX_FALLBACK_CHARS = 4000  # chat.postMessage's recommendation for top-level text
MAX_BUTTON_VALUE_CHARS = 2000
# Rich text has no published size cap; keep a table within one screen of a Slack message.
MAX_PREFORMATTED_CHARS = 3000
MAX_LISTING_ROWS = 40
# Phone-sized answers (issue #10): the notification is the answer's first line, monospace fits a phone.
MAX_NOTIFICATION_CHARS = 150
MAX_MONOSPACE_COLUMNS = 60


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for ``ack(text=..., blocks=...)``: ``text`` is the one-line fallback."""

    text: str
    blocks: list[dict[str, Any]]


def escape_mrkdwn(text: str) -> str:
    """Replace Slack's control characters ``&``, ``<``, ``>`` with entities (and nothing else)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_code(text: str) -> str:
    """Echoed text as one line of inline code that cannot close early: backticks become ``'``."""
    cleaned = " ".join(text.replace("`", "'").split())
    return f"`{escape_mrkdwn(cleaned)}`" if cleaned else ""


def mention(user_id: str) -> str:
    """``<@U…>`` for a real Slack user id; anything else is shown escaped, never as a mention."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape_mrkdwn(user_id)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, never inside an ``&…;`` entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def mrkdwn(text: str, limit: int) -> dict[str, Any]:
    """A ``mrkdwn`` text object clipped to ``limit`` characters."""
    return {"type": "mrkdwn", "text": clip(text, limit)}


def plain(text: str, limit: int) -> dict[str, Any]:
    """A ``plain_text`` text object clipped to ``limit`` characters."""
    return {"type": "plain_text", "text": clip(text, limit)}


def header(text: str) -> Block:
    """A header block (one line, at most 150 characters)."""
    return {"type": "header", "text": plain(" ".join(text.split()) or "napkin", MAX_HEADER_CHARS)}


def section(text: str | None = None, fields: Sequence[str] = ()) -> Block:
    """A section block: ``text`` and/or up to ten ``fields``, each clipped."""
    block: Block = {"type": "section"}
    if text:
        block["text"] = mrkdwn(text, MAX_SECTION_CHARS)
    if fields:
        block["fields"] = [mrkdwn(field, MAX_FIELD_CHARS) for field in fields[:MAX_FIELDS]]
    return block


def context_blocks(lines: Iterable[str]) -> list[Block]:
    """Lines packed into as few context elements as fit 2,000 chars, at most 10 elements a block.

    Slack lays a context block's elements side by side, so lines share an element (joined by
    newlines) and a new element starts only when one is full; an over-long line is clipped.
    """
    texts: list[str] = []
    for line in (line for line in lines if line.strip()):
        if texts and len(texts[-1]) + 1 + len(line) <= MAX_CONTEXT_CHARS:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    elements = [mrkdwn(text, MAX_CONTEXT_CHARS) for text in texts]
    return [
        {"type": "context", "elements": elements[i : i + MAX_CONTEXT_ELEMENTS]}
        for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)
    ]


def monospace_blocks(lines: Sequence[str]) -> list[Block]:
    """Monospace blocks (literal text), each line at most 60 columns (longer ones wrap), split at the size cap."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        pieces = _wrap(line)  # a wrapped line's pieces stay in one block, so a row is never split...
        groups = [pieces] if sum(len(p) + 1 for p in pieces) <= MAX_PREFORMATTED_CHARS else [[p] for p in pieces]
        for group in groups:  # ...unless the one line alone outgrows a block
            needed = sum(len(piece) + 1 for piece in group)
            if chunks[-1] and size + needed > MAX_PREFORMATTED_CHARS:
                chunks.append([])
                size = 0
            chunks[-1].extend(group)
            size += needed
    return [
        {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "\n".join(c).rstrip() or " "}]}
            ],
        }
        for c in chunks
    ]


def _wrap(line: str) -> list[str]:
    if len(line) <= MAX_MONOSPACE_COLUMNS:
        return [line]
    lead = len(line) - len(line.lstrip())
    term, gap, description = line.strip().partition("   ")  # an aligned "term   description" row
    if gap and description.strip():
        return [*_wrap(" " * lead + term), *_wrap(" " * (lead + 4) + description.strip())]
    indent = " " * (lead + 2)
    return textwrap.wrap(line, MAX_MONOSPACE_COLUMNS, subsequent_indent=indent, break_on_hyphens=False) or [""]


def fit_blocks(blocks: list[Block], reserve: int = 0) -> list[Block]:
    """At most ``MAX_BLOCKS - reserve`` blocks; when some must go, the last one says how many."""
    room = MAX_BLOCKS - reserve
    if len(blocks) <= room:
        return blocks
    dropped = len(blocks) - (room - 1)
    return [*blocks[: room - 1], *context_blocks([f"… {dropped} more blocks not shown"])]


def slack_message(text: str, blocks: list[Block]) -> SlackMessage:
    """The message: at most 50 blocks, and the notification text clipped to 150 characters."""
    blocks = fit_blocks(blocks)
    return SlackMessage(text=clip(" ".join(text.split()), MAX_NOTIFICATION_CHARS), blocks=blocks)


def answer_line(text: str) -> str:
    """The answer's first line, clipped to what a notification shows."""
    return clip(" ".join(text.split()), MAX_NOTIFICATION_CHARS)


def assumption_lines(assumptions: Iterable[str]) -> list[str]:
    """Assumptions as escaped bullet lines, each once, in order."""
    seen: dict[str, None] = dict.fromkeys(a.strip() for a in assumptions if a.strip())
    return [f"• {escape_mrkdwn(a)}" for a in seen]
