"""Memory components in bytes, each a published formula (the source is in each docstring)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict

from estimator.errors import EstimateError
from estimator.precision import BYTES_PER_VALUE, NF4_BYTES_PER_PARAM, Precision
from estimator.shapes import Shape

WeightFormat = Precision | Literal["nf4"]
OptimizerName = Literal["adamw", "adamw-8bit", "sgd", "adafactor"]
Offload = Literal["none", "optimizer", "full"]

# DeepSpeed's memory estimators (deepspeed.runtime.zero.stage3.estimate_zero3_model_states_mem_needs)
# ask for 1.5× the offloaded bytes in host RAM (`additional_buffer_factor`).
DEEPSPEED_HOST_BUFFER = 1.5
# ZeRO-Offload updates on the CPU from fp32 gradients (DeepSpeed counts 16 bytes/param of host memory
# for AdamW: 4 fp32 gradient + 12 optimizer state).
CPU_GRADIENT_BYTES = 4
# Quantizers (bitsandbytes, GPTQ, AWQ) quantize the linear layers inside the blocks; the token
# embedding and the LM head stay 16-bit.
UNQUANTIZED_BYTES = 2.0


def bytes_per_param(fmt: WeightFormat) -> float:
    """fp32 4, bf16/fp16 2, fp8/int8 1, int4/fp4 0.5, nf4 0.516 (QLoRA's NF4 with double
    quantization: 4.127 bits, Dettmers et al. 2023, arXiv 2305.14314 §2)."""
    return NF4_BYTES_PER_PARAM if fmt == "nf4" else BYTES_PER_VALUE[fmt]


def weight_bytes(params: int, fmt: WeightFormat, unquantized_params: int = 0) -> int:
    """Bytes of ``params`` weights stored as ``fmt``. Formats under 2 bytes/param keep
    ``unquantized_params`` (embeddings, LM head) in 16-bit, as quantization libraries do."""
    per_param = bytes_per_param(fmt)
    if per_param >= UNQUANTIZED_BYTES or unquantized_params <= 0:
        return math.ceil(params * per_param)
    kept = min(unquantized_params, params)
    return math.ceil((params - kept) * per_param + kept * UNQUANTIZED_BYTES)


class OptimizerSpec(BaseModel):
    """Bytes per trained parameter: 16-bit weights, gradients, and K bytes of optimizer state
    (the fp32 master copy included), in the ZeRO paper's notation (arXiv 1910.02054 §3.1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    weight_bytes: float
    grad_bytes: float
    state_bytes: float
    description: str

    @property
    def bytes_per_param(self) -> float:
        """Weights + gradients + optimizer state: 16 for mixed-precision AdamW."""
        return self.weight_bytes + self.grad_bytes + self.state_bytes


OPTIMIZERS: dict[OptimizerName, OptimizerSpec] = {
    "adamw": OptimizerSpec(
        name="adamw",
        weight_bytes=2,
        grad_bytes=2,
        state_bytes=12,
        description="mixed-precision AdamW: 2 (bf16 weights) + 2 (bf16 gradients) + 12 (fp32 master, "
        "momentum, variance) = 16 bytes/param (ZeRO, arXiv 1910.02054 §3.1)",
    ),
    "adamw-8bit": OptimizerSpec(
        name="adamw-8bit",
        weight_bytes=2,
        grad_bytes=2,
        state_bytes=6,
        description="8-bit AdamW: 2 (bf16 weights) + 2 (gradients) + 4 (fp32 master) + 2 (two 8-bit "
        "states) = 10 bytes/param (Dettmers et al. 2021, arXiv 2110.02861)",
    ),
    "sgd": OptimizerSpec(
        name="sgd",
        weight_bytes=2,
        grad_bytes=2,
        state_bytes=8,
        description="SGD with momentum, mixed precision: 2 + 2 + 4 (fp32 master) + 4 (momentum) = 12 bytes/param",
    ),
    "adafactor": OptimizerSpec(
        name="adafactor",
        weight_bytes=2,
        grad_bytes=2,
        state_bytes=4,
        description="Adafactor without momentum: 2 + 2 + 4 (fp32 master) = 8 bytes/param; its factored "
        "second moment (a row and a column vector per matrix) is negligible (Shazeer & Stern 2018, "
        "arXiv 1804.04235)",
    ),
}

