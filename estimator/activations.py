"""Activation memory of a transformer, after Korthikanti et al. 2022 (arXiv 2205.05198, §4, Table 2).

Per layer and 16-bit activations, their GPT layer (multi-head attention, GeLU MLP with f = 4h,
dropout) stores s·b·h·(34 + 5·a·s/h) bytes:
- attention 11·sbh + 5·a·s²·b: its input 2, Q and K 4, V 2, the O projection's input 2, a dropout
  mask 1 (all ·sbh); softmax output 2, its dropout mask 1 and output 2 (all ·a·s²·b);
- MLP 19·sbh: its input 2, GeLU input 8 and output 8 (2·s·b·f each), a dropout mask 1;
- two layer-norm inputs 4·sbh.
Of the 34, 10 (norm inputs, the attention and MLP inputs, masks) are replicated under tensor
parallelism and 24 are split: s·b·h·(10 + 24/t + 5·a·s/(h·t)); sequence parallelism splits the 10
too. napkin generalises the split part to the real widths: Q, K, V and attention output
2·(q + k + v + o) (GQA shrinks K and V); the MLP keeps 4·f (GeLU: its input and output) or 6·f
(SwiGLU: gate and up outputs and their product, as Megatron's fused SwiGLU stores them).
FlashAttention (Dao et al. 2022) never stores the s² scores, which drops the 5·a·s/h term; it is
napkin's default, as in every current training stack.
"""

from __future__ import annotations

import math
from typing import Literal

from estimator.shapes import Shape

Recompute = Literal["none", "selective", "full"]

LOGITS_BYTES_PER_VALUE = 4  # the loss reads fp32 logits
_REPLICATED_PER_HIDDEN = 10
_CHECKPOINT_PER_HIDDEN = 2  # full recomputation keeps each layer's 16-bit input


def layer_activation_bytes(
    shape: Shape,
    seq: int,
    batch: int,
    *,
    ffn: int | None = None,
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
    flash: bool = True,
) -> int:
    """Bytes one layer stores for the backward pass (Korthikanti Table 2, generalised as above).
    ``ffn`` is the MLP width per token (default the dense width; MoE: active experts × expert width)."""
    width = shape.ffn if ffn is None else ffn
    replicated = _REPLICATED_PER_HIDDEN * shape.hidden
    split = 2 * (shape.q_width + shape.k_width + shape.v_width + shape.o_width)
    split += (6 if shape.mlp == "swiglu" else 4) * width
    scores = 0 if flash else 5 * shape.heads * seq
    t = tensor_parallel
    per_token = (replicated + split + scores) / t if sequence_parallel else replicated + (split + scores) / t
    return math.ceil(seq * batch * per_token)


def logits_bytes(seq: int, batch: int, vocab: int, tensor_parallel: int = 1) -> int:
    """fp32 logits for the loss, s·b·V·4 bytes (vocab-parallel under tensor parallelism)."""
    return math.ceil(seq * batch * vocab * LOGITS_BYTES_PER_VALUE / tensor_parallel)


def _layers(shape: Shape, seq: int, batch: int, *, t: int, sp: bool, flash: bool) -> list[tuple[int, int]]:
    """(bytes per layer, layer count) for the dense-MLP layers and the MoE layers."""
    kinds: list[tuple[int, int]] = []
    for count, ffn in (
        (shape.dense_mlp_layers, shape.ffn),
        (shape.moe_layers, shape.active_experts * shape.expert_ffn),
    ):
        if count:
            per_layer = layer_activation_bytes(
                shape, seq, batch, ffn=ffn, tensor_parallel=t, sequence_parallel=sp, flash=flash
            )
            kinds.append((per_layer, count))
    return kinds


def training_activation_bytes(
    shape: Shape,
    seq: int,
    batch: int,
    recompute: Recompute,
    *,
    tensor_parallel: int = 1,
    flash: bool = True,
) -> int:
    """Activations one GPU stores for a micro-batch of ``batch`` sequences of ``seq`` tokens, plus
    the fp32 logits. Tensor parallelism comes with sequence parallelism (Megatron). ``selective``
    recomputes the attention core (Korthikanti §4.2): nothing of size s² is stored, as with
    FlashAttention. ``full`` keeps each layer's input (2·s·b·h) and, while one layer is recomputed,
    that layer's working set (which holds its own input)."""
    t = tensor_parallel
    kinds = _layers(shape, seq, batch, t=t, sp=t > 1, flash=flash or recompute == "selective")
    if recompute == "full":
        checkpoints = (shape.layers - 1) * math.ceil(_CHECKPOINT_PER_HIDDEN * seq * batch * shape.hidden / t)
        body = checkpoints + max(kinds)[0]  # the widest layer's working set
    else:
        body = sum([per_layer * count for per_layer, count in kinds])
    return body + logits_bytes(seq, batch, shape.vocab, t)


# vLLM V1's default token budget per scheduler step (max_num_batched_tokens) for `vllm serve` on
# data-centre GPUs (≥70 GiB; 2048 below that): its start-up profile runs one forward pass of this many
# tokens, and chunked prefill never batches more.
DEFAULT_PREFILL_CHUNK = 8192


def inference_activation_bytes(
    shape: Shape, seq: int, batch: int, tensor_parallel: int = 1, *, prefill_chunk: int = DEFAULT_PREFILL_CHUNK
) -> int:
    """Transient working set while serving, as serving engines size it: one layer's activations for a
    step of at most ``prefill_chunk`` tokens (chunked prefill; FlashAttention; nothing kept across
    layers), plus fp32 logits for each sequence's last token only. The KV cache is counted apart."""
    tokens = min(prefill_chunk, seq * batch)
    widest = max(_layers(shape, tokens, 1, t=tensor_parallel, sp=False, flash=True))[0]
    return widest + logits_bytes(1, batch, shape.vocab, tensor_parallel)


def full_recompute_checkpoint_bytes(shape: Shape, seq: int, batch: int, tensor_parallel: int = 1) -> int:
    """Korthikanti et al. §4.3: with full recomputation each layer keeps only its 16-bit input,
    2·s·b·h·L bytes in all (÷ t under tensor + sequence parallelism)."""
    return shape.layers * math.ceil(_CHECKPOINT_PER_HIDDEN * seq * batch * shape.hidden / tensor_parallel)
