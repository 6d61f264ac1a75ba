"""Will it fit? Memory per GPU for each mode, the fewest GPUs that hold it, and a verdict.

Inference = weights + KV cache + a working set; training = weights + gradients + optimizer state +
activations (ZeRO, Korthikanti et al.); LoRA/QLoRA = a frozen 16-bit/NF4 base + trained adapters.
How each is split over GPUs, and the searches for the fewest GPUs, live in ``estimator.placement``.
"""

from __future__ import annotations

import functools
import math
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from estimator.activations import DEFAULT_PREFILL_CHUNK, Recompute
from estimator.architecture import ModelArch
from estimator.defaults import Defaults
from estimator.errors import PARAM_COUNT_MESSAGES, EstimateError, validated_job
from estimator.hardware import Accelerator
from estimator.memory import (
    OPTIMIZERS,
    Offload,
    OptimizerName,
    WeightFormat,
    bytes_per_param,
    lora_adapter_params,
    weight_bytes,
)
from estimator.placement import (
    COMFORTABLE,
    Budget,
    Layout,
    Placement,
    Placer,
    Workload,
    choose_training,
    fewest_inference,
    fewest_training,
    inference_layout,
    inference_offload,
)
from estimator.precision import BYTES_PER_VALUE, NF4_BYTES_PER_PARAM, Precision
from estimator.quantities import counted, format_bytes, format_count
from estimator.results import FitsResult, Mode, Plan, Scenario, Verdict
from estimator.shapes import Shape, assumed_shape, shape_of

KV_CACHE_BYTES = 2.0  # 16-bit KV cache (vLLM's kv_cache_dtype=auto follows the model's 16-bit dtype)
TIGHT_JSON = 0.90  # `tight` in JSON: per-GPU total above this share of usable memory
DEFAULT_MODES: tuple[Mode, ...] = ("inference", "train", "lora", "qlora")
_TRAINING_MODES: tuple[Mode, ...] = ("train", "lora", "qlora")
_KEPT_16BIT = "; embeddings and LM head stay 16-bit"
_NF4_BASE = (
    f"Frozen base in NF4 with double quantization: {NF4_BYTES_PER_PARAM:.3f} bytes/param "
    "(Dettmers et al. 2023, arXiv 2305.14314)"
)
_BYTES_PER_PARAM_TEXT: dict[WeightFormat, str] = {
    f: f"{bytes_per_param(f):.3g} byte" + ("" if bytes_per_param(f) == 1 else "s") for f in (*Precision, "nf4")
}
_SINGLE_DEVICE: dict[Recompute, Layout] = {r: Layout(recompute=r) for r in ("none", "selective", "full")}
_RECOMPUTATION: dict[Recompute, str] = {
    "none": "no recomputation",
    "selective": "selective recomputation of attention",
    "full": "full recomputation (activation checkpointing, ≈1/3 more compute)",
}


def _tokens(n: int) -> str:
    """A length in tokens as context windows are written: ``4096 tokens``, ``1 token``."""
    return f"{n} token" + ("" if n == 1 else "s")


