"""Checkpoints for the fake Hub: tensors named and shaped as ``transformers`` stores them, and the
config.json its configuration class writes, for a preset's architecture or a small test model."""

from __future__ import annotations

from typing import Any

from estimator.architecture import ModelArch
from tests.fake_hub import TensorSpec


def llama_tensors(arch: ModelArch, dtype: str = "BF16") -> dict[str, TensorSpec]:
    """A Llama/Mistral/Qwen-layout checkpoint of ``arch`` (Mixtral's expert names for a MoE)."""
    h, hd = arch.hidden, arch.head_dim
    t: dict[str, TensorSpec] = {"model.embed_tokens.weight": (dtype, (arch.vocab, h))}
    for i in range(arch.layers):
        p = f"model.layers.{i}"
        t[f"{p}.self_attn.q_proj.weight"] = (dtype, (arch.heads * hd, h))
        t[f"{p}.self_attn.k_proj.weight"] = (dtype, (arch.kv_heads * hd, h))
        t[f"{p}.self_attn.v_proj.weight"] = (dtype, (arch.kv_heads * hd, h))
        t[f"{p}.self_attn.o_proj.weight"] = (dtype, (h, arch.heads * hd))
        if arch.qkv_bias:
            t[f"{p}.self_attn.q_proj.bias"] = (dtype, (arch.heads * hd,))
            t[f"{p}.self_attn.k_proj.bias"] = (dtype, (arch.kv_heads * hd,))
            t[f"{p}.self_attn.v_proj.bias"] = (dtype, (arch.kv_heads * hd,))
        if arch.qk_norm:
            t[f"{p}.self_attn.q_norm.weight"] = (dtype, (hd,))
            t[f"{p}.self_attn.k_norm.weight"] = (dtype, (hd,))
        if arch.moe is None:
            t[f"{p}.mlp.gate_proj.weight"] = (dtype, (arch.ffn, h))
            t[f"{p}.mlp.up_proj.weight"] = (dtype, (arch.ffn, h))
            t[f"{p}.mlp.down_proj.weight"] = (dtype, (h, arch.ffn))
        else:
            moe = arch.moe
            t[f"{p}.block_sparse_moe.gate.weight"] = (dtype, (moe.experts, h))
            for e in range(moe.experts):
                q = f"{p}.block_sparse_moe.experts.{e}"
                t[f"{q}.w1.weight"] = (dtype, (moe.expert_ffn, h))
                t[f"{q}.w3.weight"] = (dtype, (moe.expert_ffn, h))
                t[f"{q}.w2.weight"] = (dtype, (h, moe.expert_ffn))
        t[f"{p}.input_layernorm.weight"] = (dtype, (h,))
        t[f"{p}.post_attention_layernorm.weight"] = (dtype, (h,))
    t["model.norm.weight"] = (dtype, (h,))
    if not arch.tied_embeddings:
        t["lm_head.weight"] = (dtype, (arch.vocab, h))
    return t


