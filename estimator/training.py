"""Training compute, time, cost and energy: C = 6·N·D FLOPs and what follows from it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from estimator.defaults import Defaults
from estimator.errors import EstimateError, refusal
from estimator.hardware import Accelerator
from estimator.precision import Precision
from estimator.quantities import format_count, format_flops, format_percent, format_usd
from estimator.results import GpuCostRow, TrainCostResult

SECONDS_PER_HOUR = 3600
HOURS_PER_DAY = 24
# Precisions a training run's matmuls can use; int8/int4 are storage formats for inference.
TRAINING_PRECISIONS = (Precision.BF16, Precision.FP16, Precision.FP8, Precision.FP4, Precision.TF32, Precision.FP32)
_SIXTEEN_BIT = (Precision.BF16, Precision.FP16)


class TrainingJob(BaseModel):
    """One training run to price: the model, the data and, optionally, how it runs.

    Each value is checked where it is set and again by ``estimate_training`` (a copy made with
    ``model_copy(update=...)`` skips validation); which combinations it can price, the estimate decides.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", revalidate_instances="always")

    params: int = Field(gt=0)
    active_params: int = Field(gt=0, description="Parameters used per token; at most `params` (MoE).")
    model: str | None = None
    tokens: float | None = Field(default=None, gt=0)
    dtype: Precision | None = None
    mfu: float | None = Field(default=None, gt=0, le=1)
    price: float | None = Field(default=None, ge=0, description="USD per GPU-hour.")
    num_gpus: int | None = Field(default=None, ge=1)
    days: float | None = Field(default=None, gt=0, description="A deadline; exclusive with `num_gpus`.")


# What a user reads when a TrainingJob field is out of range (``{input}``: the value given).
_OUT_OF_RANGE = {
    "params": "the parameter count must be positive (got {input})",
    "active_params": "active parameters must be positive and at most the total",
    "tokens": "the token count must be positive",
    "mfu": "mfu= must be between 0 and 100% (got {input})",
    "price": "price= must be a non-negative USD amount per GPU-hour",
    "num_gpus": "gpus= must be at least 1 (got {input})",
    "days": "days= must be a positive duration",
}


def checked_job(job: TrainingJob) -> TrainingJob:
    """``job`` validated, and a combination napkin can price; EstimateError says what is wrong."""
    try:
        job = TrainingJob.model_validate(job)
    except ValidationError as err:
        raise refusal(err, _OUT_OF_RANGE) from None
    if job.active_params > job.params:
        raise EstimateError(_OUT_OF_RANGE["active_params"])
    if job.num_gpus is not None and job.days is not None:
        raise EstimateError("give either gpus= (how many) or days= (a deadline), not both")
    return job


def training_precision(gpu: Accelerator, requested: Precision | None) -> tuple[Precision, str | None]:
    """The precision ``gpu`` trains at for a request, and a note when it differs from the request.

    None → bf16, else fp16 (T4, V100), else fp32. bf16 and fp16 stand in for each other (both
    2-byte tensor math); any other precision must be supported, or EstimateError names those that are.
    """
    if not gpu.has_dense_peak:
        raise EstimateError(f"no published dense peak for {gpu.name}: napkin answers memory only")
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


def _gpu_hours(flops: float, peak_flops: float, mfu: float) -> float:
    return flops / (peak_flops * mfu) / SECONDS_PER_HOUR


def compare_fleet(
    fleet: Sequence[Accelerator], requested: Precision | None, flops: float, mfu: float
) -> list[GpuCostRow]:
    """The job on every accelerator that can train at the requested precision: priced rows first,
    cheapest first, then unpriced rows by GPU-hours (ties in fleet order)."""
    rows: list[GpuCostRow] = []
    for gpu in fleet:
        try:
            dtype, _ = training_precision(gpu, requested)
        except EstimateError:
            continue
        peak = gpu.dense_tflops[dtype] * 1e12
        hours = _gpu_hours(flops, peak, mfu)
        price = gpu.price
        rows.append(
            GpuCostRow(
                gpu=gpu.key,
                name=gpu.name,
                dtype=dtype,
                peak_flops=peak,
                gpu_hours=hours,
                price_per_gpu_hour=None if price is None else price.usd_per_hour,
                cost_usd=None if price is None else hours * price.usd_per_hour,
                price_source=None if price is None else f"{price.provider}, {price.as_of}",
            )
        )
    return sorted(rows, key=_cheapest_first)  # stable: ties keep fleet order