class FitJob(BaseModel):
    """A memory question: a model, which modes, and how the user would run it.

    Each value is checked where it is set and again by ``estimate_fits`` (a copy made with
    ``model_copy(update=...)`` skips validation); which combinations it can answer, the estimate decides.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", revalidate_instances="always")

    params: int = Field(gt=0)
    active_params: int = Field(gt=0, description="Parameters used per token; at most `params` (MoE).")
    model: ModelArch | None = None
    modes: tuple[Mode, ...] | None = Field(default=None, min_length=1)
    dtype: Precision | None = None
    num_gpus: int | None = Field(default=None, ge=1)
    zero: int | None = Field(default=None, ge=0, le=3)
    offload: Offload | None = None
    ctx: int | None = Field(default=None, ge=1)
    batch: int | None = Field(default=None, ge=1)
    optimizer: OptimizerName | None = None
    rank: int | None = Field(default=None, ge=1)
    cpu_mem: int | None = Field(default=None, ge=0)
    gpu_mem: int | None = Field(default=None, ge=1)
    recompute: Recompute | None = None
    attention: Literal["flash", "eager"] | None = Field(
        default=None, description="Training attention kernel: FlashAttention (default) or eager (s² scores stored)."
    )
    prefill_chunk: int | None = Field(default=None, ge=1, description="Serving: tokens per step (chunked prefill).")


# What a user reads when a FitJob field is out of range (``{input}``: the value given).
_OUT_OF_RANGE = {
    **PARAM_COUNT_MESSAGES,
    "modes": "name at least one mode: inference, train, lora or qlora",
    "num_gpus": "gpus= must be at least 1 (got {input})",
    "zero": "zero= takes a ZeRO stage 0, 1, 2 or 3 (got {input})",
    "ctx": "ctx= must be at least 1 (got {input})",
    "batch": "batch= must be at least 1 (got {input})",
    "rank": "rank= must be at least 1 (got {input})",
    "cpu_mem": "cpu_mem= must not be negative",
    "gpu_mem": "gpu_mem= must be at least 1 (got {input})",
    "prefill_chunk": "prefill_chunk= must be at least 1 token (got {input})",
}


def checked_job(job: FitJob) -> FitJob:
    """``job`` validated, and a combination napkin can answer; EstimateError says what is wrong."""
    job = validated_job(FitJob, job, _OUT_OF_RANGE)
    if job.offload == "full" and job.zero not in (None, 3):
        raise EstimateError("offload=full (parameter offload) needs zero=3")
    if job.offload == "optimizer" and job.zero == 0:
        raise EstimateError("offload=optimizer needs a ZeRO stage of 1, 2 or 3")
    return job


class _Request:
    """The job resolved against the GPU and the defaults, and what every scenario reuses."""

    def __init__(
        self, job: FitJob, gpu: Accelerator, budget: Budget, *, memory: int, rank: int, sixteen_bit: Precision
    ) -> None:
        self.job = job
        self.gpu = gpu
        self.budget = budget
        self.memory = memory
        self.rank = rank
        self.sixteen_bit = sixteen_bit
        self.shape: Shape = budget.shape  # the architecture's, or the one assumed from the parameter count
        # embeddings and LM head stay 16-bit under quantization; only counted for a known architecture
        self.unquantized_params = self.shape.embedding_params if job.model is not None else 0
        self.usable_text = format_bytes(budget.usable)
        self.unit, self.node = gpu.unit, gpu.node_name  # "GPU", "chip" or "device"; "node", "host" or "instance"
        # gpu_mem= describes a card of that size, not the catalog's
        self.name = gpu.name if job.gpu_mem is None else f"{format_bytes(memory)} {self.unit}"
        self._params_text: str | None = None
        self._adapter_params: int | None = None
        self._kv_cache_line: str | None = None
        self._lora_line: str | None = None

    def n(self, count: int) -> str:
        """``count`` devices in words: ``1 GPU``, ``8 GPUs``, ``4 chips``."""
        return counted(count, self.unit)

    def params_text(self) -> str:
        """The parameter count as the assumptions print it."""
        if self._params_text is None:
            self._params_text = format_count(self.job.params)
        return self._params_text

    def adapter_params(self) -> int:
        """LoRA adapter parameters at the request's rank (LoRA and QLoRA train the same adapters)."""
        if self._adapter_params is None:
            self._adapter_params = lora_adapter_params(self.shape, self.rank)
        return self._adapter_params

    def lora_line(self) -> str:
        """The LoRA and QLoRA scenarios' adapter assumption (they train the same adapters)."""
        if self._lora_line is None:
            adapters, spec = self.adapter_params(), self.budget.spec
            self._lora_line = (
                f"LoRA rank {self.rank} on q, k, v, o and every MLP projection: {format_count(adapters)} adapter "
                f"params ({adapters / self.job.params:.2%} of the model) trained with {spec.name} at "
                f"{spec.bytes_per_param:g} bytes/param"
            )
        return self._lora_line

    def kv_cache(self) -> int:
        """Bytes of KV cache for ctx × batch (the same for every inference precision)."""
        arch, budget = self.job.model, self.budget
        if arch is not None:
            return arch.kv_cache_bytes(budget.ctx, budget.batch, KV_CACHE_BYTES)
        return self.shape.kv_cache_bytes(budget.ctx, budget.batch, KV_CACHE_BYTES)

    def kv_cache_line(self, kv_cache: int) -> str:
        """The inference scenarios' KV cache assumption (the same for every precision)."""
        if self._kv_cache_line is None:
            arch = self.job.model
            assumed = f"the assumed shape ({self.shape.kv_heads} KV heads)"
            source = "the architecture" if arch is not None else assumed
            formula = "2·L·a_kv·d_head·s·b·2"
            if arch is not None and arch.mla is not None:
                # MLA caches one compressed latent and the shared RoPE key per token and layer
                formula = f"L·(d_c + d_rope)·s·b·2, d_c = {arch.mla.kv_lora_rank}, d_rope = {arch.mla.qk_rope_head_dim}"
            elif arch is not None and arch.sliding_window is not None:
                formula += f", windowed layers hold at most {_tokens(arch.sliding_window)}"
            self._kv_cache_line = (
                f"KV cache in {self.sixteen_bit} for {_tokens(self.budget.ctx)} × "
                f"{counted(self.budget.batch, 'sequence')}, "
                f"every sequence at full context: {format_bytes(kv_cache)} ({formula} from {source})"
            )
        return self._kv_cache_line


