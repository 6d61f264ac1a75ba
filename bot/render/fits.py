"""``fits`` as Block Kit: the verdict per scenario at a glance, priced per hour; the breakdown on request."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.bars import marker_position, stacked, with_marker
from bot.render.formatting import format_gb, format_gpus, format_memory, format_price, mode_label
from bot.render.kit import (
    MAX_FIELDS,
    MAX_LISTING_ROWS,
    MAX_MONOSPACE_COLUMNS,
    MAX_NOTIFICATION_CHARS,
    Block,
    answer_line,
    assumption_lines,
    context_blocks,
    escape_mrkdwn,
    monospace_blocks,
    section,
)
from estimator.grammar import hub_model_words
from estimator.quantities import format_bytes, format_count
from estimator.results import FitsResult, MemoryBreakdown, Scenario, Verdict

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


def fits_answer(r: FitsResult, detail: bool) -> tuple[str, list[Block]]:
    """The compact answer (headline, a line per scenario, one context line), or with ``detail`` the working."""
    subject = r.model if r.model else f"{format_count(r.params)}"
    shown = r.scenarios[:MAX_FIELDS]
    headline = _headline(f"{subject} on {r.gpu_name}", shown, r.unit)
    lines = [f"*{escape_mrkdwn(headline)}*", *(_scenario_line(s, r.unit) for s in shown)]
    price = next((s.price_per_gpu_hour for s in shown if s.price_per_gpu_hour is not None), None)
    about = [
        f"{format_bytes(r.usable_gpu_memory_bytes)} usable of {format_bytes(r.gpu_memory_bytes)} per {r.unit}",
        format_price(price, r.unit) if price is not None else "no catalog price",
    ]
    if r.active_params != r.params:
        about.append(f"MoE: {format_count(r.active_params)} of {format_count(r.params)} params active, all in memory")
    blocks: list[Block] = [section("\n".join(lines))]
    if not detail:
        blocks.extend(context_blocks([" · ".join([*about, "Details: the breakdown and every assumption"])]))
        return escape_mrkdwn(headline), blocks
    about[0] = (
        f"{format_memory(r.gpu_memory_bytes)} visible per {r.unit}, "
        f"{format_bytes(r.usable_gpu_memory_bytes)} usable after the runtime reserve"
    )
    if r.cpu_memory_bytes is not None:
        about.append(f"CPU memory for offload: {format_bytes(r.cpu_memory_bytes)}")
    blocks.extend(context_blocks([" · ".join(about)]))
    if shown:
        blocks.extend(monospace_blocks(_fits_table(r, r.unit)))
        blocks.extend(monospace_blocks(_fits_bars(r)))
    verdicts = [
        f"• {_label(s)}: {escape_mrkdwn(s.verdict_text)}" + (f"; {escape_mrkdwn(s.strategy)}" if s.strategy else "")
        for s in shown
    ]
    scenario_assumptions = (a for s in r.scenarios for a in s.assumptions)
    blocks.extend(
        context_blocks(
            [
                f"*Formula:* `per {r.unit} = weights + gradients + optimizer + activations + KV cache + overhead`",
                *verdicts,
                *assumption_lines([*r.assumptions, *scenario_assumptions]),
            ]
        )
    )
    return escape_mrkdwn(headline), blocks


def cost_command(r: FitsResult, command_text: str = "") -> str:
    """The ``traincost`` text matching a fits answer: the same model (or size, or Hub id as typed) on the
    same GPU, at the GPU count full training needs there (when it can fit at all)."""
    hub = hub_model_words("fits", command_text)
    subject = hub[0] if hub else r.model or format_count(r.params)
    train = next((s for s in r.scenarios if s.mode == "train" and s.verdict != "does_not_fit"), None)
    return f"{subject} {r.gpu}" + (f" gpus={train.recommended_gpus}" if train is not None else "")


def _headline(subject: str, scenarios: Sequence[Scenario], unit: str) -> str:
    """``20B on … — serve ✅ 1 GPU · full fine-tune 🟡 5 GPUs ≈ $15/h · LoRA ✅ 1 · QLoRA ✅ 1``; the
    later counts lose their unit when the line would pass a notification's 150 characters."""
    full = f"{subject} — " + " · ".join(_headline_parts(scenarios, unit, units=True))
    if len(full) <= MAX_NOTIFICATION_CHARS:
        return full
    return answer_line(f"{subject} — " + " · ".join(_headline_parts(scenarios, unit, units=False)))


