"""Training compute, time, cost and energy: C = 6·N·D FLOPs and what follows from it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from estimator.defaults import Defaults
from estimator.errors import EstimateError
from estimator.hardware import Accelerator
from estimator.precision import Precision
from estimator.quantities import format_count, format_flops, format_percent, format_usd
from estimator.results import GpuCostRow, TrainCostResult

SECONDS_PER_HOUR = 3600
HOURS_PER_DAY = 24
# Precisions a training run's matmuls can use; int8/int4 are storage formats for inference.
TRAINING_PRECISIONS = (Precision.BF16, Precision.FP16, Precision.FP8, Precision.FP4, Precision.TF32, Precision.FP32)
_SIXTEEN_BIT = (Precision.BF16, Precision.FP16)
BF16, FP16 = Precision.BF16, Precision.FP16
_new_row = tuple.__new__  # GpuCostRow from its fields in order, skipping the keyword-parsing constructor


class TrainingJob(BaseModel):
    """One training run to price: the model, the data and, optionally, how it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    params: int
    active_params: int
    model: str | None = None
    tokens: float | None = None
    dtype: Precision | None = None
    mfu: float | None = None
    price: float | None = None
    num_gpus: int | None = None
    days: float | None = None


def training_precision(gpu: Accelerator, requested: Precision | None) -> tuple[Precision, str | None]:
    """The precision ``gpu`` trains at for a request, and a note when it differs from the request.

    None → bf16, else fp16 (T4, V100), else fp32. bf16 and fp16 stand in for each other (both
    2-byte tensor math); any other precision must be supported, or EstimateError names those that are.
    """
    if requested is None:
        return gpu.default_training_precision(), None
    if requested not in TRAINING_PRECISIONS:
        raise EstimateError(f"{requested} is an inference storage format; train in bf16, fp16, fp8 or fp32")
    if requested in gpu.dense_tflops:
        return requested, None
    if requested in _SIXTEEN_BIT:
        other = _SIXTEEN_BIT[1] if requested == _SIXTEEN_BIT[0] else _SIXTEEN_BIT[0]
        if other in gpu.dense_tflops:
            return other, f"{gpu.name} has no {requested} tensor cores: {other} instead (also 2 bytes)"
    supported = ", ".join(p.value for p in TRAINING_PRECISIONS if p in gpu.dense_tflops)
    raise EstimateError(f"{gpu.name} does not support {requested} for training; it supports {supported}")


def gpus_for_deadline(gpu_hours: float, days: float, node_size: int) -> int:
    """GPUs that finish ``gpu_hours`` within ``days``, rounded up to whole nodes beyond one node."""
    needed = max(1, math.ceil(gpu_hours / (days * HOURS_PER_DAY)))
    return needed if needed <= node_size else math.ceil(needed / node_size) * node_size


def _validate(job: TrainingJob) -> None:
    if job.params <= 0:
        raise EstimateError(f"the parameter count must be positive (got {job.params})")
    if not 0 < job.active_params <= job.params:
        raise EstimateError("active parameters must be positive and at most the total")
    if job.tokens is not None and not job.tokens > 0:
        raise EstimateError("the token count must be positive")
    if job.mfu is not None and not 0 < job.mfu <= 1:
        raise EstimateError(f"mfu= must be between 0 and 100% (got {job.mfu:g})")
    if job.price is not None and not job.price >= 0:
        raise EstimateError("price= must be a non-negative USD amount per GPU-hour")
    if job.num_gpus is not None and job.num_gpus < 1:
        raise EstimateError(f"gpus= must be at least 1 (got {job.num_gpus})")
    if job.days is not None and not job.days > 0:
        raise EstimateError("days= must be a positive duration")
    if job.num_gpus is not None and job.days is not None:
        raise EstimateError("give either gpus= (how many) or days= (a deadline), not both")


def _gpu_hours(flops: float, peak_flops: float, mfu: float) -> float:
    return flops / (peak_flops * mfu) / SECONDS_PER_HOUR


def _comparison_precision(tflops: Mapping[Precision, float], requested: Precision | None) -> Precision | None:
    """``training_precision`` for one comparison row, None where the GPU cannot train at ``requested``
    (a training precision: compare_fleet checks that once for the whole fleet)."""
    if requested is None:  # bf16, else fp16, else fp32: Accelerator validates that one of them is there
        return BF16 if BF16 in tflops else FP16 if FP16 in tflops else Precision.FP32
    if requested in tflops:
        return requested
    other = FP16 if requested is BF16 else BF16 if requested is FP16 else None
    return other if other is not None and other in tflops else None


