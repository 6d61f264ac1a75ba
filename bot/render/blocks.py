"""Answers as Slack Block Kit messages: plain dicts, no Slack SDK, every Slack limit enforced here.

Layout: a header, key figures as section fields, monospace tables as ``rich_text_preformatted``
(literal text: Slack parses no mentions or links in it), assumptions as ``context`` lines, and a
"Share in channel" button. Every piece of dynamic text that lands in ``mrkdwn`` goes through
:func:`escape_mrkdwn`, so user input such as ``<!channel>`` can never ping or link.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.render import serving as serving_render
from bot.render.bars import bar, marker_position, stacked, with_marker
from bot.render.formatting import (
    format_co2,
    format_context,
    format_energy,
    format_gb,
    format_gpus,
    format_price,
    format_tflops,
    mode_label,
)
from estimator.commands import GpuListing, HelpTopic, ModelListing, Reply, UsageError
from estimator.grammar import hub_model_words
from estimator.hardware import Accelerator
from estimator.precision import Precision
from estimator.quantities import (
    format_bytes,
    format_count,
    format_days,
    format_flops,
    format_percent,
    format_rate,
    format_usd,
)
from estimator.results import FitsResult, GpuCostRow, MemoryBreakdown, Scenario, TrainCostResult, Verdict
from estimator.serving_results import ServeCostResult
from estimator.vocabulary import CommandName, is_command

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
MAX_COMPARISON_ROWS = 8
# Phone-sized answers (issue #10): the notification is the answer's first line, monospace fits a phone.
MAX_NOTIFICATION_CHARS = 150
MAX_MONOSPACE_COLUMNS = 60
PAGE_ROWS = 15  # listing rows per Slack page; the CLI prints every row

SHARE_ACTION_ID = "share_in_channel"
SHARE_BUTTON_TEXT = "Share in channel"
DETAILS_ACTION_ID = "napkin_details"
DETAILS_BUTTON_TEXT = "Details"
COST_BUTTON_TEXT = "Cost to train / fine-tune this"
COST_ACTION_ID = "napkin_cost"
PAGE_ACTION_ID = "napkin_page"
ANSWER_ACTION_IDS = (DETAILS_ACTION_ID, COST_ACTION_ID, PAGE_ACTION_ID)

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_BAR_WIDTH = 12
_FIT_BAR_WIDTH = 30
_TIGHT = 0.95  # of usable memory: estimator.placement.COMFORTABLE, above which a plan is tight
_VERDICT_EMOJI: dict[Verdict, str] = {
    "fits_one_gpu": ":white_check_mark:",
    "fits_n_gpus": ":large_yellow_circle:",
    "needs_offload": ":warning:",
    "does_not_fit": ":x:",
}
_VERDICT_MARK: dict[Verdict, str] = {  # the same, as characters for the notification text
    "fits_one_gpu": "✅",
    "fits_n_gpus": "🟡",
    "needs_offload": "⚠️",
    "does_not_fit": "❌",
}
_HEADLINE_MODE = {"inference": "serve", "train": "full fine-tune", "lora": "LoRA", "qlora": "QLoRA"}
_TABLE_MODE = {"inference": "serve", "train": "full", "lora": "LoRA", "qlora": "QLoRA"}
# Stacked-bar fills, in breakdown order; the legend under the chart names them.
_COMPONENTS: tuple[tuple[str, str, str, str], ...] = (
    # (MemoryBreakdown field, table column, legend, fill)
    ("weights", "weights", "weights", "█"),
    ("gradients", "grads", "gradients", "▓"),
    ("optimizer", "optim", "optimizer", "▒"),
    ("activations", "activ", "activations", "░"),
    ("kv_cache", "KV", "KV cache", "▚"),
    ("overhead", "other", "overhead", "·"),
)


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for ``ack(text=..., blocks=...)``: ``text`` is the one-line fallback."""

    text: str
    blocks: list[dict[str, Any]]


# --- escaping --------------------------------------------------------------------------------