def _headline_parts(scenarios: Sequence[Scenario], unit: str, *, units: bool) -> list[str]:
    """One part per scenario, the first serving one only: the mode, the mark, the GPUs and their price per hour.

    The first count always names its unit; with ``units`` so does every count above one.
    """
    parts: list[str] = []
    served = False
    for s in scenarios:
        if s.mode == "inference":
            if served:
                continue
            served = True
        count = s.recommended_gpus
        named = not parts or (units and count > 1)
        gpus = "" if s.verdict == "does_not_fit" else " " + (format_gpus(count, unit) if named else f"{count:,}")
        price = f" ≈ {_per_hour(s.cost_per_hour_usd)}" if s.cost_per_hour_usd is not None and count > 1 else ""
        parts.append(f"{_HEADLINE_MODE.get(s.mode, s.mode)} {_VERDICT_MARK[_verdict(s)]}{gpus}{price}")
    return parts


def _per_hour(usd: float) -> str:
    return f"${usd:,.0f}/h" if usd >= 10 else f"${usd:,.2f}/h"


def _label(s: Scenario) -> str:
    return f"{mode_label(s.mode)} {escape_mrkdwn(s.dtype)}"


def _scenario_line(s: Scenario, unit: str) -> str:
    """``✅ *Inference bf16*: 1 GPU, 41.2 GB (38.4 GiB) per GPU ≈ $2.99/h``: every verdict line sets the
    per-device total against the card in GB and GiB (as nvidia-smi counts); a line that does not fit adds why."""
    emoji = _VERDICT_EMOJI[_verdict(s)]
    gpus, _, per_gpu = _shown(s)
    memory = f"{format_memory(per_gpu)} per {unit}"
    if s.verdict == "does_not_fit":
        return f"{emoji} *{_label(s)}*: {format_gpus(gpus, unit)}, {memory} — {escape_mrkdwn(s.verdict_text)}"
    cost = f" ≈ {_per_hour(s.cost_per_hour_usd)}" if s.cost_per_hour_usd is not None else ""
    offload = f", +{format_bytes(s.cpu_offload_bytes)} in CPU memory" if s.cpu_offload_bytes > 0 else ""
    more = f" ({gpus - 1:,} more than one {unit})" if gpus > 1 else ""
    tight = f" ({s.usable_fraction:.0%} of usable: tight)" if s.usable_fraction > _TIGHT else ""
    return f"{emoji} *{_label(s)}*: {format_gpus(gpus, unit)}{more}, {memory}{tight}{offload}{cost}"


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


def _fits_table(r: FitsResult, unit: str) -> list[str]:
    """GB per device by component, one column per scenario (five to a table, so it fits a phone)."""
    scenarios = r.scenarios[:MAX_LISTING_ROWS]
    lines: list[str] = []
    for start in range(0, len(scenarios), _TABLE_COLUMNS):
        group = scenarios[start : start + _TABLE_COLUMNS]
        layouts = [_shown(s) for s in group]
        lines.append(
            f"{'GB/' + unit:<{_TABLE_LABEL}}" + "".join(f"{_TABLE_MODE[s.mode]:>{_TABLE_COLUMN}}" for s in group)
        )
        lines.append(f"{'':<{_TABLE_LABEL}}" + "".join(f"{s.dtype:>{_TABLE_COLUMN}}" for s in group))
        for field, _, legend, _ in _COMPONENTS:
            cells = "".join(f"{format_gb(getattr(b, field)):>{_TABLE_COLUMN}}" for _, b, _ in layouts)
            lines.append(f"{legend:<{_TABLE_LABEL}}{cells}")
        lines.append(f"{'total':<{_TABLE_LABEL}}" + "".join(f"{format_gb(p):>{_TABLE_COLUMN}}" for _, _, p in layouts))
        lines.append(f"{unit + 's':<{_TABLE_LABEL}}" + "".join(f"{g:>{_TABLE_COLUMN}}" for g, _, _ in layouts))
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
