"""Where a workload's bytes sit for a given split, and searches for the fewest GPUs that hold it.

Inference: tensor parallelism (powers of two within a node that divide the heads) splits weights
and KV cache; pipeline stages of the widest degree go beyond; weights that do not fit can stay in
host memory (accelerate's ``device_map="auto"``). Training: ZeRO shards model states over any
number of data-parallel ranks, tensor parallelism (with sequence parallelism) splits states and
activations, CPU offload moves optimizer state (and parameters) to host memory. Every GPU keeps the
CUDA context out of its usable memory; every other component gets the allocator headroom on top.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from math import ceil
from typing import NamedTuple

from estimator.activations import Recompute, inference_activation_bytes, training_activation_bytes
from estimator.memory import (
    Offload,
    OptimizerSpec,
    WeightFormat,
    allocator_headroom_bytes,
    host_memory_needed,
    offload_cpu_bytes,
)
from estimator.results import MemoryBreakdown, Mode
from estimator.shapes import Shape

MAX_GPUS = 1_000_000  # beyond any cluster built so far: past this, "does not fit"


class Budget(NamedTuple):
    """What one GPU (and its node) offers, and the run's fixed settings."""

    shape: Shape
    usable: int
    headroom: float
    cpu_memory: int | None
    ctx: int
    batch: int
    node_size: int
    spec: OptimizerSpec
    tp_degrees: tuple[int, ...]
    prefill_chunk: int  # serving: tokens per scheduler step (vLLM's max_num_batched_tokens)
    activation_memo: dict[tuple[bool, int, Recompute], int]
    flash: bool = True  # training: FlashAttention (no s² scores stored); serving engines always use it

    def activations(self, mode: Mode, tensor: int, recompute: Recompute) -> int:
        """Activation bytes per GPU (memoised: searches ask for the same few values many times)."""
        inference = mode == "inference"
        key = (inference, tensor, recompute)
        value = self.activation_memo.get(key)
        if value is None:
            value = self.activation_memo[key] = (
                inference_activation_bytes(self.shape, self.ctx, self.batch, tensor, prefill_chunk=self.prefill_chunk)
                if inference
                else training_activation_bytes(
                    self.shape, self.ctx, self.batch, recompute, tensor_parallel=tensor, flash=self.flash
                )
            )
        return value


class Workload(NamedTuple):
    """One scenario before it is split: inference weights, or a frozen base plus trained parameters."""

    mode: Mode
    label: str
    weight_format: WeightFormat
    weights: int  # inference: all weights; LoRA/QLoRA: the frozen base; full training: 0
    kv_cache: int = 0
    trained_params: int = 0
    gathered_weights: int = 0  # ZeRO-3 / parameter offload: the largest matrix, gathered on each GPU
    gathered_grads: int = 0


class Layout(NamedTuple):
    """A split: tensor × pipeline × data-parallel GPUs, ZeRO stage, offload, recomputation."""

    tensor: int = 1
    pipeline: int = 1
    data: int = 1
    zero: int = 0
    offload: Offload = "none"
    recompute: Recompute = "none"
    cpu_weights: int = 0  # inference: weight bytes left in host memory

    @property
    def gpus(self) -> int:
        """GPUs this layout uses."""
        return self.tensor * self.pipeline * self.data


ONE_GPU = Layout()


class Placement(NamedTuple):
    """Bytes on each GPU, and in each node's host memory, for one layout."""

    layout: Layout
    weights: int
    gradients: int
    optimizer: int
    activations: int
    kv_cache: int
    overhead: int  # allocator headroom on everything, plus ZeRO-3's gathered-matrix buffers
    cpu_bytes: int  # per node
    host_needed: int  # per node, with the buffer the offloading library asks for
    per_gpu: int  # everything on one GPU, headroom included

    def fits(self, budget: Budget) -> bool:
        """Within usable GPU memory, and within host memory when that is known."""
        host_ok = budget.cpu_memory is None or self.host_needed <= budget.cpu_memory
        return self.per_gpu <= budget.usable and host_ok

    def holds(self, budget: Budget) -> bool:
        """What the searches ask: ``fits``, with host memory checked only when something is offloaded."""
        if self.per_gpu > budget.usable:
            return False
        return budget.cpu_memory is None or not self.cpu_bytes or self.host_needed <= budget.cpu_memory

    def breakdown(self) -> MemoryBreakdown:
        """The public per-GPU breakdown."""
        return MemoryBreakdown(
            weights=self.weights,
            gradients=self.gradients,
            optimizer=self.optimizer,
            activations=self.activations,
            kv_cache=self.kv_cache,
            overhead=self.overhead,
        )


