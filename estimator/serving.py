"""What serving a model costs: time to first token, inter-token latency, concurrency and $ per token.

Closed-form roofline, calibrated on published measurements (tests/test_serving_reference.py):
- decode step for B sequences at average context c, per GPU of a tensor-parallel group of T:
  t = max((weights touched + B·KV(c)) / T / (bandwidth·MBU), FLOPs / T / (peak·MFU)) + 2·L·α,
  FLOPs = 2·N_active·B·(1 + in/out) + attention (under load, chunked prefill shares the steps);
- prefill of P tokens: max(2·N_active·P + attention FLOPs at peak·MFU, one weight read) + 2·L·α;
- KV budget per GPU = memory × engine utilisation − weights − activations − runtime reserve
  (the memory model of ``fits``); concurrency = capacity / (in + out), at most the engine's cap;
- MoE: compute uses active parameters; a decode step reads every expert the batch routes to,
  E·(1 − (1 − k/E)^B) per layer under uniform routing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import NamedTuple, TypedDict

from pydantic import BaseModel, ConfigDict, TypeAdapter

from estimator.activations import inference_activation_bytes
from estimator.architecture import ModelArch
from estimator.defaults import Defaults
from estimator.errors import EstimateError
from estimator.hardware import Accelerator
from estimator.memory import bytes_per_param, weight_bytes
from estimator.precision import BYTES_PER_VALUE, Precision
from estimator.quantities import format_bytes, format_count
from estimator.serving_results import Bound, ServeCostResult, ServeGpuRow, SingleStream, Speed
from estimator.shapes import Shape, assumed_shape, shape_of

# Efficiencies and engine settings, each from a published measurement (quoted in the assumptions).
MBU = 0.70
MBU_SOURCE = (
    "gpt-fast: Llama-2-7B bf16 batch 1 on A100-80GB reads 1397 GB/s of 2039 (68.5%); NIM 1.8 Llama-3.3-70B fp8 "
    "TP2 on H100: 18.6 ms ITL at concurrency 1"
)
MFU = 0.40
MFU_SOURCE = (
    "NIM 1.8 Llama-3.3-70B fp8 TP2 on 2×H100: 407 ms TTFT for 5000 tokens = 44% of dense fp8 peak; "
    "TensorRT-LLM max-load tables back-solve to 35-45%"
)
ALLREDUCE_S = 20e-6
ALLREDUCE_SOURCE = "gpt-fast Llama-2-70B on A100 NVLink: 38.0 → 62.5 tok/s from TP4 to TP8 leaves ≈20 µs per call"
ENGINE_UTILISATION = 0.90
ENGINE_UTILISATION_SOURCE = "vLLM's gpu_memory_utilization default 0.9 (TensorRT-LLM: 0.9 of free memory)"
PREFILL_CHUNK = 8192
MAX_NUM_SEQS = 256
ENGINE_SOURCE = "vLLM defaults: max_num_batched_tokens 8192 per step (chunked prefill), max_num_seqs 256"
BILLION = 1e9
MILLION = 1e6


class ServeJob(BaseModel):
    """A serving question: a model, its precision, the request shape and the set-up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    params: int
    active_params: int
    model: ModelArch | None = None
    dtype: Precision | None = None
    kv_dtype: Precision | None = None
    num_gpus: int | None = None
    input_tokens: int = 1000
    output_tokens: int = 1000
    batch: int | None = None
    price: float | None = None
    mbu: float | None = None
    mfu: float | None = None
    util: float | None = None


