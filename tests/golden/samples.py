"""Sample replies for rendering tests, built the way the estimator builds them.

Every figure follows from its inputs with the published formulas (C = 6·N·D; GPU-hours =
C / (dense peak × MFU) / 3600; model states 16 bytes/param for mixed-precision AdamW; KV cache
2·L·a_kv·d_head·s·b·bytes), so the goldens show realistic answers without running the estimator.
"""

from __future__ import annotations

import math
from typing import Literal

from estimator.architecture import ModelArch, MoE
from estimator.commands import GpuListing, HelpTopic, ModelListing, Reply, UsageError
from estimator.hardware import Accelerator, Price
from estimator.precision import Precision
from estimator.results import (
    FitsResult,
    GpuCostRow,
    MemoryBreakdown,
    Mode,
    Scenario,
    TrainCostResult,
    Verdict,
)

MFU = 0.40
PUE = 1.2
GRID_KG_PER_KWH = 0.4
DEADLINE_DAYS = 30.0
NODE_SIZE = 8
CUDA_CONTEXT = 1_000_000_000
ALLOCATOR_OVERHEAD = 0.10

# (key, name, training precision, dense TFLOPS at it, USD/GPU-h or None, price source, TDP W)
GPUS: tuple[tuple[str, str, Precision, float, float | None, str | None, float], ...] = (
    ("t4", "NVIDIA T4 16GB", Precision.FP16, 65.0, 0.45, "typical on-demand, 2026-01", 70),
    ("v100", "NVIDIA V100 SXM2 32GB", Precision.FP16, 125.0, 2.50, "typical on-demand, 2026-01", 300),
    ("l4", "NVIDIA L4 24GB", Precision.BF16, 121.0, 0.75, "typical on-demand, 2026-01", 72),
    ("l40s", "NVIDIA L40S 48GB", Precision.BF16, 362.05, 1.90, "typical on-demand, 2026-01", 350),
    ("a100-40gb", "NVIDIA A100 40GB SXM", Precision.BF16, 312.0, 1.30, "Lambda on-demand, 2026-01", 400),
    ("a100-80gb", "NVIDIA A100 80GB SXM", Precision.BF16, 312.0, 1.80, "Lambda on-demand, 2026-01", 400),
    ("h100-pcie", "NVIDIA H100 PCIe 80GB", Precision.BF16, 756.0, 2.39, "Lambda on-demand, 2026-01", 350),
    ("h100-sxm", "NVIDIA H100 SXM 80GB", Precision.BF16, 989.4, 2.99, "Lambda on-demand, 2026-01", 700),
    ("h200", "NVIDIA H200 SXM 141GB", Precision.BF16, 989.4, 3.99, "typical on-demand, 2026-01", 700),
    ("b200", "NVIDIA B200 180GB", Precision.BF16, 2250.0, 6.00, "typical on-demand, 2026-01", 1000),
    ("b300", "NVIDIA B300 288GB", Precision.BF16, 2250.0, None, None, 1100),
    ("mi300x", "AMD Instinct MI300X 192GB", Precision.BF16, 1307.4, 1.99, "typical on-demand, 2026-01", 750),
    ("tpu-v5p", "Google TPU v5p", Precision.BF16, 459.0, 4.20, "GCP on-demand, 2026-01", 0),
)


def _gpu_hours(flops: float, tflops: float, mfu: float = MFU) -> float:
    return flops / (tflops * 1e12 * mfu) / 3600


def _comparison(flops: float) -> list[GpuCostRow]:
    rows = []
    for key, name, dtype, tflops, price, source, _ in GPUS:
        hours = _gpu_hours(flops, tflops)
        rows.append(
            GpuCostRow(
                gpu=key,
                name=name,
                dtype=dtype,
                peak_flops=tflops * 1e12,
                gpu_hours=hours,
                price_per_gpu_hour=price,
                cost_usd=None if price is None else hours * price,
                price_source=source,
            )
        )
    return sorted(rows, key=lambda r: (r.cost_usd is None, r.cost_usd or 0.0, r.gpu_hours))


