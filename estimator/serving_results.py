"""Typed answers of ``servecost``; their JSON form is part of napkin's public contract (README)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from estimator.results import ChipAnswer

Bound = Literal["bandwidth", "compute", "kv_capacity"]


class Speed(BaseModel):
    """Latency and throughput at one concurrency."""

    model_config = ConfigDict(frozen=True)

    concurrent_sequences: int
    output_tokens_per_s: float = Field(description="Aggregate output tokens/s over all sequences.")
    tokens_per_s_per_user: float = Field(description="1 / inter-token latency.")
    itl_ms: float = Field(description="Inter-token latency (time per output token) each user sees.")
    ttft_ms: float = Field(description="Time to first token for `input_tokens` of prompt.")
    bound: Bound = Field(description="What limits a decode step: weight/KV reads or compute (or KV capacity).")
    cost_per_million_output_tokens: float | None = None


class SingleStream(BaseModel):
    """One user alone on the set-up."""

    model_config = ConfigDict(frozen=True)

    ttft_ms: float
    itl_ms: float
    tokens_per_s: float


class ServeGpuRow(BaseModel):
    """The same serving job on another catalog accelerator, at the fewest GPUs that hold it."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    name: str
    num_gpus: int
    compute_dtype: str
    tokens_per_s_per_user: float
    output_tokens_per_s: float
    price_per_gpu_hour: float | None
    cost_per_million_output_tokens: float | None


class ServeCostResult(ChipAnswer):
    """Speed, concurrency and cost of serving one model on one set-up."""

    num_gpus: int
    dtype: str = Field(description="Weight precision.")
    compute_dtype: str = Field(description="Tensor-core precision the matmuls run at.")
    kv_dtype: str
    input_tokens: int
    output_tokens: int
    fits: bool
    gpus_needed: int = Field(description="Fewest GPUs of this kind that hold the model and one sequence (fits).")
    verdict_text: str
    kv_capacity_tokens: int
    single_stream: SingleStream | None
    max_load: Speed | None
    at_batch: Speed | None
    price_per_gpu_hour: float | None
    price_source: str | None
    cost_per_million_output_tokens: float | None = Field(description="At max load, prefill time included.")
    cost_per_million_input_tokens: float | None = Field(description="Prefill alone, compute-bound.")
    gpu_hours_per_billion_output_tokens: float | None
    bound: Bound | None
    mbu: float
    mfu: float
    formula: str
    assumptions: list[str]
    comparison: list[ServeGpuRow] = Field(description="Every catalog GPU that holds it, cheapest per M tokens first.")
