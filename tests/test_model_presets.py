"""Every model preset in config/data/models.toml against its publisher's parameter count.

Presets are read straight from the TOML with tomllib + ModelArch.model_validate, independent of the
catalog loader.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from estimator.architecture import ModelArch
from estimator.catalog import normalize_name

MODELS_TOML = Path(__file__).resolve().parents[1] / "config" / "data" / "models.toml"

# Total parameters: the derived count must be within 0.5% of the official one. Where the official
# figure is exact (HF safetensors metadata) the derivation matches to the parameter; the slack is for
# publishers that print a rounded figure ("175B", "141B", "8.2B": rounding to 3 significant digits
# alone can be 0.3% off) and for tensors outside our layout (DeepSeek-V3's router score biases).
TOTAL_TOLERANCE = 0.005
# Active parameters are only ever published rounded to two significant digits ("37B", "3.3B", "22B"),
# and publishers do not say whether embeddings and routers count: rounding alone allows 1.5% at 3.3B.
ACTIVE_TOLERANCE = 0.02


def _load() -> list[ModelArch]:
    with MODELS_TOML.open("rb") as handle:
        tables = tomllib.load(handle)["model"]
    return [ModelArch.model_validate(table) for table in tables]


PRESETS = _load()
BY_KEY = {preset.key: preset for preset in PRESETS}


def test_at_least_25_presets_with_unique_keys() -> None:
    assert len(PRESETS) >= 25
    assert len(BY_KEY) == len(PRESETS)


def test_names_and_aliases_are_lowercase_and_never_collide() -> None:
    owner: dict[str, str] = {}
    for preset in PRESETS:
        for name in (preset.key, *preset.aliases):
            assert name == name.lower(), name
            norm = normalize_name(name)
            assert owner.setdefault(norm, preset.key) == preset.key, f"{name!r} is used twice"


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_every_preset_names_a_source(preset: ModelArch) -> None:
    assert len(preset.source) > 20
    assert any(word in preset.source for word in ("config.json", "arXiv", "card"))


# Publishers that print only a coarsely rounded total: the tolerance is half the last printed digit
# (model cards: Qwen3 "0.6B", "1.7B", "4.0B"; Kimi K2 "1T"), or, for Llama 4 Scout's "109B", the
# vision encoder that figure includes and the text-only preset does not model (about 1%).
ROUNDED_TOTALS: dict[str, float] = {
    "qwen3-0.6b": 0.05 / 0.6,
    "qwen3-1.7b": 0.05 / 1.7,
    "qwen3-4b": 0.05 / 4.0,
    "kimi-k2": 0.5 / 10,
    "llama-4-scout": 0.015,
}


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_derived_params_within_half_a_percent_of_official(preset: ModelArch) -> None:
    derived = preset.param_count()
    assert derived == pytest.approx(preset.official_params, rel=ROUNDED_TOTALS.get(preset.key, TOTAL_TOLERANCE))


# Qwen3 model cards also print the non-embedding count, to more digits than the total: 0.44B, 1.4B, 3.6B.
@pytest.mark.parametrize(("key", "non_embedding", "half_digit"), [
    ("qwen3-0.6b", 0.44e9, 0.005e9), ("qwen3-1.7b", 1.4e9, 0.05e9), ("qwen3-4b", 3.6e9, 0.05e9),
])  # fmt: skip
def test_small_qwen3_non_embedding_counts_match_their_cards(key: str, non_embedding: float, half_digit: float) -> None:
    preset = BY_KEY[key]
    assert abs(preset.param_count() - preset.embedding_param_count() - non_embedding) <= half_digit


# R1 distills keep their base checkpoints' layouts, so their counts are the bases' exact ones.
@pytest.mark.parametrize(("distill", "base"), [
    ("deepseek-r1-distill-qwen-14b", "qwen2.5-14b"), ("deepseek-r1-distill-qwen-32b", "qwen2.5-32b"),
    ("deepseek-r1-distill-llama-8b", "llama-3.1-8b"), ("deepseek-r1-distill-llama-70b", "llama-3.3-70b"),
    ("deepseek-r1-distill-qwen-7b", "qwen2.5-7b"),
])  # fmt: skip
def test_r1_distills_count_as_their_bases(distill: str, base: str) -> None:
    assert BY_KEY[distill].param_count() == BY_KEY[base].param_count() == BY_KEY[distill].official_params


# OpenAI counts gpt-oss's active parameters without the input embedding (a lookup, not a matmul):
# model card, arXiv 2508.10925 Table 1 (116.83B total / 5.13B active; 20.91B / 3.61B).
ACTIVE_WITHOUT_INPUT_EMBEDDING = {"gpt-oss-120b", "gpt-oss-20b"}


# Kimi K2's card prints "32B activated"; with the 1.17B input embedding counted the layout gives 32.9B,
# without it 31.7B: half a unit of rounding (1.6%) plus that convention (3.6%) bounds the difference.
ACTIVE_ROUNDED = {"kimi-k2": 0.052}


@pytest.mark.parametrize("preset", [p for p in PRESETS if p.is_moe], ids=lambda p: p.key)
def test_moe_active_params_match_official(preset: ModelArch) -> None:
    assert preset.official_active_params is not None, "a MoE preset must state its active count"
    active = preset.active_param_count()
    if preset.key in ACTIVE_WITHOUT_INPUT_EMBEDDING:
        active -= preset.vocab * preset.hidden
    tolerance = ACTIVE_ROUNDED.get(preset.key, ACTIVE_TOLERANCE)
    assert active == pytest.approx(preset.official_active_params, rel=tolerance)
    assert preset.active_param_count() < preset.param_count()


@pytest.mark.parametrize("preset", [p for p in PRESETS if not p.is_moe], ids=lambda p: p.key)
def test_dense_active_params_are_all_params(preset: ModelArch) -> None:
    assert preset.official_active_params is None
    # A multimodal checkpoint's vision tower is stored but not run per text token.
    assert preset.active_param_count() == preset.param_count() - preset.vision_params


@pytest.mark.parametrize(
    ("key", "exact"),
    [
        ("llama-3.1-8b", 8_030_261_248),
        ("llama-3.1-70b", 70_553_706_496),
        ("llama-3.1-405b", 405_853_388_800),
    ],
)
def test_llama_3_1_counts_are_exact(key: str, exact: int) -> None:
    assert BY_KEY[key].param_count() == exact


@pytest.mark.parametrize(
    ("key", "exact"),
    [
        ("llama-2-7b", 6_738_415_616),  # MHA, untied
        ("llama-3.2-1b", 1_235_814_400),  # tied embeddings, head_dim 64
        ("qwen2.5-72b", 72_706_203_648),  # QKV biases
        ("gemma-2-9b", 9_241_705_984),  # four norms per layer, head_dim 256 ≠ hidden/heads
        ("mistral-nemo-12b", 12_247_782_400),  # head_dim 128 ≠ hidden/heads (160)
        ("gpt-neox-20b", 20_554_567_680),  # LayerNorm, biases everywhere, parallel with two norms
        ("bloom-176b", 176_247_271_424),  # embedding LayerNorm, ALiBi (no position table)
        ("falcon-180b", 179_522_565_120),  # GQA with 232 heads, parallel with two norms
        ("mixtral-8x7b", 46_702_792_704),  # MoE: all experts + routers
    ],
)
def test_layout_features_reproduce_exact_checkpoint_counts(key: str, exact: int) -> None:
    """Each line exercises a layout feature; safetensors metadata gives the exact figure."""
    assert BY_KEY[key].param_count() == exact


def test_mixtral_8x7b_is_12_9b_active_of_46_7b() -> None:
    mixtral = BY_KEY["mixtral-8x7b"]
    assert mixtral.param_count() / 1e9 == pytest.approx(46.7, abs=0.05)
    assert mixtral.active_param_count() / 1e9 == pytest.approx(12.9, abs=0.05)


def test_deepseek_v3_is_37b_active_of_671b_without_mtp() -> None:
    """The paper's 671B excludes the 14B multi-token-prediction module (685B in the checkpoint)."""
    v3 = BY_KEY["deepseek-v3"]
    assert v3.param_count() / 1e9 == pytest.approx(671, abs=0.5)
    assert v3.active_param_count() / 1e9 == pytest.approx(37, abs=0.6)
    assert "multi-token-prediction" in v3.source


