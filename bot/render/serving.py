"""``servecost`` as Block Kit: the headline at a glance, the working on request (no Slack SDK)."""

from __future__ import annotations

from bot.render.formatting import format_gpus, format_length, format_price
from bot.render.kit import (
    Block,
    answer_line,
    assumption_lines,
    context_blocks,
    escape_mrkdwn,
    inline_code,
    monospace_blocks,
    section,
)
from estimator.quantities import counted, format_count
from estimator.serving_results import ServeCostResult, ServeGpuRow, Speed

MAX_ROWS = 8
_BOUND_TEXT = {
    "bandwidth": "bandwidth-bound (weight and KV reads)",
    "compute": "compute-bound (batched matmuls)",
    "kv_capacity": "KV-cache capacity-bound (more memory → more users)",
}


def per_million(value: float | None) -> str:
    """0.4417 → ``$0.44/M``; None → ``no price``."""
    if value is None:
        return "no price"
    return f"${value:,.3f}/M" if value < 0.1 else f"${value:,.2f}/M"


def rate(tokens_per_s: float) -> str:
    """3760.3 → ``3,760 tok/s``; 53.3 → ``53.3 tok/s``."""
    return f"{tokens_per_s:,.0f} tok/s" if tokens_per_s >= 100 else f"{tokens_per_s:.3g} tok/s"


def ms(value: float) -> str:
    """Milliseconds, readable: 18.76 → ``18.8 ms``; 1234 → ``1.23 s``."""
    return f"{value / 1000:.3g} s" if value >= 1000 else f"{value:.3g} ms"


def headline(r: ServeCostResult) -> str:
    """The first line: the set-up, then tokens/s per user, in total, and $ per million output tokens (or why not)."""
    subject = r.model or f"{format_count(r.params)} params"
    setup = f"{subject} {r.dtype} on {r.num_gpus}× {r.gpu_name}"
    if not r.fits or r.single_stream is None or r.max_load is None:
        more = f": needs {format_gpus(r.gpus_needed, r.unit)}" if r.gpus_needed > r.num_gpus else ""
        return f"{setup} — ❌ does not fit{more}"
    load = r.max_load
    cost = r.cost_per_million_output_tokens
    return (
        f"{setup} — {rate(r.single_stream.tokens_per_s)} per user · {rate(load.output_tokens_per_s)} at "
        f"{counted(load.concurrent_sequences, 'user')} · "
        + (f"{per_million(cost)} output" if cost is not None else "no price (add price=)")
    )


def _prompt(tokens: int) -> str:
    """``1,000 prompt tokens``, ``8k prompt tokens``, ``1 prompt token``: exact, as ``in=`` would take it back."""
    return f"{format_length(tokens)} prompt token" + ("" if tokens == 1 else "s")


def _tokens(n: int, noun: str) -> str:
    """A token count in the compact form (``8.19k tokens``) with its noun agreeing (``1 prompt token``)."""
    return f"{format_count(n)} {noun}" + ("" if n == 1 else "s")


def _speed_field(title: str, s: Speed) -> str:
    return (
        f"*{title}*\n{rate(s.output_tokens_per_s)} total, {rate(s.tokens_per_s_per_user)} per user\n"
        f"{counted(s.concurrent_sequences, 'sequence')} · ITL {ms(s.itl_ms)} · TTFT {ms(s.ttft_ms)}\n"
        f"{_BOUND_TEXT[s.bound]}"
    )


def fields(r: ServeCostResult) -> list[str]:
    """Key figures as mrkdwn section fields (bold label, then lines)."""
    if r.single_stream is None or r.max_load is None:
        return []
    one = r.single_stream
    out = [
        f"*Single stream*\n{rate(one.tokens_per_s)} per user (ITL {ms(one.itl_ms)})\n"
        f"TTFT {ms(one.ttft_ms)} for {_prompt(r.input_tokens)}",
        _speed_field("Max load", r.max_load),
    ]
    if r.at_batch is not None:
        out.append(_speed_field(f"At batch={r.at_batch.concurrent_sequences}", r.at_batch))
    price = (
        format_price(r.price_per_gpu_hour, r.unit)
        if r.price_per_gpu_hour is not None
        else f"add price= (USD/{r.unit}-h)"
    )
    hours = r.gpu_hours_per_billion_output_tokens
    per_token = (
        f"{per_million(r.cost_per_million_output_tokens)} output · {per_million(r.cost_per_million_input_tokens)} input"
        if r.cost_per_million_output_tokens is not None
        else "unknown (no catalog price)"
    )
    out.append(
        f"*Cost*\n{per_token}\n"
        f"{format_count(hours) if hours is not None else '?'} {r.unit}-hours per billion output tokens\n"
        f"{price} × {format_gpus(r.num_gpus, r.unit)}"
    )
    out.append(
        f"*Memory*\nKV cache holds {_tokens(r.kv_capacity_tokens, 'token')} "
        f"({counted(r.kv_capacity_tokens // (r.input_tokens + r.output_tokens), 'sequence')} of "
        f"{r.input_tokens}+{r.output_tokens})\nweights {r.dtype}, KV {r.kv_dtype}, matmuls {r.compute_dtype}"
    )
    return out


