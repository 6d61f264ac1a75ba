"""Answers as Slack Block Kit messages: plain dicts, no Slack SDK, every Slack limit enforced here.

Layout: a header, key figures as section fields, monospace tables as ``rich_text_preformatted``
(literal text: Slack parses no mentions or links in it), assumptions as ``context`` lines, and a
"Share in channel" button. Every piece of dynamic text that lands in ``mrkdwn`` goes through
:func:`escape_mrkdwn`, so user input such as ``<!channel>`` can never ping or link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.render import serving as serving_render
from bot.render.bars import bar, marker_position, stacked, with_marker
from bot.render.code_spans import safe_code_spans
from bot.render.formatting import (
    format_co2,
    format_context,
    format_energy,
    format_gb,
    format_gpus,
    format_memory,
    format_price,
    format_tflops,
    mode_label,
)
from estimator.commands import GpuListing, HelpTopic, ModelListing, Reply, UsageError
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

SHARE_ACTION_ID = "share_in_channel"
SHARE_BUTTON_TEXT = "Share in channel"

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_BAR_WIDTH = 20
_FIT_BAR_WIDTH = 30
_TIGHT = 0.95  # of usable memory: estimator.placement.COMFORTABLE, above which a plan is tight
_VERDICT_EMOJI: dict[Verdict, str] = {
    "fits_one_gpu": ":white_check_mark:",
    "fits_n_gpus": ":large_yellow_circle:",
    "needs_offload": ":warning:",
    "does_not_fit": ":x:",
}
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


def _preformatted(lines: Sequence[str]) -> Block:
    """A monospace block (literal text); drops trailing lines past the size cap, saying how many."""
    kept: list[str] = []
    size = 0
    room = MAX_PREFORMATTED_CHARS - 40  # leave room for the "… N more lines" note
    for index, line in enumerate(lines):
        if size + len(line) + 1 > room:
            kept.append(f"… {len(lines) - index} more lines")
            break
        kept.append(line)
        size += len(line) + 1
    text = "\n".join(kept).rstrip() or " "
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_preformatted", "elements": [{"type": "text", "text": text}]}],
    }


def _share_button(command: CommandName, command_text: str) -> Block | None:
    value = share_value(command, command_text)
    if value is None:
        return None
    button = {
        "type": "button",
        "text": _plain(SHARE_BUTTON_TEXT, 75),
        "action_id": SHARE_ACTION_ID,
        "value": value,
    }
    return {"type": "actions", "elements": [button]}


def _fit_blocks(blocks: list[Block], reserve: int = 0) -> list[Block]:
    """At most ``MAX_BLOCKS - reserve`` blocks; when some must go, the last one says how many."""
    room = MAX_BLOCKS - reserve
    if len(blocks) <= room:
        return blocks
    dropped = len(blocks) - (room - 1)
    return [*blocks[: room - 1], *_context([f"… {dropped} more blocks not shown"])]


def _message(text: str, blocks: list[Block]) -> SlackMessage:
    blocks = _fit_blocks(blocks)
    return SlackMessage(text=_clip(" ".join(text.split()), MAX_FALLBACK_CHARS), blocks=blocks)


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
    reply: Reply, *, command_text: str, user_id: str | None = None, shareable: bool = True
) -> SlackMessage:
    """Block Kit for one command's answer.

    ``command_text`` is what the user typed after the command; it goes into the share button's
    value. ``shareable`` adds the button, except to help and to answers already shared
    (``reply.share``); those carry "Asked by" when ``user_id`` is known.
    """
    result = reply.result
    if isinstance(result, TrainCostResult):
        text, blocks = _traincost(result)
    elif isinstance(result, FitsResult):
        text, blocks = _fits(result)
    elif isinstance(result, ServeCostResult):
        text, blocks = _servecost(result)
    elif isinstance(result, GpuListing):
        text, blocks = _gpu_listing(result)
    elif isinstance(result, ModelListing):
        text, blocks = _model_listing(result)
    else:
        text, blocks = _help(result)
    blocks = _fit_blocks(blocks, reserve=1)  # room for the button or the "Asked by" line
    if reply.share:
        if user_id is not None:
            blocks.extend(_context([_asked_by(user_id, f"/{reply.command} {command_text}")]))
    elif shareable and not isinstance(result, HelpTopic):
        button = _share_button(reply.command, command_text)
        if button is not None:
            blocks.append(button)
    return _message(text, blocks)


def render_error(err: UsageError) -> SlackMessage:
    """A usage error: what was wrong, the closest known name, and how to write the command."""
    lines = [f":warning: {escape_mrkdwn(safe_code_spans(err.message))}"]
    if err.suggestion:
        lines.append(f"Did you mean {inline_code(err.suggestion)}?")
    blocks = [_section("\n".join(lines)), _preformatted([f"Usage: {err.usage}"])]
    return _message(" ".join(lines), blocks)


def render_shared(message: SlackMessage, *, user_id: str, command_text: str) -> SlackMessage:
    """The same answer for the channel: no share button, plus "Asked by <@U…>: `command`".

    ``command_text`` is shown as typed, e.g. ``/traincost 405B 15T a100``.
    """
    blocks = _fit_blocks([block for block in message.blocks if not _is_share_actions(block)], reserve=1)
    blocks.extend(_context([_asked_by(user_id, command_text)]))
    return _message(message.text, blocks)


def _asked_by(user_id: str, command_text: str) -> str:
    return f"Asked by {_mention(user_id)}: {inline_code(command_text)}"


def _is_share_actions(block: Block) -> bool:
    return block.get("type") == "actions" and any(
        element.get("action_id") == SHARE_ACTION_ID for element in block.get("elements", [])
    )


def _assumption_lines(assumptions: Iterable[str]) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(a.strip() for a in assumptions if a.strip())
    return [f"• {escape_mrkdwn(a)}" for a in seen]


# --- traincost -------------------------------------------------------------------------------


def _traincost(r: TrainCostResult) -> tuple[str, list[Block]]:
    params, tokens = format_count(r.params), format_count(r.tokens)
    subject = f"{r.model} × {tokens} tokens" if r.model else f"{params} params × {tokens} tokens"
    moe = r.active_params != r.params
    counted = f"{format_count(r.active_params)} active params" if moe else f"{params} params"
    compute = f"*Compute*\n{format_flops(r.flops)}\n{r.flops_factor:g} × {counted} × {tokens} tokens"
    if r.tokens_basis == "published":
        compute += "\n_tokens: published (see assumptions)_"
    elif r.tokens_basis == "chinchilla":
        compute += f"\n_tokens assumed: {r.tokens / r.params:.3g} per param (Chinchilla)_"
    achieved = format_rate(r.peak_flops * r.mfu)
    throughput = (
        f"*Throughput per {r.unit}*\n{format_rate(r.peak_flops)} {r.dtype} dense peak\n"
        f"× {format_percent(r.mfu)} MFU = {achieved}"
    )
    hours = f"*{r.unit[:1].upper()}{r.unit[1:]}-hours*\n{format_count(r.gpu_hours)}\non {escape_mrkdwn(r.gpu_name)}"
    sizing = {
        "given": "cluster size as given",
        "deadline": "cluster sized to the deadline",
        "default_deadline": "cluster sized to the default deadline",
    }[r.num_gpus_reason]
    wall = f"*Wall-clock*\n{format_days(r.wall_clock_days)} on {format_gpus(r.num_gpus, r.unit)}\n{sizing}"
    if r.cost_usd is not None and r.price_per_gpu_hour is not None:
        source = f" ({escape_mrkdwn(r.price_source)})" if r.price_source else ""
        cost = f"*Cost*\n{format_usd(r.cost_usd)}\nat {format_price(r.price_per_gpu_hour, r.unit)}{source}"
    else:
        cost = f"*Cost*\nunknown: no catalog price\nadd `price=2.5` (USD per {r.unit}-hour)"
    energy = (
        f"*Energy*\n{format_energy(r.energy_kwh)}\n{format_co2(r.co2_tonnes)}"
        if r.energy_kwh is not None and r.co2_tonnes is not None
        else "*Energy*\nunknown (no published board power)\nCO₂ unknown"
    )
    blocks: list[Block] = [
        _header(f"Training cost: {subject} on {r.gpu_name}"),
        _section(fields=[compute, hours, throughput, wall, cost, energy]),
    ]
    if r.comparison:
        blocks.append(_preformatted(_comparison_lines(r)))
    blocks.extend(_context([f"*Formula:* {inline_code(r.formula)}", *_assumption_lines(r.assumptions)]))
    cost_text = f", {format_usd(r.cost_usd)}" if r.cost_usd is not None else ""
    fallback = (
        f"{subject} on {r.gpu_name}: {format_flops(r.flops)}, {format_count(r.gpu_hours)} {r.unit}-hours"
        f"{cost_text}, {format_days(r.wall_clock_days)} on {format_gpus(r.num_gpus, r.unit)}"
    )
    return escape_mrkdwn(fallback), blocks


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
    device = "GPU" if r.unit == "GPU" else "device"  # the rows mix GPUs and chips: a chip's answer says so
    key_width = max(len(device), *(len(row.gpu) for row in shown)) if shown else len(device)
    mfus = {row.mfu for row in r.comparison}
    mfu = f"MFU {format_percent(r.mfu)}" if mfus == {r.mfu} else "MFU per dtype as above"
    lines = [
        f"Same job across the catalog ({mfu}), cheapest first",
        f"  {device:<{key_width}}  dtype      cost  {'GPU-hours' if device == 'GPU' else 'hours':>9}",
    ]
    for row in shown:
        mark = "▸" if row.gpu == r.gpu else " "
        cost = format_usd(row.cost_usd) if row.cost_usd is not None else "no price"
        drawn = bar(row.cost_usd, scale, _BAR_WIDTH) if row.cost_usd is not None else ""
        lines.append(
            f"{mark} {row.gpu:<{key_width}}  {row.dtype:<5}  {cost:>8}  {format_count(row.gpu_hours):>9}"
            f"  {drawn}".rstrip()
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


def _servecost(r: ServeCostResult) -> tuple[str, list[Block]]:
    blocks: list[Block] = [
        _header(serving_render.title(r)),
        _section(f"*{escape_mrkdwn(serving_render.headline(r))}*"),
    ]
    fields = serving_render.fields(r)
    if fields:
        blocks.append(_section(fields=[escape_mrkdwn(field) for field in fields]))
    if r.comparison:
        blocks.append(_preformatted(serving_render.comparison_lines(r)))
    blocks.extend(_context([f"*Formula:* {inline_code(r.formula)}", *_assumption_lines(r.assumptions)]))
    return escape_mrkdwn(serving_render.fallback(r)), blocks


# --- fits ------------------------------------------------------------------------------------


def _fits(r: FitsResult) -> tuple[str, list[Block]]:
    subject = r.model if r.model else f"{format_count(r.params)} params"
    about = [
        f"*{escape_mrkdwn(r.gpu_name)}*: {format_memory(r.gpu_memory_bytes)} visible per {r.unit}, "
        f"{format_bytes(r.usable_gpu_memory_bytes)} usable after the runtime reserve"
    ]
    if r.active_params != r.params:
        about.append(
            f"{format_count(r.params)} params, {format_count(r.active_params)} active per token: "
            "memory holds every expert"
        )
    if r.cpu_memory_bytes is not None:
        about.append(f"CPU memory for offload: {format_bytes(r.cpu_memory_bytes)}")
    shown = r.scenarios[:MAX_FIELDS]
    blocks: list[Block] = [_header(f"Memory fit: {subject} on {r.gpu_name}"), _section("\n".join(about))]
    if shown:
        blocks.append(_section(fields=[_scenario_field(s, r.unit) for s in shown]))
        blocks.append(_preformatted(_fits_table(r)))
    scenario_assumptions = (a for s in r.scenarios for a in s.assumptions)
    blocks.extend(_context(_assumption_lines([*r.assumptions, *scenario_assumptions])))
    verdicts = "; ".join(
        f"{mode_label(s.mode)} {s.dtype}: {format_bytes(_shown(s)[2])}/{r.unit} × {_shown(s)[0]}, {s.verdict_text}"
        for s in shown
    )
    return escape_mrkdwn(f"{subject} on {r.gpu_name}: {verdicts}"), blocks


def _shown(s: Scenario) -> tuple[int, MemoryBreakdown, int]:
    """GPU count, per-GPU breakdown and per-GPU bytes of the layout the verdict describes."""
    if s.plan is not None:
        return s.plan.num_gpus, s.plan.breakdown, s.plan.per_gpu_bytes
    return s.num_gpus, s.breakdown, s.per_gpu_bytes


def _verdict_emoji(s: Scenario) -> str:
    """✅ when it fits the GPUs asked about with room to spare; 🟡 when it needs more GPUs, or is tight."""
    if s.verdict in ("fits_one_gpu", "fits_n_gpus"):
        roomy = s.plan is None and s.usable_fraction <= _TIGHT
        return _VERDICT_EMOJI["fits_one_gpu"] if roomy else _VERDICT_EMOJI["fits_n_gpus"]
    return _VERDICT_EMOJI[s.verdict]


def _scenario_field(s: Scenario, unit: str) -> str:
    gpus, _, per_gpu_bytes = _shown(s)
    # the verdict line sets the per-device total against the card: GiB beside GB, as nvidia-smi counts
    shown = format_memory(per_gpu_bytes)
    per_gpu = f"{shown} per {unit} × {format_gpus(gpus, unit)}" if gpus > 1 else f"{shown} on 1 {unit}"
    lines = [
        f"*{mode_label(s.mode)} · {escape_mrkdwn(s.dtype)}*",
        f"{_verdict_emoji(s)} {per_gpu}",
        escape_mrkdwn(s.verdict_text),
    ]
    if s.strategy:
        lines.append(f"_{escape_mrkdwn(s.strategy)}_")
    if s.cpu_offload_bytes > 0:
        lines.append(f"+ {format_bytes(s.cpu_offload_bytes)} offloaded to CPU memory")
    return "\n".join(lines)


def _fits_table(r: FitsResult) -> list[str]:
    rows = r.scenarios[:MAX_LISTING_ROWS]
    labels = [f"{mode_label(s.mode)} {s.dtype}" for s in rows]
    per, count = f"GB per {r.unit}", f"{r.unit}s"
    label_width = max(len(per), *(len(label) for label in labels))
    head = "".join(f"{short:>7}" for _, short, _, _ in _COMPONENTS)
    lines = [f"{per:<{label_width}} {head}  {'total':>6}  {count}"]
    layouts = [_shown(s) for s in rows]
    for label, (gpus, breakdown, per_gpu) in zip(labels, layouts, strict=True):
        cells = "".join(f"{format_gb(getattr(breakdown, field)):>7}" for field, _, _, _ in _COMPONENTS)
        lines.append(f"{label:<{label_width}} {cells}  {format_gb(per_gpu):>6}  {gpus:>{len(count)}}")
    if len(r.scenarios) > len(rows):
        lines.append(f"… {len(r.scenarios) - len(rows)} more scenarios")
    lines.append("")
    usable = r.usable_gpu_memory_bytes
    scale = float(max(usable, *(breakdown.total for _, breakdown, _ in layouts)))
    at = marker_position(usable, scale, _FIT_BAR_WIDTH)
    lines.append(f"{'':<{label_width}} {'':<{at}}▼ usable {format_bytes(usable)}")
    for label, (_, breakdown, per_gpu) in zip(labels, layouts, strict=True):
        parts = [(float(getattr(breakdown, field)), fill) for field, _, _, fill in _COMPONENTS]
        drawn = with_marker(stacked(parts, scale, _FIT_BAR_WIDTH), at, _FIT_BAR_WIDTH)
        lines.append(f"{label:<{label_width}} {drawn} {format_bytes(per_gpu)}")
    legend = "  ".join(f"{fill} {legend}" for _, _, legend, fill in _COMPONENTS)
    lines.append(f"{legend}  │ usable")
    return lines


# --- listings and help -----------------------------------------------------------------------


def _gpu_listing(listing: GpuListing) -> tuple[str, list[Block]]:
    gpus = listing.accelerators
    shown = gpus[:MAX_LISTING_ROWS]
    key_width = max(len("GPU"), *(len(a.key) for a in shown)) if shown else 3
    memory_width = max(len("memory"), *(len(a.memory_label) for a in shown)) if shown else 6
    lines = [f"  {'GPU':<{key_width}}  {'memory':<{memory_width}}  bf16 TFLOPS   $/GPU-h  price source"]
    for a in shown:
        mark = "*" if _is_default(a, listing.default_gpu) else " "
        price = f"${a.price.usd_per_hour:.2f}" if a.price else "–"
        seen = f"{a.price.provider}, {a.price.as_of}" if a.price else "no public price"
        lines.append(
            f"{mark} {a.key:<{key_width}}  {a.memory_label:<{memory_width}}  {_training_tflops(a):>11}"
            f"  {price:>8}  {seen}"
        )
    if len(gpus) > len(shown):
        lines.append(f"… {len(gpus) - len(shown)} more")
    lines.append("* default when no GPU is named")
    blocks: list[Block] = [
        _header("GPU catalog"),
        _section(
            f"{len(gpus)} accelerators. Default: {inline_code(listing.default_gpu)}. "
            "Dense peak (no sparsity); fp16 where the chip has no bf16."
        ),
        _preformatted(lines),
        *_context(
            [
                "Prices are USD per GPU-hour (TPU and Trainium: per chip-hour) from the named provider "
                "and date; override with `price=`."
            ]
        ),
    ]
    return escape_mrkdwn(f"{len(gpus)} accelerators; default {listing.default_gpu}"), blocks


def _is_default(accelerator: Accelerator, default: str) -> bool:
    wanted = default.strip().lower()
    return accelerator.key == wanted or wanted in (alias.lower() for alias in accelerator.aliases)


def _training_tflops(accelerator: Accelerator) -> str:
    precision = accelerator.default_training_precision()
    if precision not in accelerator.dense_tflops:
        return "memory only"  # no published dense peak
    tflops = format_tflops(accelerator.dense_tflops[precision])
    return tflops if precision is Precision.BF16 else f"{tflops} {precision.value}"


def _model_listing(listing: ModelListing) -> tuple[str, list[Block]]:
    models = listing.models
    shown = models[:MAX_LISTING_ROWS]
    key_width = max(len("model"), *(len(m.key) for m in shown)) if shown else 5
    lines = [f"{'model':<{key_width}}  {'params':>7}  {'active':>7}  layers  context"]
    for m in shown:
        active = format_count(m.official_active_params) if m.official_active_params else "all"
        lines.append(
            f"{m.key:<{key_width}}  {format_count(m.official_params):>7}  {active:>7}  {m.layers:>6}"
            f"  {format_context(m.max_context):>7}"
        )
    if len(models) > len(shown):
        lines.append(f"… {len(models) - len(shown)} more")
    blocks: list[Block] = [
        _header("Model presets"),
        _section(f"{len(models)} presets. Use a key or alias instead of a parameter count."),
        _preformatted(lines),
        *_context(["Parameter counts are the publishers' official figures; MoE models list active params."]),
    ]
    return f"{len(models)} model presets", blocks


def _help(topic: HelpTopic) -> tuple[str, list[Block]]:
    title = f"napkin help: {topic.command}" if topic.command else "napkin help"
    first_line = topic.text.strip().splitlines()[0] if topic.text.strip() else title
    blocks = [_header(title), _preformatted(topic.text.splitlines())]
    return escape_mrkdwn(first_line), blocks
