"""Training compute, time, cost and energy: C = 6·N·D FLOPs and what follows from it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Literal, NamedTuple, TypedDict

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from estimator.defaults import Defaults
from estimator.errors import PARAM_COUNT_MESSAGES, EstimateError, validated_job
from estimator.hardware import Accelerator
from estimator.memory import OPTIMIZERS
from estimator.precision import Precision
from estimator.quantities import format_bytes, format_count, format_flops, format_percent, format_usd
from estimator.results import GpuCostRow, TrainCostResult

SECONDS_PER_HOUR = 3600
HOURS_PER_DAY = 24
# Precisions a training run's matmuls can use; int8/int4 are storage formats for inference.
TRAINING_PRECISIONS = (Precision.BF16, Precision.FP16, Precision.FP8, Precision.FP4, Precision.TF32, Precision.FP32)
_SIXTEEN_BIT = (Precision.BF16, Precision.FP16)
# Sub-16-bit training precisions: modelled as a measured speed-up over the 16-bit run, not MFU on their peak.
_LOW_PRECISION = (Precision.FP8, Precision.FP4)
# Model states of mixed-precision AdamW (ZeRO §3.1): what a fully sharded (ZeRO-3) layout splits over every GPU.
_MODEL_STATE_BYTES = OPTIMIZERS["adamw"].bytes_per_param


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
    published_tokens: float | None = Field(default=None, gt=0, description="A preset's published training tokens.")
    published_tokens_source: str | None = Field(default=None, min_length=1)
    dtype: Precision | None = None
    mfu: float | None = Field(default=None, gt=0, le=1)
    price: float | None = Field(default=None, ge=0, description="USD per GPU-hour.")
    num_gpus: int | None = Field(default=None, ge=1)
    days: float | None = Field(default=None, gt=0, description="A deadline; exclusive with `num_gpus`.")


# What a user reads when a TrainingJob field is out of range (``{input}``: the value given).
_OUT_OF_RANGE = {
    **PARAM_COUNT_MESSAGES,
    "tokens": "the token count must be positive",
    "published_tokens": "a preset's published token count must be positive",
    "published_tokens_source": "a preset's published token count needs its source",
    "mfu": "mfu= must be between 0 and 100% (got {input})",
    "price": "price= must be a non-negative USD amount per GPU-hour",
    "num_gpus": "gpus= must be at least 1 (got {input})",
    "days": "days= must be a positive duration",
}


def checked_job(job: TrainingJob) -> TrainingJob:
    """``job`` validated, and a combination napkin can price; EstimateError says what is wrong."""
    job = validated_job(TrainingJob, job, _OUT_OF_RANGE)
    if job.num_gpus is not None and job.days is not None:
        raise EstimateError("give either gpus= (how many) or days= (a deadline), not both")
    if (job.published_tokens is None) != (job.published_tokens_source is None):
        raise EstimateError(_OUT_OF_RANGE["published_tokens_source"])
    return job


class _Tokens(NamedTuple):
    """How many tokens the run trains on, and where that figure comes from."""

    amount: float
    basis: Literal["given", "published", "chinchilla"]
    source: str | None


def _tokens(job: TrainingJob, defaults: Defaults) -> _Tokens:
    """Tokens given, else the preset's published count, else Chinchilla's 20 per (total) parameter."""
    if job.tokens is not None:
        return _Tokens(job.tokens, "given", None)
    if job.published_tokens is not None:
        return _Tokens(job.published_tokens, "published", job.published_tokens_source)
    return _Tokens(defaults.tokens_per_param * job.params, "chinchilla", None)


def run_mfu(gpu: Accelerator, dtype: Precision, defaults: Defaults, given: float | None) -> float:
    """Utilisation of ``gpu``'s ``dtype`` peak: ``given`` as typed, else the default MFU; for fp8/fp4 the
    default is the 16-bit MFU × the measured fp8 speed-up, re-expressed against the low-precision peak
    (40% × 1.3 × 989/1979 ≈ 26% on an H100), so a run is never priced at the 16-bit MFU of the fp8 peak."""
    sixteen = gpu.dense_tflops.get(Precision.BF16) or gpu.dense_tflops.get(Precision.FP16)
    return _mfu(dtype, sixteen, gpu.dense_tflops.get(dtype), defaults, given)


def _mfu(
    dtype: Precision, sixteen: float | None, tflops: float | None, defaults: Defaults, given: float | None
) -> float:
    """``run_mfu`` from the chip's 16-bit and ``dtype`` dense peaks (TFLOP/s)."""
    if given is not None:
        return given
    if dtype in _LOW_PRECISION and sixteen is not None and tflops is not None:
        return min(1.0, defaults.mfu * defaults.fp8_speedup * sixteen / tflops)
    return defaults.mfu


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