def training_result(
    *,
    params: int,
    active: int,
    tokens: float,
    tokens_assumed: bool,
    gpu_key: str,
    model: str | None,
    num_gpus: int | None,
    price_override: float | None = None,
) -> TrainCostResult:
    """A training estimate on a ``GPUS`` entry at 40% MFU (deadline 30 days unless ``num_gpus``)."""
    _, name, dtype, tflops, price, source, tdp = next(g for g in GPUS if g[0] == gpu_key)
    if price_override is not None:
        price, source = price_override, "given"
    flops = 6.0 * active * tokens
    hours = _gpu_hours(flops, tflops)
    reason: Literal["given", "default_deadline"] = "given"
    if num_gpus is None:
        needed = hours / (DEADLINE_DAYS * 24)
        gpus, reason = math.ceil(needed / NODE_SIZE) * NODE_SIZE, "default_deadline"
    else:
        gpus = num_gpus
    energy = hours * tdp / 1000 * PUE
    return TrainCostResult(
        model=model,
        params=params,
        active_params=active,
        tokens=tokens,
        tokens_assumed=tokens_assumed,
        flops_factor=6.0,
        flops=flops,
        gpu=gpu_key,
        gpu_name=name,
        dtype=dtype,
        peak_flops=tflops * 1e12,
        mfu=MFU,
        gpu_hours=hours,
        price_per_gpu_hour=price,
        price_source=source,
        cost_usd=None if price is None else hours * price,
        num_gpus=gpus,
        num_gpus_reason=reason,
        wall_clock_days=hours / gpus / 24,
        energy_kwh=energy,
        co2_tonnes=energy * GRID_KG_PER_KWH / 1000,
        formula="C = 6·N·D FLOPs; GPU-hours = C / (dense peak × MFU) / 3600; cost = GPU-hours × price",
        assumptions=[
            "6 FLOPs per parameter per token (2 forward + 4 backward; Kaplan et al. 2020)",
            "MFU 40%: Llama 3 405B reached 38-43% BF16 on H100 (arXiv 2407.21783); PaLM 46%; GPT-3 21%",
            f"{dtype.value} dense peak {tflops:g} TFLOP/s, no sparsity",
            "Ideal scaling: no restarts, failures or idle time (Llama 3: >90% effective time over 54 days)",
            f"Energy = GPU-hours × {tdp:g} W board power × PUE {PUE}; CO₂ at {GRID_KG_PER_KWH} kg/kWh",
            "Excludes data preparation, experiments, evaluation and staff",
        ],
        comparison=_comparison(flops),
    )


def traincost_405b_15t_a100() -> Reply:
    """``/traincost 405B 15T a100``: Llama 3.1 scale on A100s, cluster sized to 30 days."""
    result = training_result(
        params=405_000_000_000,
        active=405_000_000_000,
        tokens=15e12,
        tokens_assumed=False,
        gpu_key="a100-80gb",
        model=None,
        num_gpus=None,
    )
    return Reply("traincost", result)


def traincost_mixtral_h100_no_price() -> Reply:
    """A MoE preset, tokens assumed (20/param), 64 GPUs given, the catalog price removed."""
    result = training_result(
        params=46_702_792_704,
        active=12_879_925_248,
        tokens=20 * 46_702_792_704,
        tokens_assumed=True,
        gpu_key="b300",
        model="mixtral-8x7b",
        num_gpus=64,
    )
    return Reply("traincost", result, share=True)