def escape_mrkdwn(text: str) -> str:
    """Replace Slack's control characters ``&``, ``<``, ``>`` with entities (and nothing else)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_code(text: str) -> str:
    """Echoed text as one line of inline code that cannot close early: backticks become ``'``."""
    cleaned = " ".join(text.replace("`", "'").split())
    return f"`{escape_mrkdwn(cleaned)}`" if cleaned else ""


def _mention(user_id: str) -> str:
    """``<@U…>`` for a real Slack user id; anything else is shown escaped, never as a mention."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape_mrkdwn(user_id)


# --- block constructors (each clips to Slack's limits) -----------------------------------------


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, never inside an ``&…;`` entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _clip(text, limit)}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, limit)}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(" ".join(text.split()) or "napkin", MAX_HEADER_CHARS)}


def _section(text: str | None = None, fields: Sequence[str] = ()) -> Block:
    block: Block = {"type": "section"}
    if text:
        block["text"] = _mrkdwn(text, MAX_SECTION_CHARS)
    if fields:
        block["fields"] = [_mrkdwn(field, MAX_FIELD_CHARS) for field in fields[:MAX_FIELDS]]
    return block


def _context(lines: Iterable[str]) -> list[Block]:
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
    elements = [_mrkdwn(text, MAX_CONTEXT_CHARS) for text in texts]
    return [
        {"type": "context", "elements": elements[i : i + MAX_CONTEXT_ELEMENTS]}
        for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)
    ]


def _preformatted(lines: Sequence[str]) -> list[Block]:
    """Monospace blocks (literal text), each line at most 60 columns (longer ones wrap), split at the size cap."""
    wrapped = [piece for line in lines for piece in _wrap(line)]
    chunks: list[list[str]] = [[]]
    size = 0
    for line in wrapped:
        if chunks[-1] and size + len(line) + 1 > MAX_PREFORMATTED_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
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


def _button(text: str, action_id: str, command: CommandName, command_text: str) -> Block | None:
    value = share_value(command, command_text)
    if value is None:
        return None
    return {"type": "button", "text": _plain(text, 75), "action_id": action_id, "value": value}


def _actions(buttons: Iterable[Block | None]) -> list[Block]:
    elements = [b for b in buttons if b is not None]
    return [{"type": "actions", "elements": elements}] if elements else []


def _fit_blocks(blocks: list[Block], reserve: int = 0) -> list[Block]:
    """At most ``MAX_BLOCKS - reserve`` blocks; when some must go, the last one says how many."""
    room = MAX_BLOCKS - reserve
    if len(blocks) <= room:
        return blocks
    dropped = len(blocks) - (room - 1)
    return [*blocks[: room - 1], *_context([f"… {dropped} more blocks not shown"])]


def _message(text: str, blocks: list[Block]) -> SlackMessage:
    blocks = _fit_blocks(blocks)
    return SlackMessage(text=_clip(" ".join(text.split()), MAX_NOTIFICATION_CHARS), blocks=blocks)


# --- share button value ----------------------------------------------------------------------


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
        text, blocks = _traincost(result, detail)
        buttons.append(_details_button(reply.command, command_text, detail))
    elif isinstance(result, FitsResult):
        text, blocks = _fits(result, detail)
        buttons.append(_details_button(reply.command, command_text, detail))
        buttons.append(_button(COST_BUTTON_TEXT, COST_ACTION_ID, "traincost", cost_command(result, command_text)))
    elif isinstance(result, ServeCostResult):
        text, blocks = _servecost(result, detail)
        buttons.append(_details_button(reply.command, command_text, detail))
    elif isinstance(result, GpuListing):
        text, blocks, next_page = _gpu_listing(result, detail)
        buttons.append(_page_button("gpus", result.query, next_page))
    elif isinstance(result, ModelListing):
        text, blocks, next_page = _model_listing(result, detail)
        buttons.append(_page_button("models", result.query, next_page))
    else:
        text, blocks = _help(result)
    asked_by = reply.share and user_id is not None
    blocks = _fit_blocks(blocks, reserve=int(not detail) + int(asked_by))  # room for the buttons, "Asked by"
    if reply.share:
        if user_id is not None:
            blocks.extend(_context([_asked_by(user_id, f"/{reply.command} {command_text}")]))
    elif shareable and not isinstance(result, HelpTopic) and not detail:
        buttons.append(_button(SHARE_BUTTON_TEXT, SHARE_ACTION_ID, reply.command, command_text))
    if not detail:  # the full working is the end of the conversation (and the CLI has no buttons)
        blocks.extend(_actions(buttons))
    return _message(text, blocks)


def render_error(err: UsageError) -> SlackMessage:
    """A usage error: what was wrong, the closest known name, and how to write the command."""
    lines = [f":warning: {escape_mrkdwn(err.message)}"]
    if err.suggestion:
        lines.append(f"Did you mean {inline_code(err.suggestion)}?")
    blocks = [_section("\n".join(lines)), *_preformatted([f"Usage: {err.usage}"])]
    return _message(" ".join(lines), blocks)


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
    body = _fit_blocks([b for b in blocks if b.get("type") != "actions"], reserve=2)
    body.extend(_context([_asked_by(user_id, command_text)]))
    return _message(message.text, [*body, *actions])


def cost_command(r: FitsResult, command_text: str = "") -> str:
    """The ``traincost`` text matching a fits answer: the same model (or size, or Hub id as typed) on the
    same GPU, at the GPU count full training needs there (when it can fit at all)."""
    hub = hub_model_words("fits", command_text)
    subject = hub[0] if hub else r.model or format_count(r.params)
    train = next((s for s in r.scenarios if s.mode == "train" and s.verdict != "does_not_fit"), None)
    return f"{subject} {r.gpu}" + (f" gpus={train.recommended_gpus}" if train is not None else "")


def _details_button(command: CommandName, command_text: str, detail: bool) -> Block | None:
    return None if detail else _button(DETAILS_BUTTON_TEXT, DETAILS_ACTION_ID, command, command_text)


def _page_button(command: CommandName, query: str, page: int | None) -> Block | None:
    if page is None:
        return None
    return _button(f"Page {page}", PAGE_ACTION_ID, command, f"{query} page={page}".strip())


def _asked_by(user_id: str, command_text: str) -> str:
    return f"Asked by {_mention(user_id)}: {inline_code(command_text)}"


def _assumption_lines(assumptions: Iterable[str]) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(a.strip() for a in assumptions if a.strip())
    return [f"• {escape_mrkdwn(a)}" for a in seen]


def _headline(text: str) -> str:
    """The answer's first line, clipped to what a notification shows."""
    return _clip(" ".join(text.split()), MAX_NOTIFICATION_CHARS)