class Placer:
    """Where one workload's bytes sit for any layout on one budget: each layout placed once (a
    scenario and its searches ask for the same few again), and a cheap check for the searches."""

    __slots__ = ("_gathered", "_inference", "_placed", "_probed", "_states", "budget", "workload")

    def __init__(self, budget: Budget, workload: Workload) -> None:
        self.budget = budget
        self.workload = workload
        self._placed: dict[Layout, Placement] = {}
        self._probed: dict[Layout, tuple[int, bool]] = {}
        self._inference = workload.mode == "inference"
        if not self._inference:
            spec, trained = budget.spec, workload.trained_params
            # memory.zero_state_bytes's products: the trained parameters' weights, gradients and optimizer
            # state before ZeRO divides them over the data-parallel ranks
            self._states = (trained * spec.weight_bytes, trained * spec.grad_bytes, trained * spec.state_bytes)
            self._gathered = workload.gathered_weights + workload.gathered_grads

    def __call__(self, layout: Layout) -> Placement:
        placed = self._placed.get(layout)
        if placed is None:
            if not self._inference and layout.data == 1 and layout.zero:
                # over one data-parallel rank ZeRO has nothing to shard: the stage-0 twin's bytes
                twin = self(
                    _training_split(layout.tensor, 1, 0, layout.offload, layout.recompute, pipeline=layout.pipeline)
                )
                placed = twin._replace(layout=layout)
            else:
                placed = self._place(layout)
            self._placed[layout] = placed
        return placed

    def holds(self, layout: Layout) -> bool:
        """Whether ``layout`` holds the workload (``Placement.holds``)."""
        placed = self._placed.get(layout)
        if placed is None and not self._inference:
            if layout.data == 1 and layout.zero:
                return self.holds(
                    _training_split(layout.tensor, 1, 0, layout.offload, layout.recompute, pipeline=layout.pipeline)
                )
            return self.holds_training(
                layout.tensor, layout.data, layout.zero, layout.offload, layout.recompute, pipeline=layout.pipeline
            )
        return (placed or self(layout)).holds(self.budget)

    def holds_training(
        self, tensor: int, data: int, zero: int, offload: Offload, recompute: Recompute, *, pipeline: int = 1
    ) -> bool:
        """``holds`` for a training split given by its parts (the searches' probe): a split whose
        model states alone overflow is turned down before its activations are even looked up."""
        states = self._training_states(tensor, data, zero, offload, pipeline)
        if self.overflows(states[0] + states[1] + states[2] + states[3]):
            return False
        layout = _training_split(tensor, data, zero, offload, recompute, pipeline=pipeline)
        placed = self._placed[layout] = self._place(layout, states)
        return placed.holds(self.budget)

    def probe(self, layout: Layout) -> tuple[int, bool]:
        """A training layout's bytes per GPU and whether it holds (``Placement.holds``), without
        building its placement: what the choice of split compares, for many layouts."""
        known = self._probed.get(layout)
        if known is None:
            b, lay = self.budget, layout
            weights, gradients, optimizer, buffers, cpu_total = self._training_states(
                lay.tensor, lay.data, lay.zero, lay.offload, lay.pipeline
            )
            on_gpu = (
                weights + gradients + optimizer + buffers + b.activations(self.workload.mode, lay.tensor, lay.recompute)
            )
            per_gpu = on_gpu + allocator_headroom_bytes(on_gpu, b.headroom)
            holds = per_gpu <= b.usable
            if holds and cpu_total and b.cpu_memory is not None:  # as ``_place`` sizes the host per node
                holds = host_memory_needed(ceil(cpu_total / ceil(lay.gpus / b.node_size))) <= b.cpu_memory
            known = self._probed[layout] = (per_gpu, holds)
        return known

    def state_bytes(self, tensor: int, data: int, zero: int, offload: Offload, pipeline: int = 1) -> int:
        """A training split's bytes on one GPU other than activations, before the allocator headroom."""
        weights, gradients, optimizer, buffers, _ = self._training_states(tensor, data, zero, offload, pipeline)
        return weights + gradients + optimizer + buffers

    def overflows(self, on_gpu: int) -> bool:
        """Whether ``on_gpu`` bytes and their allocator headroom exceed a GPU's usable memory."""
        return on_gpu + allocator_headroom_bytes(on_gpu, self.budget.headroom) > self.budget.usable

    def _training_states(
        self, t: int, d: int, zero: int, offload: Offload, p: int = 1
    ) -> tuple[int, int, int, int, int]:
        """Weights, gradients, optimizer state and gathered-matrix buffers on one GPU, and the host
        bytes of everything offloaded, for a training split (activations aside). A pipeline stage
        holds ceil(L/p) of the L layers' states (the largest stage)."""
        w = self.workload
        layers = self.budget.shape.layers
        stage = min(p, layers)
        # ZeRO as memory.zero_state_bytes has it (a test pins the two together): stage 1 shards optimizer
        # state, 2 gradients too, 3 weights too
        weight_states, grad_states, optimizer_states = (
            self._states if stage == 1 else tuple(x * ceil(layers / stage) / layers for x in self._states)
        )
        frozen = w.weights if stage == 1 else w.weights * ceil(layers / stage) / layers
        optimizer = ceil(ceil(optimizer_states / (d if zero >= 1 else 1)) / t) if offload == "none" else 0
        gradients = ceil(ceil(grad_states / (d if zero >= 2 else 1)) / t) if offload == "none" else 0
        partitioned = zero == 3 and d > 1
        weights = (
            ceil(frozen / (t * (d if partitioned else 1))) + ceil(ceil(weight_states / (d if zero >= 3 else 1)) / t)
            if offload != "full"
            else 0
        )
        # ZeRO-3 and parameter offload gather each matrix (and its gradient) before use: a working buffer
        buffers = ceil(self._gathered / t) if partitioned or offload == "full" else 0
        if offload == "none":
            return weights, gradients, optimizer, buffers, 0
        cpu_total = offload_cpu_bytes(w.trained_params, self.budget.spec, offload)
        return weights, gradients, optimizer, buffers, cpu_total + (w.weights if offload == "full" else 0)

    def _place(self, lay: Layout, states: tuple[int, int, int, int, int] | None = None) -> Placement:
        b, w, t = self.budget, self.workload, lay.tensor
        if self._inference:
            shards = t * min(lay.pipeline, b.shape.layers)
            weights, gradients, optimizer = ceil((w.weights - lay.cpu_weights) / shards), 0, 0
            kv_cache, buffers, cpu_total = ceil(w.kv_cache / shards), 0, lay.cpu_weights
            activations = b.activations("inference", t, "none")
        else:
            weights, gradients, optimizer, buffers, cpu_total = states or self._training_states(
                t, lay.data, lay.zero, lay.offload, lay.pipeline
            )
            kv_cache, activations = 0, b.activations(w.mode, t, lay.recompute)
        on_gpu = weights + gradients + optimizer + activations + kv_cache + buffers
        headroom = allocator_headroom_bytes(on_gpu, b.headroom)
        cpu = host = 0
        if cpu_total:  # host bytes per node, and what to provision (DeepSpeed's 1.5× for training offload)
            cpu = ceil(cpu_total / ceil(lay.gpus / b.node_size))
            host = cpu if self._inference else host_memory_needed(cpu)
        return Placement(
            layout=lay,
            weights=weights,
            gradients=gradients,
            optimizer=optimizer,
            activations=activations,
            kv_cache=kv_cache,
            overhead=buffers + headroom,
            cpu_bytes=cpu,
            host_needed=host,
            per_gpu=on_gpu + headroom,
        )