# --- scenarios --------------------------------------------------------------------------------------


def _inference_formats(s: _Request) -> tuple[WeightFormat, ...]:
    if s.job.dtype is not None:
        return (s.job.dtype,)
    eight_bit = Precision.FP8 if Precision.FP8 in s.gpu.dense_tflops else Precision.INT8
    usual = (s.sixteen_bit, eight_bit, Precision.INT4)
    stored = s.job.model.stored_precision if s.job.model is not None else None
    if stored is None:
        return usual
    # a model published quantized (gpt-oss in MXFP4) is served as stored: that row first, so it heads the answer
    # (a usual format of the same size as the stored one would repeat its row)
    return (stored, *(fmt for fmt in usual if BYTES_PER_VALUE[fmt] != BYTES_PER_VALUE[stored]))


def _stored_bytes(s: _Request, fmt: WeightFormat) -> int | None:
    return s.job.model.stored_bytes_at(str(fmt)) if s.job.model is not None else None


def _inference_workload(s: _Request, fmt: WeightFormat, kv_cache: int) -> Workload:
    weights = _stored_bytes(s, fmt)
    if weights is None:
        weights = weight_bytes(s.job.params, fmt, s.unquantized_params)
    return Workload("inference", str(fmt), fmt, weights, kv_cache)


def _training_workload(s: _Request, mode: Mode) -> Workload:
    largest = s.shape.largest_matrix
    if mode == "train":
        spec = s.budget.spec
        gathered_weights, gathered_grads = math.ceil(spec.weight_bytes * largest), math.ceil(spec.grad_bytes * largest)
        return Workload(mode, str(s.sixteen_bit), s.sixteen_bit, 0, 0, s.job.params, gathered_weights, gathered_grads)
    base: WeightFormat = "nf4" if mode == "qlora" else s.sixteen_bit
    label = "nf4" if mode == "qlora" else str(s.sixteen_bit)
    weights = weight_bytes(s.job.params, base, s.unquantized_params)
    return Workload(mode, label, base, weights, 0, s.adapter_params(), math.ceil(bytes_per_param(base) * largest))


class _Search(NamedTuple):
    """What the placement searches found for one scenario."""

    hit: Placement | None  # the first layout of the asked GPU count that fits
    closest: Placement  # the asked count's layout with the least memory per GPU
    fewest: Placement | None  # the fewest-GPU layout that fits, at any count
    recompute: Recompute  # the recomputation the single-device figure and the fewest-GPU search use


def _scenario(s: _Request, w: Workload) -> Scenario:
    placer = Placer(s.budget, w)
    found = _search(s, placer)
    shown, verdict = _verdict(s, placer, found)
    single = placer(_SINGLE_DEVICE[found.recompute])
    needed = 0 if found.fewest is None else found.fewest.layout.gpus
    count = s.job.num_gpus or 1
    # The contract reports the GPU count asked about (a layout on fewer leaves the rest idle); a larger
    # layout the verdict needs is the plan.
    asked = shown if shown.layout.gpus <= count else found.closest
    strategy = _strategy(s, w, shown)
    price = s.gpu.price.usd_per_hour if s.gpu.price is not None else None
    plan = None
    if asked is not shown:
        plan = Plan(
            num_gpus=shown.layout.gpus, breakdown=shown.breakdown(), per_gpu_bytes=shown.per_gpu, strategy=strategy
        )
    recommended = plan.num_gpus if plan is not None else count  # what the answer says to provision
    return Scenario(
        mode=w.mode,
        dtype=w.label,
        num_gpus=count,
        breakdown=asked.breakdown(),
        per_gpu_bytes=asked.per_gpu,
        total_bytes=single.per_gpu,
        gpus_needed=needed,
        verdict=verdict,
        verdict_text=_verdict_text(s, w, verdict, shown, needed),
        usable_fraction=round(shown.per_gpu / s.budget.usable, 4),
        tight=verdict != "does_not_fit" and shown.per_gpu > TIGHT_JSON * s.budget.usable,
        strategy=strategy,
        cpu_offload_bytes=shown.cpu_bytes,
        assumptions=_scenario_assumptions(s, w, shown, single, auto_recompute=s.job.recompute is None, placer=placer),
        plan=plan,
        price_per_gpu_hour=price,
        cost_per_hour_usd=None if price is None or verdict == "does_not_fit" else price * recommended,
    )