@dataclass(frozen=True)
class _Model:
    """What the formulas need of the model, independent of the GPU. The GPU-independent parts of the
    formulas are computed once per question (``_model``): the comparison asks them of every catalog GPU."""

    job: ServeJob
    shape: Shape
    dtype: Precision
    kv_bytes: float
    weights: int
    expert_bytes: float  # one routed expert's weights in one MoE layer
    routed: int  # routed experts per MoE layer (E)
    top_k: int  # routed experts per token (k)
    mbu: float
    mfu: float
    util: float
    degrees: tuple[int, ...]  # tensor-parallel widths within a node that divide the attention heads
    sequence_tokens: int  # tokens one request holds in the KV cache by its end: in + out
    kv_per_token: float  # KV bytes per token over a whole sequence (a sliding window makes it length-dependent)
    # KV bytes of one sequence at the context a decode step attends over, and the attention FLOPs per query
    # token there: indexed by ``loaded``, the prompt for one stream alone (False), the average context under
    # load (True)
    context_kv: tuple[int, int]
    attention_per_query: tuple[float, float]
    prompt_attention_per_query: float  # at half the prompt: what a prefill token attends over on average
    all_reduce_s: float  # tensor-parallel communication per forward pass: two all-reduces per layer
    activation_memo: dict[int, int] = field(default_factory=dict)

    def kv_sequence(self, tokens: int) -> int:
        """KV cache bytes of one sequence of ``tokens`` (GQA, sliding window and MLA aware)."""
        return _kv_sequence(self.job, self.shape, self.kv_bytes, tokens)

    def activations(self, tensor: int) -> int:
        """Activation bytes per GPU of one prefill chunk (what the engine profiles at start-up)."""
        value = self.activation_memo.get(tensor)
        if value is None:
            value = self.activation_memo[tensor] = inference_activation_bytes(self.shape, PREFILL_CHUNK, 1, tensor)
        return value

    def touched(self, batch: int) -> float:
        """Weight bytes one decode step of ``batch`` sequences reads (MoE: the experts routed to)."""
        if not self.routed:
            return float(self.weights)
        distinct = self.routed * (1 - (1 - self.top_k / self.routed) ** batch)
        idle = (self.routed - distinct) * self.expert_bytes * self.shape.moe_layers
        return self.weights - idle

    def decode_work(self, batch: int, *, loaded: bool) -> tuple[float, float]:
        """Bytes read and FLOPs of one decode step of ``batch`` sequences over the whole model. ``loaded``:
        steady state under load, at average context, each step carrying its share of chunked prefill;
        otherwise one stream at the end of its prompt."""
        job = self.job
        prefill = batch * job.input_tokens / job.output_tokens if loaded else 0.0
        read = self.touched(batch) + batch * self.context_kv[loaded]
        flops = 2 * job.active_params * (batch + prefill) + self.attention_per_query[loaded] * batch
        return read, flops + self.prompt_attention_per_query * prefill

    @cached_property
    def prefill_work(self) -> tuple[float, float]:
        """Bytes read (the weights, once) and FLOPs of the prefill of ``in`` tokens over the whole model."""
        tokens = self.job.input_tokens
        return self.touched(tokens), 2 * self.job.active_params * tokens + self.prompt_attention_per_query * tokens


def _kv_sequence(job: ServeJob, shape: Shape, kv_bytes: float, tokens: int) -> int:
    if job.model is not None:
        return job.model.kv_cache_bytes(tokens, 1, kv_bytes)
    return shape.kv_cache_bytes(tokens, 1, kv_bytes)


@dataclass(frozen=True, slots=True)
class ServingChip:
    """What servecost needs of an accelerator (with a dense peak) serving weights of one precision, independent
    of the model: worked out once per catalog (``ServingFleet``) and shared by every answer's comparison."""

    gpu: Accelerator
    key: str
    name: str
    memory_bytes: int
    node_size: int | None  # the catalog's devices per node (TP stays within one), None: the settings' default
    bandwidth: float  # peak bytes/s
    price: float | None  # catalog USD per GPU-hour
    compute: Precision  # the precision its matmuls run at: fp8/fp4 where the chip has it, else 16-bit
    compute_name: str  # ``compute.value``
    peak: float  # dense peak at ``compute``, FLOP/s

    @classmethod
    def of(cls, gpu: Accelerator, weights: Precision) -> ServingChip:
        """``gpu``'s figures for ``weights``; it must have a dense peak."""
        compute: Precision = weights
        if (
            weights not in (Precision.FP8, Precision.FP4) or weights not in gpu.dense_tflops
        ):  # other formats dequantize to 16-bit
            sixteen = gpu.default_training_precision()
            compute = sixteen if sixteen in (Precision.BF16, Precision.FP16) else Precision.FP32
        return cls(
            gpu=gpu,
            key=gpu.key,
            name=gpu.name,
            memory_bytes=gpu.memory_bytes,
            node_size=gpu.node_size,
            bandwidth=gpu.bandwidth_tbps * 1e12,
            price=None if gpu.price is None else gpu.price.usd_per_hour,
            compute=compute,
            compute_name=compute.value,
            peak=gpu.dense_tflops[compute] * 1e12,
        )


