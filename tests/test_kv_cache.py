"""KV cache bytes pinned to published and hand-derived figures (exact integers, no tolerance).

KV cache = 2 (K and V) x layers x kv_heads x head_dim x tokens x batch x bytes per value; sliding-window
layers hold at most `window` tokens; MLA caches one compressed latent plus a shared RoPE key per layer.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from estimator.architecture import ModelArch

MODELS_TOML = Path(__file__).resolve().parents[1] / "config" / "data" / "models.toml"
KiB, MiB, GiB = 2**10, 2**20, 2**30
BF16 = 2.0


def _presets() -> dict[str, ModelArch]:
    with MODELS_TOML.open("rb") as handle:
        tables = tomllib.load(handle)["model"]
    return {arch.key: arch for arch in map(ModelArch.model_validate, tables)}


MODELS = _presets()


def test_llama_2_7b_mha_is_half_a_mib_per_token_and_2_gib_at_4k() -> None:
    """NVIDIA, 'Mastering LLM Techniques: Inference Optimization' (2023): 2·32·4096·2 B = 0.5 MB/token."""
    llama = MODELS["llama-2-7b"]
    assert llama.kv_cache_bytes(1, 1, BF16) == 2 * 32 * 32 * 128 * 2 == MiB // 2
    assert llama.kv_cache_bytes(4096, 1, BF16) == 2 * GiB


def test_llama_3_1_70b_gqa_is_320_kib_per_token() -> None:
    assert MODELS["llama-3.1-70b"].kv_cache_bytes(1, 1, BF16) == 2 * 80 * 8 * 128 * 2 == 320 * KiB


def test_llama_3_1_405b_full_128k_context_is_63_gib_per_sequence() -> None:
    # 2·126·8·128·2 B = 504 KiB per token; × 131,072 tokens = 63 GiB
    assert MODELS["llama-3.1-405b"].kv_cache_bytes(131_072, 1, BF16) == 63 * GiB


def test_gqa_divides_mha_by_heads_over_kv_heads() -> None:
    gqa = MODELS["llama-2-70b"]
    mha = gqa.model_copy(update={"kv_heads": gqa.heads})
    assert mha.kv_cache_bytes(4096, 8, BF16) == gqa.kv_cache_bytes(4096, 8, BF16) * gqa.heads // gqa.kv_heads
    assert gqa.heads // gqa.kv_heads == 8


def test_linear_in_batch_and_bytes_per_value() -> None:
    llama = MODELS["llama-3.1-8b"]
    one = llama.kv_cache_bytes(8192, 1, BF16)
    assert one == 8192 * 128 * KiB  # 2·32·8·128·2 B = 128 KiB per token
    assert llama.kv_cache_bytes(8192, 16, BF16) == 16 * one
    assert llama.kv_cache_bytes(8192, 1, 1.0) == one // 2  # fp8 KV cache
    assert llama.kv_cache_bytes(0, 4, BF16) == 0


def test_mistral_7b_window_caps_every_layer_at_4096_tokens() -> None:
    mistral = MODELS["mistral-7b"]
    per_token = 2 * 32 * 8 * 128 * 2  # 128 KiB
    assert mistral.kv_cache_bytes(4096, 1, BF16) == 4096 * per_token == 512 * MiB
    assert mistral.kv_cache_bytes(32_768, 1, BF16) == 512 * MiB  # rolling buffer, not 4 GiB
    assert MODELS["mistral-7b-v0.3"].kv_cache_bytes(32_768, 1, BF16) == 4 * GiB  # no window in v0.3


def test_gemma_2_9b_caps_only_the_alternate_local_layers() -> None:
    gemma = MODELS["gemma-2-9b"]
    per_token_layer = 2 * 8 * 256 * 2  # 8 KiB
    at_8k = (21 * 8192 + 21 * 4096) * per_token_layer  # 21 global layers, 21 local layers capped at 4096
    assert gemma.kv_cache_bytes(8192, 1, BF16) == at_8k == 2_016 * MiB
    assert gemma.kv_cache_bytes(4096, 1, BF16) == 42 * 4096 * per_token_layer  # below the window: all
    uncapped = gemma.model_copy(update={"sliding_window": None, "sliding_window_layers": None})
    assert gemma.kv_cache_bytes(8192, 1, BF16) * 4 == uncapped.kv_cache_bytes(8192, 1, BF16) * 3


def test_deepseek_v3_mla_caches_the_576_wide_latent_without_a_factor_2() -> None:
    """DeepSeek-V2 paper (arXiv 2405.04434, Table 1): MLA caches d_c + d_h^R values per token per layer."""
    v3 = MODELS["deepseek-v3"]
    assert v3.kv_values_per_token_per_layer() == 512 + 64
    assert v3.kv_cache_bytes(1, 1, BF16) == 61 * 576 * 2 == 70_272
    assert v3.kv_cache_bytes(131_072, 1, BF16) == 70_272 * 131_072
    # An MLA-unaware tool would cache 128 heads of K (192 wide) and V (128 wide): 71x more.
    as_mha = 61 * 128 * (192 + 128) * 2
    assert as_mha // v3.kv_cache_bytes(1, 1, BF16) == 71


def test_fractional_bytes_round_up_to_whole_bytes() -> None:
    tiny = ModelArch(
        key="tiny",
        name="tiny",
        layers=1,
        hidden=8,
        heads=1,
        kv_heads=1,
        head_dim=1,
        ffn=8,
        vocab=8,
        max_context=8,
        official_params=1,
        source="synthetic",
    )
    assert tiny.kv_cache_bytes(1, 1, 0.75) == 2  # 2 values x 0.75 B = 1.5 B
    assert isinstance(tiny.kv_cache_bytes(3, 1, 0.5), int)


@pytest.mark.parametrize(("seq_len", "batch", "bytes_per_value"), [(-1, 1, 2.0), (1, -1, 2.0), (1, 1, 0.0)])
def test_rejects_impossible_inputs(seq_len: int, batch: int, bytes_per_value: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        MODELS["llama-3.1-8b"].kv_cache_bytes(seq_len, batch, bytes_per_value)