def _scenario(
    mode: Mode,
    dtype: str,
    num_gpus: int,
    parts: dict[str, float],
    *,
    usable: int,
    gpus_needed: int,
    verdict: Verdict,
    verdict_text: str,
    strategy: str,
    total: float,
    cpu_offload: float = 0,
    assumptions: tuple[str, ...] = (),
) -> Scenario:
    base = {k: round(v) for k, v in parts.items()}
    base["overhead"] = round(ALLOCATOR_OVERHEAD * sum(base.values()))
    breakdown = MemoryBreakdown(
        weights=base.get("weights", 0),
        gradients=base.get("gradients", 0),
        optimizer=base.get("optimizer", 0),
        activations=base.get("activations", 0),
        kv_cache=base.get("kv_cache", 0),
        overhead=base["overhead"],
    )
    assert verdict != "fits_one_gpu" or breakdown.total <= usable
    return Scenario(
        mode=mode,
        dtype=dtype,
        num_gpus=num_gpus,
        breakdown=breakdown,
        per_gpu_bytes=breakdown.total,
        total_bytes=round(total * (1 + ALLOCATOR_OVERHEAD)),
        gpus_needed=gpus_needed,
        verdict=verdict,
        verdict_text=verdict_text,
        usable_fraction=round(breakdown.total / usable, 4),
        tight=verdict != "does_not_fit" and breakdown.total > 0.9 * usable,
        strategy=strategy,
        cpu_offload_bytes=round(cpu_offload),
        assumptions=list(assumptions),
    )


_FITS_ASSUMPTIONS = [
    "Usable memory = capacity − 1.0 GB CUDA context; +10% allocator headroom on every component",
    "Training: mixed-precision AdamW, 16 bytes/param of model states (ZeRO, arXiv 1910.02054)",
    "Activations at ctx 4096, batch 1, with full activation recomputation",
]


def fits_20b_h100() -> Reply:
    """``/fits 20B``: a bare parameter count on the default H100, every mode."""
    n = 20e9
    usable = 80_000_000_000 - CUDA_CONTEXT
    lora_params = 20e6  # rank-16 adapters on every projection, about 0.1% of a 20B model
    activations = 12e9
    scenarios = [
        _scenario(
            "inference",
            "bf16",
            1,
            {"weights": 2 * n},
            gpus_needed=1,
            verdict="fits_one_gpu",
            verdict_text="Fits on one H100 SXM",
            strategy="",
            total=2 * n,
            usable=usable,
        ),
        _scenario(
            "inference",
            "int4",
            1,
            {"weights": 0.5 * n},
            gpus_needed=1,
            verdict="fits_one_gpu",
            verdict_text="Fits on one H100 SXM",
            strategy="",
            total=0.5 * n,
            usable=usable,
        ),
        _scenario(
            "train",
            "bf16",
            8,
            {"weights": 2 * n / 8, "gradients": 2 * n / 8, "optimizer": 12 * n / 8, "activations": activations},
            gpus_needed=8,
            verdict="fits_n_gpus",
            verdict_text="Fits on 8 H100 SXM GPUs",
            strategy="ZeRO-3 over 8 GPUs (parameters, gradients and optimizer sharded)",
            total=16 * n + activations,
            usable=usable,
        ),
        _scenario(
            "lora",
            "bf16",
            1,
            {"weights": 2 * n, "gradients": 2 * lora_params, "optimizer": 12 * lora_params, "activations": activations},
            gpus_needed=1,
            verdict="fits_one_gpu",
            verdict_text="Fits on one H100 SXM",
            strategy="",
            total=2 * n + 14 * lora_params + activations,
            usable=usable,
            assumptions=("LoRA rank 16 on every projection: 20M trainable params",),
        ),
        _scenario(
            "qlora",
            "nf4",
            1,
            {
                "weights": 4.127 / 8 * n,
                "gradients": 2 * lora_params,
                "optimizer": 12 * lora_params,
                "activations": activations,
            },
            gpus_needed=1,
            verdict="fits_one_gpu",
            verdict_text="Fits on one H100 SXM",
            strategy="",
            total=4.127 / 8 * n + 14 * lora_params + activations,
            usable=usable,
            assumptions=("NF4 with double quantization: 4.127 bits/param (arXiv 2305.14314)",),
        ),
    ]
    result = FitsResult(
        model=None,
        params=int(n),
        active_params=int(n),
        gpu="h100-sxm",
        gpu_name="NVIDIA H100 SXM 80GB",
        gpu_memory_bytes=80_000_000_000,
        usable_gpu_memory_bytes=usable,
        cpu_memory_bytes=None,
        scenarios=scenarios,
        assumptions=[*_FITS_ASSUMPTIONS, "No architecture given: KV cache not counted for inference"],
    )
    return Reply("fits", result)


