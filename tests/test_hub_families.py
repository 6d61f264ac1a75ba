"""Family readers of config.json: each published config gives the matching preset's parameter count and
KV cache exactly, or (no preset) the publisher's official count within the stated tolerance.

The configs are the ``config.json`` files on the Hub (values as published; keys napkin does not read
left out): deepseek-ai/DeepSeek-V3, deepseek-ai/DeepSeek-V2-Lite, google/gemma-2-9b, google/gemma-3-27b-it,
Qwen/Qwen3-30B-A3B, Qwen/Qwen1.5-MoE-A2.7B, microsoft/Phi-3-mini-4k-instruct, tiiuae/falcon-7b.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.hub.configs import arch_from_config
from config.catalogs import cached_catalog
from estimator.architecture import ModelArch

CATALOG = cached_catalog(None)
KV_BYTES = 2.0  # bf16

DEEPSEEK_V3: dict[str, Any] = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "deepseek_v3",
    "hidden_size": 7168,
    "intermediate_size": 18432,
    "moe_intermediate_size": 2048,
    "num_hidden_layers": 61,
    "num_attention_heads": 128,
    "num_key_value_heads": 128,
    "n_routed_experts": 256,
    "n_shared_experts": 1,
    "num_experts_per_tok": 8,
    "first_k_dense_replace": 3,
    "moe_layer_freq": 1,
    "q_lora_rank": 1536,
    "kv_lora_rank": 512,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "vocab_size": 129280,
    "max_position_embeddings": 163840,
    "tie_word_embeddings": False,
    "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8"},
}
DEEPSEEK_V2_LITE: dict[str, Any] = {
    "architectures": ["DeepseekV2ForCausalLM"],
    "model_type": "deepseek_v2",
    "hidden_size": 2048,
    "intermediate_size": 10944,
    "moe_intermediate_size": 1408,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "num_key_value_heads": 16,
    "n_routed_experts": 64,
    "n_shared_experts": 2,
    "num_experts_per_tok": 6,
    "first_k_dense_replace": 1,
    "moe_layer_freq": 1,
    "q_lora_rank": None,
    "kv_lora_rank": 512,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "vocab_size": 102400,
    "max_position_embeddings": 163840,
    "tie_word_embeddings": False,
}
GEMMA_2_9B: dict[str, Any] = {
    "architectures": ["Gemma2ForCausalLM"],
    "model_type": "gemma2",
    "hidden_size": 3584,
    "intermediate_size": 14336,
    "num_hidden_layers": 42,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 256,
    "vocab_size": 256000,
    "sliding_window": 4096,
    "max_position_embeddings": 8192,
    "attention_bias": False,
}
GEMMA_3_27B: dict[str, Any] = {  # the multimodal wrapper: the text model is in text_config
    "architectures": ["Gemma3ForConditionalGeneration"],
    "model_type": "gemma3",
    "text_config": {
        "model_type": "gemma3_text",
        "hidden_size": 5376,
        "intermediate_size": 21504,
        "num_hidden_layers": 62,
        "num_attention_heads": 32,
        "num_key_value_heads": 16,
        "head_dim": 128,
        "sliding_window": 1024,
        "sliding_window_pattern": 6,
        "vocab_size": 262208,
        "max_position_embeddings": 131072,
    },
    "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152},
}
QWEN3_30B_A3B: dict[str, Any] = {
    "architectures": ["Qwen3MoeForCausalLM"],
    "model_type": "qwen3_moe",
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "moe_intermediate_size": 768,
    "num_hidden_layers": 48,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "head_dim": 128,
    "num_experts": 128,
    "num_experts_per_tok": 8,
    "decoder_sparse_step": 1,
    "mlp_only_layers": [],
    "vocab_size": 151936,
    "max_position_embeddings": 40960,
    "tie_word_embeddings": False,
    "attention_bias": False,
}
QWEN15_MOE_A27B: dict[str, Any] = {
    "architectures": ["Qwen2MoeForCausalLM"],
    "model_type": "qwen2_moe",
    "hidden_size": 2048,
    "intermediate_size": 5632,
    "moe_intermediate_size": 1408,
    "shared_expert_intermediate_size": 5632,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "num_key_value_heads": 16,
    "num_experts": 60,
    "num_experts_per_tok": 4,
    "decoder_sparse_step": 1,
    "vocab_size": 151936,
    "max_position_embeddings": 8192,
    "tie_word_embeddings": False,
}
PHI_3_MINI: dict[str, Any] = {
    "architectures": ["Phi3ForCausalLM"],
    "model_type": "phi3",
    "hidden_size": 3072,
    "intermediate_size": 8192,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32064,
    "max_position_embeddings": 4096,
    "sliding_window": 2047,
    "tie_word_embeddings": False,
}
FALCON_7B: dict[str, Any] = {
    "architectures": ["FalconForCausalLM"],
    "model_type": "falcon",
    "hidden_size": 4544,
    "n_head": 71,
    "n_layer": 32,
    "multi_query": True,
    "new_decoder_architecture": False,
    "parallel_attn": True,
    "bias": False,
    "vocab_size": 65024,
}


def read(config: dict[str, Any], repo_id: str, params: int) -> ModelArch:
    arch = arch_from_config(config, repo_id=repo_id, params=params, source=f"{repo_id} config.json")
    assert arch is not None
    return arch


def preset(key: str) -> ModelArch:
    arch = CATALOG.model(key)
    assert arch is not None
    return arch


@pytest.mark.parametrize(
    ("config", "repo_id", "key", "kv_ctx"),
    [
        (DEEPSEEK_V3, "deepseek-ai/DeepSeek-V3", "deepseek-v3", 4096),
        (GEMMA_2_9B, "google/gemma-2-9b", "gemma-2-9b", 8192),
        (GEMMA_3_27B, "google/gemma-3-27b-it", "gemma-3-27b", 32768),
        (QWEN3_30B_A3B, "Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b", 32768),
        # the published config's 2047-token window (napkin's preset has none): equal below the window
        (PHI_3_MINI, "microsoft/Phi-3-mini-4k-instruct", "phi-3-mini", 2047),
        (FALCON_7B, "tiiuae/falcon-7b", "falcon-7b", 2048),
    ],
)
def test_published_config_reads_as_its_preset(config: dict[str, Any], repo_id: str, key: str, kv_ctx: int) -> None:
    ours, theirs = read(config, repo_id, 1), preset(key)
    # exact: the same architecture gives the same count (the preset's vision tower is not in config's text model)
    assert ours.param_count() + theirs.vision_params == theirs.param_count()
    assert ours.active_param_count() == theirs.active_param_count()
    assert ours.kv_cache_bytes(kv_ctx, 1, KV_BYTES) == theirs.kv_cache_bytes(kv_ctx, 1, KV_BYTES)
    assert ours.kv_cache_bytes(kv_ctx, 4, KV_BYTES) == theirs.kv_cache_bytes(kv_ctx, 4, KV_BYTES)
    assert ours.is_moe == theirs.is_moe
    assert (ours.mla is None) == (theirs.mla is None)


def test_phi3_window_caps_the_kv_cache_past_it() -> None:
    ours = read(PHI_3_MINI, "microsoft/Phi-3-mini-4k-instruct", 1)
    assert ours.sliding_window == 2047
    assert ours.kv_cache_bytes(4096, 1, KV_BYTES) == ours.kv_cache_bytes(2047, 1, KV_BYTES)


def test_deepseek_v3_matches_the_published_totals() -> None:
    # DeepSeek-V3 report (arXiv 2412.19437) §4.2: 671B total, 37B activated per token; the published
    # checkpoint holds 685B with the 14B multi-token-prediction module, which napkin leaves out. DeepSeek's
    # activated count leaves out the token-embedding look-up (napkin's active count keeps it).
    # Both figures are rounded to 1B: 1% of 671B, 1.5% of 37B.
    arch = read(DEEPSEEK_V3, "deepseek-ai/DeepSeek-V3", 1)
    assert arch.param_count() == pytest.approx(671e9, rel=0.01)
    assert arch.active_param_count() - arch.vocab * arch.hidden == pytest.approx(37e9, rel=0.015)
    # MLA caches the 512-wide latent and the 64-wide shared RoPE key per layer, not per head
    assert arch.kv_cache_bytes(1, 1, KV_BYTES) == 61 * (512 + 64) * 2


@pytest.mark.parametrize(
    ("config", "repo_id", "total", "active", "embedding_counted"),
    [
        # DeepSeek-V2 report (arXiv 2405.04434) Appendix B: V2-Lite 15.7B total, 2.4B activated, rounded to
        # 0.1B (3% at 2.4B); DeepSeek's activated count leaves out the token-embedding look-up
        (DEEPSEEK_V2_LITE, "deepseek-ai/DeepSeek-V2-Lite", 15.7e9, 2.4e9, False),
        # Qwen1.5-MoE-A2.7B model card: 14.3B total, 2.7B activated, rounded to 0.1B (3%)
        (QWEN15_MOE_A27B, "Qwen/Qwen1.5-MoE-A2.7B", 14.3e9, 2.7e9, True),
    ],
)
def test_moe_configs_without_a_preset_give_the_official_counts(
    config: dict[str, Any], repo_id: str, total: float, active: float, embedding_counted: bool
) -> None:
    arch = read(config, repo_id, 1)
    assert arch.param_count() == pytest.approx(total, rel=0.03)
    embedding = 0 if embedding_counted else arch.vocab * arch.hidden
    assert arch.active_param_count() - embedding == pytest.approx(active, rel=0.03)