def compare_fleet(
    fleet: Sequence[Accelerator], requested: Precision | None, flops: float, mfu: float
) -> list[GpuCostRow]:
    """The job on every accelerator that can train at the requested precision: priced rows first,
    cheapest first, then unpriced rows by GPU-hours."""
    if requested is not None and requested not in TRAINING_PRECISIONS:
        return []
    # sorting (cost, hours, fleet position) tuples orders rows as a stable sort on cost, then hours
    priced: list[tuple[float, float, int, GpuCostRow]] = []
    unpriced: list[tuple[float, int, GpuCostRow]] = []
    for index, gpu in enumerate(fleet):
        tflops = gpu.dense_tflops
        dtype = _comparison_precision(tflops, requested)
        if dtype is None:
            continue
        peak = tflops[dtype] * 1e12
        hours = flops / (peak * mfu) / SECONDS_PER_HOUR
        price = gpu.price
        if price is None:
            unpriced.append(
                (hours, index, _new_row(GpuCostRow, (gpu.key, gpu.name, dtype, peak, hours, None, None, None)))
            )
        else:
            usd = price.usd_per_hour
            cost = hours * usd
            source = f"{price.provider}, {price.as_of}"
            priced.append(
                (cost, hours, index, _new_row(GpuCostRow, (gpu.key, gpu.name, dtype, peak, hours, usd, cost, source)))
            )
    priced.sort()
    unpriced.sort()
    return [entry[-1] for entry in priced] + [entry[-1] for entry in unpriced]


def estimate_training(
    job: TrainingJob, gpu: Accelerator, defaults: Defaults, fleet: Sequence[Accelerator]
) -> TrainCostResult:
    """FLOPs, GPU-hours, GPUs and wall-clock, cost, energy and CO₂ of ``job`` on ``gpu``.

    C = flops_factor·N_active·D (Kaplan); GPU-hours = C / (dense peak × MFU) / 3600; wall-clock
    assumes ideal scaling; energy = GPU-hours × TDP × PUE; CO₂ = energy × grid intensity.
    """
    _validate(job)
    dtype, precision_note = training_precision(gpu, job.dtype)
    peak = gpu.dense_tflops[dtype] * 1e12
    mfu = defaults.mfu if job.mfu is None else job.mfu
    tokens_assumed = job.tokens is None
    tokens = defaults.tokens_per_param * job.params if job.tokens is None else job.tokens
    flops = defaults.flops_factor * job.active_params * tokens
    gpu_hours = _gpu_hours(flops, peak, mfu)

    if job.num_gpus is not None:
        num_gpus, reason, deadline = job.num_gpus, "given", None
    elif job.days is not None:
        deadline = job.days
        num_gpus, reason = gpus_for_deadline(gpu_hours, deadline, defaults.node_size), "deadline"
    else:
        deadline = defaults.default_days
        num_gpus, reason = gpus_for_deadline(gpu_hours, deadline, defaults.node_size), "default_deadline"

    price, price_source = _price(job, gpu)
    cost = None if price is None else gpu_hours * price
    energy = 0.0 if gpu.tdp_watts is None else gpu_hours * gpu.tdp_watts / 1000 * defaults.pue
    co2 = energy * defaults.grid_kg_co2_per_kwh / 1000

    hours = format_count(gpu_hours) if gpu_hours >= 1 else f"{gpu_hours:.3g}"
    shown_mfu = f"{mfu:.2f}" if round(mfu, 2) == mfu else f"{mfu:.4g}"
    moe = job.active_params != job.params
    counted = f"{format_count(job.active_params)} active" if moe else format_count(job.params)
    formula = (
        f"C = {defaults.flops_factor:g} × {counted} × {format_count(tokens)} = {format_flops(flops)}; "
        f"GPU-h = C / ({peak / 1e12:.4g} TFLOP/s × {shown_mfu}) / 3600 = {hours}"
    )
    if cost is not None and price is not None:
        formula += f"; cost = {hours} GPU-h × ${price:.2f} = {format_usd(cost)}"

    assumptions = _assumptions(
        job, gpu, defaults, dtype=dtype, precision_note=precision_note, mfu=mfu, tokens=tokens,
        num_gpus=num_gpus, deadline=deadline, price=price, price_source=price_source,
    )  # fmt: skip
    return TrainCostResult(
        model=job.model,
        params=job.params,
        active_params=job.active_params,
        tokens=tokens,
        tokens_assumed=tokens_assumed,
        flops_factor=defaults.flops_factor,
        flops=flops,
        gpu=gpu.key,
        gpu_name=gpu.name,
        dtype=dtype,
        peak_flops=peak,
        mfu=mfu,
        gpu_hours=gpu_hours,
        price_per_gpu_hour=price,
        price_source=price_source,
        cost_usd=cost,
        num_gpus=num_gpus,
        num_gpus_reason=reason,
        wall_clock_days=gpu_hours / num_gpus / HOURS_PER_DAY,
        energy_kwh=energy,
        co2_tonnes=co2,
        formula=formula,
        assumptions=assumptions,
        comparison=compare_fleet(fleet, job.dtype, flops, mfu),
    )


