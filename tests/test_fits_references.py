"""fits against published figures: a serving engine's start-up memory profile (vLLM), Megatron's
1T-parameter layout, Korthikanti's full-recomputation activations; and properties every answer
keeps over the catalog's presets × GPUs × modes (minimal GPU counts, no self-contradiction).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.catalogs import cached_catalog
from estimator.activations import (
    DEFAULT_PREFILL_CHUNK,
    full_recompute_checkpoint_bytes,
    inference_activation_bytes,
    layer_activation_bytes,
    logits_bytes,
    training_activation_bytes,
)
from estimator.architecture import ModelArch
from estimator.defaults import Defaults
from estimator.fit import FitJob, _setup, _workloads, estimate_fits
from estimator.placement import Layout, Placer
from estimator.precision import Precision
from estimator.results import Mode, Scenario
from estimator.shapes import shape_of

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()
GiB = 2**30


def _arch(key: str, shape: tuple[int, int, int, int, int], vocab: int, params: int, mlp: str = "swiglu") -> ModelArch:
    """``shape`` is (layers, hidden, ffn, heads, kv_heads), as the models' config.json list them."""
    layers, hidden, ffn, heads, kv_heads = shape
    return ModelArch.model_validate(
        {
            "key": key, "name": key, "layers": layers, "hidden": hidden, "heads": heads, "kv_heads": kv_heads,
            "head_dim": hidden // heads, "ffn": ffn, "vocab": vocab, "mlp": mlp, "max_context": 131072,
            "official_params": params, "source": f"{key} config.json",
        }
    )  # fmt: skip


LLAMA_3_8B = _arch("llama-3-8b", (32, 4096, 14336, 32, 8), 128256, 8_030_261_248)
QWEN_25_32B = _arch("qwen2.5-32b", (64, 5120, 27648, 40, 8), 152064, 32_763_876_352)

# --- vLLM's start-up memory profile --------------------------------------------------------------------
# (model, tensor parallel, tokens in the profile run, vLLM's "model weights take", "PyTorch activation
# peak memory", source). The profile runs one forward pass of max_num_batched_tokens tokens (V0 without
# chunked prefill: max(max_model_len, 2048)) with a sampler over max_num_seqs = 256 sequences.
VLLM_PROFILES = [
    (LLAMA_3_8B, 1, 8192, 14.96, 1.26, "vllm-project/vllm PR #10511 (vllm serve Meta-Llama-3-8B, H100)"),
    (LLAMA_3_8B, 2, 8192, 7.48, 1.26, "vllm-project/vllm PR #10511 (same, -tp 2)"),
    (QWEN_25_32B, 2, 10000, 30.71, 1.26, "vllm-project/vllm issue #15815 (Qwen2.5-32B-Instruct, 2× L40S)"),
]
MAX_NUM_SEQS = 256  # vLLM's default


@pytest.mark.parametrize("profile", VLLM_PROFILES, ids=["llama-3-8b-tp1", "llama-3-8b-tp2", "qwen2.5-32b-tp2"])
def test_serving_memory_matches_vllm_profile(profile: tuple[ModelArch, int, int, float, float, str]) -> None:
    """Weights within 2%; weights + activation peak (what the KV cache gets after) within 10%."""
    arch, tp, tokens, weights_gib, activations_gib, source = profile
    shape = shape_of(arch)
    weights = arch.official_params * 2 / tp
    activations = inference_activation_bytes(shape, tokens, MAX_NUM_SEQS, tp, prefill_chunk=tokens)
    assert weights / GiB == pytest.approx(weights_gib, rel=0.02), source
    assert (weights + activations) / GiB == pytest.approx(weights_gib + activations_gib, rel=0.10), source
    if tp == 1:  # one GPU: the activation peak itself within 5%
        assert activations / GiB == pytest.approx(activations_gib, rel=0.05), source


def test_serving_working_set_is_one_chunk_and_last_token_logits() -> None:
    """ctx 8k × 32 sequences: one 8192-token chunk, 32 rows of fp32 logits — not 262k tokens' worth."""
    shape = shape_of(LLAMA_3_8B)
    expected = layer_activation_bytes(shape, DEFAULT_PREFILL_CHUNK, 1) + logits_bytes(1, 32, shape.vocab)
    assert inference_activation_bytes(shape, 8192, 32) == expected
    assert inference_activation_bytes(shape, 8192, 32, prefill_chunk=2048) < expected


