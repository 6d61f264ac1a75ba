"""Model architectures: the typed records model presets are made of, and what follows from them.

The models helper implements the counting methods below (param_count, active_param_count,
kv_cache_bytes) against official parameter counts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt


class MoE(BaseModel):
    """Mixture-of-experts MLP layout."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    experts: PositiveInt = Field(description="Routed experts per MoE layer.")
    experts_per_token: PositiveInt = Field(description="Routed experts active per token (top-k).")
    shared_experts: int = Field(default=0, ge=0, description="Always-on experts per MoE layer.")
    expert_ffn: PositiveInt = Field(description="Intermediate size of one expert.")
    dense_layers: int = Field(default=0, ge=0, description="Leading layers with a dense MLP of size `ffn`.")


class MLA(BaseModel):
    """DeepSeek's multi-head latent attention (compressed KV)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q_lora_rank: PositiveInt | None
    kv_lora_rank: PositiveInt
    qk_nope_head_dim: PositiveInt
    qk_rope_head_dim: PositiveInt
    v_head_dim: PositiveInt


class ModelArch(BaseModel):
    """A decoder-only transformer as published in its config and model card."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$", description="Canonical id, e.g. 'llama-3.1-70b'.")
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    layers: PositiveInt
    hidden: PositiveInt
    heads: PositiveInt
    kv_heads: PositiveInt
    head_dim: PositiveInt
    ffn: PositiveInt = Field(description="Dense MLP intermediate size.")
    vocab: PositiveInt
    tied_embeddings: bool = False
    mlp: Literal["swiglu", "gelu"] = "swiglu"
    norm: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    qkv_bias: bool = False
    linear_bias: bool = Field(default=False, description="Biases on every linear (O and MLP too).")
    parallel_attention: bool = Field(default=False, description="Attention and MLP share one input norm.")
    learned_positions: int = Field(default=0, ge=0, description="Rows of a learned position embedding.")
    embedding_norm: bool = Field(default=False, description="A norm right after the embedding (BLOOM).")
    sliding_window: PositiveInt | None = None
    sliding_window_layers: int | None = Field(
        default=None, ge=0, description="Layers using the window; None means all when a window is set."
    )
    moe: MoE | None = None
    mla: MLA | None = None
    max_context: PositiveInt
    official_params: PositiveInt = Field(description="Total parameters as the publisher counts them.")
    official_active_params: PositiveInt | None = None
    source: str = Field(min_length=1, description="Where the architecture and count come from.")

    # --- derived quantities (implemented by the model-presets work) ---------------------------

    def param_count(self) -> int:
        """Total parameters derived from the architecture (MoE: every expert)."""
        raise NotImplementedError  # replaced by the model-presets work

    def active_param_count(self) -> int:
        """Parameters used per token (MoE: routed top-k + shared experts; dense: all)."""
        raise NotImplementedError  # replaced by the model-presets work

    def kv_cache_bytes(self, seq_len: int, batch: int, bytes_per_value: float) -> int:
        """KV cache for ``batch`` sequences of ``seq_len`` tokens (GQA, sliding window, MLA aware)."""
        raise NotImplementedError  # replaced by the model-presets work
