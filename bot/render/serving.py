"""``servecost`` as Block Kit: the headline at a glance, the working below (no Slack SDK)."""

from __future__ import annotations

from typing import Any

from bot.render.formatting import format_gpus, format_price
from estimator.quantities import counted, format_count
from estimator.serving_results import ServeCostResult, ServeGpuRow, Speed

Block = dict[str, Any]
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
    """The first line: tokens/s per user, total tokens/s, $ per million output tokens (or why none)."""
    if not r.fits or r.single_stream is None or r.max_load is None:
        return r.verdict_text
    load = r.max_load
    return (
        f"{rate(r.single_stream.tokens_per_s)} per user alone · {rate(load.output_tokens_per_s)} total at "
        f"{counted(load.concurrent_sequences, 'user')} · {per_million(r.cost_per_million_output_tokens)} output tokens"
    )


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
        f"TTFT {ms(one.ttft_ms)} for {_tokens(r.input_tokens, 'prompt token')}",
        _speed_field("Max load", r.max_load),
    ]
    if r.at_batch is not None:
        out.append(_speed_field(f"At batch={r.at_batch.concurrent_sequences}", r.at_batch))
    price = format_price(r.price_per_gpu_hour) if r.price_per_gpu_hour is not None else "add price= (USD/GPU-h)"
    hours = r.gpu_hours_per_billion_output_tokens
    out.append(
        f"*Cost*\n{per_million(r.cost_per_million_output_tokens)} output · "
        f"{per_million(r.cost_per_million_input_tokens)} input\n"
        f"{format_count(hours) if hours is not None else '?'} GPU-hours per billion output tokens\n"
        f"{price} × {format_gpus(r.num_gpus)}"
    )
    out.append(
        f"*Memory*\nKV cache holds {_tokens(r.kv_capacity_tokens, 'token')} "
        f"({counted(r.kv_capacity_tokens // (r.input_tokens + r.output_tokens), 'sequence')} of "
        f"{r.input_tokens}+{r.output_tokens})\nweights {r.dtype}, KV {r.kv_dtype}, matmuls {r.compute_dtype}"
    )
    return out


def comparison_lines(r: ServeCostResult) -> list[str]:
    """The catalog table, cheapest per million output tokens first (the asked GPU kept in view)."""
    rows = r.comparison[:MAX_ROWS]
    current = next((row for row in r.comparison if row.gpu == r.gpu), None)
    if current is not None and current not in rows:
        rows = [*rows[: MAX_ROWS - 1], current]
    width = max(len("GPU"), *(len(row.gpu) for row in rows)) if rows else 3
    lines = [
        f"Every catalog GPU that holds it (cheapest width in a node), cheapest first — in={r.input_tokens} "
        f"out={r.output_tokens}",
        f"  {'GPU':<{width}}  GPUs  matmul   per user      total     $/M out",
    ]
    lines.extend(_row_line(row, width, row.gpu == r.gpu) for row in rows)
    if len(r.comparison) > len(rows):
        lines.append(f"… {len(r.comparison) - len(rows)} more")
    return lines


def _row_line(row: ServeGpuRow, width: int, mine: bool) -> str:
    mark = "▸" if mine else " "
    return (
        f"{mark} {row.gpu:<{width}}  {row.num_gpus:>4}  {row.compute_dtype:<6} {rate(row.tokens_per_s_per_user):>9}  "
        f"{rate(row.output_tokens_per_s):>12}  {per_million(row.cost_per_million_output_tokens):>10}"
    )


def fallback(r: ServeCostResult) -> str:
    """Plain notification text."""
    subject = r.model or f"{format_count(r.params)} params"
    return f"{subject} on {format_gpus(r.num_gpus)} {r.gpu_name}: {headline(r)}"


def title(r: ServeCostResult) -> str:
    """The header line."""
    subject = r.model or f"{format_count(r.params)} params"
    return f"Serving cost: {subject} on {r.num_gpus}× {r.gpu_name} ({r.dtype})"