# --- traincost -------------------------------------------------------------------------------


def _traincost(r: TrainCostResult, detail: bool) -> tuple[str, list[Block]]:
    params, tokens = format_count(r.params), format_count(r.tokens)
    subject = f"{r.model} × {tokens} tokens" if r.model else f"{params} params × {tokens} tokens"
    cost = format_usd(r.cost_usd) if r.cost_usd is not None else "cost unknown (no price)"
    headline = _headline(
        f"{subject} on {r.gpu_name} — {cost} · {format_count(r.gpu_hours)} GPU-hours · "
        f"{format_days(r.wall_clock_days)} on {format_gpus(r.num_gpus)}"
    )
    moe = r.active_params != r.params
    counted = f"{format_count(r.active_params)} active" if moe else params
    achieved = format_rate(r.peak_flops * r.mfu)
    summary = [
        f"*{escape_mrkdwn(headline)}*",
        f"{format_flops(r.flops)} = {r.flops_factor:g} × {counted} params × {tokens} tokens{_tokens_note(r)}",
        f"{format_rate(r.peak_flops)} {r.dtype} peak × {format_percent(r.mfu)} MFU = {achieved} per GPU",
    ]
    price = format_price(r.price_per_gpu_hour) if r.price_per_gpu_hour is not None else "no catalog price: add `price=`"
    blocks: list[Block] = [_section("\n".join(summary))]
    if not detail:
        blocks.extend(_context([f"{price} · {_sizing(r)} · Details: the formula, other GPUs, every assumption"]))
        return escape_mrkdwn(headline), blocks
    blocks.append(_section(fields=_traincost_fields(r)))
    if r.comparison:
        blocks.extend(_preformatted(_comparison_lines(r)))
    blocks.extend(_context([f"*Formula:* {inline_code(r.formula)}", *_assumption_lines(r.assumptions)]))
    return escape_mrkdwn(headline), blocks