def test_falcon_7b_shares_one_norm_per_layer() -> None:
    falcon = BY_KEY["falcon-7b"]
    two_norms = falcon.model_copy(update={"norms_per_layer": 2})
    # one LayerNorm (weight + bias over 4544 features) fewer in each of 32 layers
    assert two_norms.param_count() - falcon.param_count() == 32 * 2 * 4544


@pytest.mark.parametrize(
    ("alias", "key"),
    [
        ("llama3.1-70b", "llama-3.1-70b"),
        ("mixtral", "mixtral-8x7b"),
        ("mistral", "mistral-7b"),
        ("gpt3", "gpt-3-175b"),
        ("dsv3", "deepseek-v3"),
        ("bloom", "bloom-176b"),
    ],
)
def test_common_spellings_are_aliases(alias: str, key: str) -> None:
    assert alias in BY_KEY[key].aliases


# --- published pre-training token counts (issue #9, item 1) ----------------------------------------
# key: (tokens, where published). Compared exactly: the preset must carry the published figure.
TRAINING_TOKENS: dict[str, tuple[float, str]] = {
    "llama-2-7b": (2.0e12, "arXiv 2307.09288"),
    "llama-2-70b": (2.0e12, "arXiv 2307.09288"),
    "llama-3-8b": (15e12, "Llama 3 model card"),
    "llama-3.1-8b": (15e12, "Llama 3.1 model card"),
    "llama-3.1-70b": (15e12, "Llama 3.1 model card"),
    "llama-3.1-405b": (15.6e12, "arXiv 2407.21783"),
    "llama-3.2-1b": (9e12, "Llama 3.2 model card"),
    "llama-3.3-70b": (15e12, "Llama 3.3 model card"),
    "qwen2.5-72b": (18e12, "arXiv 2412.15115"),
    "qwen3-235b-a22b": (36e12, "arXiv 2505.09388"),
    "gemma-7b": (6e12, "arXiv 2403.08295"),
    "gemma-2-2b": (2e12, "arXiv 2408.00118"),
    "gemma-2-9b": (8e12, "arXiv 2408.00118"),
    "gemma-2-27b": (13e12, "arXiv 2408.00118"),
    "gemma-3-1b": (2e12, "arXiv 2503.19786"),
    "gemma-3-27b": (14e12, "arXiv 2503.19786"),
    "phi-3-mini": (3.3e12, "arXiv 2404.14219"),
    "phi-4": (9.8e12, "arXiv 2412.08905"),
    "gpt-3-175b": (300e9, "arXiv 2005.14165"),
    "bloom-176b": (366e9, "arXiv 2211.05100"),
    "falcon-180b": (3.5e12, "arXiv 2311.16867"),
    "deepseek-v3": (14.8e12, "arXiv 2412.19437"),
    "deepseek-r1": (14.8e12, "arXiv 2412.19437 (R1 is post-trained from V3-Base)"),
    "llama-4-maverick": (22e12, "Llama 4 model card"),
    "llama-4-scout": (40e12, "Llama 4 model card"),
    "kimi-k2": (15.5e12, "Kimi K2 model card"),
    "qwen3-0.6b": (36e12, "arXiv 2505.09388"),
    "qwen3-1.7b": (36e12, "arXiv 2505.09388"),
    "qwen3-4b": (36e12, "arXiv 2505.09388"),
    "deepseek-r1-distill-qwen-14b": (18e12, "arXiv 2412.15115"),
    "deepseek-r1-distill-qwen-32b": (18e12, "arXiv 2412.15115"),
    "deepseek-r1-distill-llama-8b": (15e12, "Llama 3.1 model card"),
    "deepseek-r1-distill-llama-70b": (15e12, "Llama 3.3 model card"),
}
# Publishers that do not state a pre-training token count for these presets.
# (R1's Qwen-Math bases add an unstated math corpus to Qwen2.5's 18T, so no single figure is published.)
UNPUBLISHED_TOKENS = {
    "mistral-7b", "mixtral-8x7b", "mistral-large-2", "gpt-oss-120b", "gpt-oss-20b", "mistral-small-3",
    "deepseek-r1-distill-qwen-1.5b", "deepseek-r1-distill-qwen-7b",
}  # fmt: skip