def _cheapest_first(row: GpuCostRow) -> tuple[bool, float, float]:
    return row.cost_usd is None, row.cost_usd or 0.0, row.gpu_hours


def estimate_training(
    job: TrainingJob, gpu: Accelerator, defaults: Defaults, fleet: Sequence[Accelerator]
) -> TrainCostResult:
    """FLOPs, GPU-hours, GPUs and wall-clock, cost, energy and CO₂ of ``job`` on ``gpu``.

    C = flops_factor·N_active·D (Kaplan); GPU-hours = C / (dense peak × MFU) / 3600; wall-clock
    assumes ideal scaling; energy = GPU-hours × TDP × PUE; CO₂ = energy × grid intensity.
    """
    job = checked_job(job)
    dtype, precision_note = training_precision(gpu, job.dtype)
    peak = gpu.dense_tflops[dtype] * 1e12
    mfu = defaults.mfu if job.mfu is None else job.mfu
    tokens = defaults.tokens_per_param * job.params if job.tokens is None else job.tokens
    flops = defaults.flops_factor * job.active_params * tokens
    gpu_hours = _gpu_hours(flops, peak, mfu)
    cluster = _cluster(job, gpu_hours, defaults)
    price, price_source = _price(job, gpu)
    cost = None if price is None else gpu_hours * price
    energy = 0.0 if gpu.tdp_watts is None else gpu_hours * gpu.tdp_watts / 1000 * defaults.pue
    texts = _Texts(
        params=format_count(job.params),
        active=format_count(job.active_params) if job.active_params != job.params else None,
        tokens=format_count(tokens),
        price=None if price is None else f"{price:.2f}",
    )
    return TrainCostResult(
        model=job.model,
        params=job.params,
        active_params=job.active_params,
        tokens=tokens,
        tokens_assumed=job.tokens is None,
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
        num_gpus=cluster.num_gpus,
        num_gpus_reason=cluster.reason,
        wall_clock_days=gpu_hours / cluster.num_gpus / HOURS_PER_DAY,
        energy_kwh=energy,
        co2_tonnes=energy * defaults.grid_kg_co2_per_kwh / 1000,
        formula=_formula(texts, defaults, flops=flops, peak=peak, mfu=mfu, gpu_hours=gpu_hours, cost=cost),
        assumptions=_assumptions(
            job, gpu, defaults, texts, dtype=dtype, note=precision_note, mfu=mfu, cluster=cluster, source=price_source
        ),
        comparison=compare_fleet(fleet, job.dtype, flops, mfu),
    )


class _Cluster(NamedTuple):
    """How many GPUs run the job, why, and the deadline they meet (None when the count was given)."""

    num_gpus: int
    reason: Literal["given", "deadline", "default_deadline"]
    deadline: float | None


def _cluster(job: TrainingJob, gpu_hours: float, defaults: Defaults) -> _Cluster:
    if job.num_gpus is not None:
        return _Cluster(job.num_gpus, "given", None)
    if job.days is not None:
        return _Cluster(gpus_for_deadline(gpu_hours, job.days, defaults.node_size), "deadline", job.days)
    days = defaults.default_days
    return _Cluster(gpus_for_deadline(gpu_hours, days, defaults.node_size), "default_deadline", days)


def _formula(
    texts: _Texts, defaults: Defaults, *, flops: float, peak: float, mfu: float, gpu_hours: float, cost: float | None
) -> str:
    """The arithmetic behind the answer, with the figures filled in."""
    hours = format_count(gpu_hours) if gpu_hours >= 1 else f"{gpu_hours:.3g}"
    shown_mfu = f"{mfu:.2f}" if round(mfu, 2) == mfu else f"{mfu:.4g}"
    counted = texts.params if texts.active is None else f"{texts.active} active"
    formula = (
        f"C = {defaults.flops_factor:g} × {counted} × {texts.tokens} = {format_flops(flops)}; "
        f"GPU-h = C / ({peak / 1e12:.4g} TFLOP/s × {shown_mfu}) / 3600 = {hours}"
    )
    if cost is not None:
        formula += f"; cost = {hours} GPU-h × ${texts.price} = {format_usd(cost)}"
    return formula


def _price(job: TrainingJob, gpu: Accelerator) -> tuple[float | None, str | None]:
    if job.price is not None:
        return job.price, "given"
    if gpu.price is not None:
        return gpu.price.usd_per_hour, f"{gpu.price.provider}, {gpu.price.as_of}"
    return None, None