def _recomputes(job: FitJob) -> tuple[Recompute, ...]:
    """Recomputation settings to try, least recomputation first (selective only differs from none
    when eager attention stores the s² scores: it drops them)."""
    if job.recompute is not None:
        return (job.recompute,)
    return ("none", "selective", "full") if job.attention == "eager" else ("none", "full")


def _search(s: _Request, placer: Placer) -> _Search:
    job, gpus = s.job, s.job.num_gpus or 1
    if placer.workload.mode == "inference":
        at = placer(inference_layout(placer, gpus))
        return _Search(at if at.fits(s.budget) else None, at, fewest_inference(placer), "none")
    requested: Offload = job.offload or "none"
    recomputes = _recomputes(job)
    stages = _zero_stages(job, requested)
    # the fewest GPUs under the rules gpus= follows: every stage it may try, the most recomputation it may choose
    fewest = fewest_training(placer, stages, requested, recomputes[-1])
    least = None if fewest is None else fewest.layout.gpus
    hit, closest = choose_training(placer, gpus, stages=stages, offload=requested, recomputes=recomputes, fewest=least)
    if hit is None and least is not None and job.num_gpus is None:
        # "Needs N" describes the split that gpus=N chooses
        fewest, _ = choose_training(
            placer, least, stages=stages, offload=requested, recomputes=recomputes, fewest=least
        )
    used = hit or fewest
    return _Search(hit, closest, fewest, used.layout.recompute if used is not None else recomputes[-1])


def _verdict(s: _Request, placer: Placer, found: _Search) -> tuple[Placement, Verdict]:
    """The layout the answer describes, and the verdict on it."""
    job, gpus = s.job, s.job.num_gpus or 1
    requested: Offload = job.offload or "none"
    inference = placer.workload.mode == "inference"
    if found.hit is not None:
        if requested != "none" and not inference:
            return found.hit, "needs_offload"
        return found.hit, "fits_one_gpu" if gpus == 1 else "fits_n_gpus"
    if _may_offload(s, requested, inference):
        offloaded = _auto_offload(s, placer, gpus, _recomputes(job))
        if offloaded is not None:
            return offloaded, "needs_offload"
    if job.num_gpus is None and found.fewest is not None:
        return found.fewest, "fits_n_gpus"
    return found.closest, "does_not_fit"


def _zero_stages(job: FitJob, offload: Offload) -> tuple[int, ...]:
    """ZeRO stages to try, least sharding first (less communication); over one data-parallel rank
    every stage is stage 0's bytes."""
    if job.zero is not None:
        return (job.zero,)
    if offload == "full":
        return (3,)
    if offload == "optimizer":
        return (2, 3)
    return (0, 1, 2, 3)


def _may_offload(s: _Request, requested: Offload, inference: bool) -> bool:
    """Offload is tried when the user describes their machine (gpus= or cpu_mem=) and its host
    memory is known, or asks for it (offload= for inference)."""
    if requested != "none":
        return inference
    described = s.job.num_gpus is not None or s.job.cpu_mem is not None
    return described and s.budget.cpu_memory is not None


def _auto_offload(s: _Request, placer: Placer, gpus: int, recomputes: tuple[Recompute, ...]) -> Placement | None:
    if placer.workload.mode == "inference":
        return inference_offload(placer, gpus)
    allowed: tuple[Offload, ...] = ("optimizer", "full")
    if s.job.zero is not None:
        allowed = tuple(o for o in allowed if (o == "optimizer" and s.job.zero >= 1) or s.job.zero == 3)
    for offload in allowed:
        stages = _zero_stages(s.job, offload)
        hit, _ = choose_training(placer, gpus, stages=stages, offload=offload, recomputes=recomputes)
        if hit is not None:
            return hit
    return None


# --- words --------------------------------------------------------------------------------------------