@dataclass(frozen=True)
class ServingFleet:
    """The accelerators servecost compares an answer across (``Catalog.serving_fleet``: the whole catalog)."""

    accelerators: tuple[Accelerator, ...]
    _chips: dict[Precision, tuple[ServingChip, ...]] = field(default_factory=dict, repr=False, compare=False)

    def chips(self, weights: Precision) -> tuple[ServingChip, ...]:
        """Every accelerator servecost can time (those with a dense peak) serving ``weights``, in order; worked
        out on first use of each precision."""
        chips = self._chips.get(weights)
        if chips is None:
            chips = self._chips[weights] = tuple(
                ServingChip.of(gpu, weights) for gpu in self.accelerators if gpu.dense_tflops
            )
        return chips


class _Chip(NamedTuple):
    """One accelerator's rates for this model: what the time formulas divide by."""

    gpu: Accelerator
    compute: Precision  # the precision its matmuls run at
    bandwidth: float  # bytes/s read, at MBU
    flops: float  # FLOP/s at ``compute``, at MFU
    memory: float  # bytes the engine may take: memory × utilisation


class _Setup(NamedTuple):
    """One GPU kind at a tensor × pipeline layout, and the KV budget that leaves on each GPU."""

    chip: _Chip
    tensor: int
    pipeline: int
    stages: int  # pipeline stages that hold layers: at most one per layer
    kv_budget: int  # per GPU

    @property
    def gpu(self) -> Accelerator:
        return self.chip.gpu

    @property
    def compute(self) -> Precision:
        return self.chip.compute

    @property
    def gpus(self) -> int:
        return self.tensor * self.pipeline

    @property
    def shards(self) -> int:
        """GPUs the weights and the KV cache are split over."""
        return self.tensor * self.stages


def _chip(m: _Model, chip: ServingChip) -> _Chip:
    """``chip``'s effective rates for ``m``."""
    return _Chip(chip.gpu, chip.compute, chip.bandwidth * m.mbu, chip.peak * m.mfu, chip.memory_bytes * m.util)


def _tp_degrees(node_size: int, heads: int) -> tuple[int, ...]:
    return tuple(t for t in (2**k for k in range(node_size.bit_length())) if t <= node_size and heads % t == 0)


def _node_degrees(m: _Model, gpu: Accelerator, defaults: Defaults) -> tuple[int, ...]:
    """Tensor-parallel widths within one of ``gpu``'s nodes: a TPU v5p host holds 4 chips, a Trainium
    instance 16 (the catalog's ``node_size``), other GPUs the default node."""
    node = gpu.per_node(defaults.node_size)
    return m.degrees if node == defaults.node_size else _tp_degrees(node, m.shape.heads)


def _layout(gpus: int, degrees: tuple[int, ...]) -> tuple[int, int]:
    tensor = max(t for t in degrees if gpus % t == 0)
    return tensor, gpus // tensor


def _kv_budget(m: _Model, memory: float, tensor: int, shards: int, defaults: Defaults) -> int:
    """Bytes per GPU left for the KV cache: engine ``memory`` − weight shard − activations − runtime reserve."""
    return int(memory - math.ceil(m.weights / shards) - m.activations(tensor) - defaults.cuda_context_bytes)


def _capacity(m: _Model, kv_budget: int, shards: int) -> int:
    """Tokens of KV cache ``shards`` GPUs with ``kv_budget`` bytes each hold."""
    return max(0, int(kv_budget * shards / m.kv_per_token))


def _setup(m: _Model, chip: _Chip, tensor: int, pipeline: int, defaults: Defaults) -> _Setup:
    stages = min(pipeline, m.shape.layers)
    return _Setup(chip, tensor, pipeline, stages, _kv_budget(m, chip.memory, tensor, tensor * stages, defaults))


def _capacity_tokens(m: _Model, s: _Setup) -> int:
    return _capacity(m, s.kv_budget, s.shards)


def _holds(m: _Model, s: _Setup) -> bool:
    return _capacity_tokens(m, s) >= m.sequence_tokens


def _comm(m: _Model, tensor: int) -> float:
    return m.all_reduce_s if tensor > 1 else 0.0


