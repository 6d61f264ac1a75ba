"""Memory components pinned to their papers: bytes per parameter, ZeRO's Figure 1, DeepSpeed's
offload figures and PEFT's LoRA counts. Byte counts are exact unless a tolerance is stated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.architecture import ModelArch, MoE
from estimator.errors import EstimateError
from estimator.memory import (
    DEEPSPEED_HOST_BUFFER,
    FP32_ADAMW,
    OPTIMIZERS,
    allocator_headroom_bytes,
    bytes_per_param,
    host_memory_needed,
    lora_adapter_params,
    offload_cpu_bytes,
    weight_bytes,
    zero_model_states,
)
from estimator.precision import Precision
from estimator.shapes import shape_of

ADAMW = OPTIMIZERS["adamw"]

LLAMA_3_1_8B = ModelArch(
    key="llama-3.1-8b", name="Llama 3.1 8B", layers=32, hidden=4096, heads=32, kv_heads=8, head_dim=128,
    ffn=14336, vocab=128256, max_context=131072, official_params=8_030_261_248,
    source="meta-llama/Llama-3.1-8B config.json",
)  # fmt: skip
MIXTRAL = ModelArch(
    key="mixtral-8x7b", name="Mixtral 8x7B", layers=32, hidden=4096, heads=32, kv_heads=8, head_dim=128,
    ffn=14336, vocab=32000, max_context=32768, moe=MoE(experts=8, experts_per_token=2, expert_ffn=14336),
    official_params=46_702_792_704, official_active_params=12_879_925_248,
    source="mistralai/Mixtral-8x7B-v0.1 config.json",
)  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (Precision.FP32, 4.0),
        (Precision.BF16, 2.0),
        (Precision.FP16, 2.0),
        (Precision.FP8, 1.0),
        (Precision.INT8, 1.0),
        (Precision.INT4, 0.5),
        (Precision.FP4, 0.5),
        ("nf4", 4.127 / 8),  # QLoRA §2: 4 bits + 0.127 bits of double-quantized scales
    ],
)
def test_bytes_per_param(fmt: Precision, expected: float) -> None:
    assert bytes_per_param(fmt) == expected


def test_seed_20b_weights_are_40_gb_in_bf16_decimal() -> None:
    """The teaching notebook: 20e9 params × 2 bytes = 40.00 GB."""
    assert weight_bytes(20_000_000_000, Precision.BF16) == 40_000_000_000
    assert weight_bytes(20_000_000_000, Precision.INT4) == 10_000_000_000


def test_qlora_65b_base_is_33_5_gb() -> None:
    """QLoRA (arXiv 2305.14314): a 65B model's NF4 weights ≈ 65e9 × 0.516 ≈ 33.5 GB (±0.1 GB)."""
    assert weight_bytes(65_000_000_000, "nf4") == pytest.approx(33.5e9, abs=0.1e9)


def test_quantized_weights_keep_embeddings_16_bit() -> None:
    embeddings = 2 * 128256 * 4096  # Llama 3.1 8B: input table + untied LM head
    expected = (8_030_261_248 - embeddings) * 0.5 + embeddings * 2
    assert weight_bytes(8_030_261_248, Precision.INT4, embeddings) == expected
    # 16-bit and wider formats are unaffected
    assert weight_bytes(8_030_261_248, Precision.BF16, embeddings) == 2 * 8_030_261_248


@pytest.mark.parametrize(
    ("name", "per_param"), [("adamw", 16), ("adamw-8bit", 10), ("sgd", 12), ("adafactor", 8)]
)  # fmt: skip
def test_optimizer_bytes_per_param(name: str, per_param: float) -> None:
    spec = OPTIMIZERS[name]  # type: ignore[index]
    assert spec.bytes_per_param == per_param
    assert spec.weight_bytes == 2
    assert spec.grad_bytes == 2  # the teaching notebook's 1 byte/param of gradients is the error it made


def test_mixed_adamw_is_2_2_12_and_fp32_adamw_4_4_8() -> None:
    """ZeRO §3.1: mixed-precision Adam keeps 2Ψ + 2Ψ + KΨ with K = 12; pure fp32 Adam 4 + 4 + 8."""
    assert (ADAMW.weight_bytes, ADAMW.grad_bytes, ADAMW.state_bytes) == (2, 2, 12)
    assert (FP32_ADAMW.weight_bytes, FP32_ADAMW.grad_bytes, FP32_ADAMW.state_bytes) == (4, 4, 8)
    assert FP32_ADAMW.bytes_per_param == ADAMW.bytes_per_param == 16


