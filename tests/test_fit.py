"""Fit verdicts: the seed's own questions, published fits (QLoRA's 65B on 48 GB), GPU counts and
how work is split, and properties every answer keeps (minimal GPU counts, no lost bytes).

Memory is decimal (GB = 10⁹ bytes). Accelerators and architectures are built here by hand from
their public specs (NVIDIA datasheets, Hugging Face config.json), not read from the catalog.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.architecture import ModelArch
from estimator.defaults import Defaults
from estimator.errors import EstimateError
from estimator.fit import FitJob, estimate_fits
from estimator.hardware import Accelerator, Price
from estimator.memory import lora_adapter_params
from estimator.precision import NF4_BYTES_PER_PARAM, Precision
from estimator.results import FitsResult, Scenario
from estimator.shapes import assumed_shape, shape_of

DEFAULTS = Defaults()
GB = 10**9
MiB = 2**20


def _gpu(key: str, memory_mib: int, tflops: dict[Precision, float]) -> Accelerator:
    return Accelerator(
        key=key,
        name=key.upper(),
        vendor="NVIDIA",  # the CUDA context is what the runtime reserve is called on NVIDIA parts
        memory_bytes=memory_mib * MiB,
        memory_label="test",
        bandwidth_tbps=1.0,
        tdp_watts=400,
        dense_tflops=tflops,
        price=Price(usd_per_hour=2.0, provider="test", as_of="2026-01", source="test"),
        sources=("hardware reference",),
    )


H100 = _gpu("h100-sxm", 81559, {Precision.BF16: 989.4, Precision.FP8: 1978.9})  # nvidia-smi: 81559 MiB
A100 = _gpu("a100-80gb", 81920, {Precision.BF16: 312, Precision.FP16: 312})
V100 = _gpu("v100-32gb", 32768, {Precision.FP16: 125, Precision.FP32: 15.7})
RTX_4090 = _gpu("rtx-4090", 24564, {Precision.BF16: 165.2})
RTX_A6000 = _gpu("rtx-a6000", 49140, {Precision.BF16: 154.8})  # the QLoRA paper's 48 GB class of card


def _llama(key: str, shape: tuple[int, int, int, int, int], vocab: int, params: int) -> ModelArch:
    """``shape`` is (layers, hidden, ffn, heads, kv_heads), as the formulas reference lists them."""
    layers, hidden, ffn, heads, kv_heads = shape
    return ModelArch(
        key=key, name=key, layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads, head_dim=hidden // heads,
        ffn=ffn, vocab=vocab, max_context=131072, official_params=params, source=f"{key} config.json",
    )  # fmt: skip


LLAMA_8B = _llama("llama-3.1-8b", (32, 4096, 14336, 32, 8), 128256, 8_030_261_248)
LLAMA_70B = _llama("llama-3.1-70b", (80, 8192, 28672, 64, 8), 128256, 70_553_706_496)
LLAMA_405B = _llama("llama-3.1-405b", (126, 16384, 53248, 128, 8), 128256, 405_853_388_800)
LLAMA_1_65B = _llama("llama-65b", (80, 8192, 22016, 64, 64), 32000, 65_285_660_672)  # LLaMA 1 65B: MHA


def _job(params: float | ModelArch, **kwargs: object) -> FitJob:
    if isinstance(params, ModelArch):
        n = params.official_params
        return FitJob.model_validate({"params": n, "active_params": n, "model": params, **kwargs})
    return FitJob.model_validate({"params": round(params), "active_params": round(params), **kwargs})


def _fits(job: FitJob, gpu: Accelerator = H100, defaults: Defaults = DEFAULTS) -> FitsResult:
    return estimate_fits(job, gpu, defaults)


def _one(result: FitsResult, mode: str, dtype: str | None = None) -> Scenario:
    return next(s for s in result.scenarios if s.mode == mode and (dtype is None or s.dtype == dtype))


def _model_states(s: Scenario) -> int:
    return s.breakdown.weights + s.breakdown.gradients + s.breakdown.optimizer


# --- the seed's questions ----------------------------------------------------------------------------


def test_fits_20b_default_scenarios() -> None:
    result = _fits(_job(20e9))
    assert [(s.mode, s.dtype) for s in result.scenarios] == [
        ("inference", "bf16"),
        ("inference", "fp8"),
        ("inference", "int4"),
        ("train", "bf16"),
        ("lora", "bf16"),
        ("qlora", "nf4"),
    ]
    assert all(s.assumptions for s in result.scenarios)
    assert any("assumed GPT-style shape L=44, h=6144" in line for line in result.assumptions)


def test_fits_20b_inference_is_40_gb_of_weights() -> None:
    """The notebook: 20e9 × 2 bytes = 40.00 GB to load the model; it fits one 80 GB H100."""
    bf16 = _one(_fits(_job(20e9)), "inference", "bf16")
    assert bf16.breakdown.weights == 40 * GB
    assert bf16.verdict == "fits_one_gpu"
    assert bf16.gpus_needed == 1
    assert bf16.breakdown.overhead == math.ceil(0.10 * (bf16.per_gpu_bytes - bf16.breakdown.overhead))
    assert bf16.verdict_text.startswith("Fits on 1× H100-SXM (")
    assert "usable" in bf16.verdict_text


def test_fits_20b_full_training_needs_320_gb_of_model_states_and_5_h100s() -> None:
    """16 bytes/param (not the notebook's 15): 320 GB of model states before activations. ZeRO-3
    shards them: 64 GB per GPU + the gathered largest matrix + checkpointed activations fit 5 H100s."""
    train = _one(_fits(_job(20e9)), "train")
    assert train.total_bytes > 320 * GB
    assert train.verdict == "fits_n_gpus"
    assert train.gpus_needed == 5
    # The contract: num_gpus is the count asked about (1), its breakdown the single-GPU picture ...
    assert train.num_gpus == 1
    states = train.breakdown.weights + train.breakdown.gradients + train.breakdown.optimizer
    assert states == 16 * 20 * GB
    # ... and the plan is the fewest-GPU layout the verdict describes.
    assert train.plan is not None
    assert train.plan.num_gpus == 5
    assert train.strategy.startswith("ZeRO-3 over 5 GPUs")
    assert train.verdict_text.startswith("Needs 5× H100-SXM: ZeRO-3 shards weights, gradients and optimizer")
    assert train.plan.breakdown.optimizer == 12 * 20 * GB // 5
    assert train.plan.per_gpu_bytes <= _fits(_job(20e9)).usable_gpu_memory_bytes
    assert any("16 bytes/param" in line for line in train.assumptions)


def test_fits_20b_lora_and_qlora_figures() -> None:
    result = _fits(_job(20e9))
    adapters = lora_adapter_params(assumed_shape(20_000_000_000), DEFAULTS.lora_rank)
    lora, qlora = _one(result, "lora"), _one(result, "qlora")
    assert lora.breakdown.weights == 40 * GB + 2 * adapters  # frozen bf16 base + bf16 adapter weights
    assert lora.breakdown.gradients == 2 * adapters
    assert lora.breakdown.optimizer == 12 * adapters
    assert qlora.breakdown.weights == math.ceil(20e9 * NF4_BYTES_PER_PARAM) + 2 * adapters
    assert qlora.verdict == "fits_one_gpu"
    assert _model_states(qlora) < _model_states(lora)


def test_notebook_20b_on_32_gb_gpu_and_32_gb_cpu_fits_across_both() -> None:
    """The notebook's memory_fit: 40 GB of weights, 32 GB GPU + 32 GB CPU → 'fits needs both CPU and GPU'."""
    result = _fits(_job(20e9, modes=("inference",), dtype=Precision.BF16, gpu_mem=32 * GB, cpu_mem=32 * GB), V100)
    inference = result.scenarios[0]
    assert inference.verdict == "needs_offload"
    assert 8 * GB < inference.cpu_offload_bytes <= 32 * GB
    assert inference.per_gpu_bytes <= result.usable_gpu_memory_bytes
    assert inference.breakdown.weights + inference.cpu_offload_bytes == 40 * GB
    assert "CPU memory" in inference.verdict_text


def test_notebook_20b_finetune_does_not_fit_that_machine() -> None:
    """320 GB of model states on one 32 GB GPU with 32 GB of host memory: 'does not fit'; napkin
    also says how many such GPUs ZeRO-3 would need (the notebook's 'additional GPUs' question)."""
    job = _job(20e9, modes=("train",), gpu_mem=32 * GB, cpu_mem=32 * GB, num_gpus=1)
    train = _fits(job, V100).scenarios[0]
    assert train.verdict == "does_not_fit"
    assert train.gpus_needed >= math.ceil(320 / 31)
    assert f"needs {train.gpus_needed}" in train.verdict_text
    unconstrained = _fits(job.model_copy(update={"num_gpus": None}), V100).scenarios[0]
    assert unconstrained.verdict == "fits_n_gpus"
    assert unconstrained.gpus_needed == train.gpus_needed


# --- published fits -------------------------------------------------------------------------------------


def test_qlora_65b_finetunes_on_one_48_gb_gpu() -> None:
    """QLoRA (arXiv 2305.14314): 'finetune a 65B parameter model on a single 48GB GPU'. LLaMA-65B's
    NF4 base ≈ 34.5 GB here (embeddings and LM head stay bf16), rank-16 adapters, ctx 512."""
    job = _job(LLAMA_1_65B, modes=("qlora",), ctx=512)
    qlora = _fits(job, RTX_A6000).scenarios[0]
    assert qlora.verdict == "fits_one_gpu"
    embeddings = 2 * 32000 * 8192
    base = math.ceil((65_285_660_672 - embeddings) * NF4_BYTES_PER_PARAM + embeddings * 2)
    adapters = lora_adapter_params(shape_of(LLAMA_1_65B), 16)
    assert qlora.breakdown.weights == base + 2 * adapters
    assert base == pytest.approx(34.5e9, rel=0.01)


def test_qlora_raw_65b_base_is_33_5_gb() -> None:
    """Without an architecture every parameter is NF4: 65e9 × 0.516 ≈ 33.5 GB (±0.1 GB)."""
    qlora = _fits(_job(65e9, modes=("qlora",)), RTX_A6000).scenarios[0]
    adapters = lora_adapter_params(assumed_shape(65_000_000_000), 16)
    assert qlora.breakdown.weights - 2 * adapters == pytest.approx(33.5e9, abs=0.1e9)


def test_kv_cache_with_gqa_from_the_architecture() -> None:
    """Needs ModelArch.kv_cache_bytes: Llama 3.1 8B, 2·32·8·128·s·b·2 bytes = 128 KiB per token."""
    inference = _one(_fits(_job(LLAMA_8B, modes=("inference",), dtype=Precision.BF16)), "inference")
    assert inference.breakdown.kv_cache == 2 * 32 * 8 * 128 * 4096 * 1 * 2 == 512 * MiB
    longer = _one(_fits(_job(LLAMA_8B, modes=("inference",), dtype=Precision.BF16, ctx=8192, batch=4)), "inference")
    assert longer.breakdown.kv_cache == 8 * inference.breakdown.kv_cache


def test_llama_70b_inference_tensor_parallel_and_int4_on_one_gpu() -> None:
    result = _fits(_job(LLAMA_70B, modes=("inference",)))
    bf16, int4 = _one(result, "inference", "bf16"), _one(result, "inference", "int4")
    assert bf16.total_bytes > 141 * GB
    assert bf16.gpus_needed == 2
    assert bf16.verdict == "fits_n_gpus"
    assert bf16.strategy == "tensor parallel over 2 GPUs"
    assert bf16.num_gpus == 1
    assert bf16.breakdown.weights == 2 * 70_553_706_496
    assert bf16.plan is not None
    assert bf16.plan.breakdown.weights == math.ceil(2 * 70_553_706_496 / 2)
    assert int4.verdict == "fits_one_gpu"


def test_llama_405b_bf16_needs_11_and_names_two_nodes_beside_it() -> None:
    """811.7 GB of weights over 84.6 GB usable (H100, 81,559 MiB less the 1 GB context) with 10%
    headroom: ⌈811.7 × 1.1 / 84.6⌉ = 11 GPUs (pipeline stages; 10 hold 89 GB each, too much). 16 (two
    nodes of TP 8) is named beside it as the rounder deployment."""
    bf16 = _one(_fits(_job(LLAMA_405B, modes=("inference",), dtype=Precision.BF16)), "inference")
    assert bf16.gpus_needed == 11
    assert bf16.strategy == "pipeline parallel over 11 GPUs (layers split)"
    assert "(16: 2 whole nodes of 8)" in bf16.verdict_text
    ten = _one(_fits(_job(LLAMA_405B, modes=("inference",), dtype=Precision.BF16, num_gpus=10)), "inference")
    assert ten.verdict == "does_not_fit"


def test_tensor_parallel_degree_divides_the_heads() -> None:
    """20 heads: tensor parallel 1, 2 or 4 (not 8); beyond 4 GPUs, pipeline stages of 4."""
    narrow = _llama("narrow", (40, 5120, 13824, 20, 20), 32000, 13_000_000_000)
    bf16 = _one(_fits(_job(narrow, modes=("inference",), dtype=Precision.BF16, gpu_mem=8 * GB)), "inference")
    assert bf16.gpus_needed > 4
    assert "tensor parallel 8" not in bf16.strategy
    assert "parallel" in bf16.strategy


def test_default_formats_follow_the_gpu() -> None:
    a100 = [s.dtype for s in _fits(_job(7e9, modes=("inference",)), A100).scenarios]
    v100 = [s.dtype for s in _fits(_job(7e9, modes=("inference",)), V100).scenarios]
    assert a100 == ["bf16", "int8", "int4"]  # no fp8 on Ampere
    assert v100 == ["fp16", "int8", "int4"]  # no bf16 on Volta


def test_dtype_sets_only_inference() -> None:
    result = _fits(_job(7e9, dtype=Precision.INT4))
    assert [(s.mode, s.dtype) for s in result.scenarios] == [
        ("inference", "int4"),
        ("train", "bf16"),
        ("lora", "bf16"),
        ("qlora", "nf4"),
    ]
    assert any("dtype=int4 sets the inference weights" in line for line in result.assumptions)


def test_every_answer_names_bytes_per_param_overhead_and_context() -> None:
    result = _fits(_job(20e9))
    overall = "\n".join(result.assumptions)
    assert "CUDA context" in overall
    assert "allocator headroom" in overall
    assert "4096 tokens" in overall
    for s in result.scenarios:
        text = "\n".join(s.assumptions)
        assert re.search(r"\d bytes?\b", text)  # "2 bytes", "1 byte (fp8)"
        if s.mode != "inference":
            assert "Korthikanti" in text


# --- splits, offload, recomputation ---------------------------------------------------------------------


def test_least_sharding_at_the_first_comfortable_count_then_memory_never_rises() -> None:
    """7B on H100s (16 bytes/param of model states, Ψ = 7e9): 2 GPUs run tensor parallel 2 (8Ψ = 56 GB of
    states each); 3 GPUs, ZeRO-3 (16Ψ/3 = 37 GB). From there memory per GPU may not rise, and ZeRO-1 over n
    (4Ψ + 12Ψ/n: 38.5 GB at 8) never gets under ZeRO-3's 16Ψ/n: 8 GPUs run ZeRO-3 over 8 (14 GB)."""
    two = _fits(_job(7e9, modes=("train",), num_gpus=2)).scenarios[0]
    assert two.strategy == "tensor parallel over 2 GPUs"
    three = _fits(_job(7e9, modes=("train",), num_gpus=3)).scenarios[0]
    assert three.strategy == "ZeRO-3 over 3 GPUs"
    assert three.per_gpu_bytes < two.per_gpu_bytes
    train = _fits(_job(7e9, modes=("train",), num_gpus=8)).scenarios[0]
    assert train.verdict == "fits_n_gpus"
    assert train.strategy == "ZeRO-3 over 8 GPUs"
    states = train.breakdown.weights + train.breakdown.gradients + train.breakdown.optimizer
    assert states == pytest.approx(16 * 7e9 / 8, rel=1e-6)
    assert train.gpus_needed < 8
    assert f"{train.gpus_needed} would do" in train.verdict_text
    # a model whose one-GPU plan is comfortable keeps the least sharding: plain data parallelism
    small = _fits(_job(1e9, modes=("train",), num_gpus=8)).scenarios[0]
    assert small.strategy == "data parallel (no ZeRO) over 8 GPUs"


def test_zero_0_on_8_gpus_falls_back_to_tensor_parallel() -> None:
    train = _fits(_job(20e9, modes=("train",), num_gpus=8, zero=0)).scenarios[0]
    assert train.verdict == "fits_n_gpus"
    assert train.strategy.startswith("tensor parallel over 8 GPUs")


def test_optimizer_offload_when_gpus_and_host_memory_are_given() -> None:
    """Llama 3.1 70B on 8 H100s: 141 GB of model states per GPU without offload; with ZeRO-Offload the
    GPUs keep the bf16 weights and the host 16 bytes/param (1.13 TB, 1.69 TB with DeepSpeed's 1.5×)."""
    job = _job(LLAMA_70B, modes=("train",), num_gpus=8, cpu_mem=2000 * GB)
    train = _fits(job).scenarios[0]
    assert train.verdict == "needs_offload"
    assert train.cpu_offload_bytes == 16 * 70_553_706_496
    assert train.breakdown.optimizer == 0
    assert "optimizer state in CPU memory" in train.strategy
    assert train.gpus_needed > 8
    assert f"{train.gpus_needed}× H100-SXM hold it without offload" in train.verdict_text


def test_offload_short_of_host_memory_does_not_fit() -> None:
    job = _job(LLAMA_405B, modes=("train",), num_gpus=1, cpu_mem=256 * GB)
    train = _fits(job, RTX_4090).scenarios[0]
    assert train.verdict == "does_not_fit"
    assert train.gpus_needed > 1


def test_requested_offload_without_host_memory_is_flagged() -> None:
    job = _job(7e9, modes=("train",), num_gpus=1, offload="optimizer")
    train = _fits(job, RTX_4090).scenarios[0]
    assert train.verdict == "needs_offload"
    assert train.gpus_needed == 1  # counted with the offload asked for
    assert "without offload" not in train.verdict_text
    assert any("host memory not checked" in line for line in train.assumptions)


def test_zero_stage_below_3_that_cannot_fit_says_why() -> None:
    """ZeRO-2 keeps the bf16 weights whole: 405B × 2 bytes / tensor parallel 8 = 101 GB per H100."""
    train = _fits(_job(LLAMA_405B, modes=("train",), num_gpus=64, zero=2)).scenarios[0]
    assert train.verdict == "does_not_fit"
    assert train.gpus_needed == 0
    assert "ZeRO-2, which rules out pipeline stages (try zero=1" in train.verdict_text


def test_full_recomputation_is_chosen_only_when_needed() -> None:
    small = _fits(_job(1e9, modes=("train",))).scenarios[0]
    assert small.verdict == "fits_one_gpu"
    assert "activation checkpointing" not in small.strategy
    big = _fits(_job(20e9, modes=("train",))).scenarios[0]
    assert "activation checkpointing" in big.strategy
    assert any("chosen because without it" in line for line in big.assumptions)
    pinned = _fits(_job(20e9, modes=("train",), recompute="none")).scenarios[0]
    assert pinned.breakdown.activations > big.breakdown.activations
    assert pinned.gpus_needed > big.gpus_needed


def test_long_context_on_small_gpus_does_not_fit_at_any_count() -> None:
    train = _fits(_job(7e9, modes=("train",), ctx=1_048_576, batch=8), RTX_4090).scenarios[0]
    assert train.verdict == "does_not_fit"
    assert train.gpus_needed == 0
    assert "any number" in train.verdict_text


def test_gpu_mem_overrides_the_catalog() -> None:
    result = _fits(_job(7e9, gpu_mem=24 * GB))
    assert result.gpu_memory_bytes == 24 * GB
    assert result.usable_gpu_memory_bytes == 24 * GB - DEFAULTS.cuda_context_bytes


def test_moe_memory_holds_every_expert() -> None:
    result = _fits(FitJob(params=46_702_792_704, active_params=12_879_925_248, modes=("inference",)))
    bf16 = _one(result, "inference", "bf16")
    assert bf16.breakdown.weights * bf16.num_gpus == 2 * 46_702_792_704  # 93.4 GB: tensor parallel over 2
    assert any("Mixture of experts" in line for line in result.assumptions)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"zero": 4}, "ZeRO stage"),
        ({"offload": "full", "zero": 2}, "zero=3"),
        ({"offload": "optimizer", "zero": 0}, "ZeRO stage"),
        ({"num_gpus": 0}, "gpus"),
        ({"ctx": 0}, "ctx"),
        ({"rank": 0}, "rank"),
        ({"active_params": 10**12}, "active"),
        ({"modes": ()}, "mode"),
    ],
)
def test_impossible_requests_are_refused(update: dict[str, object], message: str) -> None:
    with pytest.raises(EstimateError, match=message):
        _fits(_job(7e9).model_copy(update=update))