def _step(m: _Model, s: _Setup, batch: int, *, loaded: bool) -> tuple[float, Bound]:
    """Seconds per decode step of ``batch`` sequences, and whether bandwidth or compute limits it.
    ``loaded``: every pipeline stage busy; otherwise one stream passes the stages one after another."""
    read, flops = m.decode_work(batch, loaded=loaded)
    memory_time, compute_time = _times(read, flops, s.shards if loaded else s.tensor, s.chip)
    bound: Bound = "compute" if compute_time > memory_time else "bandwidth"
    return max(memory_time, compute_time) + _comm(m, s.tensor), bound


def _times(read: float, flops: float, shards: int, chip: _Chip) -> tuple[float, float]:
    """Seconds to read ``read`` bytes and to compute ``flops``, split over ``shards`` GPUs of ``chip``."""
    return read / shards / chip.bandwidth, flops / shards / chip.flops


def _prefill_time(m: _Model, s: _Setup) -> float:
    """Seconds to the first token of one prompt: compute-bound, with one weight read as its floor."""
    read, flops = m.prefill_work
    compute = flops / s.tensor / s.chip.flops
    floor = read / s.tensor / s.chip.bandwidth
    return max(compute, floor) + _comm(m, s.tensor)


def _single(m: _Model, s: _Setup) -> SingleStream:
    step, _ = _step(m, s, 1, loaded=False)
    return SingleStream(ttft_ms=_prefill_time(m, s) * 1e3, itl_ms=step * 1e3, tokens_per_s=1 / step)


def _cost(gpus: int, price: float | None, tokens_per_s: float) -> float | None:
    return None if price is None or tokens_per_s <= 0 else gpus * price / (tokens_per_s * 3600) * MILLION


def _speed(m: _Model, s: _Setup, batch: int, price: float | None, *, kv_limited: bool = False) -> Speed:
    """Latency, throughput and cost with ``batch`` sequences in flight."""
    step, bound = _step(m, s, batch, loaded=True)
    room = max(1, PREFILL_CHUNK - batch)  # prompt tokens a step can take beside the decode tokens
    ttft = step * math.ceil(m.job.input_tokens / room)
    if kv_limited and bound == "bandwidth":
        bound = "kv_capacity"
    tokens_per_s = batch / step
    return Speed(
        concurrent_sequences=batch,
        output_tokens_per_s=tokens_per_s,
        tokens_per_s_per_user=1 / step,
        itl_ms=step * 1e3,
        ttft_ms=ttft * 1e3,
        bound=bound,
        cost_per_million_output_tokens=_cost(s.gpus, price, tokens_per_s),
    )


def _max_load(m: _Model, s: _Setup, price: float | None) -> Speed:
    """As many sequences as the KV cache holds, at most the engine's cap."""
    held = _capacity_tokens(m, s) // m.sequence_tokens
    batch = max(1, min(held, MAX_NUM_SEQS))
    return _speed(m, s, batch, price, kv_limited=held < MAX_NUM_SEQS)


@dataclass(frozen=True)
class _Speeds:
    """Everything timed on a set-up that holds the model."""

    single: SingleStream
    max_load: Speed
    at_batch: Speed | None
    cost_per_million_input_tokens: float | None
    gpu_hours_per_billion_output_tokens: float


def _speeds(m: _Model, s: _Setup, price: float | None) -> _Speeds:
    job = m.job
    max_load = _max_load(m, s, price)
    at_batch = None
    if job.batch is not None:
        held = _capacity_tokens(m, s) // m.sequence_tokens
        at_batch = _speed(m, s, job.batch, price, kv_limited=job.batch > held)
    prefill_rate = job.input_tokens / _prefill_time(m, s)  # prompt tokens/s of one pipeline stage's pass
    return _Speeds(
        single=_single(m, s),
        max_load=max_load,
        at_batch=at_batch,
        cost_per_million_input_tokens=_cost(s.gpus, price, prefill_rate * s.stages),
        gpu_hours_per_billion_output_tokens=s.gpus / (max_load.output_tokens_per_s * 3600) * BILLION,
    )


def _fewest(m: _Model, chip: _Chip, defaults: Defaults) -> _Setup | None:
    """Fewest GPUs in a node (tensor parallel) that hold the weights and one sequence."""
    for tensor in _node_degrees(m, chip.gpu, defaults):
        s = _setup(m, chip, tensor, 1, defaults)
        if _holds(m, s):
            return s
    return None


