"""Model architectures: the typed records model presets are made of, and what follows from them.

Parameter counts follow the weights a checkpoint stores (Hugging Face ``transformers`` layout);
``tests/test_model_presets.py`` pins them to the publishers' official counts.
"""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from estimator.precision import Precision


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
    mlp: Literal["swiglu", "gelu"] = Field(
        default="swiglu",
        description="'swiglu': any gated MLP with three matrices (SwiGLU, GeGLU); 'gelu': two (up, down).",
    )
    norm: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    qkv_bias: bool = False
    linear_bias: bool = Field(default=False, description="Biases on every linear (O and MLP too).")
    parallel_attention: bool = Field(
        default=False,
        description="Attention and MLP read the same layer input in parallel (GPT-J, Falcon); they share "
        "one input norm unless norms_per_layer says otherwise.",
    )
    learned_positions: int = Field(default=0, ge=0, description="Rows of a learned position embedding.")
    embedding_norm: bool = Field(default=False, description="A norm right after the embedding (BLOOM).")
    norms_per_layer: PositiveInt | None = Field(
        default=None,
        description="Norms inside each layer; None means 1 with parallel_attention, else 2 "
        "(Falcon-180B, GPT-NeoX: parallel with 2; Gemma 2's sandwich norms: 4).",
    )
    qk_norm: bool = Field(default=False, description="Per-head RMSNorm of queries and keys (Qwen3).")
    sliding_window: PositiveInt | None = None
    sliding_window_layers: int | None = Field(
        default=None, ge=0, description="Layers using the window; None means all when a window is set."
    )
    moe: MoE | None = None
    mla: MLA | None = None
    max_context: PositiveInt
    official_params: PositiveInt = Field(description="Total parameters as the publisher counts them.")
    official_active_params: PositiveInt | None = None
    vision_params: int = Field(
        default=0,
        ge=0,
        description="Vision encoder and projector weights of a multimodal checkpoint, as published; stored "
        "beside the text model (in the total and in memory) but not run per text token.",
    )
    source: str = Field(min_length=1, description="Where the architecture and count come from.")
    training_tokens: float | None = Field(
        default=None, gt=0, description="Pre-training tokens the publisher reports; None where unpublished."
    )
    training_tokens_source: str | None = Field(
        default=None, min_length=1, description="Where training_tokens is published (paper, model card)."
    )
    stored_weight_bytes: PositiveInt | None = Field(
        default=None,
        description="A pre-quantized checkpoint's weights as stored (scales, zero points and unquantized "
        "layers included); inference at stored_precision uses it instead of an assumed bytes/param.",
    )
    stored_precision: Precision | None = Field(default=None, description="The precision stored_weight_bytes is at.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.mla is None and self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads ({self.kv_heads})")
        if self.sliding_window_layers is not None:
            if self.sliding_window is None:
                raise ValueError("sliding_window_layers needs sliding_window")
            if self.sliding_window_layers > self.layers:
                raise ValueError("sliding_window_layers exceeds layers")
        if self.moe is not None:
            if self.moe.experts_per_token > self.moe.experts:
                raise ValueError("moe.experts_per_token exceeds moe.experts")
            if self.moe.dense_layers > self.layers:
                raise ValueError("moe.dense_layers exceeds layers")
        elif self.official_active_params is not None:
            raise ValueError("official_active_params is only for mixture-of-experts models")
        if (self.training_tokens is None) != (self.training_tokens_source is None):
            raise ValueError("training_tokens and training_tokens_source go together")
        if self.official_active_params is not None and self.official_active_params > self.official_params:
            raise ValueError("official_active_params exceeds official_params")
        return self

    # --- derived quantities -------------------------------------------------------------------
    # Plain integer arithmetic, a microsecond or two, so computed on every call: a cache would outlive a
    # copy made with model_copy(update=...), which copies the instance's __dict__.

    @property
    def is_moe(self) -> bool:
        """Whether the MLP is a mixture of experts (total and active parameters differ)."""
        return self.moe is not None

    @property
    def is_mla(self) -> bool:
        """Whether attention is DeepSeek's multi-head latent attention (compressed KV cache)."""
        return self.mla is not None

    def stored_bytes_at(self, fmt: str) -> int | None:
        """The checkpoint's stored weight bytes when inference runs at its stored precision, else None."""
        if self.stored_weight_bytes is None or self.stored_precision is None or fmt != self.stored_precision.value:
            return None
        return self.stored_weight_bytes

    def param_count(self) -> int:
        """Total parameters derived from the architecture (MoE: every expert)."""
        return self._count(active_only=False)

    def active_param_count(self) -> int:
        """Parameters used per token (MoE: routed top-k + shared experts; dense: all)."""
        return self._count(active_only=True)

    def embedding_param_count(self) -> int:
        """Token embedding, untied LM head and learned position rows (what '12·L·h²' leaves out)."""
        tables = 1 if self.tied_embeddings else 2
        return tables * self.vocab * self.hidden + self.learned_positions * self.hidden

    def non_embedding_param_count(self) -> int:
        """Total parameters minus ``embedding_param_count()`` (Kaplan et al.'s N)."""
        return self.param_count() - self.embedding_param_count()

    def largest_matrix_params(self) -> int:
        """Elements of the biggest single weight matrix (DeepSpeed's ZeRO-3 'largest layer')."""
        candidates = [self.vocab * self.hidden, self.hidden * self.heads * self.head_dim]
        if self.moe is None or self.moe.dense_layers:
            candidates.append(self.hidden * self.ffn)
        if self.moe is not None:
            candidates.append(self.hidden * self.moe.expert_ffn)
        if self.mla is not None:
            mla = self.mla
            candidates.append(self.heads * mla.v_head_dim * self.hidden)
            candidates.append(mla.kv_lora_rank * self.heads * (mla.qk_nope_head_dim + mla.v_head_dim))
        return max(candidates)

    def kv_values_per_token_per_layer(self) -> int:
        """Cached values per token in one layer: 2·a_kv·d_head (K and V), or MLA's latent + RoPE key."""
        if self.mla is not None:
            return self.mla.kv_lora_rank + self.mla.qk_rope_head_dim
        return 2 * self.kv_heads * self.head_dim

    def kv_cache_bytes(self, seq_len: int, batch: int, bytes_per_value: float) -> int:
        """KV cache for ``batch`` sequences of ``seq_len`` tokens (GQA, sliding window, MLA aware)."""
        if seq_len < 0 or batch < 0:
            raise ValueError("seq_len and batch must be non-negative")
        if bytes_per_value <= 0:
            raise ValueError("bytes_per_value must be positive")
        cached_tokens = self.layers * seq_len  # summed over layers
        window = self.sliding_window
        if window is not None and seq_len > window:
            windowed = self.layers if self.sliding_window_layers is None else self.sliding_window_layers
            cached_tokens -= windowed * (seq_len - window)
        values = self.kv_values_per_token_per_layer() * cached_tokens * batch
        return math.ceil(values * bytes_per_value)

    # --- counting helpers ---------------------------------------------------------------------

    def _norm(self, width: int) -> int:
        """One norm over ``width`` features: RMSNorm a weight, LayerNorm a weight and a bias."""
        return 2 * width if self.norm == "layernorm" else width

    def _attention(self) -> int:
        """One layer's attention projections (and MLA's internal norms)."""
        h = self.hidden
        if self.mla is not None:
            mla = self.mla
            q_out = self.heads * (mla.qk_nope_head_dim + mla.qk_rope_head_dim)
            if mla.q_lora_rank is None:
                q = h * q_out
            else:
                q = h * mla.q_lora_rank + self._norm(mla.q_lora_rank) + mla.q_lora_rank * q_out
            kv = (
                h * (mla.kv_lora_rank + mla.qk_rope_head_dim)
                + self._norm(mla.kv_lora_rank)
                + mla.kv_lora_rank * self.heads * (mla.qk_nope_head_dim + mla.v_head_dim)
            )
            return q + kv + self.heads * mla.v_head_dim * h
        q_width = self.heads * self.head_dim
        kv_width = self.kv_heads * self.head_dim
        params = 2 * h * q_width + 2 * h * kv_width  # Q, O and K, V
        if self.qkv_bias or self.linear_bias:
            params += q_width + 2 * kv_width
        if self.linear_bias:
            params += h
        if self.qk_norm:
            params += 2 * self.head_dim
        return params

    def _mlp(self, ffn: int) -> int:
        """One (dense or expert) MLP of intermediate size ``ffn``."""
        h = self.hidden
        if self.mlp == "swiglu":  # gate, up, down
            return 3 * h * ffn + ((2 * ffn + h) if self.linear_bias else 0)
        return 2 * h * ffn + ((ffn + h) if self.linear_bias else 0)

    def _count(self, *, active_only: bool) -> int:
        h = self.hidden
        norms = self.norms_per_layer or (1 if self.parallel_attention else 2)
        per_layer = self._attention() + norms * self._norm(h)
        moe = self.moe
        if moe is None:
            blocks = self.layers * (per_layer + self._mlp(self.ffn))
        else:
            routed = moe.experts_per_token if active_only else moe.experts
            moe_layer = (routed + moe.shared_experts) * self._mlp(moe.expert_ffn) + h * moe.experts
            moe_layers = self.layers - moe.dense_layers
            blocks = self.layers * per_layer + moe.dense_layers * self._mlp(self.ffn) + moe_layers * moe_layer
        outside = self.embedding_param_count() + self._norm(h)  # + final norm
        if not active_only:
            outside += self.vision_params
        if self.embedding_norm:
            outside += self._norm(h)
        return blocks + outside
