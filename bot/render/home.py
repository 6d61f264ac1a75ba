"""The App Home tab: the napkin math in plain words, each idea with a worked example from the real estimator.

Every figure is computed by ``execute`` over the catalog and defaults in force when the view is
built, none typed in; an example the catalog cannot answer (say, a default GPU with no published
peak) is left out of its paragraph rather than guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.render.formatting import format_context, format_gpus, format_price
from bot.render.kit import escape_mrkdwn
from bot.render.serving import per_million, rate
from estimator.catalog import Catalog
from estimator.commands import Reply, UsageError
from estimator.defaults import Defaults
from estimator.quantities import (
    format_bytes,
    format_count,
    format_days,
    format_flops,
    format_percent,
    format_rate,
    format_usd,
)
from estimator.results import FitsResult, Scenario, TrainCostResult
from estimator.serving_results import ServeCostResult

Executor = Callable[..., Reply]

EXAMPLE_MODEL = "7B"
EXAMPLE_TOKENS = "1T"
EXAMPLE_GPUS = 64
KV_EXAMPLE = "llama-3.1-8b"  # a preset with a published shape (layers, KV heads); else the first preset
KV_CONTEXT = 32768
MAX_HOME_BLOCKS = 100  # Slack: a home view holds at most 100 blocks
TITLE = "napkin: LLM training cost, GPU fit and serving cost"


def home_view(catalog: Catalog, defaults: Defaults, execute: Executor) -> dict[str, Any]:
    """A ``views.publish`` view of type ``home``."""
    gpu = catalog.gpu(defaults.gpu)
    gpu_key = gpu.key if gpu is not None else defaults.gpu

    def run(command: str, text: str) -> object:
        try:
            return execute(command, text, catalog=catalog, defaults=defaults).result
        except UsageError:
            return None

    train = run("traincost", f"{EXAMPLE_MODEL} {EXAMPLE_TOKENS} {gpu_key} gpus={EXAMPLE_GPUS}")
    fits = run("fits", f"{EXAMPLE_MODEL} {gpu_key}")
    kv_model = KV_EXAMPLE if catalog.model(KV_EXAMPLE) is not None else next(iter(catalog.models), None)
    kv = run("fits", f"{kv_model} {gpu_key} inference ctx={KV_CONTEXT}") if kv_model else None
    serve = run("servecost", f"{EXAMPLE_MODEL} {gpu_key}")
    scenarios: dict[str, Scenario] = {}
    for scenario in fits.scenarios if isinstance(fits, FitsResult) else []:
        scenarios.setdefault(scenario.mode, scenario)  # the first of each mode (inference: 16-bit)
    sections = [
        ("Training compute: 6 · N · D", _compute(train)),
        ("MFU: the share of the peak you really get", _mfu(train)),
        ("Bytes per parameter", _bytes_per_param(scenarios)),
        ("KV cache", _kv_cache(kv, kv_model)),
        ("ZeRO: splitting training over GPUs", _zero(scenarios.get("train"))),
        ("LoRA and QLoRA", _lora(scenarios)),
        ("Serving speed", _serving(serve)),
    ]
    price = format_price(gpu.price.usd_per_hour) if gpu is not None and gpu.price is not None else "no catalog price"
    vendors = Counter(a.vendor for a in catalog.accelerators.values())
    moe = sum(1 for m in catalog.models.values() if m.official_active_params is not None)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": TITLE}},
        _section(
            "*How to ask*\n"
            "In any channel: `/traincost 70B 2T h100`, `/fits llama-3.1-70b a100`, `/servecost llama-3.3-70b 2xh100 "
            "fp8`, `/gpus 80gb`. Mention @napkin in a thread (`@napkin fits 70B a100 lora`) or message me here. "
            "`/traincost`, `/fits` or `/servecost` alone opens a form.\n"
            "Answers are one line at a glance; *Details* shows the breakdown, the formula and every assumption, "
            "and *Share in channel* posts it for everyone."
        ),
        {"type": "divider"},
    ]
    blocks.extend(_section(f"*{title}*\n{text}") for title, text in sections)
    blocks.extend(
        [
            {"type": "divider"},
            _section(
                f"*Defaults in force*\nGPU {escape_mrkdwn(gpu.name if gpu else defaults.gpu)} at {price} · "
                f"MFU {format_percent(defaults.mfu)} · {defaults.tokens_per_param:g} tokens per parameter when a "
                f"model has no published count and none are given · {defaults.default_days:g}-day deadline when no "
                "cluster size is given. Any of them can be set per question: `gpus=`, `days=`, `mfu=`, `price=`."
            ),
            _section(
                f"*Catalog*\n{len(catalog.accelerators)} accelerators ("
                + ", ".join(f"{count} {escape_mrkdwn(vendor)}" for vendor, count in vendors.most_common())
                + f") · {len(catalog.models)} model presets ({moe} mixture-of-experts). `/gpus` (filter: `80gb`, "
                "`amd`, `under $2`) and `/napkin models` (filter: `llama`, `moe`) list them."
            ),
        ]
    )
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _compute(train: object) -> str:
    text = (
        "Each parameter costs about 2 FLOPs per token forward and 4 backward, so training N parameters "
        "on D tokens takes 6·N·D FLOPs."
    )
    if isinstance(train, TrainCostResult):
        text += f" *{EXAMPLE_MODEL} parameters on {EXAMPLE_TOKENS} tokens* = {format_flops(train.flops)}."
    return text


def _mfu(train: object) -> str:
    text = (
        "GPUs never run at their datasheet peak: model FLOPs utilisation (MFU) is the share a real training "
        "run achieves, typically 35–45%."
    )
    if isinstance(train, TrainCostResult):
        cost = f" ≈ {format_usd(train.cost_usd)}" if train.cost_usd is not None else ""
        text += (
            f" {escape_mrkdwn(train.gpu_name)} peaks at {format_rate(train.peak_flops)}; at "
            f"{format_percent(train.mfu)} MFU it delivers {format_rate(train.peak_flops * train.mfu)}, so the "
            f"example takes {format_count(train.gpu_hours)} GPU-hours{cost}: "
            f"{format_days(train.wall_clock_days)} on {format_gpus(train.num_gpus)}."
        )
    return text


def _bytes_per_param(scenarios: dict[str, Scenario]) -> str:
    text = (
        "Serving in bf16 holds 2 bytes per parameter (int4: half a byte); full training with mixed-precision "
        "AdamW holds 16 (bf16 weights and gradients, an fp32 master copy and two fp32 moments)."
    )
    serve, train = scenarios.get("inference"), scenarios.get("train")
    if serve is not None and train is not None:
        states = train.breakdown.weights + train.breakdown.gradients + train.breakdown.optimizer
        text += (
            f" *{EXAMPLE_MODEL}*: {format_bytes(serve.breakdown.weights)} of weights to serve, "
            f"{format_bytes(states)} of weights, gradients and optimizer state to train, before activations."
        )
    return text


def _kv_cache(kv: object, model: str | None) -> str:
    text = (
        "Serving also keeps every token's keys and values for every layer: "
        "2 · layers · KV heads · head size · tokens · bytes, growing with context and with concurrent users."
    )
    if isinstance(kv, FitsResult) and kv.scenarios and model:
        tokens = format_context(KV_CONTEXT)
        text += f" *{escape_mrkdwn(model)}* at {tokens} tokens: {format_bytes(kv.scenarios[0].breakdown.kv_cache)}."
    return text


def _zero(train: Scenario | None) -> str:
    text = "ZeRO shards optimizer state, gradients and weights over the GPUs, so each GPU holds a slice."
    if train is not None:
        count = train.recommended_gpus
        per_gpu = train.plan.per_gpu_bytes if train.plan is not None else train.per_gpu_bytes
        text += (
            f" *{EXAMPLE_MODEL}* full training needs {format_bytes(train.total_bytes)} on one device; split "
            f"over {format_gpus(count)} ({escape_mrkdwn(train.strategy or 'one GPU')}) it is "
            f"{format_bytes(per_gpu)} per GPU."
        )
    return text


def _lora(scenarios: dict[str, Scenario]) -> str:
    text = (
        "LoRA freezes the model and trains small adapter matrices; QLoRA also stores the frozen model in "
        "4 bits (NF4), so fine-tuning fits where full training does not."
    )
    lora, qlora = scenarios.get("lora"), scenarios.get("qlora")
    if lora is not None and qlora is not None:
        text += f" *{EXAMPLE_MODEL}*: LoRA {_per_gpu(lora)}, QLoRA {_per_gpu(qlora)}."
    return text


def _serving(serve: object) -> str:
    text = (
        "Generating a token reads every weight (and the KV cache) from memory, so one user's speed is about "
        "memory bandwidth ÷ model bytes; batching many users shares each read until compute runs out."
    )
    if isinstance(serve, ServeCostResult) and serve.single_stream is not None and serve.max_load is not None:
        text += (
            f" *{EXAMPLE_MODEL}* in {serve.dtype} on {escape_mrkdwn(serve.gpu_name)}: "
            f"{rate(serve.single_stream.tokens_per_s)} for one user, {rate(serve.max_load.output_tokens_per_s)} "
            f"for {serve.max_load.concurrent_sequences} at once, "
            f"{per_million(serve.cost_per_million_output_tokens)} output tokens."
        )
    return text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _per_gpu(s: Scenario) -> str:
    per_gpu = s.plan.per_gpu_bytes if s.plan is not None else s.per_gpu_bytes
    count = s.recommended_gpus
    return format_bytes(per_gpu) + (f" on each of {count} GPUs" if count > 1 else " on one GPU")