FP32_ADAMW = OptimizerSpec(
    name="adamw-fp32",
    weight_bytes=4,
    grad_bytes=4,
    state_bytes=8,
    description="pure fp32 AdamW: 4 (weights) + 4 (gradients) + 8 (momentum, variance) = 16 bytes/param",
)


class ModelStates(BaseModel):
    """Weights, gradients and optimizer state held by one GPU."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: int
    gradients: int
    optimizer: int

    @property
    def total(self) -> int:
        """All three together."""
        return self.weights + self.gradients + self.optimizer


def zero_model_states(params: int, spec: OptimizerSpec, stage: int, data_parallel: int) -> ModelStates:
    """Per-GPU model states under ZeRO over N_d data-parallel GPUs (Rajbhandari et al. 2019,
    arXiv 1910.02054, §5 and Figure 1), for an optimizer keeping K bytes/param:
    stage 0: (2+2+K)Ψ; stage 1 (optimizer sharded): 4Ψ + KΨ/N_d; stage 2 (+ gradients):
    2Ψ + (2+K)Ψ/N_d; stage 3 (+ parameters): (2+2+K)Ψ/N_d."""
    weights, gradients, optimizer = zero_state_bytes(params, spec, stage, data_parallel)
    return ModelStates(weights=weights, gradients=gradients, optimizer=optimizer)


def zero_state_bytes(params: int, spec: OptimizerSpec, stage: int, data_parallel: int) -> tuple[int, int, int]:
    """``zero_model_states`` as a plain (weights, gradients, optimizer) tuple, for tight search loops."""
    if stage not in (0, 1, 2, 3):
        raise EstimateError(f"zero= takes a ZeRO stage 0, 1, 2 or 3 (got {stage})")
    if data_parallel < 1:
        raise EstimateError(f"data-parallel degree must be at least 1 (got {data_parallel})")
    n = data_parallel
    return (
        math.ceil(params * spec.weight_bytes / (n if stage >= 3 else 1)),
        math.ceil(params * spec.grad_bytes / (n if stage >= 2 else 1)),
        math.ceil(params * spec.state_bytes / (n if stage >= 1 else 1)),
    )


def offload_cpu_bytes(params: int, spec: OptimizerSpec, offload: Offload) -> int:
    """Host bytes that CPU offload keeps, as DeepSpeed's estimators count them before their 1.5×
    buffer. ``optimizer`` (ZeRO-Offload, Ren et al. 2021, arXiv 2101.06840): fp32 gradients and the
    optimizer state incl. fp32 master weights, 4 + K bytes/param (16 for AdamW); ``full`` (ZeRO-3
    parameter offload, ZeRO-Infinity arXiv 2104.07857): the 16-bit parameters too (18 for AdamW)."""
    if offload == "none":
        return 0
    per_param = CPU_GRADIENT_BYTES + spec.state_bytes
    if offload == "full":
        per_param += spec.weight_bytes
    return math.ceil(params * per_param)


def host_memory_needed(offloaded_bytes: int) -> int:
    """Host RAM to provision for ``offloaded_bytes`` of offloaded training state (DeepSpeed's 1.5×)."""
    return math.ceil(offloaded_bytes * DEEPSPEED_HOST_BUFFER)


def lora_adapter_params(shape: Shape, rank: int) -> int:
    """LoRA adapters (Hu et al. 2021, arXiv 2106.09685): r·(d_in + d_out) parameters per adapted
    matrix, on q, k, v, o and every MLP projection (PEFT's ``all-linear``; MoE: every expert).
    Llama 3.1 8B at r=16: 41,943,040, as PEFT prints it."""
    if rank < 1:
        raise EstimateError(f"rank= must be at least 1 (got {rank})")
    h = shape.hidden
    attention = (h + shape.q_width) + (h + shape.k_width) + (h + shape.v_width) + (shape.o_width + h)
    dense_mlp = shape.mlp_matrices * (h + shape.ffn)
    expert_mlp = shape.mlp_matrices * (h + shape.expert_ffn) * shape.resident_experts
    per_model = shape.layers * attention + shape.dense_mlp_layers * dense_mlp + shape.moe_layers * expert_mlp
    return rank * per_model


def allocator_headroom_bytes(component_bytes: int, fraction: float) -> int:
    """Fragmentation headroom: ``fraction`` of everything else on the GPU (rules of thumb add 10-20%).
    The CUDA context is a separate per-GPU reserve, taken off the usable memory instead. Rounded up,
    so headroom on shards never adds up to less than headroom on the whole."""
    return math.ceil(component_bytes * fraction)