def _price(gpu: Accelerator, job: ServeJob) -> tuple[float | None, str | None]:
    if job.price is not None:
        return job.price, "price= given"
    if gpu.price is None:
        return None, None
    return gpu.price.usd_per_hour, f"{gpu.price.provider}, {gpu.price.as_of}"


class _Width(NamedTuple):
    """One tensor-parallel width within a node, and what the comparison needs of it for this model."""

    tensor: int
    shard: int  # weight bytes per GPU
    activations: int  # activation bytes per GPU of one prefill chunk
    floor: float  # engine memory per GPU below which this width cannot hold one sequence
    comm: float  # all-reduce seconds per forward pass
    single_read: float  # bytes per GPU one stream's decode step reads
    single_flops: float  # its FLOPs per GPU


# A width that holds the model and one sequence, with its max-load batch, and the bytes read and FLOPs per GPU
# of that batch's decode step (a plain tuple: the comparison builds about sixty per answer).
_Load = tuple[_Width, int, float, float]


class _Row(TypedDict):
    """A comparison row's fields: plain values to sort, validated into ``ServeGpuRow``s in one call."""

    gpu: str
    name: str
    num_gpus: int
    compute_dtype: str
    tokens_per_s_per_user: float
    output_tokens_per_s: float
    price_per_gpu_hour: float | None
    cost_per_million_output_tokens: float | None


_ROWS = TypeAdapter(list[ServeGpuRow])


def _widths(m: _Model, degrees: tuple[int, ...], reserve: int) -> tuple[_Width, ...]:
    """Every width of ``degrees`` (those within one node), with the per-question figures each comparison row
    reuses; ``reserve``: the runtime's bytes per GPU."""
    read, flops = m.decode_work(1, loaded=False)
    widths = []
    for tensor in degrees:
        shard, activations = math.ceil(m.weights / tensor), m.activations(tensor)
        # one sequence's KV cache on top of the rest, in closed form: the width holds no sequence on GPUs with
        # less engine memory. Lowered by far more than rounding can move it, so only clear cases are cut short
        # and the exact arithmetic decides the rest.
        needed = shard + activations + reserve + m.sequence_tokens * m.kv_per_token / tensor
        widths.append(
            _Width(tensor, shard, activations, needed * (1 - 1e-9) - 1, _comm(m, tensor), read / tensor, flops / tensor)
        )
    return tuple(widths)


def _loads(
    m: _Model, memory: float, widths: tuple[_Width, ...], reserve: int, work: dict[int, tuple[float, float]]
) -> tuple[_Load, ...]:
    """The widths whose GPUs of engine ``memory`` bytes (``reserve`` of it for the runtime) hold the model,
    narrowest first. They stop at the first width whose KV cache holds the engine's cap of sequences: a wider
    set-up runs the same batch with the same work per GPU plus its all-reduces, so it costs more per token."""
    found: list[_Load] = []
    for width in widths:
        if memory < width.floor:
            continue
        # _kv_budget's arithmetic, term for term, so a row equals servecost's own answer at this width
        budget = int(memory - width.shard - width.activations - reserve)
        held = _capacity(m, budget, width.tensor) // m.sequence_tokens
        if held >= 1:
            batch = min(held, MAX_NUM_SEQS)
            step = work.get(batch)
            if step is None:
                step = work[batch] = m.decode_work(batch, loaded=True)
            read, flops = step
            found.append((width, batch, read / width.tensor, flops / width.tensor))
            if batch == MAX_NUM_SEQS:
                break
    return tuple(found)


def _row(m: _Model, chip: ServingChip, loads: tuple[_Load, ...]) -> _Row:
    """``m`` on ``chip`` at the width of ``loads`` (not empty) with the fewest GPU-seconds per output token at
    max load (the narrowest of equals), with its single-stream speed and cost: ``_step``'s arithmetic."""
    bandwidth, flops = chip.bandwidth * m.mbu, chip.peak * m.mfu
    width, best_rate, best_key = loads[0][0], 0.0, math.inf
    for load_width, batch, load_read, load_flops in loads:
        rate = batch / (max(load_read / bandwidth, load_flops / flops) + load_width.comm)
        key = load_width.tensor / rate
        if key < best_key:
            width, best_rate, best_key = load_width, rate, key
    step = max(width.single_read / bandwidth, width.single_flops / flops) + width.comm
    price = m.job.price if m.job.price is not None else chip.price
    return {
        "gpu": chip.key,
        "name": chip.name,
        "num_gpus": width.tensor,
        "compute_dtype": chip.compute_name,
        "tokens_per_s_per_user": 1 / step,
        "output_tokens_per_s": best_rate,
        "price_per_gpu_hour": price,
        "cost_per_million_output_tokens": _cost(width.tensor, price, best_rate),
    }


