"""Training compute, time, cost and energy: C = 6·N·D FLOPs and what follows from it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import count, repeat
from operator import itemgetter
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from estimator.defaults import Defaults
from estimator.errors import EstimateError
from estimator.hardware import Accelerator
from estimator.precision import Precision
from estimator.quantities import format_count, format_flops, format_percent, format_usd
from estimator.results import GpuCostRow, TrainCostResult, trusted

SECONDS_PER_HOUR = 3600
HOURS_PER_DAY = 24
# Precisions a training run's matmuls can use; int8/int4 are storage formats for inference.
TRAINING_PRECISIONS = (Precision.BF16, Precision.FP16, Precision.FP8, Precision.FP4, Precision.TF32, Precision.FP32)
_SIXTEEN_BIT = (Precision.BF16, Precision.FP16)
_new_row = tuple.__new__  # GpuCostRow from its fields in order, skipping the keyword-parsing constructor
_last = itemgetter(-1)


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


class _Columns(NamedTuple):
    """Catalog constants of the accelerators on one side of a comparison, a tuple per field in fleet
    order (``prices`` and ``sources`` stay empty on the unpriced side)."""

    keys: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    dtypes: tuple[Precision, ...] = ()
    peaks: tuple[float, ...] = ()  # dense peak FLOP/s at dtype
    prices: tuple[float, ...] = ()  # USD per GPU-hour
    sources: tuple[str, ...] = ()


_FLEETS: dict[tuple[Precision | None, tuple[int, ...]], tuple[tuple[Accelerator, ...], _Columns, _Columns]] = {}
_FLEETS_MAX = 64


def _fleet_columns(fleet: Sequence[Accelerator], requested: Precision | None) -> tuple[_Columns, _Columns]:
    """The priced and the unpriced accelerators of ``fleet`` that can train at ``requested``: catalog
    constants (accelerators are immutable), worked out once per fleet and precision. The fleet is
    known by its members' ids; an entry holds the members, so those ids cannot be reused while it lives."""
    key = (requested, tuple(map(id, fleet)))
    known = _FLEETS.get(key)
    if known is not None:
        return known[1], known[2]
    priced: list[tuple[str, str, Precision, float, float, str]] = []
    unpriced: list[tuple[str, str, Precision, float]] = []
    for gpu in fleet:
        try:
            dtype, _ = training_precision(gpu, requested)
        except EstimateError:
            continue
        peak, price = gpu.dense_tflops[dtype] * 1e12, gpu.price
        if price is None:
            unpriced.append((gpu.key, gpu.name, dtype, peak))
        else:
            priced.append((gpu.key, gpu.name, dtype, peak, price.usd_per_hour, f"{price.provider}, {price.as_of}"))
    columns = (_Columns(*map(tuple, zip(*priced))), _Columns(*map(tuple, zip(*unpriced))))  # noqa: B905
    if len(_FLEETS) >= _FLEETS_MAX:
        _FLEETS.clear()
    _FLEETS[key] = (tuple(fleet), *columns)
    return columns


def compare_fleet(
    fleet: Sequence[Accelerator], requested: Precision | None, flops: float, mfu: float
) -> list[GpuCostRow]:
    """The job on every accelerator that can train at the requested precision: priced rows first,
    cheapest first, then unpriced rows by GPU-hours."""
    if requested is not None and requested not in TRAINING_PRECISIONS:
        return []
    priced, unpriced = _fleet_columns(fleet, requested)
    return _priced_rows(priced, flops, mfu) + _unpriced_rows(unpriced, flops, mfu)


# Dozens of rows per answer, so they are built column by column, and sorted on
# (cost, hours, fleet order) or (hours, fleet order): the order a stable sort on cost, then hours, gives.


