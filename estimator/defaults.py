"""The assumptions every estimate starts from; settings (NAPKIN_*) can override each."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Defaults(BaseModel):
    """Default assumptions, each with the reason a reader can check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gpu: str = Field(default="h100", description="Accelerator used when none is named.")
    mfu: float = Field(default=0.40, gt=0, le=1)
    mfu_source: str = "MFU 40%: Llama 3 405B reached 38-43% BF16 on H100 (arXiv 2407.21783); PaLM 46%; GPT-3 21%"
    fp8_speedup: float = Field(
        default=1.3,
        ge=1.0,
        le=2.0,
        description="End-to-end fp8 (and fp4) training throughput over bf16 on the same run (model FLOPs/s).",
    )
    fp8_speedup_source: str = (
        "fp8 runs modelled as 1.3× the bf16 throughput (40% of the bf16 peak → 52%), not MFU on the fp8 peak: "
        "measured end-to-end fp8/bf16 speed-ups are 1.30× (TorchAO MXFP8, Llama 4 Scout, GB200) to 1.50× "
        "(torchtitan float8 + FSDP2, Llama 3 70B on 128 H100; pytorch.org/blog/training-using-float8-fsdp2); "
        "frontier fp8 MoE runs reported less: DeepSeek-V3 ran at about 35% of the H800 bf16 peak "
        "(2.664M GPU-hours for 14.8T tokens, arXiv 2412.19437)"
    )
    flops_factor: float = Field(default=6.0, gt=0, description="FLOPs per parameter per token (Kaplan).")
    tokens_per_param: float = Field(default=20.0, gt=0, description="Chinchilla compute-optimal ratio.")
    pue: float = Field(default=1.2, ge=1.0, le=3.0, description="Data-centre power usage effectiveness.")
    grid_kg_co2_per_kwh: float = Field(default=0.4, ge=0, le=2.0)
    default_days: float = Field(default=30.0, gt=0, description="Deadline used when neither gpus= nor days=.")
    node_size: int = Field(default=8, ge=1, description="GPUs per node; cluster sizes round up to it.")
    cuda_context_bytes: int = Field(default=1_000_000_000, ge=0, description="Per-GPU runtime reserve.")
    allocator_overhead: float = Field(default=0.10, ge=0, le=1, description="Fragmentation headroom.")
    ctx: int = Field(default=4096, ge=1, description="Sequence length for KV cache and activations.")
    batch: int = Field(default=1, ge=1)
    lora_rank: int = Field(default=16, ge=1)
    cpu_memory_bytes: int | None = Field(default=None, description="Host RAM per node for offload checks.")