@dataclass(frozen=True, slots=True)
class TrainingChip:
    """What traincost's comparison needs of an accelerator training at one requested precision, independent of
    the job: worked out once per catalog (``TrainingFleet``) and shared by every answer."""

    gpu: Accelerator
    key: str
    name: str
    dtype: Precision  # the precision it trains at for the request
    tflops: float  # its dense peak, TFLOP/s
    peak: float  # the same in FLOP/s
    sixteen_tflops: float | None  # the 16-bit dense peak (bf16, else fp16), TFLOP/s: low-precision MFU is scaled by it
    memory_bytes: int
    consumer: bool  # ``is_consumer_card``
    price: float | None  # catalog USD per GPU-hour
    price_source: str | None

    @classmethod
    def of(cls, gpu: Accelerator, requested: Precision | None) -> TrainingChip | None:
        """``gpu``'s figures for a run at ``requested``, or None where it cannot train at it."""
        try:
            dtype, _ = training_precision(gpu, requested)
        except EstimateError:
            return None
        price = gpu.price
        tflops = gpu.dense_tflops[dtype]
        return cls(
            gpu=gpu,
            key=gpu.key,
            name=gpu.name,
            dtype=dtype,
            tflops=tflops,
            peak=tflops * 1e12,
            sixteen_tflops=gpu.dense_tflops.get(Precision.BF16) or gpu.dense_tflops.get(Precision.FP16),
            memory_bytes=gpu.memory_bytes,
            consumer=is_consumer_card(gpu),
            price=None if price is None else price.usd_per_hour,
            price_source=None if price is None else f"{price.provider}, {price.as_of}",
        )


@dataclass(frozen=True)
class TrainingFleet:
    """The accelerators traincost compares a job across (``Catalog.training_fleet``: the whole catalog)."""

    accelerators: tuple[Accelerator, ...]
    _chips: dict[Precision | None, tuple[TrainingChip, ...]] = field(default_factory=dict, repr=False, compare=False)

    def chips(self, requested: Precision | None) -> tuple[TrainingChip, ...]:
        """The accelerators that can train at ``requested`` (None: each chip's default), in order; worked out on
        first use of each precision."""
        chips = self._chips.get(requested)
        if chips is None:
            chips = self._chips[requested] = tuple(
                chip for gpu in self.accelerators if (chip := TrainingChip.of(gpu, requested))
            )
        return chips


# Validates a whole comparison in one call (about 40 rows per answer).
_ROWS = TypeAdapter(list[GpuCostRow])