def _tokens_note(r: TrainCostResult) -> str:
    if r.tokens_basis == "published":
        return " _(published training tokens)_"
    if r.tokens_basis == "chinchilla":
        return f" _(tokens assumed: {r.tokens / r.params:.3g} per param, Chinchilla)_"
    return ""


def _sizing(r: TrainCostResult) -> str:
    return {
        "given": "cluster size as given",
        "deadline": "cluster sized to the deadline",
        "default_deadline": "cluster sized to the default deadline",
    }[r.num_gpus_reason]


def _traincost_fields(r: TrainCostResult) -> list[str]:
    hours = f"*GPU-hours*\n{format_count(r.gpu_hours)}"
    wall = f"*Wall-clock*\n{format_days(r.wall_clock_days)} on {format_gpus(r.num_gpus)}\n{_sizing(r)}"
    if r.cost_usd is not None and r.price_per_gpu_hour is not None:
        source = f" ({escape_mrkdwn(r.price_source)})" if r.price_source else ""
        cost = f"*Cost*\n{format_usd(r.cost_usd)}\nat {format_price(r.price_per_gpu_hour)}{source}"
    else:
        cost = "*Cost*\nunknown: no catalog price\nadd `price=2.5` (USD per GPU-hour)"
    energy = (
        f"*Energy*\n{format_energy(r.energy_kwh)}\n{format_co2(r.co2_tonnes)}"
        if r.energy_kwh is not None and r.co2_tonnes is not None
        else "*Energy*\nunknown (no published board power)\nCO₂ unknown"
    )
    return [hours, wall, cost, energy]


def _comparison_lines(r: TrainCostResult) -> list[str]:
    suitable = [row for row in r.comparison if row.unsuitable is None]
    priced = sorted((row for row in suitable if row.cost_usd is not None), key=_row_cost)
    unpriced = sorted((row for row in suitable if row.cost_usd is None), key=lambda row: row.gpu_hours)
    ordered = [*priced, *unpriced]
    shown = ordered[:MAX_COMPARISON_ROWS]
    current = next((row for row in ordered if row.gpu == r.gpu), None)
    if current is not None and current not in shown:
        shown = [*shown[: MAX_COMPARISON_ROWS - 1], current]
    scale = max((_row_cost(row) for row in shown if row.cost_usd is not None), default=0.0)
    key_width = max(len("GPU"), *(len(row.gpu) for row in shown)) if shown else len("GPU")
    mfus = {row.mfu for row in r.comparison}
    mfu = f"MFU {format_percent(r.mfu)}" if mfus == {r.mfu} else "MFU per dtype as above"
    lines = [
        f"Same job across the catalog ({mfu}), cheapest first",
        f"  {'GPU':<{key_width}}  dtype      cost  GPU-hours",
    ]
    for row in shown:
        mark = "▸" if row.gpu == r.gpu else " "
        cost = format_usd(row.cost_usd) if row.cost_usd is not None else "no price"
        drawn = bar(row.cost_usd, scale, _BAR_WIDTH) if row.cost_usd is not None else ""
        lines.append(
            f"{mark} {row.gpu:<{key_width}}  {row.dtype:<5}  {cost:>8}  {format_count(row.gpu_hours):>9}"
            f" {drawn}".rstrip()
        )
    if len(ordered) > len(shown):
        lines.append(f"… {len(ordered) - len(shown)} more (see gpus)")
    reasons: dict[str, list[str]] = {}
    for row in r.comparison:
        if row.unsuitable is not None:  # the reason before its figures, e.g. "consumer PCIe card without …"
            reasons.setdefault(row.unsuitable.split(" (")[0], []).append(row.gpu)
    for reason, gpus in reasons.items():
        lines.append(f"Left out ({reason}): {', '.join(gpus)}")
    return lines