def test_zero_3_on_one_gpu_is_fine() -> None:
    train = _fits(_job(1e9, modes=("train",), zero=3, num_gpus=1)).scenarios[0]
    assert train.verdict == "fits_one_gpu"


# --- properties -------------------------------------------------------------------------------------------

_SIZES = st.integers(min_value=10**8, max_value=10**12)
_MEMORY = st.sampled_from([16 * GB, 24 * GB, 48 * GB, 80 * GB, 141 * GB])


@settings(max_examples=40, deadline=None)
@given(params=_SIZES, memory=_MEMORY)
def test_training_gpu_count_is_minimal(params: int, memory: int) -> None:
    job = _job(params, modes=("train",), gpu_mem=memory, recompute="full", zero=3)
    needed = _fits(job).scenarios[0].gpus_needed
    if needed == 0:
        return
    assert _fits(job.model_copy(update={"num_gpus": needed})).scenarios[0].verdict.startswith("fits")
    if needed > 1:
        assert _fits(job.model_copy(update={"num_gpus": needed - 1})).scenarios[0].verdict == "does_not_fit"


@settings(max_examples=40, deadline=None)
@given(params=_SIZES, memory=_MEMORY)
def test_inference_gpu_count_is_minimal(params: int, memory: int) -> None:
    """gpus=needed fits and one fewer does not: any count, not only whole tensor-parallel groups."""
    job = _job(params, modes=("inference",), dtype=Precision.BF16, gpu_mem=memory)
    needed = _fits(job).scenarios[0].gpus_needed
    assert needed >= 1
    assert _fits(job.model_copy(update={"num_gpus": needed})).scenarios[0].verdict.startswith("fits")
    if needed > 1:
        assert _fits(job.model_copy(update={"num_gpus": needed - 1})).scenarios[0].verdict == "does_not_fit"