def fits_llama_70b_h100() -> Reply:
    """``/fits llama-3.1-70b h100 gpus=8``: tensor parallel inference, offloaded training."""
    n = 70_553_706_496
    usable = 80_000_000_000 - CUDA_CONTEXT
    kv = 2 * 80 * 8 * 128 * 4096 * 1 * 2  # 2·L·a_kv·d_head·s·b·bytes = 1.34 GB at ctx 4096
    activations = 20e9
    lora_params = 207_093_760  # rank 16 on q,k,v,o,gate,up,down of all 80 layers
    scenarios = [
        _scenario(
            "inference",
            "bf16",
            2,
            {"weights": 2 * n / 2, "kv_cache": kv / 2},
            gpus_needed=2,
            verdict="fits_n_gpus",
            verdict_text="Fits on 2 H100 SXM GPUs",
            strategy="tensor parallel over 2 GPUs",
            total=2 * n + kv,
            usable=usable,
        ),
        _scenario(
            "inference",
            "int4",
            1,
            {"weights": 0.5 * n, "kv_cache": kv},
            gpus_needed=1,
            verdict="fits_one_gpu",
            verdict_text="Fits on one H100 SXM",
            strategy="",
            total=0.5 * n + kv,
            usable=usable,
        ),
        _scenario(
            "train",
            "bf16",
            8,
            {"weights": 2 * n / 8, "gradients": 2 * n / 8, "activations": activations},
            gpus_needed=24,
            verdict="needs_offload",
            verdict_text="Fits on 8 GPUs only with the optimizer in CPU memory (24 GPUs without)",
            strategy="ZeRO-3 over 8 GPUs + optimizer offload",
            total=16 * n + activations,
            cpu_offload=12 * n,
            usable=usable,
        ),
        _scenario(
            "qlora",
            "nf4",
            1,
            {
                "weights": 4.127 / 8 * n,
                "gradients": 2 * lora_params,
                "optimizer": 12 * lora_params,
                "activations": activations,
            },
            gpus_needed=1,
            verdict="fits_one_gpu",
            verdict_text="Fits on one H100 SXM",
            strategy="",
            total=4.127 / 8 * n + 14 * lora_params + activations,
            usable=usable,
        ),
    ]
    result = FitsResult(
        model="llama-3.1-70b",
        params=n,
        active_params=n,
        gpu="h100-sxm",
        gpu_name="NVIDIA H100 SXM 80GB",
        gpu_memory_bytes=80_000_000_000,
        usable_gpu_memory_bytes=usable,
        cpu_memory_bytes=2_000_000_000_000,
        scenarios=scenarios,
        assumptions=[*_FITS_ASSUMPTIONS, "KV cache in bf16: GQA with 8 KV heads of 128 dims over 80 layers"],
    )
    return Reply("fits", result)


def fits_405b_4090_does_not_fit() -> Reply:
    """Full training of 405B on one 24 GB card with 256 GB of host memory: nothing helps."""
    n = 405_853_388_800
    usable = 24_000_000_000 - CUDA_CONTEXT
    scenario = _scenario(
        "train",
        "bf16",
        1,
        {"weights": 2 * n, "gradients": 2 * n, "optimizer": 12 * n},
        usable=usable,
        gpus_needed=0,
        verdict="does_not_fit",
        verdict_text="Does not fit: 6.5 TB of model states exceed GPU and CPU memory",
        strategy="",
        total=16 * n,
    )
    result = FitsResult(
        model="llama-3.1-405b",
        params=n,
        active_params=n,
        gpu="rtx-4090",
        gpu_name="NVIDIA GeForce RTX 4090 24GB",
        gpu_memory_bytes=24_000_000_000,
        usable_gpu_memory_bytes=usable,
        cpu_memory_bytes=256_000_000_000,
        scenarios=[scenario],
        assumptions=list(_FITS_ASSUMPTIONS),
    )
    return Reply("fits", result)


