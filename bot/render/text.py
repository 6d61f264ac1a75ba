"""Block Kit as terminal text, for the ``napkin`` CLI and console (no Slack imports)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

Block = dict[str, Any]

_BOLD, _DIM, _ITALIC, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[3m", "\x1b[0m"
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
_LINK = re.compile(r"<([^<>|\n]+)(?:\|([^<>\n]*))?>")
_STYLES = (
    (re.compile(r"(?<![\w*])\*([^*\n]+?)\*(?![\w*])"), _BOLD),
    (re.compile(r"(?<![\w_])_([^_\n]+?)_(?![\w_])"), _ITALIC),
    (re.compile(r"(?<![\w~])~([^~\n]+?)~(?![\w~])"), ""),
)
_FIELD = re.compile(r"^\*([^*\n]+)\*\n(.*)$", re.DOTALL)
_EMOJI = {
    ":white_check_mark:": "✅",
    ":large_yellow_circle:": "🟡",
    ":warning:": "⚠️",
    ":x:": "❌",
}


def blocks_to_text(blocks: list[dict[str, Any]], fallback: str = "", *, color: bool = False) -> str:
    """Readable terminal text for a Block Kit message; ``fallback`` (mrkdwn) when there are no blocks.

    Headers are underlined, fields become ``Label: value`` lines, preformatted text is kept
    verbatim, context lines follow as plain (dimmed with ``color``) lines, buttons show as
    ``[Label]``; mrkdwn markup is stripped and ``&amp;``/``&lt;``/``&gt;`` decoded.
    """
    chunks: list[tuple[str, str]] = []
    for block in blocks:
        render = _RENDERERS.get(str(block.get("type")))
        text = render(block, color) if render else ""
        if text:
            chunks.append((str(block["type"]), text))
    if not chunks:
        return mrkdwn_to_text(fallback, color=color)
    out = chunks[0][1]
    for (previous, _), (kind, text) in itertools.pairwise(chunks):
        out += ("\n" if previous == kind == "context" else "\n\n") + text
    return out


def mrkdwn_to_text(text: str, *, color: bool = False) -> str:
    """Slack mrkdwn as plain text: markup stripped (or ANSI with ``color``), links and entities decoded."""
    pieces = _CODE.split(text)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            out.append(_inline(piece, color))
        elif piece.startswith("```"):
            out.append(piece[3:-3].strip("\n"))
        else:
            out.append(piece[1:-1])
    return _unescape("".join(out))


def _inline(text: str, color: bool) -> str:
    text = _LINK.sub(_link, text)
    for shortcode, emoji in _EMOJI.items():
        text = text.replace(shortcode, emoji)
    for pattern, style in _STYLES:
        replacement = rf"{style}\1{_RESET}" if color and style else r"\1"
        text = pattern.sub(replacement, text)
    return text


def _link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith(("@", "#")):
        return f"{target[0]}{label}" if label else target
    if target.startswith("!"):
        return f"@{label or target[1:]}"
    return f"{label} ({target})" if label and label != target else target


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_object(obj: Any, color: bool) -> str:
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    return mrkdwn_to_text(text, color=color) if obj.get("type") == "mrkdwn" else text


def _styled(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def _header(block: Block, color: bool) -> str:
    title = _text_object(block.get("text"), color)
    return f"{_styled(title, _BOLD, color)}\n{'=' * len(title)}" if title else ""


def _section(block: Block, color: bool) -> str:
    lines: list[str] = []
    if "text" in block:
        lines.append(_text_object(block["text"], color))
    for field in block.get("fields", []):
        lines.append(_field(field, color))
    accessory = block.get("accessory")
    if isinstance(accessory, dict) and accessory.get("type") == "button":
        lines.append(_button(accessory))
    return "\n".join(line for line in lines if line)


def _field(field: Any, color: bool) -> str:
    raw = str(field.get("text", "")) if isinstance(field, dict) else ""
    match = _FIELD.match(raw) if isinstance(field, dict) and field.get("type") == "mrkdwn" else None
    if match is None:
        return _text_object(field, color)
    label = _styled(mrkdwn_to_text(match.group(1)), _BOLD, color)
    first, *rest = mrkdwn_to_text(match.group(2), color=color).split("\n")
    return "\n".join([f"{label}: {first}", *(f"  {line}" for line in rest)])


def _rich_text(block: Block, color: bool) -> str:
    parts: list[str] = []
    for element in block.get("elements", []):
        kind = element.get("type")
        text = _rich_inline(element.get("elements", []))
        if kind == "rich_text_list":
            items = [_rich_inline(item.get("elements", [])) for item in element.get("elements", [])]
            text = "\n".join(f"• {item}" for item in items)
        elif kind == "rich_text_quote":
            text = "\n".join(f"> {line}" for line in text.split("\n"))
        parts.append(text)
    return "\n".join(parts)


def _rich_inline(elements: list[Any]) -> str:
    out: list[str] = []
    for element in elements:
        kind = element.get("type")
        if kind == "text":
            out.append(str(element.get("text", "")))
        elif kind == "link":
            out.append(str(element.get("text") or element.get("url", "")))
        elif kind == "emoji":
            out.append(f":{element.get('name', '')}:")
        elif kind == "user":
            out.append(f"@{element.get('user_id', '')}")
        elif kind == "rich_text_section":
            out.append(_rich_inline(element.get("elements", [])))
    return "".join(out)


def _context(block: Block, color: bool) -> str:
    lines = [_text_object(element, color) for element in block.get("elements", [])]
    text = "\n".join(line for line in lines if line)
    # keep dimming after any bold or italic span inside the line resets the style
    return _styled(text.replace(_RESET, _RESET + _DIM), _DIM, color) if text else ""


def _button(element: Block) -> str:
    return f"[{_text_object(element.get('text'), False)}]"


def _actions(block: Block, color: bool) -> str:
    labels = [_button(e) for e in block.get("elements", []) if isinstance(e, dict) and "text" in e]
    return " ".join(labels)


def _divider(block: Block, color: bool) -> str:
    return "─" * 40


def _markdown(block: Block, color: bool) -> str:
    return str(block.get("text", ""))


def _image(block: Block, color: bool) -> str:
    return f"[image: {block.get('alt_text', '')}]"


_RENDERERS: dict[str, Callable[[Block, bool], str]] = {
    "header": _header,
    "section": _section,
    "rich_text": _rich_text,
    "context": _context,
    "actions": _actions,
    "divider": _divider,
    "markdown": _markdown,
    "image": _image,
}