def _row_cost(row: GpuCostRow) -> float:
    return row.cost_usd if row.cost_usd is not None else float("inf")


# --- servecost -------------------------------------------------------------------------------


def _servecost(r: ServeCostResult, detail: bool) -> tuple[str, list[Block]]:
    headline = _headline(serving_render.headline(r))
    lines = [f"*{escape_mrkdwn(headline)}*", *(escape_mrkdwn(line) for line in serving_render.summary_lines(r))]
    blocks: list[Block] = [_section("\n".join(lines))]
    if not detail:
        context = serving_render.context_line(r) + " · Details: the formula, other GPUs, every assumption"
        blocks.extend(_context([escape_mrkdwn(context)]))
        return escape_mrkdwn(headline), blocks
    blocks.extend(_context([escape_mrkdwn(serving_render.context_line(r))]))
    fields = serving_render.fields(r)
    if fields:
        blocks.append(_section(fields=[escape_mrkdwn(field) for field in fields]))
    if r.comparison:
        blocks.extend(_preformatted(serving_render.comparison_lines(r)))
    blocks.extend(_context([f"*Formula:* {inline_code(r.formula)}", *_assumption_lines(r.assumptions)]))
    return escape_mrkdwn(headline), blocks


# --- fits ------------------------------------------------------------------------------------


def _fits(r: FitsResult, detail: bool) -> tuple[str, list[Block]]:
    subject = r.model if r.model else f"{format_count(r.params)}"
    shown = r.scenarios[:MAX_FIELDS]
    headline = _headline(f"{subject} on {r.gpu_name} — " + " · ".join(_headline_parts(shown)))
    lines = [f"*{escape_mrkdwn(headline)}*", *(_scenario_line(s) for s in shown)]
    price = next((s.price_per_gpu_hour for s in shown if s.price_per_gpu_hour is not None), None)
    about = [
        f"{format_bytes(r.usable_gpu_memory_bytes)} usable of {format_bytes(r.gpu_memory_bytes)} per GPU",
        format_price(price) if price is not None else "no catalog price",
    ]
    if r.active_params != r.params:
        about.append(f"MoE: {format_count(r.active_params)} of {format_count(r.params)} params active, all in memory")
    blocks: list[Block] = [_section("\n".join(lines))]
    if not detail:
        blocks.extend(_context([" · ".join([*about, "Details: the breakdown and every assumption"])]))
        return escape_mrkdwn(headline), blocks
    about[0] = (
        f"{format_bytes(r.gpu_memory_bytes)} ({format_bytes(r.gpu_memory_bytes, binary=True)}) visible per GPU, "
        f"{format_bytes(r.usable_gpu_memory_bytes)} usable after the runtime reserve"
    )
    if r.cpu_memory_bytes is not None:
        about.append(f"CPU memory for offload: {format_bytes(r.cpu_memory_bytes)}")
    blocks.extend(_context([" · ".join(about)]))
    if shown:
        blocks.extend(_preformatted(_fits_table(r)))
        blocks.extend(_preformatted(_fits_bars(r)))
    verdicts = [
        f"• {_label(s)}: {escape_mrkdwn(s.verdict_text)}" + (f"; {escape_mrkdwn(s.strategy)}" if s.strategy else "")
        for s in shown
    ]
    scenario_assumptions = (a for s in r.scenarios for a in s.assumptions)
    blocks.extend(
        _context(
            [
                "*Formula:* `per GPU = weights + gradients + optimizer + activations + KV cache + overhead`",
                *verdicts,
                *_assumption_lines([*r.assumptions, *scenario_assumptions]),
            ]
        )
    )
    return escape_mrkdwn(headline), blocks