def test_llama_8b_serves_8k_by_32_on_one_h100() -> None:
    """Issue #9: weights 16 GB + KV cache 34 GB (2·32·8·128·8192·32·2) fit one H100."""
    gpu = CATALOG.gpu("h100")
    assert gpu is not None
    n = LLAMA_3_8B.official_params
    job = FitJob(params=n, active_params=n, model=LLAMA_3_8B, modes=("inference",), ctx=8192, batch=32)
    bf16 = next(s for s in estimate_fits(job, gpu, DEFAULTS).scenarios if s.dtype == "bf16")
    assert bf16.breakdown.kv_cache == 2 * 32 * 8 * 128 * 8192 * 32 * 2
    assert bf16.verdict == "fits_one_gpu"


# --- Megatron's 1T-parameter run -----------------------------------------------------------------------
# Narayanan et al. 2021 (arXiv 2104.04473), Table 1: 1,008B parameters, 128 layers, hidden 25600,
# 160 heads, sequence 2048, trained on 3,072 A100 80GB as tensor 8 × pipeline 64 × data 6, no ZeRO,
# with activation recomputation.
MEGATRON_1T = _arch("megatron-1t", (128, 25600, 4 * 25600, 160, 160), 51200, 1_008_000_000_000, mlp="gelu")


def _a100_job(**kwargs: object) -> FitJob:
    n = MEGATRON_1T.official_params
    return FitJob.model_validate(
        {"params": n, "active_params": n, "model": MEGATRON_1T, "modes": ("train",), "ctx": 2048, **kwargs}
    )


def test_megatron_1t_layout_fits_3072_a100s() -> None:
    gpu = CATALOG.gpu("a100-80gb")
    assert gpu is not None
    request = _setup(_a100_job(zero=0), gpu, DEFAULTS)
    placer = Placer(request.budget, _workloads(request)[0])
    megatron = placer(Layout(tensor=8, pipeline=64, data=6, zero=0, recompute="full"))
    assert megatron.holds(request.budget)
    # 16 bytes/param over 8 × 64 model-parallel GPUs: ≈ 2 of 128 layers' states per GPU, 31.5 GB
    assert megatron.weights + megatron.gradients + megatron.optimizer == pytest.approx(16 * 1.008e12 / 512, rel=0.01)
    asked = estimate_fits(_a100_job(zero=0, num_gpus=3072), gpu, DEFAULTS).scenarios[0]
    assert asked.verdict == "fits_n_gpus"
    fewest = estimate_fits(_a100_job(zero=0), gpu, DEFAULTS).scenarios[0]
    assert 0 < fewest.gpus_needed <= 3072
    assert "pipeline stages" in fewest.strategy


def test_bare_1t_zero_0_finds_a_layout() -> None:
    gpu = CATALOG.gpu("a100-80gb")
    assert gpu is not None
    scenario = estimate_fits(FitJob(params=10**12, active_params=10**12, modes=("train",), zero=0), gpu, DEFAULTS)
    assert scenario.scenarios[0].gpus_needed > 0


# --- Korthikanti et al. 2022 (arXiv 2205.05198) §4.3: full recomputation keeps 2·s·b·h·L --------------


def test_full_recomputation_is_korthikantis_figure_plus_the_working_set_and_logits() -> None:
    """GPT-3 175B, s 2048, b 1: 2·2048·12288·96 = 4.83 GB exactly for the layer inputs. napkin adds
    what the paper's formula leaves out: the layer being recomputed holds its full working set (its
    own input among it), and the loss reads fp32 logits; 6.05 GB in all."""
    gpt3 = shape_of(_arch("gpt-3", (96, 12288, 4 * 12288, 96, 96), 50257, 175_000_000_000, mlp="gelu"))
    s, b, h, layers = 2048, 1, 12288, 96
    assert full_recompute_checkpoint_bytes(gpt3, s, b) == 2 * s * b * h * layers == 4_831_838_208
    total = training_activation_bytes(gpt3, s, b, "full")
    working = layer_activation_bytes(gpt3, s, b)
    assert total == 2 * s * b * h * (layers - 1) + working + logits_bytes(s, b, 50257)
    assert total / 1e9 == pytest.approx(6.05, abs=0.01)


# --- Korthikanti et al. 2022 Table 2: without FlashAttention (attention=eager) --------------------------

GPT3_ARCH = _arch("gpt-3", (96, 12288, 4 * 12288, 96, 96), 50257, 175_000_000_000, mlp="gelu")