def _strategy(s: _Request, w: Workload, p: Placement) -> str:
    lay = p.layout
    parts: list[str] = []
    if w.mode == "inference":
        if lay.tensor > 1 and lay.pipeline > 1:
            parts.append(f"tensor parallel {lay.tensor} × {lay.pipeline} pipeline stages ({s.n(lay.gpus)})")
        elif lay.tensor > 1:
            parts.append(f"tensor parallel over {s.n(lay.tensor)}")
        elif lay.pipeline > 1:
            parts.append(f"pipeline parallel over {s.n(lay.pipeline)} (layers split)")
        if lay.cpu_weights:
            parts.append(f"{format_bytes(lay.cpu_weights)} of weights in CPU memory (layers offloaded)")
        return ", ".join(parts)
    sharding = f"ZeRO-{lay.zero}" if lay.zero else "data parallel (no ZeRO)"
    if lay.pipeline > 1 and lay.data == 1:
        parts.append(f"tensor parallel {lay.tensor} × {lay.pipeline} pipeline stages ({s.n(lay.gpus)})")
    elif lay.pipeline > 1:
        parts.append(
            f"tensor parallel {lay.tensor} × {lay.pipeline} pipeline stages × {sharding} over {lay.data} "
            f"({s.n(lay.gpus)})"
        )
    elif lay.tensor > 1 and lay.data > 1:
        parts.append(f"tensor parallel {lay.tensor} × {sharding} over {lay.data} ({s.n(lay.gpus)})")
    elif lay.tensor > 1:
        parts.append(f"tensor parallel over {s.n(lay.tensor)}")
    elif lay.data > 1:
        parts.append(f"{sharding} over {s.n(lay.data)}")
    if lay.offload == "optimizer":
        parts.append("optimizer state in CPU memory (ZeRO-Offload)")
    elif lay.offload == "full":
        parts.append("parameters and optimizer state in CPU memory (ZeRO-Infinity)")
    if lay.recompute == "full":
        parts.append("activation checkpointing")
    elif lay.recompute == "selective":
        parts.append("selective recomputation")
    return ", ".join(parts)


def _why_split(w: Workload, lay: Layout) -> str:
    if w.mode == "inference":
        if lay.pipeline > 1:
            return "layers split across pipeline stages, tensor parallel within each"
        return "tensor parallel splits weights and KV cache"
    if w.mode == "train":
        sharded = {
            0: "data parallel copies the model states",
            1: "ZeRO-1 shards optimizer state",
            2: "ZeRO-2 shards gradients and optimizer state",
            3: "ZeRO-3 shards weights, gradients and optimizer state",
        }[lay.zero]
    else:
        sharded = {
            0: "data parallel copies the model",
            1: "ZeRO-1 shards the adapters' optimizer state",
            2: "ZeRO-2 shards the adapters' gradients and optimizer state",
            3: "ZeRO-3 (FSDP) shards the frozen base and the adapters' states",
        }[lay.zero]
    if lay.pipeline > 1:
        within = f"{lay.pipeline} pipeline stages split the layers, tensor parallel {lay.tensor} within each"
        return within if lay.data == 1 else f"{within}, {sharded}"
    if lay.tensor > 1:
        within = f"tensor parallel {lay.tensor} splits weights and activations"
        return within if lay.data == 1 else f"{within}, {sharded}"
    return sharded


def _share(s: _Request, p: Placement) -> str:
    share = p.per_gpu / s.budget.usable
    tight = " — tight: little room for fragmentation or longer inputs" if share > COMFORTABLE else ""
    return f"{share:.0%} of {s.usable_text} usable{tight}"