def _comparison(m: _Model, chips: Sequence[ServingChip], defaults: Defaults) -> list[ServeGpuRow]:
    """Every accelerator that holds ``m``: cheapest per million tokens first, then unpriced by throughput.
    Which widths hold the model depends on the memory and node sizes alone, so chips of one size share that
    work."""
    reserve = defaults.cuda_context_bytes
    by_node: dict[int, tuple[_Width, ...]] = {}  # the widths within a node of each size (TPU hosts, trays, …)
    by_size: dict[tuple[int, int], tuple[_Load, ...]] = {}
    work: dict[int, tuple[float, float]] = {}  # a loaded decode step's work by batch: sizes share batches
    rows = []
    for chip in chips:
        node = defaults.node_size if chip.node_size is None else chip.node_size
        widths = by_node.get(node)
        if widths is None:
            degrees = m.degrees if node == defaults.node_size else _tp_degrees(node, m.shape.heads)
            widths = by_node[node] = _widths(m, degrees, reserve)
        size = chip.memory_bytes
        loads = by_size.get((size, node))
        if loads is None:
            loads = by_size[size, node] = _loads(m, size * m.util, widths, reserve, work)
        if loads:
            rows.append(_row(m, chip, loads))
    priced = [row for row in rows if row["cost_per_million_output_tokens"] is not None]
    unpriced = [row for row in rows if row["cost_per_million_output_tokens"] is None]
    priced.sort(key=itemgetter("cost_per_million_output_tokens"))
    unpriced.sort(key=itemgetter("output_tokens_per_s"), reverse=True)  # stable: ties keep catalog order
    return _ROWS.validate_python([*priced, *unpriced])


def _validate(job: ServeJob) -> None:
    if job.params <= 0 or not 0 < job.active_params <= job.params:
        raise EstimateError("the parameter count must be positive, active parameters at most the total")
    if job.input_tokens < 1 or job.output_tokens < 1:
        raise EstimateError("in= and out= must be at least 1 token")
    for name, value in (("mbu", job.mbu), ("mfu", job.mfu), ("util", job.util)):
        if value is not None and not 0 < value <= 1:
            raise EstimateError(f"{name}= must be a fraction in (0, 1] (got {value})")
    if job.num_gpus is not None and job.num_gpus < 1:
        raise EstimateError(f"gpus= must be at least 1 (got {job.num_gpus})")
    if job.batch is not None and job.batch < 1:
        raise EstimateError(f"batch= must be at least 1 (got {job.batch})")


def _stored(job: ServeJob, dtype: Precision) -> int | None:
    """A pre-quantized checkpoint's exact weight bytes, when serving at the precision it is stored in."""
    return job.model.stored_bytes_at(dtype.value) if job.model is not None else None