def _gpt3_budget(**kwargs: object):  # type: ignore[no-untyped-def]
    gpu = CATALOG.gpu("a100-80gb")
    assert gpu is not None
    n = GPT3_ARCH.official_params
    job = FitJob.model_validate(
        {"params": n, "active_params": n, "model": GPT3_ARCH, "modes": ("train",), "ctx": 2048, **kwargs}
    )
    return _setup(job, gpu, DEFAULTS).budget


@pytest.mark.parametrize("t", [1, 8])
def test_eager_attention_is_table_2_with_and_without_selective_recomputation(t: int) -> None:
    """GPT-3 175B, s = 2048, b = 1, a = 96, h = 12288 (5·a·s/h = 80), L = 96. Table 2 per layer:
    no recomputation s·b·h·(34 + 80) (t = 1), tensor + sequence parallel s·b·h·(34/t + 80/t); with
    selective recomputation s·b·h·34/t. Exact to the byte, plus napkin's fp32 logits s·b·V·4/t."""
    s, h, layers = 2048, 12288, 96
    logits = math.ceil(s * 50257 * 4 / t)
    eager, flash = _gpt3_budget(attention="eager"), _gpt3_budget()
    assert eager.activations("train", t, "none") == layers * s * h * (34 + 80) // t + logits
    assert eager.activations("train", t, "selective") == layers * s * h * 34 // t + logits
    # FlashAttention stores no scores: none and selective are the selective row
    assert flash.activations("train", t, "none") == flash.activations("train", t, "selective")
    assert flash.activations("train", t, "none") == eager.activations("train", t, "selective")


def test_fits_answers_the_no_flashattention_figure_when_asked() -> None:
    """`fits gpt-3 ... attention=eager recompute=none` costs more memory per GPU than with
    FlashAttention, and says why; recompute=selective brings it back to the FlashAttention figure."""
    gpu = CATALOG.gpu("a100-80gb")
    assert gpu is not None

    def answer(**kwargs: object) -> Scenario:
        n = GPT3_ARCH.official_params
        job = FitJob.model_validate(
            {"params": n, "active_params": n, "model": GPT3_ARCH, "modes": ("train",), "ctx": 2048, "num_gpus": 1024,
             **kwargs}
        )  # fmt: skip
        return estimate_fits(job, gpu, DEFAULTS).scenarios[0]

    eager = answer(attention="eager", recompute="none")
    flash = answer(recompute="none")
    selective = answer(attention="eager", recompute="selective")
    assert eager.breakdown.activations > flash.breakdown.activations
    assert selective.breakdown.activations == flash.breakdown.activations
    assert "eager attention stores the softmax scores, 5·a·s/h" in " ".join(eager.assumptions)
    assert "(attention=eager for the figure without it)" in " ".join(flash.assumptions)


# --- properties over presets × GPUs × modes -------------------------------------------------------------

_PRESETS = st.sampled_from(sorted(CATALOG.models))
_GPUS = st.sampled_from(sorted(k for k, g in CATALOG.accelerators.items() if g.memory_bytes >= 16 * 10**9))
_MODES: st.SearchStrategy[Mode] = st.sampled_from(["inference", "train", "lora", "qlora"])


def _scenario(model: str, gpu_key: str, mode: Mode, **kwargs: object):  # type: ignore[no-untyped-def]
    arch, gpu = CATALOG.model(model), CATALOG.gpu(gpu_key)
    assert arch is not None
    assert gpu is not None
    n, active = arch.official_params, arch.official_active_params or arch.official_params
    job = FitJob.model_validate(
        {"params": n, "active_params": active, "model": arch, "modes": (mode,), "dtype": Precision.BF16, **kwargs}
    )
    result = estimate_fits(job, gpu, DEFAULTS)
    return result, result.scenarios[0]


@settings(max_examples=30, deadline=None)
@given(model=_PRESETS, gpu=_GPUS, mode=_MODES)
def test_needed_is_minimal_and_fits(model: str, gpu: str, mode: Mode) -> None:
    _, scenario = _scenario(model, gpu, mode)
    needed = scenario.gpus_needed
    if needed == 0:
        return
    _, at = _scenario(model, gpu, mode, num_gpus=needed)
    assert at.verdict in ("fits_one_gpu", "fits_n_gpus")
    if needed > 1:
        _, fewer = _scenario(model, gpu, mode, num_gpus=needed - 1)
        assert fewer.verdict == "does_not_fit"