def _price(job: TrainingJob, gpu: Accelerator) -> tuple[float | None, str | None]:
    if job.price is not None:
        return job.price, "given"
    if gpu.price is not None:
        return gpu.price.usd_per_hour, f"{gpu.price.provider}, {gpu.price.as_of}"
    return None, None


def _assumptions(
    job: TrainingJob,
    gpu: Accelerator,
    defaults: Defaults,
    *,
    dtype: Precision,
    precision_note: str | None,
    mfu: float,
    tokens: float,
    num_gpus: int,
    deadline: float | None,
    price: float | None,
    price_source: str | None,
) -> list[str]:
    factor = defaults.flops_factor
    lines = [
        "C = 6·N·D: 2 FLOPs per parameter per token forward + 4 backward (Kaplan et al. 2020, "
        "arXiv 2001.08361); attention's sequence-length term is left out"
        if factor == 6
        else f"{factor:g} FLOPs per parameter per token (a setting; the standard is 6: 2 forward + 4 "
        "backward, Kaplan et al. 2020)"
    ]
    if job.active_params != job.params:
        lines.append(
            f"Mixture of experts: compute counts the {format_count(job.active_params)} parameters active "
            f"per token, not all {format_count(job.params)}"
        )
    if job.tokens is None:
        line = (
            f"Tokens not given: {defaults.tokens_per_param:g} per parameter × {format_count(job.params)} = "
            f"{format_count(tokens)} (Chinchilla's compute-optimal ratio, Hoffmann et al. 2022, arXiv 2203.15556)"
        )
        if job.active_params != job.params:
            line += "; for MoE napkin applies it to total parameters (DeepSeek-V3: 14.8T tokens for 671B)"
        lines.append(line)
    lines.append(defaults.mfu_source if job.mfu is None else f"MFU {format_percent(mfu)} (given)")
    tflops = gpu.dense_tflops[dtype]
    lines.append(f"{dtype.value} dense peak of {gpu.name}: {tflops:g} TFLOP/s (no sparsity)")
    if precision_note:
        lines.append(precision_note)
    if deadline is not None:
        default = " (default deadline)" if job.days is None else ""
        rounded = f", rounded up to whole {defaults.node_size}-GPU nodes" if num_gpus > defaults.node_size else ""
        lines.append(f"{num_gpus:,} GPUs to finish within {deadline:g} days{default}{rounded}")
    lines.append(
        f"Ideal linear scaling over {num_gpus:,} GPUs: no failures, restarts or stragglers "
        "(Llama 3 405B kept >90% effective training time, arXiv 2407.21783)"
    )
    if price is None:
        lines.append(f"No catalog price for {gpu.name}: cost not estimated (add price=, USD per GPU-hour)")
    elif price_source == "given":
        lines.append(f"Price ${price:.2f}/GPU-h (given); the comparison uses catalog prices")
    else:
        reference = f" ({gpu.price.source})" if gpu.price is not None else ""
        lines.append(f"Price ${price:.2f}/GPU-h: {price_source}{reference}")
    if gpu.tdp_watts is None:
        lines.append(f"{gpu.name} has no published board power: energy and CO₂ not estimated (shown as 0)")
    else:
        lines.append(
            f"Energy = GPU-hours × {gpu.tdp_watts:g} W board power × PUE {defaults.pue:g} (host CPUs, "
            f"network and storage not counted); CO₂ at {defaults.grid_kg_co2_per_kwh:g} kg/kWh "
            "(location-based grid average)"
        )
    return lines