def _model(job: ServeJob, gpu: Accelerator, defaults: Defaults) -> _Model:
    """The model's side of the formulas; weights default to ``gpu``'s 16-bit format."""
    shape = shape_of(job.model) if job.model is not None else assumed_shape(job.params)
    sixteen = gpu.default_training_precision()
    published = job.model.stored_precision if job.model is not None else None  # gpt-oss: served in MXFP4
    dtype = job.dtype or published or (sixteen if sixteen in (Precision.BF16, Precision.FP16) else Precision.BF16)
    if dtype in (Precision.FP32, Precision.TF32):
        dtype = Precision.FP32
    kv_dtype = job.kv_dtype or (dtype if BYTES_PER_VALUE[dtype] >= 2 else Precision.BF16)
    kv_bytes = BYTES_PER_VALUE[kv_dtype]
    unquantized = shape.embedding_params if job.model is not None else 0
    moe = job.model.moe if job.model is not None else None
    routed = 0 if moe is None else moe.experts
    expert = shape.mlp_matrices * shape.hidden * shape.expert_ffn * bytes_per_param(dtype)
    sequence = job.input_tokens + job.output_tokens
    # attention_flops = 4·L·(a·d_head)·context per query token: QKᵀ and AV over ``context`` cached tokens
    per_context = 4 * shape.layers * shape.q_width
    return _Model(
        job=job,
        shape=shape,
        dtype=dtype,
        kv_bytes=kv_bytes,
        weights=stored if (stored := _stored(job, dtype)) is not None else weight_bytes(job.params, dtype, unquantized),
        expert_bytes=expert,
        routed=routed,
        top_k=0 if moe is None else moe.experts_per_token,
        mbu=job.mbu or MBU,
        mfu=job.mfu or MFU,
        util=job.util or ENGINE_UTILISATION,
        degrees=_tp_degrees(defaults.node_size, shape.heads),
        sequence_tokens=sequence,
        kv_per_token=_kv_sequence(job, shape, kv_bytes, sequence) / sequence,
        context_kv=(
            _kv_sequence(job, shape, kv_bytes, job.input_tokens),
            _kv_sequence(job, shape, kv_bytes, math.ceil(job.input_tokens + job.output_tokens / 2)),
        ),
        attention_per_query=(
            per_context * job.input_tokens,
            per_context * (job.input_tokens + job.output_tokens / 2),
        ),
        prompt_attention_per_query=per_context * (job.input_tokens / 2),
        all_reduce_s=2 * shape.layers * ALLREDUCE_S,
    )


def estimate_serving(
    job: ServeJob, gpu: Accelerator, defaults: Defaults, fleet: ServingFleet | None = None
) -> ServeCostResult:
    """Single-stream latency, max-load throughput, concurrency and $ per million tokens of ``job`` on ``gpu``,
    and the same job on each accelerator of ``fleet`` that holds it."""
    _validate(job)
    if not gpu.dense_tflops:
        raise EstimateError(f"no published dense peak for {gpu.name}: napkin answers memory only (try `fits`)")
    m = _model(job, gpu, defaults)
    chip = _chip(m, ServingChip.of(gpu, m.dtype))
    fewest = _fewest(m, chip, defaults)
    if job.num_gpus is not None:
        s = _setup(m, chip, *_layout(job.num_gpus, _node_degrees(m, gpu, defaults)), defaults)
    else:
        s = fewest or _setup(m, chip, _node_degrees(m, gpu, defaults)[-1], 1, defaults)
    fits = _holds(m, s)
    needed = fewest.gpus if fewest is not None else 0 if fits else _fits_count(job, m, gpu, defaults)
    price, price_source = _price(gpu, job)
    speeds = _speeds(m, s, price) if fits else None
    max_load = None if speeds is None else speeds.max_load
    return ServeCostResult(
        model=None if job.model is None else job.model.key,
        params=job.params,
        active_params=job.active_params,
        gpu=gpu.key,
        gpu_name=gpu.name,
        unit=gpu.unit,
        num_gpus=s.gpus,
        dtype=m.dtype.value,
        compute_dtype=s.compute.value,
        kv_dtype=_kv_name(m),
        input_tokens=job.input_tokens,
        output_tokens=job.output_tokens,
        fits=fits,
        gpus_needed=needed,
        verdict_text=_verdict(m, s, fits, needed),
        kv_capacity_tokens=_capacity_tokens(m, s),
        single_stream=None if speeds is None else speeds.single,
        max_load=max_load,
        at_batch=None if speeds is None else speeds.at_batch,
        price_per_gpu_hour=price,
        price_source=price_source,
        cost_per_million_output_tokens=None if max_load is None else max_load.cost_per_million_output_tokens,
        cost_per_million_input_tokens=None if speeds is None else speeds.cost_per_million_input_tokens,
        gpu_hours_per_billion_output_tokens=None if speeds is None else speeds.gpu_hours_per_billion_output_tokens,
        bound=None if max_load is None else max_load.bound,
        mbu=m.mbu,
        mfu=m.mfu,
        formula=FORMULA,
        assumptions=_assumptions(m, s, defaults),
        comparison=[] if fleet is None else _comparison(m, fleet.chips(m.dtype), defaults),
    )


FORMULA = (
    "decode step = max((weights + B·KV) / (T·bandwidth·MBU), 2·N_active·B·(1+in/out) / (T·peak·MFU)) + 2·L·α; "
    "tokens/s = B / step; $/M = GPUs·price / (tokens/s·3600)·10⁶"
)