def _accelerator(
    key: str,
    name: str,
    *,
    memory_gb: float,
    label: str,
    tflops: dict[Precision, float],
    price: float | None,
    aliases: tuple[str, ...] = (),
) -> Accelerator:
    return Accelerator(
        key=key,
        name=name,
        vendor=name.split(maxsplit=1)[0],
        memory_bytes=int(memory_gb * 1e9),
        memory_label=label,
        bandwidth_tbps=2.0,
        tdp_watts=400,
        dense_tflops=tflops,
        price=None
        if price is None
        else Price(usd_per_hour=price, provider="Lambda on-demand", as_of="2026-01", source="lambda.ai/pricing"),
        aliases=aliases,
        sources=("hardware reference §1-2",),
    )


def gpu_listing() -> Reply:
    """``/gpus``: a slice of the catalog, the default (``h100``, an alias of h100-sxm) marked."""
    accelerators = (
        _accelerator(
            "t4",
            "NVIDIA T4",
            memory_gb=16,
            label="16 GB GDDR6",
            tflops={Precision.FP16: 65, Precision.FP32: 8.1},
            price=0.45,
        ),
        _accelerator(
            "a100-80gb",
            "NVIDIA A100 80GB SXM",
            memory_gb=80,
            label="80 GB HBM2e",
            tflops={Precision.BF16: 312, Precision.FP16: 312},
            price=1.80,
            aliases=("a100",),
        ),
        _accelerator(
            "h100-sxm",
            "NVIDIA H100 SXM",
            memory_gb=80,
            label="80 GB HBM3",
            tflops={Precision.BF16: 989.4, Precision.FP8: 1978.9},
            price=2.99,
            aliases=("h100",),
        ),
        _accelerator(
            "mi300x",
            "AMD Instinct MI300X",
            memory_gb=192,
            label="192 GB HBM3",
            tflops={Precision.BF16: 1307.4},
            price=1.99,
        ),
        _accelerator(
            "b300", "NVIDIA B300", memory_gb=288, label="288 GB HBM3e", tflops={Precision.BF16: 2250}, price=None
        ),
    )
    return Reply("gpus", GpuListing(accelerators, "h100"))


def model_listing() -> Reply:
    """``/models``: a dense and a mixture-of-experts preset."""
    llama = ModelArch(
        key="llama-3.1-70b",
        name="Llama 3.1 70B",
        layers=80,
        hidden=8192,
        heads=64,
        kv_heads=8,
        head_dim=128,
        ffn=28672,
        vocab=128256,
        max_context=131072,
        official_params=70_553_706_496,
        source="meta-llama/Llama-3.1-70B config.json",
    )
    mixtral = ModelArch(
        key="mixtral-8x7b",
        name="Mixtral 8x7B",
        layers=32,
        hidden=4096,
        heads=32,
        kv_heads=8,
        head_dim=128,
        ffn=14336,
        vocab=32000,
        max_context=32768,
        moe=MoE(experts=8, experts_per_token=2, expert_ffn=14336),
        official_params=46_702_792_704,
        official_active_params=12_879_925_248,
        source="mistralai/Mixtral-8x7B-v0.1 config.json",
    )
    return Reply("models", ModelListing((llama, mixtral)))


def help_traincost() -> Reply:
    """``/traincost help``."""
    text = (
        "Usage: traincost <params|model> [tokens] [gpu] [gpus=N | days=D] [mfu=0.4] [price=2.5]\n"
        "  <params|model>  405B, 7e9, or a preset such as llama-3.1-405b\n"
        "  [tokens]        15T; omitted → ≈20 tokens per parameter\n"
        "Formula: C = 6·N·D FLOPs; GPU-hours = C / (dense peak × MFU) / 3600"
    )
    return Reply("help", HelpTopic("traincost", text))


def unknown_gpu_error() -> UsageError:
    """``/traincost 405B 15T h10O``: a misspelt GPU with a suggestion."""
    return UsageError(
        "unknown GPU `h10O`",
        "traincost <params|model> [tokens] [gpu] [gpus=N | days=D] [mfu=0.4] [price=2.5] [share]",
        "h100",
    )