def summary_lines(r: ServeCostResult) -> list[str]:
    """The compact answer under the headline: one user alone, the full load, the cost (plain text)."""
    if r.single_stream is None or r.max_load is None:
        return [r.verdict_text]
    one, load = r.single_stream, r.max_load
    lines = [
        f"Alone: {rate(one.tokens_per_s)}, first token in {ms(one.ttft_ms)} for {_prompt(r.input_tokens)}",
        f"At {counted(load.concurrent_sequences, 'user')}: {rate(load.tokens_per_s_per_user)} each, "
        f"first token in {ms(load.ttft_ms)}",
    ]
    if r.at_batch is not None:
        b = r.at_batch
        lines.append(
            f"At batch={b.concurrent_sequences}: {rate(b.tokens_per_s_per_user)} each, "
            f"{rate(b.output_tokens_per_s)} total"
        )
    if r.price_per_gpu_hour is None:
        count = format_gpus(r.num_gpus, r.unit)
        lines.append(f"Cost: unknown × {count}: no catalog price; add price= (USD per {r.unit}-hour)")
        return lines
    price = format_price(r.price_per_gpu_hour, r.unit)
    lines.append(
        f"Cost: {per_million(r.cost_per_million_output_tokens)} output, "
        f"{per_million(r.cost_per_million_input_tokens)} input at {price} × {format_gpus(r.num_gpus, r.unit)}"
    )
    return lines


def context_line(r: ServeCostResult) -> str:
    """The one context line of the compact answer: what limits it and where the price comes from."""
    parts = [f"weights {r.dtype}, KV {r.kv_dtype}"]
    if r.bound is not None:
        parts.append(_BOUND_TEXT[r.bound])
    if r.price_per_gpu_hour is None:
        parts.append(f"add price= (USD per {r.unit}-hour) for a cost")
    return " · ".join(parts)


def comparison_lines(r: ServeCostResult) -> list[str]:
    """The catalog table (at most 60 columns), cheapest per million output tokens first, the asked GPU kept."""
    rows = r.comparison[:MAX_ROWS]
    current = next((row for row in r.comparison if row.gpu == r.gpu), None)
    if current is not None and current not in rows:
        rows = [*rows[: MAX_ROWS - 1], current]
    device = "GPU" if r.unit == "GPU" else "device"  # the rows mix GPUs and chips: a chip's answer says so
    width = max(len(device), *(len(row.gpu) for row in rows)) if rows else len(device)
    lines = [
        f"Every catalog {device} that holds it, cheapest first",
        f"(in={r.input_tokens} out={r.output_tokens}, the cheapest width in a node;",
        " tok/s per user and in total)",
        f"  {device:<{width}} {'GPUs' if device == 'GPU' else 'count':>5}  dtype   user  total   $/M out",
    ]
    lines.extend(_row_line(row, width, row.gpu == r.gpu) for row in rows)
    if len(r.comparison) > len(rows):
        lines.append(f"… {len(r.comparison) - len(rows)} more")
    return lines


def _row_line(row: ServeGpuRow, width: int, mine: bool) -> str:
    mark = "▸" if mine else " "
    return (
        f"{mark} {row.gpu:<{width}} {row.num_gpus:>5}  {row.compute_dtype:<5} {_count(row.tokens_per_s_per_user):>5}"
        f"  {_count(row.output_tokens_per_s):>5}  {per_million(row.cost_per_million_output_tokens):>8}"
    )


def _count(tokens_per_s: float) -> str:
    """A table cell of tokens/s: 53.3, 3,760 → ``3.76k``; the header names the unit."""
    return format_count(tokens_per_s) if tokens_per_s >= 1000 else f"{tokens_per_s:.3g}"


def servecost_answer(r: ServeCostResult, detail: bool) -> tuple[str, list[Block]]:
    """The compact answer (headline, three summary lines, one context line), or with ``detail`` the working."""
    first = answer_line(headline(r))
    lines = [f"*{escape_mrkdwn(first)}*", *(escape_mrkdwn(line) for line in summary_lines(r))]
    blocks: list[Block] = [section("\n".join(lines))]
    if not detail:
        others = "other GPUs" if r.unit == "GPU" else "other devices"
        note = context_line(r) + f" · Details: the formula, {others}, every assumption"
        blocks.extend(context_blocks([escape_mrkdwn(note)]))
        return escape_mrkdwn(first), blocks
    blocks.extend(context_blocks([escape_mrkdwn(context_line(r))]))
    figures = fields(r)
    if figures:
        blocks.append(section(fields=[escape_mrkdwn(field) for field in figures]))
    if r.comparison:
        blocks.extend(monospace_blocks(comparison_lines(r)))
    blocks.extend(context_blocks([f"*Formula:* {inline_code(r.formula)}", *assumption_lines(r.assumptions)]))
    return escape_mrkdwn(first), blocks