def _headline_parts(scenarios: Sequence[Scenario]) -> list[str]:
    """``serve ✅ 1 GPU``, ``full fine-tune 🟡 5 ≈ $15/h``…: one part per scenario, the first serving only."""
    parts: list[str] = []
    served = False
    for s in scenarios:
        if s.mode == "inference":
            if served:
                continue
            served = True
        count = s.recommended_gpus
        gpus = (
            "" if s.verdict == "does_not_fit" else f" {count}" + ("" if parts else (" GPU" if count == 1 else " GPUs"))
        )
        price = f" ≈ {_per_hour(s.cost_per_hour_usd)}" if s.cost_per_hour_usd is not None and count > 1 else ""
        parts.append(f"{_HEADLINE_MODE.get(s.mode, s.mode)} {_VERDICT_MARK[_verdict(s)]}{gpus}{price}")
    return parts


def _per_hour(usd: float) -> str:
    return f"${usd:,.0f}/h" if usd >= 10 else f"${usd:,.2f}/h"


def _label(s: Scenario) -> str:
    return f"{mode_label(s.mode)} {escape_mrkdwn(s.dtype)}"


def _scenario_line(s: Scenario) -> str:
    """``✅ *Inference bf16*: 1 GPU, 41.2 GB per GPU ≈ $2.99/h``."""
    emoji = _VERDICT_EMOJI[_verdict(s)]
    if s.verdict == "does_not_fit":
        return f"{emoji} *{_label(s)}*: {escape_mrkdwn(s.verdict_text)}"
    gpus, _, per_gpu = _shown(s)
    cost = f" ≈ {_per_hour(s.cost_per_hour_usd)}" if s.cost_per_hour_usd is not None else ""
    offload = f", +{format_bytes(s.cpu_offload_bytes)} in CPU memory" if s.cpu_offload_bytes > 0 else ""
    more = f" ({gpus - 1} more than one GPU)" if gpus > 1 else ""
    tight = f" ({s.usable_fraction:.0%} of usable: tight)" if s.usable_fraction > _TIGHT else ""
    return f"{emoji} *{_label(s)}*: {format_gpus(gpus)}{more}, {format_bytes(per_gpu)} per GPU{tight}{offload}{cost}"


def _verdict(s: Scenario) -> Verdict:
    """The verdict the mark shows: a fit needing more GPUs than asked, or tight, is shown as 🟡 (not ✅)."""
    if s.verdict in ("fits_one_gpu", "fits_n_gpus"):
        roomy = s.plan is None and s.usable_fraction <= _TIGHT
        return "fits_one_gpu" if roomy else "fits_n_gpus"
    return s.verdict


def _shown(s: Scenario) -> tuple[int, MemoryBreakdown, int]:
    """GPU count, per-GPU breakdown and per-GPU bytes of the layout the verdict describes."""
    if s.plan is not None:
        return s.plan.num_gpus, s.plan.breakdown, s.plan.per_gpu_bytes
    return s.num_gpus, s.breakdown, s.per_gpu_bytes


_TABLE_LABEL = 10
_TABLE_COLUMN = 9
_TABLE_COLUMNS = (MAX_MONOSPACE_COLUMNS - _TABLE_LABEL) // _TABLE_COLUMN


