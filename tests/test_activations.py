"""Activation memory pinned to Korthikanti et al. 2022 (arXiv 2205.05198), Table 2 and §6.

Table 2 (16-bit activations, GPT layer: multi-head attention, GeLU MLP with f = 4h), per layer:
no parallelism s·b·h·(34 + 5·a·s/h); tensor parallel s·b·h·(10 + 24/t + 5·a·s/(h·t)); tensor +
sequence parallel s·b·h·(34/t + 5·a·s/(h·t)); selective recomputation + sequence parallel
34·s·b·h/t; full recomputation 2·s·b·h. The paper's model configurations (Table 3) are used below.
Integer byte counts are exact (the formulas give whole numbers for these shapes).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.activations import (
    inference_activation_bytes,
    layer_activation_bytes,
    logits_bytes,
    training_activation_bytes,
)
from estimator.architecture import ModelArch, MoE
from estimator.shapes import Shape, assumed_shape, gpt_shape, shape_of

# Korthikanti et al. Table 3: (name, heads, hidden, layers), tensor parallel 8, sequence 2048
PAPER_MODELS = [("22B", 64, 6144, 48), ("175B", 96, 12288, 96), ("530B", 128, 20480, 105), ("1T", 160, 25600, 128)]
SEQ = 2048
GPT3 = gpt_shape(layers=96, hidden=12288, heads=96, vocab=51200)


def _layer(shape: Shape, **kwargs: object) -> int:
    return layer_activation_bytes(shape, SEQ, 1, **kwargs)  # type: ignore[arg-type]


def test_no_recomputation_is_34sbh_plus_5as2b() -> None:
    s, b, h, a = SEQ, 1, 12288, 96
    assert layer_activation_bytes(GPT3, s, b, flash=False) == s * b * h * 34 + 5 * a * s * s * b


@pytest.mark.parametrize("t", [1, 2, 4, 8])
def test_tensor_parallel_row(t: int) -> None:
    s, h, a = SEQ, 12288, 96
    expected = s * h * (10 + 24 / t + 5 * a * s / (h * t))
    assert _layer(GPT3, tensor_parallel=t, flash=False) == expected


@pytest.mark.parametrize("t", [2, 4, 8])
def test_tensor_and_sequence_parallel_row(t: int) -> None:
    s, h, a = SEQ, 12288, 96
    expected = s * h * (34 / t + 5 * a * s / (h * t))
    assert _layer(GPT3, tensor_parallel=t, sequence_parallel=True, flash=False) == expected


def test_selective_recomputation_is_34sbh_over_t() -> None:
    """Selective recomputation recomputes the attention core, storing nothing of size s²;
    FlashAttention stores the same (napkin's default)."""
    t = 8
    selective = _layer(GPT3, tensor_parallel=t, sequence_parallel=True, flash=True)
    assert selective == 34 * SEQ * 12288 // t


@pytest.mark.parametrize(("name", "heads", "hidden", "layers"), PAPER_MODELS)
def test_sequence_parallel_and_selective_recompute_cut_activations_about_5x(
    name: str, heads: int, hidden: int, layers: int
) -> None:
    """Abstract and §6: the two techniques 'reduce activation memory by 5×' against tensor
    parallelism alone. The Table 2 rows give 4.9× (530B, 1T) to 6.2× (22B); 5.4× for 175B."""
    shape = gpt_shape(layers=layers, hidden=hidden, heads=heads, vocab=51200)
    baseline = _layer(shape, tensor_parallel=8, flash=False)
    improved = _layer(shape, tensor_parallel=8, sequence_parallel=True, flash=True)
    assert 4.9 <= baseline / improved <= 6.3, name


def test_gpt3_175b_layer_is_2_87_gb_without_recomputation() -> None:
    """s·b·h·(34 + 5·a·s/h) for GPT-3 175B at s=2048, b=1: 25.2M × 114 bytes = 2.87 GB per layer."""
    assert _layer(GPT3, flash=False) / 1e9 == pytest.approx(2.869, abs=0.001)


def test_full_recomputation_keeps_layer_inputs_plus_one_working_set() -> None:
    s, h = SEQ, 12288
    per_layer = _layer(GPT3, flash=True)
    logits = s * 51200 * 4
    # 95 stored layer inputs; the layer being recomputed holds its own input in its working set
    assert training_activation_bytes(GPT3, s, 1, "full") == 95 * 2 * s * h + per_layer + logits
    assert training_activation_bytes(GPT3, s, 1, "none") == 96 * per_layer + logits


def test_recomputation_orders_memory() -> None:
    none = training_activation_bytes(GPT3, SEQ, 1, "none", flash=False)
    selective = training_activation_bytes(GPT3, SEQ, 1, "selective", flash=False)
    full = training_activation_bytes(GPT3, SEQ, 1, "full", flash=False)
    assert full < selective < none
    # FlashAttention on: selective has nothing left to save
    assert training_activation_bytes(GPT3, SEQ, 1, "selective") == training_activation_bytes(GPT3, SEQ, 1, "none")


def test_logits_are_fp32_per_token_and_vocab_entry() -> None:
    assert logits_bytes(4096, 2, 128256) == 4096 * 2 * 128256 * 4
    assert logits_bytes(4096, 2, 128256, tensor_parallel=8) == 4096 * 2 * 128256 * 4 // 8


LLAMA_3_1_8B = ModelArch(
    key="llama-3.1-8b", name="Llama 3.1 8B", layers=32, hidden=4096, heads=32, kv_heads=8, head_dim=128,
    ffn=14336, vocab=128256, max_context=131072, official_params=8_030_261_248,
    source="meta-llama/Llama-3.1-8B config.json",
)  # fmt: skip


def test_swiglu_gqa_layer_follows_the_generalised_derivation() -> None:
    """Llama 3.1 8B: 10h replicated + 2·(q + k + v + o) + 6f (gate, up and their product), FlashAttention.
    Per token: 40960 + 2·(4096 + 1024 + 1024 + 4096) + 6·14336 = 147,456 bytes = 36·h."""
    shape = shape_of(LLAMA_3_1_8B)
    per_token = 10 * 4096 + 2 * (4096 + 1024 + 1024 + 4096) + 6 * 14336
    assert per_token == 36 * 4096
    assert layer_activation_bytes(shape, 4096, 1) == 4096 * per_token


def test_gqa_stores_less_than_multi_head_attention() -> None:
    gqa = shape_of(LLAMA_3_1_8B)
    mha = shape_of(LLAMA_3_1_8B.model_copy(update={"kv_heads": 32}))
    difference = layer_activation_bytes(mha, 4096, 1) - layer_activation_bytes(gqa, 4096, 1)
    assert difference == 4096 * 2 * 2 * (4096 - 1024)  # K and V, 2 bytes, 3072 fewer features each


def test_moe_layers_store_the_active_experts() -> None:
    mixtral = ModelArch(
        key="mixtral-8x7b", name="Mixtral 8x7B", layers=32, hidden=4096, heads=32, kv_heads=8, head_dim=128,
        ffn=14336, vocab=32000, max_context=32768, moe=MoE(experts=8, experts_per_token=2, expert_ffn=14336),
        official_params=46_702_792_704, official_active_params=12_879_925_248, source="config.json",
    )  # fmt: skip
    shape = shape_of(mixtral)
    one_expert = layer_activation_bytes(shape, 1024, 1)
    two_experts = layer_activation_bytes(shape, 1024, 1, ffn=2 * 14336)
    assert two_experts - one_expert == 1024 * 6 * 14336
    assert training_activation_bytes(shape, 1024, 1, "none") == 32 * two_experts + logits_bytes(1024, 1, 32000)


def test_inference_working_set_is_one_layer_and_last_token_logits() -> None:
    shape = shape_of(LLAMA_3_1_8B)
    assert inference_activation_bytes(shape, 4096, 1) == layer_activation_bytes(shape, 4096, 1) + 128256 * 4


def test_assumed_shape_for_20b_and_405b() -> None:
    """12·L·h² ≈ N at h ≈ 128·L: 405B lands on Llama 3 405B's own L=126, h=16384."""
    twenty = assumed_shape(20_000_000_000)
    assert (twenty.layers, twenty.hidden, twenty.heads, twenty.kv_heads) == (44, 6144, 48, 8)
    assert 12 * twenty.layers * twenty.hidden**2 == pytest.approx(20e9, rel=0.01)
    big = assumed_shape(405_000_000_000)
    assert (big.layers, big.hidden) == (126, 16384)
    tiny = assumed_shape(1_000_000)
    assert tiny.layers >= 1
    assert tiny.heads >= 1


@given(
    seq=st.integers(min_value=1, max_value=1 << 17),
    batch=st.integers(min_value=1, max_value=64),
    params=st.integers(min_value=10**6, max_value=10**13),
)
def test_activations_grow_with_sequence_batch_and_size(seq: int, batch: int, params: int) -> None:
    shape = assumed_shape(params)
    bigger = assumed_shape(params * 4)
    base = training_activation_bytes(shape, seq, batch, "none")
    assert training_activation_bytes(shape, seq + 1, batch, "none") > base
    assert training_activation_bytes(shape, seq, batch + 1, "none") > base
    assert training_activation_bytes(bigger, seq, batch, "none") >= base
    assert training_activation_bytes(shape, seq, batch, "full") <= base