def _kv_name(m: _Model) -> str:
    return {1.0: "fp8", 2.0: "bf16", 4.0: "fp32"}.get(m.kv_bytes, "bf16")


def _fits_count(job: ServeJob, m: _Model, gpu: Accelerator, defaults: Defaults) -> int:
    """``fits``' GPU count for inference at this precision and context (pipeline stages past a node)."""
    from estimator.fit import FitJob, estimate_fits  # fits' full search only when the node is not enough

    fit = FitJob(
        params=job.params,
        active_params=job.active_params,
        model=job.model,
        modes=("inference",),
        dtype=m.dtype,
        ctx=job.input_tokens + job.output_tokens,
    )
    return estimate_fits(fit, gpu, defaults).scenarios[0].gpus_needed


def _verdict(m: _Model, s: _Setup, fits: bool, needed: int) -> str:
    where = f"{s.gpus}× {s.gpu.name}"
    layout = f"tensor parallel {s.tensor}" + (f" × {s.pipeline} pipeline stages" if s.pipeline > 1 else "")
    if fits:
        return f"Serves on {where} ({layout})"
    weights = format_bytes(m.weights / (s.tensor * s.pipeline))
    more = f"; fits needs {needed}× {s.gpu.name}" if needed else f"; no count of {s.gpu.name} holds it"
    return f"Does not fit on {where}: {weights} of weights per GPU leave no room for the KV cache{more}"


def _assumptions(m: _Model, s: _Setup, defaults: Defaults) -> list[str]:
    job = m.job
    lines: list[str] = []
    if job.model is None:
        lines.append(f"Architecture unknown: assumed GPT-style shape {m.shape.describe()}")
    else:
        lines.append(f"Architecture: {job.model.name}, {m.shape.describe()}")
    given = "mbu= given" if job.mbu else MBU_SOURCE
    lines.append(f"Decode reads weights and KV at {m.mbu:.0%} of peak bandwidth (MBU; {given})")
    given = "mfu= given" if job.mfu else MFU_SOURCE
    lines.append(
        f"Prefill and batched decode compute at {m.mfu:.0%} of dense {s.compute.value} peak (MFU; {given}); "
        "fp8/fp4 matmuls only where the chip has them, other formats dequantize to 16-bit"
    )
    if s.tensor > 1:
        lines.append(f"Tensor parallel {s.tensor}: two all-reduces per layer at α = 20 µs each ({ALLREDUCE_SOURCE})")
    if s.pipeline > 1:
        lines.append(f"{s.pipeline} pipeline stages: one stream crosses them in turn; under load every stage is busy")
    weights = format_bytes(m.weights)
    lines.append(
        f"Weights {weights} in {m.dtype.value}"
        + (
            " (the checkpoint's exact stored bytes, scales and zero points included)"
            if _stored(job, m.dtype) is not None
            else (" (embeddings and LM head 16-bit)" if job.model is not None and bytes_per_param(m.dtype) < 2 else "")
        )
        + f"; KV cache in {_kv_name(m)}: {format_bytes(m.kv_sequence(1))} per token"
    )
    lines.append(
        f"KV budget per GPU = {format_bytes(s.gpu.memory_bytes)} × {m.util:.0%} engine utilisation − weights − "
        f"activations of a {PREFILL_CHUNK}-token prefill chunk − {format_bytes(defaults.cuda_context_bytes)} "
        f"runtime reserve = {format_bytes(max(0, s.kv_budget))} ({ENGINE_UTILISATION_SOURCE})"
    )
    lines.append(
        f"Under load: sequences of {job.input_tokens}+{job.output_tokens} tokens at average context "
        f"{job.input_tokens + job.output_tokens // 2}, at most {MAX_NUM_SEQS} at once; each step carries its "
        f"share of prompt tokens ({ENGINE_SOURCE}); TTFT under load excludes queueing"
    )
    if m.routed:
        lines.append(
            f"Mixture of experts: compute on {format_count(job.active_params)} active params; a decode step of B "
            f"sequences reads the experts they route to, {m.routed}·(1 − (1 − {m.top_k}/{m.routed})^B) per layer "
            "under uniform routing, so a small batch already reads most experts"
        )
    lines.append(
        "Output-token cost covers each request's whole GPU time (prefill included); input-token cost is the "
        "prefill-only rate"
    )
    return lines
