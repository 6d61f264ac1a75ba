"""A Hub ``config.json`` read into :class:`estimator.architecture.ModelArch`, family by family.

Field names are those of ``transformers``' configuration classes (LlamaConfig, MistralConfig,
MixtralConfig, Qwen2/Qwen3(-MoE)Config, Gemma2/Gemma3TextConfig, Phi3Config, DeepseekV2/V3Config,
GptOssConfig, FalconConfig); each family's defaults are those classes' defaults. A ``model_type`` not
listed here is unknown: the caller falls back to the checkpoint's parameter count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from estimator.architecture import MLA, ModelArch, MoE


class ConfigError(ValueError):
    """config.json lacks a field its family needs, or holds an impossible value."""


Config = Mapping[str, Any]
_MAX_CONTEXT_FALLBACK = 4096


def _int(config: Config, *names: str, default: int | None = None) -> int:
    for name in names:
        value = config.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    if default is not None:
        return default
    raise ConfigError(f"config.json has no usable `{names[0]}`")


def _opt_int(config: Config, name: str) -> int | None:
    value = config.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _bool(config: Config, name: str, default: bool) -> bool:
    value = config.get(name)
    return value if isinstance(value, bool) else default


def _common(config: Config, *, tied_default: bool) -> dict[str, Any]:
    """Fields every decoder config spells the same way."""
    hidden = _int(config, "hidden_size", "n_embd", "d_model")
    heads = _int(config, "num_attention_heads", "n_head")
    return {
        "layers": _int(config, "num_hidden_layers", "n_layer"),
        "hidden": hidden,
        "heads": heads,
        "kv_heads": _int(config, "num_key_value_heads", default=heads),
        "head_dim": _int(config, "head_dim", default=hidden // heads),
        "ffn": _int(config, "intermediate_size", "ffn_hidden_size", default=4 * hidden),
        "vocab": _int(config, "vocab_size"),
        "tied_embeddings": _bool(config, "tie_word_embeddings", tied_default),
        "max_context": _int(config, "max_position_embeddings", "max_seq_len", default=_MAX_CONTEXT_FALLBACK),
    }


def _llama(config: Config) -> dict[str, Any]:
    fields = _common(config, tied_default=False)
    fields["qkv_bias"] = _bool(config, "attention_bias", False)
    return fields


def _mistral(config: Config) -> dict[str, Any]:
    fields = _llama(config)
    if (window := _opt_int(config, "sliding_window")) is not None and window < fields["max_context"]:
        fields["sliding_window"] = window
    return fields


def _mixtral(config: Config) -> dict[str, Any]:
    fields = _mistral(config)
    fields["moe"] = MoE(
        experts=_int(config, "num_local_experts"),
        experts_per_token=_int(config, "num_experts_per_tok"),
        expert_ffn=fields["ffn"],
    )
    return fields


def _qwen2(config: Config) -> dict[str, Any]:
    fields = _common(config, tied_default=False)
    fields["qkv_bias"] = True  # Qwen2's q/k/v projections always carry a bias
    _qwen_window(config, fields)
    return fields


def _qwen3(config: Config) -> dict[str, Any]:
    fields = _common(config, tied_default=False)
    fields["qkv_bias"] = _bool(config, "attention_bias", False)
    fields["qk_norm"] = True
    _qwen_window(config, fields)
    return fields


def _qwen_window(config: Config, fields: dict[str, Any]) -> None:
    window = _opt_int(config, "sliding_window")
    if _bool(config, "use_sliding_window", False) and window is not None:
        # layers from max_window_layers on use the window (Qwen2Config)
        full = min(_int(config, "max_window_layers", default=fields["layers"]), fields["layers"])
        if full < fields["layers"]:
            fields["sliding_window"] = window
            fields["sliding_window_layers"] = fields["layers"] - full


def _qwen_moe(config: Config, base: Callable[[Config], dict[str, Any]]) -> dict[str, Any]:
    fields = base(config)
    sparse_step = _int(config, "decoder_sparse_step", default=1)
    dense_only = config.get("mlp_only_layers") or []
    if sparse_step != 1 or dense_only:
        raise ConfigError(
            "MoE layers interleaved with dense ones (decoder_sparse_step/mlp_only_layers) are not modelled"
        )
    shared_ffn = _opt_int(config, "shared_expert_intermediate_size")
    expert_ffn = _int(config, "moe_intermediate_size")
    shared = 0
    if shared_ffn is not None:
        if shared_ffn % expert_ffn:
            raise ConfigError("a shared expert whose width is not a multiple of the experts' is not modelled")
        shared = shared_ffn // expert_ffn
    fields["moe"] = MoE(
        experts=_int(config, "num_experts"),
        experts_per_token=_int(config, "num_experts_per_tok"),
        shared_experts=shared,
        expert_ffn=expert_ffn,
    )
    return fields


def _gemma(config: Config) -> dict[str, Any]:
    fields = _common(config, tied_default=True)
    fields["qkv_bias"] = _bool(config, "attention_bias", False)
    return fields


def _gemma2(config: Config) -> dict[str, Any]:
    fields = _gemma(config)
    fields["norms_per_layer"] = 4
    if (window := _opt_int(config, "sliding_window")) is not None:
        fields["sliding_window"] = window
        fields["sliding_window_layers"] = _sliding_layers(config, fields["layers"], pattern=2)
    return fields


def _gemma3(config: Config) -> dict[str, Any]:
    fields = _gemma2(config)
    fields["qk_norm"] = True
    if "sliding_window" in fields:
        pattern = _int(config, "sliding_window_pattern", default=6)
        fields["sliding_window_layers"] = _sliding_layers(config, fields["layers"], pattern=pattern)
    return fields


def _sliding_layers(config: Config, layers: int, *, pattern: int) -> int:
    """Layers using the window: from ``layer_types`` when given, else all but every ``pattern``-th."""
    types = config.get("layer_types")
    if isinstance(types, list) and len(types) == layers:
        return sum(1 for kind in types if kind == "sliding_attention")
    return layers - layers // pattern


def _phi3(config: Config) -> dict[str, Any]:
    fields = _common(config, tied_default=False)
    if (window := _opt_int(config, "sliding_window")) is not None and window < fields["max_context"]:
        fields["sliding_window"] = window
    return fields


def _deepseek(config: Config) -> dict[str, Any]:
    fields = _common(config, tied_default=False)
    nope, rope = _int(config, "qk_nope_head_dim"), _int(config, "qk_rope_head_dim")
    fields["head_dim"] = nope + rope
    fields["kv_heads"] = fields["heads"]
    fields["mla"] = MLA(
        q_lora_rank=_opt_int(config, "q_lora_rank"),
        kv_lora_rank=_int(config, "kv_lora_rank"),
        qk_nope_head_dim=nope,
        qk_rope_head_dim=rope,
        v_head_dim=_int(config, "v_head_dim"),
    )
    if _opt_int(config, "n_routed_experts") is not None:
        if _int(config, "moe_layer_freq", default=1) != 1:
            raise ConfigError("MoE on every other layer (moe_layer_freq) is not modelled")
        fields["moe"] = MoE(
            experts=_int(config, "n_routed_experts"),
            experts_per_token=_int(config, "num_experts_per_tok"),
            shared_experts=config.get("n_shared_experts") or 0,
            expert_ffn=_int(config, "moe_intermediate_size"),
            dense_layers=config.get("first_k_dense_replace") or 0,
        )
    return fields


def _gpt_oss(config: Config) -> dict[str, Any]:
    fields = _common(config, tied_default=False)
    # biases on q, k, v, o and on every expert's projections (GptOssConfig.attention_bias, the experts' biases)
    fields["linear_bias"] = True
    fields["moe"] = MoE(
        experts=_int(config, "num_local_experts"),
        experts_per_token=_int(config, "num_experts_per_tok", "experts_per_token"),
        expert_ffn=fields["ffn"],
    )
    if (window := _opt_int(config, "sliding_window")) is not None:
        fields["sliding_window"] = window
        fields["sliding_window_layers"] = _sliding_layers(config, fields["layers"], pattern=2)
    return fields


def _falcon(config: Config) -> dict[str, Any]:
    hidden = _int(config, "hidden_size")
    heads = _int(config, "num_attention_heads", "n_head")
    new_arch = _bool(config, "new_decoder_architecture", False)
    if new_arch:
        kv_heads = _int(config, "num_kv_heads", "n_head_kv", default=heads)
    else:
        kv_heads = 1 if _bool(config, "multi_query", True) else heads
    bias = _bool(config, "bias", False)
    return {
        "layers": _int(config, "num_hidden_layers", "n_layer"),
        "hidden": hidden,
        "heads": heads,
        "kv_heads": kv_heads,
        "head_dim": hidden // heads,
        "ffn": _int(config, "ffn_hidden_size", default=4 * hidden),
        "vocab": _int(config, "vocab_size"),
        "tied_embeddings": _bool(config, "tie_word_embeddings", False),
        "mlp": "gelu",
        "norm": "layernorm",
        "linear_bias": bias,
        "parallel_attention": _bool(config, "parallel_attn", True),
        "norms_per_layer": 2 if new_arch and _int(config, "num_ln_in_parallel_attn", default=2) == 2 else None,
        "max_context": _int(config, "max_position_embeddings", default=2048),
    }


FAMILIES: dict[str, Callable[[Config], dict[str, Any]]] = {
    "llama": _llama,
    "mistral": _mistral,
    "mixtral": _mixtral,
    "qwen2": _qwen2,
    "qwen3": _qwen3,
    "qwen2_moe": lambda c: _qwen_moe(c, _qwen2),
    "qwen3_moe": lambda c: _qwen_moe(c, _qwen3),
    "gemma": _gemma,
    "gemma2": _gemma2,
    "gemma3": _gemma3,
    "gemma3_text": _gemma3,
    "phi3": _phi3,
    "deepseek_v2": _deepseek,
    "deepseek_v3": _deepseek,
    "gpt_oss": _gpt_oss,
    "falcon": _falcon,
}
"""``model_type`` → reader of its config; the families the presets cover."""


def model_key(repo_id: str) -> str:
    """A ModelArch key for a repo: ``Qwen/Qwen3-32B`` → ``qwen-qwen3-32b``."""
    return re.sub(r"[^a-z0-9.]+", "-", repo_id.lower()).strip("-.") or "hub-model"


def model_type(config: Config) -> str | None:
    """The config's ``model_type`` (a multimodal wrapper's text model's, when it has one)."""
    text = config.get("text_config")
    if isinstance(text, Mapping) and isinstance(text.get("model_type"), str):
        return str(text["model_type"])
    kind = config.get("model_type")
    return kind if isinstance(kind, str) else None


def arch_from_config(config: Config, *, repo_id: str, params: int, source: str) -> ModelArch | None:
    """The architecture config.json describes; None when its family is unknown. ``params`` (the
    checkpoint's count) becomes ``official_params``. Raises ConfigError for an unusable config."""
    kind = model_type(config)
    reader = FAMILIES.get(kind or "")
    if reader is None:
        return None
    text = config.get("text_config")
    body: Config = {**config, **text} if isinstance(text, Mapping) else config
    try:
        fields = reader(body)
        return ModelArch(
            key=model_key(repo_id),
            name=repo_id,
            aliases=(repo_id,),
            official_params=params,
            source=source,
            **fields,
        )
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "config"
        raise ConfigError(f"config.json gives an impossible {where}: {first['msg']}") from None
    except (TypeError, ValueError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f"config.json is not usable: {err}") from None