def _fits_table(r: FitsResult) -> list[str]:
    """GB per GPU by component, one column per scenario (five to a table, so it fits a phone)."""
    scenarios = r.scenarios[:MAX_LISTING_ROWS]
    lines: list[str] = []
    for start in range(0, len(scenarios), _TABLE_COLUMNS):
        group = scenarios[start : start + _TABLE_COLUMNS]
        layouts = [_shown(s) for s in group]
        lines.append(f"{'GB/GPU':<{_TABLE_LABEL}}" + "".join(f"{_TABLE_MODE[s.mode]:>{_TABLE_COLUMN}}" for s in group))
        lines.append(f"{'':<{_TABLE_LABEL}}" + "".join(f"{s.dtype:>{_TABLE_COLUMN}}" for s in group))
        for field, _, legend, _ in _COMPONENTS:
            cells = "".join(f"{format_gb(getattr(b, field)):>{_TABLE_COLUMN}}" for _, b, _ in layouts)
            lines.append(f"{legend:<{_TABLE_LABEL}}{cells}")
        lines.append(f"{'total':<{_TABLE_LABEL}}" + "".join(f"{format_gb(p):>{_TABLE_COLUMN}}" for _, _, p in layouts))
        lines.append(f"{'GPUs':<{_TABLE_LABEL}}" + "".join(f"{g:>{_TABLE_COLUMN}}" for g, _, _ in layouts))
        lines.append("")
    return lines[:-1]


def _fits_bars(r: FitsResult) -> list[str]:
    rows = r.scenarios[:MAX_LISTING_ROWS]
    labels = [f"{_TABLE_MODE[s.mode]} {s.dtype}" for s in rows]
    label_width = max(len(label) for label in labels)
    layouts = [_shown(s) for s in rows]
    usable = r.usable_gpu_memory_bytes
    scale = float(max(usable, *(breakdown.total for _, breakdown, _ in layouts)))
    at = marker_position(usable, scale, _FIT_BAR_WIDTH)
    lines = [f"{'':<{label_width}} {'':<{at}}▼ usable {format_bytes(usable)}"]
    for label, (_, breakdown, per_gpu) in zip(labels, layouts, strict=True):
        parts = [(float(getattr(breakdown, field)), fill) for field, _, _, fill in _COMPONENTS]
        drawn = with_marker(stacked(parts, scale, _FIT_BAR_WIDTH), at, _FIT_BAR_WIDTH)
        lines.append(f"{label:<{label_width}} {drawn} {format_bytes(per_gpu)}")
    legend = [f"{fill} {legend}" for _, _, legend, fill in _COMPONENTS]
    lines.append("  ".join(legend[:3]))
    lines.append("  ".join([*legend[3:], "│ usable"]))
    return lines


# --- listings and help -----------------------------------------------------------------------


