"""The transformer shape memory formulas need: read from a preset, or assumed from a parameter count.

A bare count such as ``20B`` says nothing about layers or width, yet activations, the KV cache and
LoRA adapters depend on them. ``assumed_shape`` picks a GPT-style shape with 12·L·h² ≈ N (Kaplan et
al. 2020, arXiv 2001.08361, §2.1) at the aspect ratio h ≈ 128·L that GPT-3 6.7B–175B (Brown et al.
2020, Table 2.1: 4096/32, 5120/40, 12288/96) and Llama 3 8B/405B (4096/32, 16384/126) share.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from estimator.architecture import ModelArch

ASSUMED_HEAD_DIM = 128
ASSUMED_VOCAB = 32_000  # Llama 1/2 and Mistral's tokenizer
ASSUMED_KV_HEADS = 8  # GQA as in Llama 3, Mistral, Qwen 2.5
ASPECT_RATIO = 128  # hidden / layers
_HEADS_QUANTUM = 8  # widths ≥ 1024 are rounded to a multiple of 8 heads so tensor parallel 8 divides them


class Shape(BaseModel):
    """Widths and counts of a decoder-only transformer, as the memory formulas use them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    layers: int = Field(gt=0)
    hidden: int = Field(gt=0)
    heads: int = Field(gt=0)
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    q_width: int = Field(gt=0, description="Query projection outputs (heads × head dim).")
    k_width: int = Field(gt=0, description="Key projection outputs (KV heads × head dim).")
    v_width: int = Field(gt=0, description="Value projection outputs.")
    o_width: int = Field(gt=0, description="Attention output fed to the O projection.")
    mlp: Literal["swiglu", "gelu"]
    ffn: int = Field(gt=0, description="Dense MLP intermediate size.")
    dense_mlp_layers: int = Field(ge=0)
    moe_layers: int = Field(default=0, ge=0)
    expert_ffn: int = Field(default=0, ge=0)
    resident_experts: int = Field(default=0, ge=0, description="Routed + shared experts per MoE layer.")
    active_experts: int = Field(default=0, ge=0, description="Routed top-k + shared experts per token.")
    vocab: int = Field(gt=0)
    embedding_params: int = Field(ge=0, description="Embedding table(s) and LM head.")
    largest_matrix: int = Field(gt=0, description="Elements of the biggest weight matrix.")
    assumed: bool = Field(description="True when guessed from a parameter count.")

    @property
    def mlp_matrices(self) -> int:
        """Weight matrices per MLP: gate, up, down (SwiGLU) or up, down (GeLU)."""
        return 3 if self.mlp == "swiglu" else 2

    def kv_cache_bytes(self, seq_len: int, batch: int, bytes_per_value: float) -> int:
        """2·L·a_kv·d_head·s·b·bytes: K and V for every layer (plain GQA, no window)."""
        values = 2 * self.layers * self.kv_heads * self.head_dim * seq_len * batch
        return math.ceil(values * bytes_per_value)

    def describe(self) -> str:
        """``L=44, h=6144, 48 heads (8 KV) of 128, GeLU MLP 24576, vocab 32000``."""
        mlp = "SwiGLU" if self.mlp == "swiglu" else "GeLU"
        text = (
            f"L={self.layers}, h={self.hidden}, {self.heads} heads ({self.kv_heads} KV) of {self.head_dim}, "
            f"{mlp} MLP {self.ffn}"
        )
        if self.moe_layers:
            text += (
                f", {self.moe_layers} MoE layers of {self.resident_experts} experts "
                f"({self.active_experts} active, width {self.expert_ffn})"
            )
        return f"{text}, vocab {self.vocab}"


def shape_of(arch: ModelArch) -> Shape:
    """The shape of a preset. MLA attention is described by its decompressed per-head widths."""
    if arch.mla is not None:
        mla = arch.mla
        qk = arch.heads * (mla.qk_nope_head_dim + mla.qk_rope_head_dim)
        v = arch.heads * mla.v_head_dim
        q_width, k_width, v_width, o_width = qk, qk, v, v
    else:
        q_width = o_width = arch.heads * arch.head_dim
        k_width = v_width = arch.kv_heads * arch.head_dim
    moe = arch.moe
    return Shape(
        layers=arch.layers,
        hidden=arch.hidden,
        heads=arch.heads,
        kv_heads=arch.kv_heads,
        head_dim=arch.head_dim,
        q_width=q_width,
        k_width=k_width,
        v_width=v_width,
        o_width=o_width,
        mlp=arch.mlp,
        ffn=arch.ffn,
        dense_mlp_layers=arch.layers if moe is None else moe.dense_layers,
        moe_layers=0 if moe is None else arch.layers - moe.dense_layers,
        expert_ffn=0 if moe is None else moe.expert_ffn,
        resident_experts=0 if moe is None else moe.experts + moe.shared_experts,
        active_experts=0 if moe is None else moe.experts_per_token + moe.shared_experts,
        vocab=arch.vocab,
        embedding_params=arch.embedding_param_count(),
        largest_matrix=arch.largest_matrix_params(),
        assumed=False,
    )


@functools.lru_cache(maxsize=1024)
def assumed_shape(params: int) -> Shape:
    """A GPT-style shape for ``params`` parameters: 12·L·h² ≈ N with h ≈ 128·L, head dim 128,
    GeLU MLP of 4h, 8 KV heads, vocabulary 32000. 20B → L=44, h=6144; 405B → L=126, h=16384."""
    if params <= 0:
        raise ValueError("params must be positive")
    width = ASPECT_RATIO * (params / (12 * ASPECT_RATIO**2)) ** (1 / 3)
    quantum = ASSUMED_HEAD_DIM * (_HEADS_QUANTUM if width >= ASSUMED_HEAD_DIM * _HEADS_QUANTUM else 1)
    hidden = max(ASSUMED_HEAD_DIM, quantum * round(width / quantum))
    layers = max(1, round(params / (12 * hidden * hidden)))
    heads = hidden // ASSUMED_HEAD_DIM
    return _gelu_shape(
        layers,
        hidden,
        heads=heads,
        kv_heads=min(ASSUMED_KV_HEADS, heads),
        head_dim=ASSUMED_HEAD_DIM,
        vocab=ASSUMED_VOCAB,
        assumed=True,
    )


def gpt_shape(layers: int, hidden: int, heads: int, vocab: int) -> Shape:
    """The shape Korthikanti et al. and Megatron assume: multi-head attention (a_kv = a, d_head = h/a),
    GeLU MLP of 4h, untied embeddings. For pinning published activation figures (GPT-3 175B…)."""
    return _gelu_shape(
        layers, hidden, heads=heads, kv_heads=heads, head_dim=hidden // heads, vocab=vocab, assumed=False
    )


def _gelu_shape(
    layers: int, hidden: int, *, heads: int, kv_heads: int, head_dim: int, vocab: int, assumed: bool
) -> Shape:
    """A GPT-style stack: attention of ``heads`` × ``head_dim``, GeLU MLP of 4h, untied embeddings."""
    ffn = 4 * hidden
    return Shape(
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        q_width=heads * head_dim,
        k_width=kv_heads * head_dim,
        v_width=kv_heads * head_dim,
        o_width=heads * head_dim,
        mlp="gelu",
        ffn=ffn,
        dense_mlp_layers=layers,
        vocab=vocab,
        embedding_params=2 * vocab * hidden,
        largest_matrix=max(vocab, ffn) * hidden,
        assumed=assumed,
    )
