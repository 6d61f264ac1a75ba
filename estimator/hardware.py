"""Accelerators: the typed records the hardware catalog is made of."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from estimator.precision import Precision
from estimator.quantities import counted

# Plausible ranges, far outside any real device, so a typo or a hostile catalog (inf, 1e308,
# 1e-300) is refused at load instead of overflowing an estimate. The largest real figures are
# about 21,000 TB/s and 125,000 TFLOP/s (Cerebras WSE-3, on-chip SRAM), ~2,700 W (GB200
# superchip), and rentals of a few to tens of USD per device-hour.
UsdPerHour = Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]
Watts = Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)]
TeraBytesPerSecond = Annotated[float, Field(gt=0, le=1_000_000, allow_inf_nan=False)]
TeraFlops = Annotated[float, Field(ge=1e-3, le=10_000_000, allow_inf_nan=False)]
MAX_MEMORY_BYTES = 2**60  # one EiB


class Price(BaseModel):
    """A rental price per device-hour, with where and when it was seen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usd_per_hour: UsdPerHour
    provider: str = Field(min_length=1, description="Who charges it, e.g. 'Lambda on-demand'.")
    as_of: str = Field(min_length=4, description="Date of the figure, e.g. '2026-01-21' or '2026-03'.")
    source: str = Field(min_length=1, description="Public reference the figure was copied from.")


class Accelerator(BaseModel):
    """One software-visible accelerator device (a GPU, a TPU chip, a Gaudi card…)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$", description="Canonical id, e.g. 'h100-sxm'.")
    name: str = Field(min_length=1, description="Display name, e.g. 'NVIDIA H100 SXM 80GB'.")
    vendor: str = Field(min_length=1)
    memory_bytes: PositiveInt = Field(le=MAX_MEMORY_BYTES, description="Memory one device exposes, in bytes.")
    memory_source: str = Field(
        default="",
        description="Where memory_bytes comes from: the size the device reports (nvidia-smi / rocm-smi MiB, "
        "Metal's working-set limit) or the vendor's spec in binary units, with its public reference.",
    )
    memory_label: str = Field(min_length=1, description="The vendor's label, e.g. '80 GB HBM3'.")
    bandwidth_tbps: TeraBytesPerSecond = Field(description="Memory bandwidth, decimal TB/s.")
    tdp_watts: Watts | None = Field(default=None, description="Board power; None if unpublished.")
    dense_tflops: dict[Precision, TeraFlops] = Field(
        default_factory=dict,
        description="Dense (non-sparse) peak tensor throughput per precision, TFLOP/s (INT8: TOP/s); empty "
        "where no source publishes one (the device is then answered for memory only).",
    )
    price: Price | None = None
    unit: Literal["GPU", "chip", "device"] = Field(
        default="GPU",
        description="What answers count: 'GPU', 'chip' for TPUs and Trainium, 'device' for other accelerators "
        "(Intel Gaudi).",
    )
    node_size: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="Devices per node (a TPU host, a Trainium instance, a GB200 tray) where it is not the "
        "default (8); tensor parallelism stays within one, clusters round up to whole ones.",
    )
    node_name: Literal["node", "host", "instance"] = Field(
        default="node", description="What a node is called: 'host' for a TPU VM host, 'instance' on AWS."
    )
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = Field(min_length=1, description="Public references for the specs.")
    notes: str = ""

    @model_validator(mode="after")
    def _has_a_training_precision(self) -> Accelerator:
        if self.dense_tflops and not any(
            p in self.dense_tflops for p in (Precision.BF16, Precision.FP16, Precision.FP32)
        ):
            raise ValueError("dense_tflops needs at least one of bf16, fp16, fp32 (or leave it empty)")
        return self

    @property
    def has_dense_peak(self) -> bool:
        """Whether a dense peak is published (without one, napkin answers memory fits only)."""
        return (
            Precision.BF16 in self.dense_tflops
            or Precision.FP16 in self.dense_tflops
            or (Precision.FP32 in self.dense_tflops)
        )

    def peak_flops(self, precision: Precision) -> float | None:
        """Dense peak in FLOP/s for ``precision``, or None where the chip lacks it."""
        tflops = self.dense_tflops.get(precision)
        return None if tflops is None else tflops * 1e12

    def default_training_precision(self) -> Precision:
        """bf16 where supported, else fp16 (T4, V100), else fp32; bf16 (the 2-byte storage format that
        memory fits assume) on a device without a published dense peak."""
        for p in (Precision.BF16, Precision.FP16, Precision.FP32):
            if p in self.dense_tflops:
                return p
        return Precision.BF16

    def count(self, n: int) -> str:
        """``n`` of these devices in words: ``1 GPU``, ``8 GPUs``, ``1,024 chips``."""
        return counted(n, self.unit)

    def per_node(self, default: int) -> int:
        """Devices per node: the catalog's figure, else ``default`` (the settings' node size)."""
        return self.node_size if self.node_size is not None else default