def compare_fleet(fleet: TrainingFleet, job: TrainingJob, flops: float, defaults: Defaults) -> list[GpuCostRow]:
    """The job on every accelerator that can train at the requested precision: suitable rows first
    (priced cheapest first, then unpriced by GPU-hours), then those that cannot run it as sized.

    The per-chip figures that do not depend on the job come precomputed from ``fleet``."""
    rows: list[tuple[tuple[bool, bool, float, float], _Row]] = []  # (cheapest-first key, row)
    days = _deadline(job, defaults)
    for chip in fleet.chips(job.dtype):
        mfu = _mfu(chip.dtype, chip.sixteen_tflops, chip.tflops, defaults, job.mfu)
        hours = _gpu_hours(flops, chip.peak, mfu)
        # _cluster's size: gpus= as given, else enough whole nodes to finish by the deadline
        node = chip.gpu.per_node(defaults.node_size)
        num_gpus = job.num_gpus if job.num_gpus is not None else gpus_for_deadline(hours, days, node)
        cost = None if chip.price is None else hours * chip.price
        why = _unsuitable(chip.gpu, consumer=chip.consumer, node=node, params=job.params, num_gpus=num_gpus)
        row: _Row = {
            "gpu": chip.key,
            "name": chip.name,
            "dtype": chip.dtype,
            "peak_flops": chip.peak,
            "mfu": mfu,
            "gpu_hours": hours,
            "price_per_gpu_hour": chip.price,
            "cost_usd": cost,
            "price_source": chip.price_source,
            "unsuitable": why,
        }
        # suitable first, then priced cheapest first, then unpriced by GPU-hours
        rows.append(((why is not None, cost is None, cost or 0.0, hours), row))
    rows.sort(key=itemgetter(0))  # stable: ties keep fleet order
    return _ROWS.validate_python([row for _, row in rows])


class _Row(TypedDict):
    """A comparison row's fields: plain values to sort, validated into ``GpuCostRow``s in one call."""

    gpu: str
    name: str
    dtype: Precision
    peak_flops: float
    mfu: float
    gpu_hours: float
    price_per_gpu_hour: float | None
    cost_usd: float | None
    price_source: str | None
    unsuitable: str | None


def is_consumer_card(gpu: Accelerator) -> bool:
    """GeForce cards: PCIe only, no GPUDirect RDMA, and licensed for no data-centre deployment."""
    return "geforce" in gpu.name.lower()


def unsuitable(gpu: Accelerator, job: TrainingJob, num_gpus: int, defaults: Defaults) -> str | None:
    """Why ``num_gpus`` of ``gpu`` cannot run ``job``, or None.

    Two checks: a job beyond one node needs data-centre networking (consumer cards have none); and the
    most sharded layout napkin accepts (ZeRO-3 over every GPU) must leave each GPU a share of the
    16 bytes/param model states that fits its memory.
    """
    return _unsuitable(
        gpu,
        consumer=is_consumer_card(gpu),
        node=gpu.per_node(defaults.node_size),
        params=job.params,
        num_gpus=num_gpus,
    )


def _unsuitable(gpu: Accelerator, *, consumer: bool, node: int, params: int, num_gpus: int) -> str | None:
    if num_gpus > node and consumer:
        return (
            f"consumer PCIe card without NVLink or RDMA networking for a multi-node job ({gpu.name}, "
            f"{gpu.count(num_gpus)} in {node}-{gpu.unit} {gpu.node_name}s)"
        )
    share = _MODEL_STATE_BYTES * params / num_gpus
    if share > gpu.memory_bytes:
        return (
            f"model states do not fit even fully sharded (ZeRO-3 over {gpu.count(num_gpus)}: "
            f"{format_bytes(share)} per {gpu.unit} at 16 bytes/param, more than {gpu.name}'s "
            f"{format_bytes(gpu.memory_bytes)})"
        )
    return None