def _priced_rows(c: _Columns, flops: float, mfu: float) -> list[GpuCostRow]:
    hours = [flops / (peak * mfu) / SECONDS_PER_HOUR for peak in c.peaks]  # _gpu_hours, row by row
    costs = [h * price for h, price in zip(hours, c.prices, strict=True)]
    fields = zip(c.keys, c.names, c.dtypes, c.peaks, hours, c.prices, costs, c.sources, strict=True)
    rows = map(_new_row, repeat(GpuCostRow), fields)
    return list(map(_last, sorted(zip(costs, hours, count(), rows))))


def _unpriced_rows(c: _Columns, flops: float, mfu: float) -> list[GpuCostRow]:
    hours = [flops / (peak * mfu) / SECONDS_PER_HOUR for peak in c.peaks]  # _gpu_hours, row by row
    none = repeat(None)
    fields = zip(c.keys, c.names, c.dtypes, c.peaks, hours, none, none, none, strict=False)
    rows = map(_new_row, repeat(GpuCostRow), fields)
    return list(map(_last, sorted(zip(hours, count(), rows))))


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

    texts = _Texts(
        params=format_count(job.params),
        active=format_count(job.active_params) if job.active_params != job.params else None,
        tokens=format_count(tokens),
        price=None if price is None else f"{price:.2f}",
    )
    hours = format_count(gpu_hours) if gpu_hours >= 1 else f"{gpu_hours:.3g}"
    shown_mfu = f"{mfu:.2f}" if round(mfu, 2) == mfu else f"{mfu:.4g}"
    counted = texts.params if texts.active is None else f"{texts.active} active"
    formula = (
        f"C = {defaults.flops_factor:g} × {counted} × {texts.tokens} = {format_flops(flops)}; "
        f"GPU-h = C / ({peak / 1e12:.4g} TFLOP/s × {shown_mfu}) / 3600 = {hours}"
    )
    if cost is not None and price is not None:
        formula += f"; cost = {hours} GPU-h × ${texts.price} = {format_usd(cost)}"

    assumptions = _assumptions(
        job, gpu, defaults, texts, dtype=dtype, precision_note=precision_note, mfu=mfu, num_gpus=num_gpus,
        deadline=deadline, price_source=price_source,
    )  # fmt: skip
    return trusted(
        TrainCostResult,
        {
            "model": job.model,
            "params": job.params,
            "active_params": job.active_params,
            "tokens": tokens,
            "tokens_assumed": tokens_assumed,
            "flops_factor": defaults.flops_factor,
            "flops": flops,
            "gpu": gpu.key,
            "gpu_name": gpu.name,
            "dtype": dtype,
            "peak_flops": peak,
            "mfu": mfu,
            "gpu_hours": gpu_hours,
            "price_per_gpu_hour": price,
            "price_source": price_source,
            "cost_usd": cost,
            "num_gpus": num_gpus,
            "num_gpus_reason": reason,
            "wall_clock_days": gpu_hours / num_gpus / HOURS_PER_DAY,
            "energy_kwh": energy,
            "co2_tonnes": co2,
            "formula": formula,
            "assumptions": assumptions,
            "comparison": compare_fleet(fleet, job.dtype, flops, mfu),
        },
    )


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
    precision_note: str | None,
    mfu: float,
    num_gpus: int,
    deadline: float | None,
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
    if texts.price is None:
        lines.append(f"No catalog price for {gpu.name}: cost not estimated (add price=, USD per GPU-hour)")
    elif price_source == "given":
        lines.append(f"Price ${texts.price}/GPU-h (given); the comparison uses catalog prices")
    else:
        reference = f" ({gpu.price.source})" if gpu.price is not None else ""
        lines.append(f"Price ${texts.price}/GPU-h: {price_source}{reference}")
    if gpu.tdp_watts is None:
        lines.append(f"{gpu.name} has no published board power: energy and CO₂ not estimated (shown as 0)")
    else:
        lines.append(
            f"Energy = GPU-hours × {gpu.tdp_watts:g} W board power × PUE {defaults.pue:g} (host CPUs, "
            f"network and storage not counted); CO₂ at {defaults.grid_kg_co2_per_kwh:g} kg/kWh "
            "(location-based grid average)"
        )
    return lines