@settings(max_examples=30, deadline=None)
@given(params=_SIZES, extra=st.integers(min_value=1, max_value=10**11))
def test_more_parameters_never_need_less_memory(params: int, extra: int) -> None:
    """On one architecture (Llama 3.1 8B's shape, so activations and KV cache stay put) and one recomputation
    setting every scenario's single-device total grows with the parameter count. (Left to choose, a larger model
    may switch to activation checkpointing and need less in total: a plan choice, not a memory formula.)"""
    small = _fits(FitJob(params=params, active_params=params, model=LLAMA_8B, recompute="full"))
    large = _fits(FitJob(params=params + extra, active_params=params + extra, model=LLAMA_8B, recompute="full"))
    for a, b in zip(small.scenarios, large.scenarios, strict=True):
        assert b.total_bytes >= a.total_bytes
        assert _model_states(b) >= _model_states(a) or b.num_gpus > a.num_gpus


@settings(max_examples=30, deadline=None)
@given(params=_SIZES, gpus=st.integers(min_value=1, max_value=64))
def test_split_never_loses_bytes(params: int, gpus: int) -> None:
    """Per-GPU bytes × GPUs ≥ what one device would hold, for every split that keeps all on GPUs."""
    result = _fits(_job(params, num_gpus=gpus))
    for s in result.scenarios:
        if s.cpu_offload_bytes == 0:
            assert s.per_gpu_bytes * s.num_gpus >= s.total_bytes
        assert s.per_gpu_bytes == s.breakdown.total
        if s.verdict == "fits_one_gpu":
            assert s.num_gpus == 1
            assert s.per_gpu_bytes <= result.usable_gpu_memory_bytes