class _Texts(NamedTuple):
    """Figures the formula and the assumptions both print."""

    params: str
    active: str | None  # MoE only
    tokens: str
    price: str | None  # USD per GPU-hour, 2 decimals


def _assumptions(
    job: TrainingJob,
    gpu: Accelerator,
    defaults: Defaults,
    texts: _Texts,
    *,
    dtype: Precision,
    note: str | None,
    mfu: float,
    cluster: _Cluster,
    source: str | None,
) -> list[str]:
    """What the answer assumes, one line each; ``note`` says why the precision differs from the request,
    ``source`` where the price comes from."""
    return [
        *_compute_assumptions(job, gpu, defaults, texts, dtype=dtype, note=note, mfu=mfu),
        *_cluster_assumptions(job, defaults, cluster),
        *_cost_assumptions(gpu, defaults, texts, source),
    ]


def _compute_assumptions(
    job: TrainingJob,
    gpu: Accelerator,
    defaults: Defaults,
    texts: _Texts,
    *,
    dtype: Precision,
    note: str | None,
    mfu: float,
) -> list[str]:
    """FLOPs per token, tokens, MFU and the peak they run at."""
    factor = defaults.flops_factor
    lines = [
        "C = 6·N·D: 2 FLOPs per parameter per token forward + 4 backward (Kaplan et al. 2020, "
        "arXiv 2001.08361); attention's sequence-length term is left out"
        if factor == 6
        else f"{factor:g} FLOPs per parameter per token (a setting; the standard is 6: 2 forward + 4 "
        "backward, Kaplan et al. 2020)"
    ]
    if texts.active is not None:
        lines.append(
            f"Mixture of experts: compute counts the {texts.active} parameters active per token, not all {texts.params}"
        )
    if job.tokens is None:
        line = (
            f"Tokens not given: {defaults.tokens_per_param:g} per parameter × {texts.params} = "
            f"{texts.tokens} (Chinchilla's compute-optimal ratio, Hoffmann et al. 2022, arXiv 2203.15556)"
        )
        if texts.active is not None:
            line += "; for MoE napkin applies it to total parameters (DeepSeek-V3: 14.8T tokens for 671B)"
        lines.append(line)
    lines.append(defaults.mfu_source if job.mfu is None else f"MFU {format_percent(mfu)} (given)")
    tflops = gpu.dense_tflops[dtype]
    lines.append(f"{dtype} dense peak of {gpu.name}: {tflops:g} TFLOP/s (no sparsity)")
    if note:
        lines.append(note)
    return lines


def _cluster_assumptions(job: TrainingJob, defaults: Defaults, cluster: _Cluster) -> list[str]:
    """How many GPUs, and how well they scale."""
    num_gpus, deadline = cluster.num_gpus, cluster.deadline
    lines = []
    if deadline is not None:
        default = " (default deadline)" if job.days is None else ""
        rounded = f", rounded up to whole {defaults.node_size}-GPU nodes" if num_gpus > defaults.node_size else ""
        lines.append(f"{num_gpus:,} GPUs to finish within {deadline:g} days{default}{rounded}")
    lines.append(
        f"Ideal linear scaling over {num_gpus:,} GPUs: no failures, restarts or stragglers "
        "(Llama 3 405B kept >90% effective training time, arXiv 2407.21783)"
    )
    return lines


def _cost_assumptions(gpu: Accelerator, defaults: Defaults, texts: _Texts, source: str | None) -> list[str]:
    """Where the price comes from, and what energy and CO₂ count."""
    lines = []
    if texts.price is None:
        lines.append(f"No catalog price for {gpu.name}: cost not estimated (add price=, USD per GPU-hour)")
    elif source == "given":
        lines.append(f"Price ${texts.price}/GPU-h (given); the comparison uses catalog prices")
    else:
        reference = f" ({gpu.price.source})" if gpu.price is not None else ""
        lines.append(f"Price ${texts.price}/GPU-h: {source}{reference}")
    if gpu.tdp_watts is None:
        lines.append(f"{gpu.name} has no published board power: energy and CO₂ not estimated (shown as 0)")
    else:
        lines.append(
            f"Energy = GPU-hours × {gpu.tdp_watts:g} W board power × PUE {defaults.pue:g} (host CPUs, "
            f"network and storage not counted); CO₂ at {defaults.grid_kg_co2_per_kwh:g} kg/kWh "
            "(location-based grid average)"
        )
    return lines
