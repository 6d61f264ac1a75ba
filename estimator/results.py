"""Typed answers the estimator returns; their JSON form is napkin's public contract (README)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from estimator.precision import Precision

Mode = Literal["inference", "train", "lora", "qlora"]
Verdict = Literal["fits_one_gpu", "fits_n_gpus", "needs_offload", "does_not_fit"]
CountUnit = Annotated[
    Literal["GPU", "chip", "device"],
    Field(description="What the counts count: 'chip' for TPU, Trainium; 'device' for Gaudi."),
]


class GpuCostRow(BaseModel):
    """The same training job priced on another catalog accelerator."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    name: str
    dtype: Precision
    peak_flops: float
    mfu: float = Field(description="Utilisation of this device's `dtype` peak the row assumes.")
    gpu_hours: float
    price_per_gpu_hour: float | None
    cost_usd: float | None
    price_source: str | None
    unsuitable: str | None = Field(
        default=None,
        description="Why this device cannot run the job as sized (no multi-node interconnect, model states "
        "that do not fit even fully sharded); None when it can.",
    )


class TrainCostResult(BaseModel):
    """Compute, time, cost and energy of one training run."""

    model_config = ConfigDict(frozen=True)

    model: str | None = Field(description="Preset key when a model name was given.")
    params: int
    active_params: int
    tokens: float
    tokens_assumed: bool = Field(description="True when tokens were not given (published or Chinchilla).")
    tokens_basis: Literal["given", "published", "chinchilla"] = Field(
        description="Where `tokens` comes from: the command, the preset's published figure, or 20 per parameter."
    )
    tokens_source: str | None = Field(description="The publication of a published token count; else None.")
    flops_factor: float
    flops: float
    gpu: str
    gpu_name: str
    unit: CountUnit = "GPU"
    dtype: Precision
    peak_flops: float = Field(description="Dense peak FLOP/s of one device at `dtype`.")
    mfu: float
    gpu_hours: float
    price_per_gpu_hour: float | None
    price_source: str | None
    cost_usd: float | None
    num_gpus: int
    num_gpus_reason: Literal["given", "deadline", "default_deadline"]
    wall_clock_days: float
    energy_kwh: float | None = Field(description="None (unknown) where the device's board power is unpublished.")
    co2_tonnes: float | None = Field(description="None (unknown) where energy is unknown.")
    formula: str
    assumptions: list[str]
    comparison: list[GpuCostRow] = Field(description="Same job on every catalog GPU, cheapest first.")


class MemoryBreakdown(BaseModel):
    """Bytes per GPU by component."""

    model_config = ConfigDict(frozen=True)

    weights: int
    gradients: int
    optimizer: int
    activations: int
    kv_cache: int
    overhead: int

    @property
    def total(self) -> int:
        """Sum of every component."""
        return self.weights + self.gradients + self.optimizer + self.activations + self.kv_cache + self.overhead


class Plan(BaseModel):
    """The fewest-GPU layout that holds a scenario, when it needs more GPUs than were asked about."""

    model_config = ConfigDict(frozen=True)

    num_gpus: int
    breakdown: MemoryBreakdown = Field(description="Bytes per GPU at the plan's `num_gpus`.")
    per_gpu_bytes: int
    strategy: str


class Scenario(BaseModel):
    """Memory needed for one mode at one precision, and whether it fits.

    ``num_gpus`` is the count asked about (1 unless ``gpus=`` was given) and ``breakdown`` is per
    GPU at that count; when more GPUs are needed, ``plan`` holds the per-GPU figures of the
    fewest-GPU layout (``gpus_needed``) the verdict describes.
    """

    model_config = ConfigDict(frozen=True)

    mode: Mode
    dtype: str = Field(description="Weight precision, e.g. 'bf16', 'int4', 'nf4'.")
    num_gpus: int
    breakdown: MemoryBreakdown = Field(description="Bytes per GPU at `num_gpus`.")
    per_gpu_bytes: int
    total_bytes: int = Field(description="Bytes over all GPUs (what a single device would need).")
    gpus_needed: int = Field(description="Fewest GPUs of this kind that hold it (0 when it cannot fit).")
    verdict: Verdict
    verdict_text: str
    usable_fraction: float = Field(description="Per-GPU total of the layout the verdict describes ÷ usable memory.")
    tight: bool = Field(description="True when a fitting layout's per-GPU total is above 90% of usable memory.")
    strategy: str = Field(description="How the work is split, e.g. 'ZeRO-3 over 8 GPUs'.")
    cpu_offload_bytes: int = 0
    assumptions: list[str]
    plan: Plan | None = Field(default=None, description="The fewest-GPU layout, when it differs from num_gpus.")
    price_per_gpu_hour: float | None = Field(default=None, description="Catalog price of one GPU; None if unknown.")
    cost_per_hour_usd: float | None = Field(
        default=None,
        description="The recommended set-up priced per hour: GPUs (the plan's, else num_gpus) × price; "
        "None without a price or when it cannot fit.",
    )

    @property
    def recommended_gpus(self) -> int:
        """GPUs of the set-up the verdict recommends: the plan's count when there is a plan."""
        return self.plan.num_gpus if self.plan is not None else self.num_gpus


class ChipAnswer(BaseModel):
    """The fields that open an answer about one model on one accelerator (``fits``, ``servecost``)."""

    model_config = ConfigDict(frozen=True)

    model: str | None
    params: int
    active_params: int
    gpu: str
    gpu_name: str
    unit: CountUnit = "GPU"


class FitsResult(ChipAnswer):
    """Memory scenarios for a model on an accelerator."""

    gpu_memory_bytes: int
    usable_gpu_memory_bytes: int
    cpu_memory_bytes: int | None
    scenarios: list[Scenario]
    assumptions: list[str]