def test_scenarios_report_the_gpu_count_asked_about_and_plan_the_rest() -> None:
    """JSON contract: num_gpus is 1 unless gpus= is given; breakdown is per GPU at that count."""
    for scenario in _fits(_job(LLAMA_405B)).scenarios:
        assert scenario.num_gpus == 1
        assert scenario.per_gpu_bytes == scenario.breakdown.total
        if scenario.plan is not None:
            assert scenario.plan.num_gpus == scenario.gpus_needed > 1
            assert scenario.plan.per_gpu_bytes == scenario.plan.breakdown.total
    for scenario in _fits(_job(LLAMA_405B, num_gpus=16)).scenarios:
        assert scenario.num_gpus == 16
        assert scenario.plan is None or scenario.verdict == "does_not_fit"


def test_gpt_oss_is_served_as_published() -> None:
    """OpenAI's gpt-oss model card (arXiv 2508.10925): the MXFP4 checkpoints let gpt-oss-120b run on a single 80 GB
    GPU and gpt-oss-20b within 16 GB. fits leads with the stored precision, so its first answer says so."""
    from config.catalogs import cached_catalog

    catalog = cached_catalog(None)
    rtx4090 = catalog.gpu("4090")
    assert rtx4090 is not None
    for key, gpu, limit in (("gpt-oss-120b", H100, 80 * 2**30), ("gpt-oss-20b", rtx4090, 16e9)):
        arch = catalog.models[key]
        job = FitJob(params=arch.param_count(), active_params=arch.active_param_count(), model=arch)
        result = _fits(job, gpu)
        first = result.scenarios[0]
        assert (first.mode, first.dtype, first.verdict) == ("inference", "fp4", "fits_one_gpu"), key
        assert first.per_gpu_bytes <= limit, key
        # int4 is the same size as fp4: its row is not repeated
        assert [s.dtype for s in result.scenarios if s.mode == "inference"].count("int4") == 0
