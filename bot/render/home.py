"""The App Home tab: the napkin math in plain words, each idea with a worked example from the real estimator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.render.blocks import escape_mrkdwn
from bot.render.formatting import format_price
from estimator.catalog import Catalog
from estimator.commands import Reply
from estimator.defaults import Defaults
from estimator.quantities import format_bytes, format_count, format_flops, format_rate, format_usd
from estimator.results import FitsResult, Scenario, TrainCostResult

Executor = Callable[..., Reply]

EXAMPLE_MODEL = "7B"
EXAMPLE_TOKENS = "1T"
KV_EXAMPLE = "llama-3.1-8b"


def home_view(catalog: Catalog, defaults: Defaults, execute: Executor) -> dict[str, Any]:
    """A ``views.publish`` view of type ``home``; every figure in it is computed, none typed in."""
    gpu = catalog.gpu(defaults.gpu)
    gpu_key = gpu.key if gpu is not None else defaults.gpu

    def run(command: str, text: str) -> Any:
        return execute(command, text, catalog=catalog, defaults=defaults).result

    train = run("traincost", f"{EXAMPLE_MODEL} {EXAMPLE_TOKENS} {gpu_key} gpus=64")
    fits = run("fits", f"{EXAMPLE_MODEL} {gpu_key}")
    kv = run("fits", f"{KV_EXAMPLE} {gpu_key} inference ctx=32768")
    if not (isinstance(train, TrainCostResult) and isinstance(fits, FitsResult) and isinstance(kv, FitsResult)):
        raise TypeError("the App Home examples need a traincost and two fits results")
    by_mode = {s.mode: s for s in fits.scenarios if s.mode != "inference" or s.dtype in ("bf16", "fp16")}
    vendors = Counter(a.vendor for a in catalog.accelerators.values())
    moe = sum(1 for m in catalog.models.values() if m.official_active_params is not None)
    price = format_price(gpu.price.usd_per_hour) if gpu is not None and gpu.price is not None else "no catalog price"
    sections = [
        (
            "Training compute: 6 · N · D",
            "Each parameter costs about 2 FLOPs per token forward and 4 backward, so training N parameters "
            f"on D tokens takes 6·N·D FLOPs. *{EXAMPLE_MODEL} on {EXAMPLE_TOKENS} tokens* = "
            f"{format_flops(train.flops)}.",
        ),
        (
            "MFU: the share of peak you really get",
            f"GPUs never run at their datasheet peak. {escape_mrkdwn(train.gpu_name)} peaks at "
            f"{format_rate(train.peak_flops)}; at {train.mfu:.0%} MFU it delivers "
            f"{format_rate(train.peak_flops * train.mfu)}, so the example needs "
            f"{format_count(train.gpu_hours)} GPU-hours ≈ {_usd(train.cost_usd)} "
            f"({train.wall_clock_days:.1f} days on {train.num_gpus} GPUs).",
        ),
        (
            "Bytes per parameter",
            "Serving in bf16 holds 2 bytes per parameter; full training with mixed-precision AdamW holds 16 "
            f"(weights, gradients, fp32 master copy and two moments). *{EXAMPLE_MODEL}*: "
            f"{_weights(by_mode.get('inference'))} of weights to serve, "
            f"{_per_gpu(by_mode.get('train'))} to train.",
        ),
        (
            "KV cache",
            "Serving also keeps each token's keys and values for every layer: 2 · layers · KV heads · head size · "
            f"tokens · bytes. *{KV_EXAMPLE}* at 32k tokens: {format_bytes(kv.scenarios[0].breakdown.kv_cache)}.",
        ),
        (
            "ZeRO: splitting training over GPUs",
            "ZeRO shards optimizer states, gradients and weights over the GPUs, so each holds a slice. "
            f"*{EXAMPLE_MODEL}* full training on {escape_mrkdwn(fits.gpu_name)}: {_plan(by_mode.get('train'))}.",
        ),
        (
            "LoRA and QLoRA",
            "LoRA freezes the model and trains small adapters; QLoRA also stores the frozen model in 4 bits. "
            f"*{EXAMPLE_MODEL}*: LoRA {_per_gpu(by_mode.get('lora'))}, QLoRA {_per_gpu(by_mode.get('qlora'))} per GPU.",
        ),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "napkin: LLM training cost and GPU fit"}},
        _section(
            "Ask in any channel with `/traincost 70B 2T h100`, `/fits llama-3.1-70b a100` or `/gpus amd`, "
            "mention @napkin in a thread, or message me here. `/traincost` or `/fits` alone opens a form."
        ),
        {"type": "divider"},
    ]
    for title, text in sections:
        blocks.append(_section(f"*{title}*\n{text}"))
    blocks.extend(
        [
            {"type": "divider"},
            _section(
                f"*Defaults in force*\nGPU {escape_mrkdwn(gpu.name if gpu else defaults.gpu)} at {price} · "
                f"MFU {defaults.mfu:.0%} · {defaults.tokens_per_param:g} tokens per parameter when none are given · "
                f"{defaults.default_days:g}-day deadline when no cluster size is given"
            ),
            _section(
                f"*Catalog*\n{len(catalog.accelerators)} accelerators ("
                + ", ".join(f"{count} {escape_mrkdwn(vendor)}" for vendor, count in vendors.most_common())
                + f") · {len(catalog.models)} model presets ({moe} mixture-of-experts). `/gpus` and "
                "`/napkin models` list them."
            ),
        ]
    )
    return {"type": "home", "blocks": blocks}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _usd(cost: float | None) -> str:
    return format_usd(cost) if cost is not None else "(no price)"


def _weights(s: Scenario | None) -> str:
    return format_bytes(s.breakdown.weights) if s is not None else "n/a"


def _per_gpu(s: Scenario | None) -> str:
    if s is None:
        return "n/a"
    count = s.plan.num_gpus if s.plan is not None else s.num_gpus
    per_gpu = s.plan.per_gpu_bytes if s.plan is not None else s.per_gpu_bytes
    return f"{format_bytes(per_gpu)}" + (f" on each of {count} GPUs" if count > 1 else "")


def _plan(s: Scenario | None) -> str:
    if s is None:
        return "n/a"
    per_gpu = s.plan.per_gpu_bytes if s.plan is not None else s.per_gpu_bytes
    strategy = escape_mrkdwn(s.strategy or "one GPU")
    return f"{strategy}: {format_bytes(per_gpu)} per GPU instead of {format_bytes(s.total_bytes)} on one device"