@pytest.mark.parametrize(("key", "row"), TRAINING_TOKENS.items(), ids=list(TRAINING_TOKENS))
def test_published_training_tokens(key: str, row: tuple[float, str]) -> None:
    tokens, source = row
    preset = BY_KEY[key]
    assert preset.training_tokens == tokens
    assert preset.training_tokens_source is not None
    assert source.split(" (")[0] in preset.training_tokens_source


@pytest.mark.parametrize("key", sorted(UNPUBLISHED_TOKENS))
def test_no_token_count_where_none_is_published(key: str) -> None:
    assert BY_KEY[key].training_tokens is None


def test_every_token_count_names_its_source() -> None:
    with_tokens = [p for p in PRESETS if p.training_tokens is not None]
    assert len(with_tokens) >= 30
    for preset in with_tokens:
        assert preset.training_tokens_source is not None
        assert len(preset.training_tokens_source) > 15, preset.key


def test_a_token_count_without_its_source_is_refused() -> None:
    table = {**BY_KEY["llama-2-7b"].model_dump(), "training_tokens_source": None}
    with pytest.raises(ValueError, match="training_tokens and training_tokens_source go together"):
        ModelArch.model_validate(table)


@pytest.mark.parametrize(
    ("key", "exact"),
    [("gemma-3-1b", 999_885_952)],  # Gemma 3 1B safetensors: 999,885,952 (report: 302M + 698M)
)
def test_new_layout_features_reproduce_exact_counts(key: str, exact: int) -> None:
    assert BY_KEY[key].param_count() == exact


def test_gemma_3_caches_one_global_layer_in_six() -> None:
    """5 local (1024-token window) layers per global one: at 32K context the KV cache is the 10 global
    layers' full context plus 52 windows (Gemma 3 report, arXiv 2503.19786 §2.1)."""
    g = BY_KEY["gemma-3-27b"]
    per_token_layer = 2 * g.kv_heads * g.head_dim
    assert g.kv_cache_bytes(32768, 1, 2) == per_token_layer * 2 * (10 * 32768 + 52 * 1024)


def test_gpt_oss_stores_moe_weights_in_mxfp4() -> None:
    assert "MXFP4" in BY_KEY["gpt-oss-120b"].source
    assert BY_KEY["gpt-oss-120b"].sliding_window_layers == 18  # alternating 128-token windows