@settings(max_examples=30, deadline=None)
@given(model=_PRESETS, gpu=_GPUS, mode=_MODES, gpus=st.integers(1, 64))
def test_no_verdict_contradicts_its_numbers(model: str, gpu: str, mode: Mode, gpus: int) -> None:
    result, s = _scenario(model, gpu, mode, num_gpus=gpus)
    usable = result.usable_gpu_memory_bytes
    if s.verdict in ("fits_one_gpu", "fits_n_gpus"):
        assert s.per_gpu_bytes <= usable
        assert s.usable_fraction == pytest.approx(s.per_gpu_bytes / usable, abs=1e-4)
        assert s.tight == (s.per_gpu_bytes > 0.9 * usable)
        # "N would do" names the same count as "Needs N"
        assert 0 < s.gpus_needed <= gpus
        if s.gpus_needed < gpus and s.verdict == "fits_n_gpus" and gpus > 1:
            assert f"; {s.gpus_needed} would do" in s.verdict_text
    if s.verdict == "does_not_fit":
        assert s.gpus_needed == 0 or s.gpus_needed > gpus
        assert s.per_gpu_bytes > usable or "host RAM" in s.verdict_text
    assert "1 GPUs" not in s.verdict_text


@settings(max_examples=60, deadline=None)
@given(model=_PRESETS, gpu=_GPUS, mode=_MODES, gpus=st.integers(1, 40))
def test_memory_per_gpu_never_rises_with_more_gpus(model: str, gpu: str, mode: Mode, gpus: int) -> None:
    """Inference, training, LoRA and QLoRA: the answer for one GPU more never takes more memory per GPU."""
    _, fewer = _scenario(model, gpu, mode, num_gpus=gpus)
    _, more = _scenario(model, gpu, mode, num_gpus=gpus + 1)
    assert more.per_gpu_bytes <= fewer.per_gpu_bytes


@pytest.mark.parametrize("mode", ["train", "lora", "qlora"])
def test_training_memory_per_gpu_never_rises_from_1_to_64_gpus(mode: Mode) -> None:
    """Every count in a row, for the models the issue names: Llama 3.1 70B and 8B on A100 80GB."""
    for model in ("llama-3.1-70b", "llama-3.1-8b"):
        shown = [_scenario(model, "a100-80gb", mode, num_gpus=n)[1] for n in range(1, 65)]
        per_gpu = [s.per_gpu_bytes for s in shown]
        assert per_gpu == sorted(per_gpu, reverse=True), (model, mode)
        needed = shown[0].gpus_needed
        for n, s in enumerate(shown, start=1):
            assert s.verdict.startswith("fits") == (n >= needed)
            if n > needed:
                assert f"; {needed} would do" in s.verdict_text


def test_70b_lora_on_4_and_8_a100s() -> None:
    """Issue #9's case: 70B LoRA planned 61.2 GB per GPU on 4 A100s and 63.9 GB on 8. The 8-GPU answer
    now takes no more than the 4-GPU one, and both name the same fewest count as the bare question."""
    bare = _bare_70b_lora()
    four, eight = _bare_70b_lora(num_gpus=4), _bare_70b_lora(num_gpus=8)
    assert eight.per_gpu_bytes <= four.per_gpu_bytes
    assert bare.verdict == "fits_n_gpus"
    for answer in (four, eight):
        assert f"; {bare.gpus_needed} would do" in answer.verdict_text


def _bare_70b_lora(**kwargs: object):  # type: ignore[no-untyped-def]
    gpu = CATALOG.gpu("a100-80gb")
    assert gpu is not None
    job = FitJob.model_validate({"params": 70 * 10**9, "active_params": 70 * 10**9, "modes": ("lora",), **kwargs})
    return estimate_fits(job, gpu, DEFAULTS).scenarios[0]


@settings(max_examples=25, deadline=None)
@given(model=_PRESETS, gpu=_GPUS, mode=_MODES, gpus=st.integers(1, 40))
def test_a_fit_never_becomes_a_misfit_with_more_gpus(model: str, gpu: str, mode: Mode, gpus: int) -> None:
    _, fewer = _scenario(model, gpu, mode, num_gpus=gpus)
    _, more = _scenario(model, gpu, mode, num_gpus=gpus + 1)
    if fewer.verdict.startswith("fits"):
        assert more.verdict.startswith("fits")


def test_memory_is_decimal_as_shown() -> None:
    assert math.isclose(GiB / 1e9, 1.073741824)
