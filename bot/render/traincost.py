"""``traincost`` as Block Kit: cost, GPU-hours and wall-clock at a glance; the working on request."""

from __future__ import annotations

from bot.render.bars import bar
from bot.render.formatting import format_co2, format_energy, format_gpus, format_price
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
from estimator.quantities import format_count, format_days, format_flops, format_percent, format_rate, format_usd
from estimator.results import GpuCostRow, TrainCostResult

MAX_COMPARISON_ROWS = 8
_BAR_WIDTH = 12


def traincost_answer(r: TrainCostResult, detail: bool) -> tuple[str, list[Block]]:
    """The compact answer (headline, compute, throughput, one context line), or with ``detail`` the working."""
    params, tokens = format_count(r.params), format_count(r.tokens)
    subject = f"{r.model} × {tokens} tokens" if r.model else f"{params} params × {tokens} tokens"
    cost = format_usd(r.cost_usd) if r.cost_usd is not None else "cost unknown (no price)"
    headline = answer_line(
        f"{subject} on {r.gpu_name} — {cost} · {format_count(r.gpu_hours)} {r.unit}-hours · "
        f"{format_days(r.wall_clock_days)} on {format_gpus(r.num_gpus, r.unit)}"
    )
    moe = r.active_params != r.params
    counted = f"{format_count(r.active_params)} active" if moe else params
    achieved = format_rate(r.peak_flops * r.mfu)
    summary = [
        f"*{escape_mrkdwn(headline)}*",
        f"{format_flops(r.flops)} = {r.flops_factor:g} × {counted} params × {tokens} tokens{_tokens_note(r)}",
        f"{format_rate(r.peak_flops)} {r.dtype} peak × {format_percent(r.mfu)} MFU = {achieved} per {r.unit}",
    ]
    price = (
        format_price(r.price_per_gpu_hour, r.unit)
        if r.price_per_gpu_hour is not None
        else "no catalog price: add `price=`"
    )
    blocks: list[Block] = [section("\n".join(summary))]
    if not detail:
        others = "other GPUs" if r.unit == "GPU" else "other devices"
        blocks.extend(context_blocks([f"{price} · {_sizing(r)} · Details: the formula, {others}, every assumption"]))
        return escape_mrkdwn(headline), blocks
    blocks.append(section(fields=_traincost_fields(r)))
    if r.comparison:
        blocks.extend(monospace_blocks(_comparison_lines(r)))
    blocks.extend(context_blocks([f"*Formula:* {inline_code(r.formula)}", *assumption_lines(r.assumptions)]))
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
    hours = f"*{r.unit[:1].upper()}{r.unit[1:]}-hours*\n{format_count(r.gpu_hours)}"
    wall = f"*Wall-clock*\n{format_days(r.wall_clock_days)} on {format_gpus(r.num_gpus, r.unit)}\n{_sizing(r)}"
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