def _rounder(s: _Request, w: Workload, needed: int) -> str:
    """A rounder deployment choice beside an odd inference count: one tensor-parallel group, or whole nodes."""
    node = s.budget.node_size
    if w.mode != "inference" or needed <= 1 or needed in s.budget.tp_degrees or needed % node == 0:
        return ""
    if needed < node:
        group = next((t for t in s.budget.tp_degrees if t > needed), None)
        return "" if group is None else f" ({group} for one tensor-parallel group)"
    nodes = -(-needed // node)
    return f" ({nodes * node}: {counted(nodes, 'whole ' + s.node)} of {node})"


def _verdict_text(s: _Request, w: Workload, verdict: Verdict, p: Placement, needed: int) -> str:
    name = s.name
    gpus = p.layout.gpus
    if verdict == "fits_one_gpu":
        return f"Fits on 1× {name} ({_share(s, p)})"
    if verdict == "fits_n_gpus" and s.job.num_gpus is not None and gpus == 1:
        return f"Fits on 1× {name} ({_share(s, p)}, {s.job.num_gpus - 1} of the {s.job.num_gpus} left idle)"
    if verdict == "fits_n_gpus" and s.job.num_gpus is not None:
        spare = f"; {needed} would do{_rounder(s, w, needed)}" if 0 < needed < (s.job.num_gpus or 1) else ""
        idle = s.job.num_gpus - gpus
        unused = f", {idle} of the {s.job.num_gpus} left idle" if idle > 0 else ""
        return f"Fits on {gpus}× {name} ({format_bytes(p.per_gpu)} per {s.unit}, {_share(s, p)}{unused}){spare}"
    if verdict == "fits_n_gpus":
        return (
            f"Needs {gpus}× {name}{_rounder(s, w, gpus)}: {_why_split(w, p.layout)} "
            f"({format_bytes(p.per_gpu)} per {s.unit}, {_share(s, p)})"
        )
    if verdict == "needs_offload":
        where = f"per {s.node}" if p.layout.gpus > 1 else "on the host"
        auto = s.job.offload in (None, "none")  # when offload was asked for, ``needed`` counts with it
        without = f"; {needed}× {name} hold it without offload" if needed and auto else ""
        return f"Fits on {gpus}× {name} with {format_bytes(p.cpu_bytes)} in CPU memory {where}{without}"
    if s.budget.cpu_memory is not None and p.host_needed > s.budget.cpu_memory:
        host, available = format_bytes(p.host_needed), format_bytes(s.budget.cpu_memory)
        return (
            f"Does not fit: host RAM is the limit — offload needs {host} per {s.node} "
            f"(DeepSpeed's 1.5× buffer included), {available} available"
        )
    if needed:
        asked = s.job.num_gpus or 1
        return f"Does not fit on {asked}× {name} ({format_bytes(p.per_gpu)} per {s.unit}); needs {needed}"
    if w.mode == "inference":
        return f"Does not fit on any number of {name}: one layer per {s.unit} is still too big at this ctx and batch"
    zero = s.job.zero
    if zero is not None and zero >= 2:
        return (
            f"Does not fit on any number of {name} with ZeRO-{zero}, which rules out pipeline stages "
            "(try zero=1: pipeline parallelism with a sharded optimizer)"
        )
    return (
        f"Does not fit on any number of {name}: {format_bytes(p.activations)} of activations per {s.unit} cannot be "
        "split further (try a shorter ctx= or a smaller batch=)"
    )


def _scenario_assumptions(
    s: _Request, w: Workload, shown: Placement, single: Placement, *, auto_recompute: bool, placer: Placer
) -> list[str]:
    lines: list[str] = []
    kept_16bit = _KEPT_16BIT if s.unquantized_params > 0 and bytes_per_param(w.weight_format) < 2 else ""
    if w.mode == "inference":
        if _stored_bytes(s, w.weight_format) is not None:
            lines.append(
                f"Weights: {s.params_text()} params as the checkpoint stores them ({w.label}) = "
                f"{format_bytes(w.weights)}, its exact bytes (scales, zero points and unquantized layers included)"
            )
        else:
            lines.append(
                f"Weights: {s.params_text()} params × {_BYTES_PER_PARAM_TEXT[w.weight_format]} "
                f"({w.label}) = {format_bytes(w.weights)}{kept_16bit}"
            )
        lines.append(s.kv_cache_line(w.kv_cache))
        lines.append(
            f"Activations: chunked prefill of at most {_tokens(s.budget.prefill_chunk)} per step "
            "(vLLM's default max_num_batched_tokens; set prefill_chunk=), one layer's working set at a time "
            f"(FlashAttention), fp32 logits for each sequence's last token only ({counted(s.budget.batch, 'sequence')})"
            + ("" if s.budget.flash else "; attention=eager is for training: serving engines run fused attention")
        )
        return lines
    if w.mode == "train":
        lines.append(f"Full training with {s.budget.spec.description}")
    else:
        lines.append(s.lora_line())
        if w.mode == "qlora":
            lines.append(_NF4_BASE + kept_16bit)
        else:
            lines.append(f"Frozen base in {w.label}: 2 bytes/param")
    recompute, tensor = shown.layout.recompute, shown.layout.tensor
    kernel = "FlashAttention" if s.budget.flash else "eager attention"
    line = (
        f"Activations (Korthikanti et al. 2022, arXiv 2205.05198) for {_tokens(s.budget.ctx)} × "
        f"micro-batch {s.budget.batch} per {s.unit}, {kernel}, fp32 logits; {_RECOMPUTATION[recompute]}"
    )
    if auto_recompute and recompute != "none":
        without = s.budget.activations(w.mode, tensor, "none")
        plain = placer(shown.layout._replace(recompute="none"))
        if plain.per_gpu <= COMFORTABLE * s.budget.usable and plain.holds(s.budget):
            # the rule that keeps memory per GPU from rising with the GPU count (see GPU counts)
            line += (
                f" — kept because without it ({format_bytes(without)} of activations per {s.unit}) this split takes "
                f"{format_bytes(plain.per_gpu)} per {s.unit}, more than the choice for fewer {s.unit}s"
            )
        else:
            line += (
                f" — chosen because without it activations take {format_bytes(without)} per {s.unit} and the plan "
                f"would not fit within {COMFORTABLE:.0%} of usable memory"
            )
    scores = s.budget.activations(w.mode, tensor, "none") - s.budget.activations(w.mode, tensor, "selective")
    if recompute in ("none", "selective") and s.budget.flash:
        line += (
            "; with FlashAttention no s² scores are stored, so recompute=none and recompute=selective "
            "give the same figure (attention=eager for the figure without it)"
        )
    elif recompute == "none":
        line += (
            f"; eager attention stores the softmax scores, 5·a·s/h bytes per token and layer: "
            f"{format_bytes(scores)} per {s.unit} (recompute=selective drops them)"
        )
    elif recompute == "selective":
        line += (
            f"; selective recomputation recomputes the attention core instead of storing its s² scores "
            f"({format_bytes(scores)} per {s.unit} saved, Korthikanti §4.2)"
        )
    if recompute == "full":
        line += (
            "; = 2·s·b·h·L layer inputs (Korthikanti's figure) + one layer's working set while it is "
            "recomputed + the logits"
        )
    if shown.layout.pipeline > 1:
        line += "; 1F1B pipeline: the first stage holds p micro-batches of L/p layers, as much as one stage of all L"
    lines.append(line)
    lay = shown.layout
    if (lay.zero == 3 and lay.data > 1) or lay.offload == "full":
        lines.append(
            "ZeRO-3 gathers each weight matrix (and its gradient) before use: buffers for the largest one "
            f"are counted in overhead on every {s.unit} (DeepSpeed's estimator: 4 bytes × largest layer)"
        )
    if lay.offload != "none":
        kept = "fp32 gradients, optimizer state" + (" and 16-bit weights" if lay.offload == "full" else "")
        lines.append(
            f"Offload keeps {kept} in host memory: {format_bytes(shown.cpu_bytes)} per {s.node}; DeepSpeed asks for "
            f"1.5× that ({format_bytes(shown.host_needed)} host RAM per {s.node})"
            + ("" if s.budget.cpu_memory is not None else " — host memory not checked: give cpu_mem=")
        )
    if single.per_gpu != shown.per_gpu or shown.layout.gpus > 1:
        lines.append(f"On a single device it would take {format_bytes(single.per_gpu)}")
    return lines


# --- entry point ------------------------------------------------------------------------------------------


def _setup(job: FitJob, gpu: Accelerator, defaults: Defaults) -> _Request:
    shape = shape_of(job.model) if job.model is not None else assumed_shape(job.params)
    memory = job.gpu_mem if job.gpu_mem is not None else gpu.memory_bytes
    usable = memory - defaults.cuda_context_bytes
    if usable <= 0:
        raise EstimateError(
            f"{format_bytes(memory)} of {gpu.unit} memory leaves nothing after the {_reserve_name(gpu)}"
        )
    training = gpu.default_training_precision()
    sixteen_bit = training if training in (Precision.BF16, Precision.FP16) else Precision.BF16
    node_size = gpu.per_node(defaults.node_size)
    degrees = _tensor_parallel_degrees(node_size, shape.heads)
    budget = Budget(
        shape=shape,
        usable=usable,
        headroom=defaults.allocator_overhead,
        cpu_memory=job.cpu_mem if job.cpu_mem is not None else defaults.cpu_memory_bytes,
        ctx=job.ctx or defaults.ctx,
        batch=job.batch or defaults.batch,
        node_size=node_size,
        spec=OPTIMIZERS[job.optimizer or "adamw"],
        tp_degrees=degrees,
        prefill_chunk=job.prefill_chunk or DEFAULT_PREFILL_CHUNK,
        activation_memo={},
        flash=job.attention != "eager",
    )
    return _Request(
        job=job, gpu=gpu, budget=budget, memory=memory, rank=job.rank or defaults.lora_rank, sixteen_bit=sixteen_bit
    )


def _reserve_name(gpu: Accelerator) -> str:
    """What the per-device runtime reserve is called: the CUDA context on NVIDIA parts."""
    return "CUDA context" if gpu.vendor.lower() == "nvidia" else "runtime reserve"


@functools.lru_cache(maxsize=64)
def _tensor_parallel_degrees(node_size: int, heads: int) -> tuple[int, ...]:
    """Powers of two up to the node size that divide the heads."""
    return tuple(t for t in (2**k for k in range(node_size.bit_length())) if t <= node_size and heads % t == 0)


def _workloads(s: _Request) -> list[Workload]:
    modes = s.job.modes or DEFAULT_MODES
    workloads: list[Workload] = []
    for mode in dict.fromkeys(modes):
        if mode == "inference":
            kv_cache = s.kv_cache()
            workloads.extend(_inference_workload(s, fmt, kv_cache) for fmt in _inference_formats(s))
        else:
            workloads.append(_training_workload(s, mode))
    return workloads


def estimate_fits(job: FitJob, gpu: Accelerator, defaults: Defaults) -> FitsResult:
    """Memory per GPU, GPUs needed and a verdict for each requested mode of ``job`` on ``gpu``.

    Default scenarios: inference at 16-bit, 8-bit (fp8 where the GPU has it, else int8) and int4;
    full training (mixed-precision AdamW); LoRA on a 16-bit base; QLoRA on an NF4 base.
    """
    job = checked_job(job)
    s = _setup(job, gpu, defaults)
    scenarios = [_scenario(s, w) for w in _workloads(s)]
    return FitsResult(
        model=None if job.model is None else job.model.key,
        params=job.params,
        active_params=job.active_params,
        gpu=gpu.key,
        gpu_name=s.name,
        unit=s.unit,
        gpu_memory_bytes=s.memory,
        usable_gpu_memory_bytes=s.budget.usable,
        cpu_memory_bytes=s.budget.cpu_memory,
        scenarios=scenarios,
        assumptions=_assumptions(s, defaults),
    )


def _assumptions(s: _Request, defaults: Defaults) -> list[str]:
    job = s.job
    lines: list[str] = []
    if job.model is None:
        lines.append(
            f"Architecture unknown: activations, KV cache and LoRA adapters use an assumed GPT-style shape "
            f"{s.shape.describe()} (12·L·h² ≈ N at h ≈ 128·L)"
        )
    else:
        lines.append(f"Architecture: {job.model.name}, {s.shape.describe()} ({job.model.source})")
        if s.budget.ctx > job.model.max_context:
            lines.append(f"ctx {s.budget.ctx} exceeds {job.model.name}'s {job.model.max_context}-token context")
    given = " (gpu_mem= given)" if job.gpu_mem is not None else ""
    unit = s.unit
    lines.append(
        f"Usable memory = {format_bytes(s.memory)}{given} − {format_bytes(defaults.cuda_context_bytes)} "
        f"{_reserve_name(s.gpu)} = {s.usable_text} per {unit}; every component gets +{s.budget.headroom:.0%} "
        "allocator headroom; GB = 10⁹ bytes; GiB = 2³⁰ bytes as nvidia-smi counts (its MiB ÷ 1024), shown "
        "beside GB for the card and on each verdict line"
    )
    lines.append(f"Sequence length {_tokens(s.budget.ctx)}, batch {s.budget.batch} per {unit}")
    if job.active_params != job.params:
        lines.append(
            f"Mixture of experts: memory holds all {format_count(job.params)} parameters, "
            f"{format_count(job.active_params)} active per token"
        )
    modes = job.modes or DEFAULT_MODES
    if job.dtype is not None and any(m in _TRAINING_MODES for m in modes):
        lines.append(
            f"dtype={job.dtype.value} sets the inference weights; training uses mixed precision "
            f"({s.sixteen_bit.value}), QLoRA an NF4 base"
        )
    lines.append(
        f"{unit[0].upper()}{unit[1:]} counts: tensor parallel in powers of two up to {s.budget.node_size} per "
        f"{s.node} dividing the {s.shape.heads} heads, pipeline stages beyond; training adds ZeRO data "
        "parallelism over any count (pipeline stages with ZeRO-0/1 only)"
    )
    if any(m in _TRAINING_MODES for m in modes):
        lines.append(
            f"Training split on N {unit}s: any split of at most N (the rest idle), least recomputation, fewest "
            f"model-parallel {unit}s and least ZeRO sharding first; the first within {COMFORTABLE:.0%} of usable "
            f"memory that takes no more per {unit} than the choice for N−1 (none within it: the fitting split "
            f"with the least), so memory per {unit} never rises as {unit}s are added"
        )
    if s.budget.cpu_memory is not None:
        source = "cpu_mem=" if job.cpu_mem is not None else "default"
        lines.append(f"Host memory for offload: {format_bytes(s.budget.cpu_memory)} per {s.node} ({source})")
    return lines