def gptq_tensors(arch: ModelArch, *, bits: int = 4, group: int = 128) -> dict[str, TensorSpec]:
    """``llama_tensors`` with every linear in the blocks GPTQ-packed (AutoGPTQ's layout)."""
    dense = llama_tensors(arch, "F16")
    t: dict[str, TensorSpec] = {}
    per_int = 32 // bits
    for name, (dtype, shape) in dense.items():
        is_linear = ".layers." in name and name.endswith("_proj.weight") and len(shape) == 2
        if not is_linear:
            t[name] = (dtype, shape)
            continue
        out_features, in_features = shape
        base = name.removesuffix(".weight")
        t[f"{base}.qweight"] = ("I32", (in_features // per_int, out_features))
        t[f"{base}.qzeros"] = ("I32", (in_features // group, out_features // per_int))
        t[f"{base}.scales"] = ("F16", (in_features // group, out_features))
        t[f"{base}.g_idx"] = ("I32", (in_features,))
    return t


def llama_config(arch: ModelArch, model_type: str = "llama") -> dict[str, Any]:
    """The config.json LlamaConfig (and its Mistral/Qwen kin) writes for ``arch``."""
    config: dict[str, Any] = {
        "architectures": [f"{model_type.capitalize()}ForCausalLM"],
        "model_type": model_type,
        "hidden_size": arch.hidden,
        "intermediate_size": arch.ffn,
        "num_hidden_layers": arch.layers,
        "num_attention_heads": arch.heads,
        "num_key_value_heads": arch.kv_heads,
        "head_dim": arch.head_dim,
        "vocab_size": arch.vocab,
        "max_position_embeddings": arch.max_context,
        "tie_word_embeddings": arch.tied_embeddings,
        "rms_norm_eps": 1e-5,
        "torch_dtype": "bfloat16",
    }
    if arch.sliding_window is not None:
        config["sliding_window"] = arch.sliding_window
    if arch.moe is not None:
        config["num_local_experts"] = arch.moe.experts
        config["num_experts_per_tok"] = arch.moe.experts_per_token
    return config


def gpt_oss_checkpoint(
    *, layers: int = 2, hidden: int = 256, heads: int = 8, kv_heads: int = 2, head_dim: int = 32, experts: int = 4
) -> tuple[dict[str, TensorSpec], dict[str, Any], int]:
    """A small gpt-oss checkpoint in OpenAI's MXFP4 layout, its config, and its unpacked parameter count."""
    ffn, vocab = hidden, 512
    t: dict[str, TensorSpec] = {"model.embed_tokens.weight": ("BF16", (vocab, hidden))}
    params = vocab * hidden
    for i in range(layers):
        p = f"model.layers.{i}"
        attn = {
            "q_proj": (heads * head_dim, hidden),
            "k_proj": (kv_heads * head_dim, hidden),
            "v_proj": (kv_heads * head_dim, hidden),
            "o_proj": (hidden, heads * head_dim),
        }
        for proj, (out_f, in_f) in attn.items():
            t[f"{p}.self_attn.{proj}.weight"] = ("BF16", (out_f, in_f))
            t[f"{p}.self_attn.{proj}.bias"] = ("BF16", (out_f,))
            params += out_f * in_f + out_f
        t[f"{p}.self_attn.sinks"] = ("BF16", (heads,))
        t[f"{p}.mlp.router.weight"] = ("BF16", (experts, hidden))
        t[f"{p}.mlp.router.bias"] = ("BF16", (experts,))
        params += heads + experts * hidden + experts
        # MXFP4: 32 values per block, 16 bytes of two FP4 values each, one uint8 scale per block
        t[f"{p}.mlp.experts.gate_up_proj_blocks"] = ("U8", (experts, 2 * ffn, hidden // 32, 16))
        t[f"{p}.mlp.experts.gate_up_proj_scales"] = ("U8", (experts, 2 * ffn, hidden // 32))
        t[f"{p}.mlp.experts.gate_up_proj_bias"] = ("BF16", (experts, 2 * ffn))
        t[f"{p}.mlp.experts.down_proj_blocks"] = ("U8", (experts, hidden, ffn // 32, 16))
        t[f"{p}.mlp.experts.down_proj_scales"] = ("U8", (experts, hidden, ffn // 32))
        t[f"{p}.mlp.experts.down_proj_bias"] = ("BF16", (experts, hidden))
        params += experts * (2 * ffn * hidden + 2 * ffn + hidden * ffn + hidden)
        t[f"{p}.input_layernorm.weight"] = ("BF16", (hidden,))
        t[f"{p}.post_attention_layernorm.weight"] = ("BF16", (hidden,))
        params += 2 * hidden
    t["model.norm.weight"] = ("BF16", (hidden,))
    t["lm_head.weight"] = ("BF16", (vocab, hidden))
    params += hidden + vocab * hidden
    config = {
        "architectures": ["GptOssForCausalLM"],
        "model_type": "gpt_oss",
        "hidden_size": hidden,
        "intermediate_size": ffn,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": head_dim,
        "vocab_size": vocab,
        "num_local_experts": experts,
        "num_experts_per_tok": 2,
        "sliding_window": 128,
        "layer_types": ["sliding_attention", "full_attention"] * (layers // 2),
        "max_position_embeddings": 131072,
        "tie_word_embeddings": False,
        "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": ["model.layers.*.self_attn"]},
    }
    return t, config, params