def _smallest(ok: Callable[[int], bool], low: int, high: int, guess: int) -> int | None:
    """Smallest x in [low, high] with ok(x), for ok monotone in x (None when not even ok(high)),
    starting near ``guess``: a good guess settles it in one or two calls, a bad one costs a gallop
    and a bisection."""
    guess = min(max(guess, low), high)
    if ok(guess):
        if guess == low or not ok(guess - 1):
            return guess
        bad, good = low - 1, guess - 1
    else:
        if guess == high or not ok(high):
            return None
        bad, step = guess, 1
        while guess + step < high and not ok(guess + step):
            bad, step = guess + step, step * 2
        good = min(guess + step, high)
    while good - bad > 1:  # invariant: ok(good), not ok(bad)
        mid = (good + bad) // 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def _training_split(
    tensor: int, data: int, zero: int, offload: Offload, recompute: Recompute, *, pipeline: int = 1
) -> Layout:
    return Layout(tensor=tensor, pipeline=pipeline, data=data, zero=zero, offload=offload, recompute=recompute)


def inference_layout(placer: Placer, gpus: int) -> Layout:
    """What ``gpus`` GPUs serve with: of the splits tensor × pipeline that use at most ``gpus`` of them
    (tensor parallel in the budget's degrees, at most one layer per stage), the one with the least memory
    per GPU (ties: more GPUs, then wider tensor parallelism). Taking the least over every smaller split
    keeps memory per GPU from ever rising as GPUs are added."""
    if gpus == 1:
        return ONE_GPU
    b = placer.budget
    candidates = [placer(Layout(tensor=t, pipeline=min(gpus // t, b.shape.layers))) for t in b.tp_degrees if t <= gpus]
    best = min(candidates, key=lambda placed: (placed.per_gpu, -placed.layout.gpus, -placed.layout.tensor))
    return best.layout


def max_inference_gpus(b: Budget) -> int:
    """The most GPUs an inference split uses: the widest tensor degree × one layer per stage."""
    return min(MAX_GPUS, b.tp_degrees[-1] * b.shape.layers)


def fewest_inference(placer: Placer) -> Placement | None:
    """The fewest GPUs whose split (``inference_layout``) holds the workload: memory per GPU falls
    with the count, so a bisection finds the first that holds."""
    b = placer.budget
    top = max_inference_gpus(b)
    w = placer.workload
    room = b.usable / (1 + b.headroom) - b.activations("inference", b.tp_degrees[-1], "none")
    guess = math.ceil((w.weights + w.kv_cache) / room) if room > 0 else top
    count = _smallest(lambda n: placer.holds(inference_layout(placer, n)), 1, top, guess)
    return None if count is None else placer(inference_layout(placer, count))


COMFORTABLE = 0.95  # of usable memory: above it a plan is "tight", offered only when nothing roomier fits


def pipeline_ok(zero: int, offload: Offload) -> bool:
    """Pipeline parallelism goes with ZeRO-0/1 only (DeepSpeed's pipeline engine, Megatron's
    distributed optimizer), without CPU offload."""
    return zero <= 1 and offload == "none"


def _fewest_data_parallel(
    placer: Placer, tensor: int, zero: int, offload: Offload, recompute: Recompute, *, most: int, pipeline: int = 1
) -> Layout | None:
    """The fewest data-parallel ranks, at most ``most``, each ``tensor`` × ``pipeline`` GPUs, that hold the workload."""
    one = _training_split(tensor, 1, zero, offload, recompute, pipeline=pipeline)
    if placer.holds(one):
        return one
    if most < 2:
        return None
    # for d ≥ 2 the bytes fall with d (each sharded term is a ceiling of x/d): if the widest split's
    # model states overflow, so does every narrower one
    widest = placer.state_bytes(tensor, most, zero, offload, pipeline)
    if placer.overflows(widest):
        return None
    # per GPU ≈ fixed + sharded/d: the bytes at d = 2 and at the far end give both, and a guess for d
    near = placer.state_bytes(tensor, 2, zero, offload, pipeline)
    activations = placer.budget.activations(placer.workload.mode, tensor, recompute)
    room = placer.budget.usable / (1 + placer.budget.headroom) - widest - activations
    guess = math.ceil(2 * max(0, near - widest) / room) if room > 0 else most
    data = _smallest(
        lambda d: placer.holds_training(tensor, d, zero, offload, recompute, pipeline=pipeline), 2, most, guess
    )
    return None if data is None else _training_split(tensor, data, zero, offload, recompute, pipeline=pipeline)


def fewest_training(
    placer: Placer, stages: tuple[int, ...], offload: Offload, recompute: Recompute
) -> Placement | None:
    """Fewest GPUs over tensor-parallel degrees × pipeline stages × ZeRO data parallelism, for the
    stages allowed (ties: the first found, ZeRO-3 without pipeline first, less tensor parallelism)."""
    best: Layout | None = None
    layers = placer.budget.shape.layers
    for zero in sorted(stages, reverse=True):
        for tensor in placer.budget.tp_degrees:
            top = layers if pipeline_ok(zero, offload) else 1
            for pipeline in range(1, top + 1):
                width = tensor * pipeline
                # only fewer GPUs than the best so far are worth finding
                most = MAX_GPUS // width if best is None else (best.gpus - 1) // width
                if most < 1:
                    break  # wider splits only use more
                found = _fewest_data_parallel(placer, tensor, zero, offload, recompute, most=most, pipeline=pipeline)
                if found is not None:
                    best = found
    return None if best is None else placer(best)


class _Family(NamedTuple):
    """Training splits that differ only in data-parallel ranks; at a GPU count, as many ranks as fit."""

    key: tuple[int, int, int, int]  # preference: less recomputation, fewer model-parallel GPUs, tensor first, less ZeRO
    tensor: int
    pipeline: int
    zero: int
    recompute: Recompute

    @property
    def width(self) -> int:
        """Model-parallel GPUs (tensor × pipeline) of one data-parallel rank."""
        return self.tensor * self.pipeline


def _families(
    b: Budget, gpus: int, stages: tuple[int, ...], offload: Offload, recomputes: tuple[Recompute, ...]
) -> Iterator[_Family]:
    """Every family with a split of at most ``gpus`` GPUs, most preferred first: less recomputation,
    fewer model-parallel GPUs, tensor parallelism within a node before pipeline stages (Narayanan et
    al. 2021, arXiv 2104.04473 §3.3), less ZeRO sharding. Generated in that order, so a search that
    stops at the first family it takes builds no more."""
    zeros = sorted(stages)
    splits = sorted(  # (width, -tensor): fewer model-parallel GPUs, then more of them tensor parallel
        (t * p, -t) for t in b.tp_degrees if t <= gpus for p in range(1, min(b.shape.layers, gpus // t) + 1)
    )
    for rank, recompute in enumerate(recomputes):
        for width, negative in splits:
            tensor, pipeline = -negative, width // -negative
            for zero in zeros:
                if pipeline == 1 or pipeline_ok(zero, offload):
                    yield _Family((rank, width, negative, zero), tensor, pipeline, zero, recompute)


class _Candidate(NamedTuple):
    """A split the choice compares: its layout, bytes per GPU, and whether it holds."""

    layout: Layout
    per_gpu: int
    holds: bool


def _family_at(placer: Placer, f: _Family, offload: Offload, gpus: int) -> _Candidate:
    """``f`` on ``gpus`` GPUs: as many data-parallel ranks as fit (the rest idle), or one rank where
    ZeRO-3's gather buffers outweigh what sharding saves (a tiny model)."""
    data = gpus // f.width
    layout = _training_split(f.tensor, data, f.zero, offload, f.recompute, pipeline=f.pipeline)
    per_gpu, holds = placer.probe(layout)
    if f.zero == 3 and data > 1:
        one = layout._replace(data=1)
        one_per_gpu, one_holds = placer.probe(one)
        if one_per_gpu < per_gpu:
            return _Candidate(one, one_per_gpu, one_holds)
    return _Candidate(layout, per_gpu, holds)


def _floor(placer: Placer, f: _Family, offload: Offload) -> int:
    """The least memory per GPU ``f`` reaches however many data-parallel ranks are added."""
    b = placer.budget
    on_gpu = placer.state_bytes(f.tensor, MAX_GPUS, f.zero, offload, f.pipeline) + b.activations(
        placer.workload.mode, f.tensor, f.recompute
    )
    floor = on_gpu + allocator_headroom_bytes(on_gpu, b.headroom)
    if f.zero == 3:
        one = _training_split(f.tensor, 1, 3, offload, f.recompute, pipeline=f.pipeline)
        floor = min(floor, placer.probe(one)[0])
    return floor


def _holdable(placer: Placer, families: Iterator[_Family]) -> Iterator[_Family]:
    """``families`` less those whose activations alone overflow (no data-parallel rank count makes them
    hold); that depends on tensor parallelism and recomputation only, so it is asked once for each."""
    b, mode = placer.budget, placer.workload.mode
    overflow: dict[tuple[int, Recompute], bool] = {}
    for f in families:
        key = (f.tensor, f.recompute)
        if key not in overflow:
            overflow[key] = placer.overflows(b.activations(mode, f.tensor, f.recompute))
        if not overflow[key]:
            yield f


def choose_training(
    placer: Placer,
    gpus: int,
    *,
    stages: tuple[int, ...],
    offload: Offload,
    recomputes: tuple[Recompute, ...],
    fewest: int | None = None,
) -> tuple[Placement | None, Placement]:
    """The training split to run on ``gpus`` GPUs (None when none fits), and the split of at most
    ``gpus`` GPUs with the least memory per GPU (what to show when none fits; the chosen split when
    one is). ``fewest``, when known, is the fewest GPUs any split holds on (it saves a search).

    Every split of at most ``gpus`` GPUs is a candidate (any left over stay idle). Until some split
    fits within ``COMFORTABLE`` of usable memory, the choice is the fitting split with the least memory
    per GPU (a tight plan). From the first count ``c`` where one does, the choice at ``c`` is the most
    preferred (``_families``' order) that does; at each count after it, the most preferred split
    within ``COMFORTABLE`` that takes no more memory per GPU than the choice one GPU fewer (that
    choice is still a candidate). So memory per GPU never rises as GPUs are added."""
    b = placer.budget
    limit = b.usable * COMFORTABLE
    candidates = _families(b, gpus, stages, offload, recomputes)
    if fewest is not None and fewest <= gpus:
        # some split holds, so no closest misfit is needed: leave out families that can never hold
        candidates = _holdable(placer, candidates)
    families: list[_Family] = []

    def roomy(c: _Candidate) -> bool:
        return c.holds and c.per_gpu <= limit

    def first_roomy_count() -> int | None:
        """The first count where some split is comfortable: the fewest GPUs that hold it within ``limit``."""
        roomy_placer = Placer(b._replace(usable=math.floor(limit)), placer.workload)
        found = fewest_training(roomy_placer, stages, offload, recomputes[-1])
        return None if found is None else found.layout.gpus

    # a split comfortable on c GPUs stays so on more (more data-parallel ranks never add memory)
    start = first_roomy_count() if fewest is not None and fewest < gpus else None
    if start is None or start > gpus:
        at_gpus: list[_Candidate] = []
        for f in candidates:
            families.append(f)
            if fewest == gpus and gpus % f.width:
                # on the fewest GPUs any split holds on, a split that leaves one idle would hold on fewer
                continue
            at_gpus.append(_family_at(placer, f, offload, gpus))
            if fewest == gpus and roomy(at_gpus[-1]):
                # the fewest count that holds has a comfortable split: it is where the choice starts
                chosen = placer(at_gpus[-1].layout)
                return chosen, chosen
        if not any(roomy(c) for c in at_gpus):
            fitting = [c for c in at_gpus if c.holds]
            if fitting:
                tightest = placer(min(fitting, key=lambda c: c.per_gpu).layout)
                return tightest, tightest
            return None, placer(min(at_gpus, key=lambda c: c.per_gpu).layout)  # the first of equals: most preferred
        start = first_roomy_count() or gpus  # (found: some split of ``gpus`` is comfortable)
    else:
        # list the families up to the first comfortable at ``start``: the choice never takes a later one
        for f in candidates:
            families.append(f)
            if f.width <= start and roomy(_family_at(placer, f, offload, start)):
                break
    index, pick = next(
        (i, c)
        for i, c in ((i, _family_at(placer, f, offload, start)) for i, f in enumerate(families) if f.width <= start)
        if roomy(c)
    )
    floors: dict[int, int] = {}

    def floor(i: int) -> int:
        if i not in floors:
            floors[i] = _floor(placer, families[i], offload)
        return floors[i]

    def grown(count: int) -> _Candidate:
        """The chosen family with the ranks ``count`` GPUs give it, if that takes no more memory."""
        more = _family_at(placer, families[index], offload, count)
        return more if more.per_gpu <= pick.per_gpu and more.holds else pick

    live = [i for i in range(index) if floor(i) <= pick.per_gpu]
    for count in range(start + 1, gpus + 1):
        if not live:
            break
        # more preferred families, whose splits change only at multiples of their width
        for i in (i for i in live if count % families[i].width == 0):
            candidate = _family_at(placer, families[i], offload, count)
            if candidate.holds:
                pick = grown(count - 1)
                if candidate.per_gpu <= pick.per_gpu:
                    index, pick = i, candidate
                    live = [j for j in live if j < index and floor(j) <= pick.per_gpu]
                    break
                live = [j for j in live if floor(j) <= pick.per_gpu]
    chosen = placer(grown(gpus).layout)
    return chosen, chosen


def inference_offload(placer: Placer, gpus: int) -> Placement | None:
    """Keep what fits of the weights on ``gpus`` GPUs and the rest in host memory, if the host holds it."""
    b, w = placer.budget, placer.workload
    layout = inference_layout(placer, gpus)
    shards = layout.tensor * min(layout.pipeline, b.shape.layers)
    cpu = 0
    for _ in range(4):  # the headroom's rounding can leave a few bytes over: converge on them
        placed = placer(layout._replace(cpu_weights=cpu))
        if placed.per_gpu <= b.usable:
            return placed if placed.fits(b) else None
        if cpu >= w.weights:
            return None
        excess = math.ceil((placed.per_gpu - b.usable) / (1 + b.headroom)) + 1
        cpu = min(w.weights, cpu + excess * shards)
    return None