def test_seed_20b_full_finetune_model_states_are_320_gb() -> None:
    assert zero_model_states(20_000_000_000, ADAMW, 0, 1).total == 320_000_000_000


@pytest.mark.parametrize(("stage", "gb"), [(0, 120.0), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_paper_figure_1(stage: int, gb: float) -> None:
    """ZeRO (arXiv 1910.02054) Figure 1: Ψ = 7.5B, N_d = 64, K = 12, printed to 0.1 GB."""
    states = zero_model_states(7_500_000_000, ADAMW, stage, 64)
    assert round(states.total / 1e9, 1) == gb


def test_zero_stage_formulas_exactly() -> None:
    psi, n = 7_500_000_000, 64
    assert zero_model_states(psi, ADAMW, 1, n).total == 4 * psi + 12 * psi // n
    assert zero_model_states(psi, ADAMW, 2, n).total == 2 * psi + 14 * psi // n
    assert zero_model_states(psi, ADAMW, 3, n).total == 16 * psi // n


def test_zero_stage_4_is_refused() -> None:
    with pytest.raises(EstimateError, match="ZeRO stage"):
        zero_model_states(1_000_000, ADAMW, 4, 8)


@given(
    params=st.integers(min_value=1, max_value=10**13),
    gpus=st.integers(min_value=1, max_value=100_000),
    name=st.sampled_from(sorted(OPTIMIZERS)),
)
def test_zero_stages_shrink_and_never_lose_bytes(params: int, gpus: int, name: str) -> None:
    spec = OPTIMIZERS[name]  # type: ignore[index]
    totals = [zero_model_states(params, spec, stage, gpus).total for stage in range(4)]
    assert totals == sorted(totals, reverse=True)
    # shards over N_d GPUs add up to at least the unsharded states (ceil, never lost)
    assert totals[3] * gpus >= totals[0]
    # on one GPU there is nothing to shard
    assert zero_model_states(params, spec, 3, 1) == zero_model_states(params, spec, 0, 1)


def test_offload_host_bytes_match_deepspeed() -> None:
    """DeepSpeed's estimators: optimizer offload 16 bytes/param on the host, parameter offload 18,
    both asked for with a 1.5× buffer (estimate_zero3_model_states_mem_needs)."""
    psi = 1_000_000_000
    assert offload_cpu_bytes(psi, ADAMW, "none") == 0
    assert offload_cpu_bytes(psi, ADAMW, "optimizer") == 16 * psi
    assert offload_cpu_bytes(psi, ADAMW, "full") == 18 * psi
    assert DEEPSPEED_HOST_BUFFER == 1.5
    assert host_memory_needed(18 * psi) == 27 * psi


def test_lora_llama_3_1_8b_rank_16_matches_peft() -> None:
    """PEFT prints 'trainable params: 41,943,040 || all params: 8,072,204,288' for Llama 3 8B,
    r=16 on q,k,v,o,gate,up,down: 8,072,204,288 − 41,943,040 = the official 8,030,261,248."""
    adapters = lora_adapter_params(shape_of(LLAMA_3_1_8B), 16)
    assert adapters == 41_943_040
    assert adapters + LLAMA_3_1_8B.official_params == 8_072_204_288


def test_lora_is_rank_times_in_plus_out_per_matrix() -> None:
    # per layer: q (4096+4096), k and v (4096+1024 each), o (4096+4096), gate/up/down 3×(4096+14336)
    per_layer = 8192 + 2 * 5120 + 8192 + 3 * 18432
    assert lora_adapter_params(shape_of(LLAMA_3_1_8B), 1) == 32 * per_layer
    assert lora_adapter_params(shape_of(LLAMA_3_1_8B), 64) == 64 * 32 * per_layer


def test_lora_on_moe_adapts_every_expert() -> None:
    dense = lora_adapter_params(shape_of(MIXTRAL.model_copy(update={"moe": None})), 16)
    moe = lora_adapter_params(shape_of(MIXTRAL), 16)
    expert = 3 * 16 * (4096 + 14336)
    assert moe - dense == 32 * 7 * expert  # 8 experts instead of one dense MLP per layer


def test_lora_rank_must_be_positive() -> None:
    with pytest.raises(EstimateError, match="rank"):
        lora_adapter_params(shape_of(LLAMA_3_1_8B), 0)


def test_allocator_headroom_is_a_fraction_of_the_rest() -> None:
    assert allocator_headroom_bytes(40_000_000_000, 0.10) == 4_000_000_000
    assert allocator_headroom_bytes(123, 0.0) == 0