def estimate_training(job: TrainingJob, gpu: Accelerator, defaults: Defaults, fleet: TrainingFleet) -> TrainCostResult:
    """FLOPs, GPU-hours, GPUs and wall-clock, cost, energy and CO₂ of ``job`` on ``gpu``.

    C = flops_factor·N_active·D (Kaplan); D given, else published, else 20·N; GPU-hours = C / (dense
    peak × MFU) / 3600 (fp8: see ``run_mfu``); wall-clock assumes ideal scaling; energy = GPU-hours ×
    TDP × PUE (None where TDP is unpublished); CO₂ = energy × grid intensity.
    """
    job = checked_job(job)
    dtype, precision_note = training_precision(gpu, job.dtype)
    peak = gpu.dense_tflops[dtype] * 1e12
    mfu = run_mfu(gpu, dtype, defaults, job.mfu)
    tokens = _tokens(job, defaults)
    flops = defaults.flops_factor * job.active_params * tokens.amount
    gpu_hours = _gpu_hours(flops, peak, mfu)
    cluster = _cluster(job, gpu_hours, defaults, gpu)
    price, price_source = _price(job, gpu)
    cost = None if price is None else gpu_hours * price
    energy = None if gpu.tdp_watts is None else gpu_hours * gpu.tdp_watts / 1000 * defaults.pue
    texts = _Texts(
        params=format_count(job.params),
        active=format_count(job.active_params) if job.active_params != job.params else None,
        tokens=format_count(tokens.amount),
        price=None if price is None else f"{price:.2f}",
        tokens_from=tokens,
        unit=gpu.unit,
    )
    warning = unsuitable(gpu, job, cluster.num_gpus, defaults)
    return TrainCostResult(
        model=job.model,
        params=job.params,
        active_params=job.active_params,
        tokens=tokens.amount,
        tokens_assumed=job.tokens is None,
        tokens_basis=tokens.basis,
        tokens_source=tokens.source,
        flops_factor=defaults.flops_factor,
        flops=flops,
        gpu=gpu.key,
        gpu_name=gpu.name,
        unit=gpu.unit,
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
        co2_tonnes=None if energy is None else energy * defaults.grid_kg_co2_per_kwh / 1000,
        formula=_formula(texts, defaults, flops=flops, peak=peak, mfu=mfu, gpu_hours=gpu_hours, cost=cost),
        assumptions=[
            *_assumptions(
                job,
                gpu,
                defaults,
                texts,
                dtype=dtype,
                note=precision_note,
                mfu=mfu,
                cluster=cluster,
                source=price_source,
            ),
            *([] if warning is None else [f"Not a workable cluster: {warning}"]),
        ],
        comparison=compare_fleet(fleet, job, flops, defaults),
    )


class _Cluster(NamedTuple):
    """How many GPUs run the job, why, and the deadline they meet (None when the count was given)."""

    num_gpus: int
    reason: Literal["given", "deadline", "default_deadline"]
    deadline: float | None


def _cluster(job: TrainingJob, gpu_hours: float, defaults: Defaults, gpu: Accelerator) -> _Cluster:
    if job.num_gpus is not None:
        return _Cluster(job.num_gpus, "given", None)
    node = gpu.per_node(defaults.node_size)  # TPU hosts, Trainium instances and GB200 trays differ from 8
    days = _deadline(job, defaults)
    return _Cluster(
        gpus_for_deadline(gpu_hours, days, node),
        "default_deadline" if job.days is None else "deadline",
        days,
    )


def _deadline(job: TrainingJob, defaults: Defaults) -> float:
    """The days a cluster is sized to finish in when gpus= is not given: days=, else the default deadline."""
    return defaults.default_days if job.days is None else job.days


def _formula(
    texts: _Texts, defaults: Defaults, *, flops: float, peak: float, mfu: float, gpu_hours: float, cost: float | None
) -> str:
    """The arithmetic behind the answer, with the figures filled in."""
    hours = format_count(gpu_hours) if gpu_hours >= 1 else f"{gpu_hours:.3g}"
    shown_mfu = f"{mfu:.2f}" if round(mfu, 2) == mfu else f"{mfu:.4g}"
    counted = texts.params if texts.active is None else f"{texts.active} active"
    formula = (
        f"C = {defaults.flops_factor:g} × {counted} × {texts.tokens} = {format_flops(flops)}; "
        f"{texts.unit}-h = C / ({peak / 1e12:.4g} TFLOP/s × {shown_mfu}) / 3600 = {hours}"
    )
    if cost is not None:
        formula += f"; cost = {hours} {texts.unit}-h × ${texts.price} = {format_usd(cost)}"
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
    tokens_from: _Tokens
    unit: str  # "GPU", or "chip" for TPU and Trainium


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
        *_cluster_assumptions(job, defaults, cluster, gpu),
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
    lines.append(_tokens_assumption(texts, defaults))
    lines.append(_mfu_assumption(gpu, dtype, defaults, job.mfu, mfu))
    tflops = gpu.dense_tflops[dtype]
    lines.append(f"{dtype} dense peak of {gpu.name}: {tflops:g} TFLOP/s (no sparsity)")
    if note:
        lines.append(note)
    return lines


