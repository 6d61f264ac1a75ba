"""``gpus``, ``models`` and help as Block Kit: a page of rows at a time in Slack, every row in detail (the CLI)."""

from __future__ import annotations

import re

from bot.render.formatting import format_context, format_tflops
from bot.render.kit import Block, answer_line, context_blocks, escape_mrkdwn, monospace_blocks, section
from estimator.commands import GpuListing, HelpTopic, ModelListing
from estimator.hardware import Accelerator
from estimator.precision import Precision
from estimator.quantities import format_bytes, format_count

PAGE_ROWS = 15  # listing rows per Slack page; the CLI prints every row


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


def gpu_listing_answer(listing: GpuListing, detail: bool) -> tuple[str, list[Block], int | None]:
    """A page of the GPU table (every row in ``detail``), and the next page's number (None on the last)."""
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
    headline = answer_line(
        f"{_matching(len(gpus), total, 'accelerators', listing.query)} · default {listing.default_gpu}"
        + (f" · {note}" if note else "")
    )
    blocks: list[Block] = [section(f"*{headline}*")]
    if not gpus:
        blocks.extend(context_blocks(["Try `/gpus 80gb`, `/gpus amd`, `/gpus under $2` or `/gpus` for all of them."]))
        return escape_mrkdwn(headline), blocks, None
    blocks.extend(monospace_blocks(lines))
    blocks.extend(
        context_blocks(
            [
                "Dense peak (no sparsity; fp16 where the chip has no bf16). Prices: USD per GPU-hour (TPU, "
                "Trainium: per chip-hour); override with `price=`. Filter: `80gb`, `80gb+`, `amd`, `under $2`."
            ]
        )
    )
    if detail:
        blocks.extend(
            context_blocks(
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


def model_listing_answer(listing: ModelListing, detail: bool) -> tuple[str, list[Block], int | None]:
    """A page of the preset table (every row in ``detail``), and the next page's number (None on the last)."""
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
    matching = _matching(len(models), total, "model presets", listing.query)
    headline = answer_line(matching + (f" · {note}" if note else ""))
    blocks: list[Block] = [section(f"*{headline}*")]
    if models:
        blocks.extend(monospace_blocks(lines))
    blocks.extend(
        context_blocks(
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


def help_answer(topic: HelpTopic) -> tuple[str, list[Block]]:
    """A command's help under a one-line title; the overview's first line is its own title."""
    lines = topic.text.strip().splitlines() or ["napkin help"]
    if topic.command is None:
        title, body = lines[0], lines[1:]
    else:
        title, body = f"napkin help: {topic.command} — {_HELP_TITLES.get(topic.command, '')}".rstrip(" —"), lines
    headline = answer_line(title)
    return escape_mrkdwn(headline), [section(f"*{escape_mrkdwn(headline)}*"), *monospace_blocks(body or [title])]
