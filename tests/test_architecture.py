"""Parameter counting by layout feature, on hand-counted toy models, plus the 12·L·h² rule of thumb."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from estimator.architecture import MLA, ModelArch, MoE
from estimator.shapes import shape_of

MODELS_TOML = Path(__file__).resolve().parents[1] / "config" / "data" / "models.toml"


def _preset(key: str) -> ModelArch:
    with MODELS_TOML.open("rb") as handle:
        tables = tomllib.load(handle)["model"]
    return next(ModelArch.model_validate(t) for t in tables if t["key"] == key)


def _toy(**changes: Any) -> ModelArch:
    """Llama layout, 2 layers, h=8, 2 query heads and 1 KV head of 4, f=16, V=10, untied."""
    fields: dict[str, Any] = {
        "key": "toy",
        "name": "toy",
        "layers": 2,
        "hidden": 8,
        "heads": 2,
        "kv_heads": 1,
        "head_dim": 4,
        "ffn": 16,
        "vocab": 10,
        "max_context": 32,
        "official_params": 1,
        "source": "hand count",
    }
    fields.update(changes)
    return ModelArch.model_validate(fields)


# Toy per layer: Q 8·8 + K,V 2·8·4 + O 8·8 = 192; SwiGLU 3·8·16 = 384; two RMSNorms 16 → 592.
# Whole model: 2·592 + embedding 80 + LM head 80 + final norm 8 = 1352.
TOY_PARAMS = 1352


def test_llama_layout_hand_count() -> None:
    assert _toy().param_count() == TOY_PARAMS
    assert _toy(tied_embeddings=True).param_count() == TOY_PARAMS - 80


def test_qkv_bias_adds_q_k_and_v_widths() -> None:
    assert _toy(qkv_bias=True).param_count() == TOY_PARAMS + 2 * (8 + 4 + 4)


def test_linear_bias_adds_every_linear_bias() -> None:
    # Q,K,V 16 + O 8 + SwiGLU gate/up 2·16 + down 8 = 64 per layer
    assert _toy(linear_bias=True).param_count() == TOY_PARAMS + 2 * 64


def test_head_dim_comes_from_config_not_hidden_over_heads() -> None:
    wide = _toy(head_dim=8)  # Q and O 8·16, K and V 8·8: +64 +64 +64 per layer
    assert wide.param_count() == TOY_PARAMS + 2 * (64 + 64 + 64)


def test_norm_counts_sandwich_qk_norm_and_parallel() -> None:
    assert _toy(norms_per_layer=4).param_count() == TOY_PARAMS + 2 * 2 * 8
    assert _toy(qk_norm=True).param_count() == TOY_PARAMS + 2 * 2 * 4
    assert _toy(parallel_attention=True).param_count() == TOY_PARAMS - 2 * 8
    assert _toy(parallel_attention=True, norms_per_layer=2).param_count() == TOY_PARAMS


def test_gpt_layout_hand_count() -> None:
    gpt = _toy(
        layers=1,
        hidden=4,
        heads=2,
        kv_heads=2,
        head_dim=2,
        mlp="gelu",
        norm="layernorm",
        linear_bias=True,
        tied_embeddings=True,
        learned_positions=6,
        embedding_norm=True,
    )
    # layer: attention 4·4·4 + biases 16 = 80; GeLU MLP 2·4·16 + 16 + 4 = 148; two LayerNorms 16 → 244
    # outside: token table 40 + positions 24 + embedding LayerNorm 8 + final LayerNorm 8 = 80
    assert gpt.param_count() == 244 + 80
    assert gpt.embedding_param_count() == 40 + 24


def test_moe_with_dense_layers_and_shared_experts_hand_count() -> None:
    moe = _toy(
        layers=3,
        kv_heads=2,
        moe=MoE(experts=4, experts_per_token=2, shared_experts=1, expert_ffn=4, dense_layers=1),
    )
    attention_and_norms = 4 * 8 * 8 + 16  # MHA here
    expert = 3 * 8 * 4
    router = 8 * 4
    outside = 160 + 8
    dense_mlp = 3 * 8 * 16
    assert moe.is_moe
    assert moe.param_count() == 3 * attention_and_norms + dense_mlp + 2 * (5 * expert + router) + outside
    assert moe.active_param_count() == 3 * attention_and_norms + dense_mlp + 2 * (3 * expert + router) + outside


def test_mla_hand_count() -> None:
    mla = MLA(q_lora_rank=4, kv_lora_rank=3, qk_nope_head_dim=2, qk_rope_head_dim=1, v_head_dim=2)
    model = _toy(layers=1, kv_heads=2, mla=mla)
    # q_a 8·4 + q norm 4 + q_b 4·2·3 = 60; kv_a 8·(3+1) + kv norm 3 + kv_b 3·2·(2+2) = 59; O 2·2·8 = 32
    attention = 60 + 59 + 32
    assert model.param_count() == attention + 384 + 16 + 160 + 8
    no_q_lora = _toy(layers=1, kv_heads=2, mla=mla.model_copy(update={"q_lora_rank": None}))
    assert no_q_lora.param_count() == model.param_count() - 60 + 8 * 2 * 3


def test_deepseek_v3_decomposes_into_its_published_blocks() -> None:
    """DeepSeek-V3 config: MLA attention per layer, 3 dense layers, 58 MoE layers of 256 + 1 experts."""
    v3 = _preset("deepseek-v3")
    mla_attention = (
        7168 * 1536
        + 1536
        + 1536 * 128 * 192  # q_a_proj, q_a_layernorm, q_b_proj
        + 7168 * (512 + 64)
        + 512
        + 512 * 128 * (128 + 128)  # kv_a_proj_with_mqa, kv norm, kv_b_proj
        + 128 * 128 * 7168  # o_proj
    )
    assert mla_attention == 187_107_328
    expert = 3 * 7168 * 2048
    expected = (
        61 * (mla_attention + 2 * 7168)
        + 3 * 3 * 7168 * 18432
        + 58 * (257 * expert + 7168 * 256)
        + 2 * 129_280 * 7168
        + 7168
    )
    assert v3.param_count() == expected == 671_026_404_352
    assert v3.active_param_count() == expected - 58 * (256 - 8) * expert


def test_12_l_h_squared_matches_gpt3_non_embedding_params() -> None:
    """Kaplan et al. 2020 (arXiv 2001.08361, §2.1): N ≈ 12·L·h² for f = 4h, MHA; within 1% for GPT-3."""
    gpt3 = _preset("gpt-3-175b")
    rule = 12 * gpt3.layers * gpt3.hidden**2
    assert gpt3.non_embedding_param_count() == pytest.approx(rule, rel=0.01)
    assert gpt3.param_count() - gpt3.non_embedding_param_count() == (50257 + 2048) * 12288


def test_12_l_h_squared_undercounts_swiglu_gqa_models() -> None:
    """Llama 3.1 8B (f = 3.5h SwiGLU, GQA): the rule gives 6.44B for 6.98B non-embedding, 8% short."""
    llama = _preset("llama-3.1-8b")
    rule = 12 * llama.layers * llama.hidden**2
    assert llama.non_embedding_param_count() == 8_030_261_248 - 2 * 128_256 * 4096
    assert llama.non_embedding_param_count() / rule == pytest.approx(1.083, abs=0.001)


def test_largest_matrix() -> None:
    assert _toy().largest_matrix_params() == 8 * 16  # the MLP, not the 10-row embedding
    assert _preset("llama-3.1-8b").largest_matrix_params() == 128_256 * 4096


def test_copies_with_updates_are_recounted() -> None:
    llama = _preset("llama-3.1-8b")
    half = llama.model_copy(update={"layers": 16})
    assert llama.param_count() - half.param_count() == 16 * 218_112_000  # one Llama 3.1 8B layer


def test_copies_with_updates_get_their_own_shape() -> None:
    llama = _preset("llama-3.1-8b")
    half = llama.model_copy(update={"layers": 16})
    assert shape_of(half).layers == 16 != shape_of(llama).layers


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kv_heads": 3, "heads": 4}, "multiple of kv_heads"),
        ({"sliding_window_layers": 1}, "needs sliding_window"),
        ({"sliding_window": 8, "sliding_window_layers": 3}, "exceeds layers"),
        ({"official_active_params": 1}, "only for mixture-of-experts"),
        ({"moe": {"experts": 2, "experts_per_token": 3, "expert_ffn": 4}}, "experts_per_token exceeds"),
        ({"moe": {"experts": 2, "experts_per_token": 1, "expert_ffn": 4, "dense_layers": 3}}, "dense_layers"),
        ({"rope_theta": 10_000}, "Extra inputs"),
    ],
)
def test_inconsistent_architectures_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _toy(**changes)