def _tokens_assumption(texts: _Texts, defaults: Defaults) -> str:
    """Where the token count comes from."""
    basis, source = texts.tokens_from.basis, texts.tokens_from.source
    if basis == "given":
        return f"{texts.tokens} training tokens (given)"
    if basis == "published":
        return f"{texts.tokens} training tokens, as published: {source} (give a token count to price another run)"
    line = (
        f"Tokens not given and none published: {defaults.tokens_per_param:g} per parameter × {texts.params} = "
        f"{texts.tokens} (Chinchilla's compute-optimal ratio, Hoffmann et al. 2022, arXiv 2203.15556)"
    )
    if texts.active is not None:
        line += "; for MoE napkin applies it to total parameters (DeepSeek-V3: 14.8T tokens for 671B)"
    return line


def _mfu_assumption(gpu: Accelerator, dtype: Precision, defaults: Defaults, given: float | None, mfu: float) -> str:
    """What the MFU is and why; fp8/fp4 by default: the measured speed-up over bf16."""
    if given is not None:
        return f"MFU {format_percent(mfu)} of the {dtype} peak (given)"
    if dtype in _LOW_PRECISION and mfu != defaults.mfu:
        sixteen = gpu.dense_tflops.get(Precision.BF16) or gpu.dense_tflops.get(Precision.FP16) or 0.0
        line = (
            f"MFU {format_percent(mfu)} of the {dtype} peak = {format_percent(defaults.mfu)} of the "
            f"{sixteen:g} TFLOP/s 16-bit peak × {defaults.fp8_speedup:g}: {defaults.fp8_speedup_source}"
        )
        if dtype == Precision.FP4:
            line += "; fp4 gets the fp8 speed-up (no end-to-end fp4 pre-training speed-up is published)"
        return line
    return defaults.mfu_source


def _cluster_assumptions(job: TrainingJob, defaults: Defaults, cluster: _Cluster, gpu: Accelerator) -> list[str]:
    """How many GPUs, and how well they scale."""
    num_gpus, deadline = cluster.num_gpus, cluster.deadline
    node = gpu.per_node(defaults.node_size)
    lines = []
    if deadline is not None:
        default = " (default deadline)" if job.days is None else ""
        rounded = f", rounded up to whole {node}-{gpu.unit} {gpu.node_name}s" if num_gpus > node else ""
        days = f"{deadline:g} day" + ("" if deadline == 1 else "s")
        lines.append(f"{gpu.count(num_gpus)} to finish within {days}{default}{rounded}")
    lines.append(
        f"Ideal linear scaling over {gpu.count(num_gpus)}: no failures, restarts or stragglers "
        "(Llama 3 405B kept >90% effective training time, arXiv 2407.21783)"
    )
    return lines


def _cost_assumptions(gpu: Accelerator, defaults: Defaults, texts: _Texts, source: str | None) -> list[str]:
    """Where the price comes from, and what energy and CO₂ count."""
    lines = []
    if texts.price is None:
        lines.append(f"No catalog price for {gpu.name}: cost not estimated (add price=, USD per {gpu.unit}-hour)")
    elif source == "given":
        lines.append(f"Price ${texts.price}/{gpu.unit}-h (given); the comparison uses catalog prices")
    else:
        reference = f" ({gpu.price.source})" if gpu.price is not None else ""
        lines.append(f"Price ${texts.price}/{gpu.unit}-h: {source}{reference}")
    if gpu.tdp_watts is None:
        lines.append(f"{gpu.name} has no published board power: energy and CO₂ unknown (null in JSON)")
    else:
        lines.append(
            f"Energy = {gpu.unit}-hours × {gpu.tdp_watts:g} W board power × PUE {defaults.pue:g} (host CPUs, "
            f"network and storage not counted); CO₂ at {defaults.grid_kg_co2_per_kwh:g} kg/kWh "
            "(location-based grid average). Model cards that fold PUE into the per-GPU power (Llama 3.1: "
            "700 W 'adjusted for power usage efficiency') correspond to PUE 1.0"
        )
    return lines