def _page(rows: int, page: int, detail: bool) -> tuple[slice, int | None, str]:
    """The rows of ``page`` (every row in detail), the next page (None on the last) and a note."""
    if detail or rows <= PAGE_ROWS:
        return slice(0, rows), None, ""
    pages = -(-rows // PAGE_ROWS)
    page = min(page, pages)
    nxt = page + 1 if page < pages else None
    return slice((page - 1) * PAGE_ROWS, page * PAGE_ROWS), nxt, f"page {page} of {pages}"


def _matching(count: int, total: int, noun: str, query: str) -> str:
    if query:
        return f"{count} of {total} {noun} match “{' '.join(query.split())}”"
    return f"{count} {noun}"


def _gpu_listing(listing: GpuListing, detail: bool) -> tuple[str, list[Block], int | None]:
    gpus = listing.accelerators
    rows, next_page, note = _page(len(gpus), listing.page, detail)
    shown = gpus[rows]
    key_width = max(len("GPU"), *(len(a.key) for a in shown)) if shown else 3
    lines = [f"  {'GPU':<{key_width}}  {'memory':>7}  {'bf16 TFLOPS':>11}  {'$/GPU-h':>7}"]
    for a in shown:
        mark = "*" if _is_default(a, listing.default_gpu) else " "
        price = f"${a.price.usd_per_hour:.2f}" if a.price else "–"
        lines.append(f"{mark} {a.key:<{key_width}}  {_memory(a):>7}  {_training_tflops(a):>11}  {price:>7}".rstrip())
    lines.append("* default when no GPU is named")
    total = listing.total or len(gpus)
    headline = _headline(
        f"{_matching(len(gpus), total, 'accelerators', listing.query)} · default {listing.default_gpu}"
        + (f" · {note}" if note else "")
    )
    blocks: list[Block] = [_section(f"*{headline}*")]
    if not gpus:
        blocks.extend(_context(["Try `/gpus 80gb`, `/gpus amd`, `/gpus under $2` or `/gpus` for all of them."]))
        return escape_mrkdwn(headline), blocks, None
    blocks.extend(_preformatted(lines))
    blocks.extend(
        _context(
            [
                "Dense peak (no sparsity; fp16 where the chip has no bf16). Prices: USD per GPU-hour (TPU, "
                "Trainium: per chip-hour); override with `price=`. Filter: `80gb`, `80gb+`, `amd`, `under $2`."
            ]
        )
    )
    if detail:
        blocks.extend(
            _context(
                f"• {a.key}: {escape_mrkdwn(a.name)}, {escape_mrkdwn(a.memory_label)}; "
                + (
                    f"${a.price.usd_per_hour:.2f} from {escape_mrkdwn(a.price.provider)}, {a.price.as_of}"
                    if a.price
                    else "no public price"
                )
                for a in shown
            )
        )
    return escape_mrkdwn(headline), blocks, next_page


def _memory(accelerator: Accelerator) -> str:
    label = re.match(r"\d+(?:\.\d+)?\s*Gi?B", accelerator.memory_label)
    return label.group().replace(" ", "") if label else format_bytes(accelerator.memory_bytes)


def _is_default(accelerator: Accelerator, default: str) -> bool:
    wanted = default.strip().lower()
    return accelerator.key == wanted or wanted in (alias.lower() for alias in accelerator.aliases)


def _training_tflops(accelerator: Accelerator) -> str:
    precision = accelerator.default_training_precision()
    if precision not in accelerator.dense_tflops:
        return "memory only"  # no published dense peak
    tflops = format_tflops(accelerator.dense_tflops[precision])
    return tflops if precision is Precision.BF16 else f"{tflops} {precision.value}"


def _model_listing(listing: ModelListing, detail: bool) -> tuple[str, list[Block], int | None]:
    models = listing.models
    rows, next_page, note = _page(len(models), listing.page, detail)
    shown = models[rows]
    key_width = max(len("model"), *(len(m.key) for m in shown)) if shown else 5
    lines = [f"{'model':<{key_width}}  {'params':>7}  {'active':>7}  layers  context"]
    for m in shown:
        active = format_count(m.official_active_params) if m.official_active_params else "all"
        lines.append(
            f"{m.key:<{key_width}}  {format_count(m.official_params):>7}  {active:>7}  {m.layers:>6}"
            f"  {format_context(m.max_context):>7}"
        )
    total = listing.total or len(models)
    headline = _headline(_matching(len(models), total, "model presets", listing.query) + (f" · {note}" if note else ""))
    blocks: list[Block] = [_section(f"*{headline}*")]
    if models:
        blocks.extend(_preformatted(lines))
    blocks.extend(
        _context(
            [
                "Use a key or alias instead of a parameter count. Official parameter counts; MoE models list "
                "active params. Filter: `llama`, `moe`, `dense`."
            ]
        )
    )
    return escape_mrkdwn(headline), blocks, next_page


_HELP_TITLES = {
    "traincost": "compute, GPU-hours, wall-clock, cost and energy of a training run",
    "fits": "memory per GPU to serve, train, LoRA or QLoRA, and how many GPUs",
    "servecost": "tokens/s per user and in total, latency, $ per million tokens",
    "gpus": "the hardware catalog: memory, dense peak, price",
    "models": "the model presets: published parameter counts and shapes",
}


def _help(topic: HelpTopic) -> tuple[str, list[Block]]:
    """A command's help under a one-line title; the overview's first line is its own title."""
    lines = topic.text.strip().splitlines() or ["napkin help"]
    if topic.command is None:
        title, body = lines[0], lines[1:]
    else:
        title, body = f"napkin help: {topic.command} — {_HELP_TITLES.get(topic.command, '')}".rstrip(" —"), lines
    headline = _headline(title)
    return escape_mrkdwn(headline), [_section(f"*{escape_mrkdwn(headline)}*"), *_preformatted(body or [title])]
