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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from estimator.activations import Recompute, inference_activation_bytes, training_activation_bytes
from estimator.memory import (
    Offload,
    OptimizerSpec,
    WeightFormat,
    allocator_headroom_bytes,
    host_memory_needed,
    offload_cpu_bytes,
    zero_state_bytes,
)
from estimator.results import MemoryBreakdown, Mode
from estimator.shapes import Shape

MAX_GPUS = 1_000_000  # beyond any cluster built so far: past this, "does not fit"


@dataclass(frozen=True)
class Budget:
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
    _activations: dict[tuple[bool, int, Recompute], int] = field(default_factory=dict, compare=False)

    def activations(self, mode: Mode, tensor: int, recompute: Recompute) -> int:
        """Activation bytes per GPU (memoised: searches ask for the same few values many times)."""
        key = (mode == "inference", tensor, recompute)
        if key not in self._activations:
            self._activations[key] = (
                inference_activation_bytes(self.shape, self.ctx, self.batch, tensor)
                if mode == "inference"
                else training_activation_bytes(self.shape, self.ctx, self.batch, recompute, tensor_parallel=tensor)
            )
        return self._activations[key]


@dataclass(frozen=True)
class Workload:
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


# weights, gradients, optimizer, activations, KV cache, working buffers on one GPU; host bytes over all nodes
_Parts = tuple[int, int, int, int, int, int, int]
_ON_GPU = 6


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

    @property
    def per_gpu(self) -> int:
        """Everything on one GPU, headroom included."""
        return self.weights + self.gradients + self.optimizer + self.activations + self.kv_cache + self.overhead

    def fits(self, budget: Budget) -> bool:
        """Within usable GPU memory, and within host memory when that is known."""
        host_ok = budget.cpu_memory is None or self.host_needed <= budget.cpu_memory
        return self.per_gpu <= budget.usable and host_ok

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


def _inference_parts(b: Budget, w: Workload, lay: Layout) -> _Parts:
    shards = lay.tensor * min(lay.pipeline, b.shape.layers)
    weights = math.ceil((w.weights - lay.cpu_weights) / shards)
    kv_cache = math.ceil(w.kv_cache / shards)
    return weights, 0, 0, b.activations("inference", lay.tensor, "none"), kv_cache, 0, lay.cpu_weights


def _training_parts(b: Budget, w: Workload, lay: Layout) -> _Parts:
    t, d = lay.tensor, lay.data
    state_w, state_g, state_o = zero_state_bytes(w.trained_params, b.spec, lay.zero, d)
    partitioned = lay.zero == 3 and d > 1
    params_on_gpu = lay.offload != "full"
    states_on_gpu = lay.offload == "none"
    weights = math.ceil(w.weights / (t * (d if partitioned else 1))) + math.ceil(state_w / t) if params_on_gpu else 0
    gradients = math.ceil(state_g / t) if states_on_gpu else 0
    optimizer = math.ceil(state_o / t) if states_on_gpu else 0
    # ZeRO-3 and parameter offload gather each matrix (and its gradient) before use: a working buffer
    gathered = partitioned or lay.offload == "full"
    buffers = math.ceil((w.gathered_weights + w.gathered_grads) / t) if gathered else 0
    cpu = offload_cpu_bytes(w.trained_params, b.spec, lay.offload) + (w.weights if lay.offload == "full" else 0)
    return weights, gradients, optimizer, b.activations(w.mode, t, lay.recompute), 0, buffers, cpu


def _parts(b: Budget, w: Workload, lay: Layout) -> _Parts:
    return _inference_parts(b, w, lay) if w.mode == "inference" else _training_parts(b, w, lay)


def _host_per_node(b: Budget, w: Workload, lay: Layout, cpu_total: int) -> tuple[int, int]:
    """Host bytes per node, and what to provision (DeepSpeed's 1.5× for training offload)."""
    if not cpu_total:
        return 0, 0
    cpu = math.ceil(cpu_total / math.ceil(lay.gpus / b.node_size))
    return cpu, (cpu if w.mode == "inference" else host_memory_needed(cpu))


def place(b: Budget, w: Workload, lay: Layout) -> Placement:
    """Bytes per GPU and per node's host memory for ``w`` split as ``lay``."""
    parts = _parts(b, w, lay)
    components, buffers = parts[:5], parts[5]
    cpu, host = _host_per_node(b, w, lay, parts[_ON_GPU])
    overhead = buffers + allocator_headroom_bytes(sum(components) + buffers, b.headroom)
    return Placement(lay, *components, overhead, cpu, host)


def _per_gpu(b: Budget, parts: _Parts) -> int:
    on_gpu = sum(parts[:_ON_GPU])
    return on_gpu + allocator_headroom_bytes(on_gpu, b.headroom)


def fits(b: Budget, w: Workload, lay: Layout) -> bool:
    """``place(b, w, lay).fits(b)`` without building the placement (the searches' inner loop)."""
    parts = _parts(b, w, lay)
    if _per_gpu(b, parts) > b.usable:
        return False
    host_bytes = parts[_ON_GPU]
    return b.cpu_memory is None or not host_bytes or _host_per_node(b, w, lay, host_bytes)[1] <= b.cpu_memory


def _smallest(ok: Callable[[int], bool], low: int, high: int, guess: int) -> int:
    """Smallest x in [low, high] with ok(x), for ok monotone in x and ok(high) known true, starting
    near ``guess`` (a good guess settles it in one or two calls; a bad one costs a gallop and a bisection)."""
    guess = min(max(guess, low), high)
    if ok(guess):
        if guess == low or not ok(guess - 1):
            return guess
        bad, good = low - 1, guess - 1
    else:
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


def inference_layout(b: Budget, gpus: int) -> Layout:
    """``gpus`` GPUs serving: the widest tensor-parallel degree that divides the count, pipeline for the rest."""
    tensor = max(t for t in b.tp_degrees if gpus % t == 0)
    return Layout(tensor=tensor, pipeline=gpus // tensor)


def fewest_inference(b: Budget, w: Workload) -> Placement | None:
    """1, 2, 4, 8 GPUs of tensor parallelism, then pipeline stages of the widest degree."""
    for tensor in b.tp_degrees:
        if fits(b, w, Layout(tensor=tensor)):
            return place(b, w, Layout(tensor=tensor))
    tensor = b.tp_degrees[-1]
    max_stages = min(b.shape.layers, MAX_GPUS // tensor)
    room = b.usable / (1 + b.headroom) - b.activations("inference", tensor, "none")
    if max_stages < 2 or not fits(b, w, Layout(tensor=tensor, pipeline=max_stages)):
        return None
    guess = math.ceil((w.weights + w.kv_cache) / (tensor * room)) if room > 0 else max_stages
    stages = _smallest(lambda p: fits(b, w, Layout(tensor=tensor, pipeline=p)), 2, max_stages, guess)
    return place(b, w, Layout(tensor=tensor, pipeline=stages))


def _fewest_data_parallel(b: Budget, w: Workload, base: Layout, most: int) -> Layout | None:
    """The fewest data-parallel ranks, at most ``most``, each ``base.tensor`` GPUs wide, that hold the workload."""
    if most < 1:
        return None
    if fits(b, w, base._replace(data=1)):
        return base._replace(data=1)
    if most < 2:
        return None
    if not fits(b, w, base._replace(data=most)):
        return None
    if most == 2:
        return base._replace(data=2)
    # per GPU ≈ fixed + sharded/d: the far end and d = 2 give both, and a first guess for d
    far = _per_gpu(b, _parts(b, w, base._replace(data=most)))
    sharded = 2 * max(0, _per_gpu(b, _parts(b, w, base._replace(data=2))) - far)
    guess = math.ceil(sharded / (b.usable - far)) if b.usable > far else most
    return base._replace(data=_smallest(lambda d: fits(b, w, base._replace(data=d)), 2, most, guess))


def fewest_training(b: Budget, w: Workload, zero: int, offload: Offload, recompute: Recompute) -> Placement | None:
    """Fewest GPUs over tensor-parallel degrees × ZeRO data parallelism (ties: less tensor parallelism)."""
    best: Layout | None = None
    for tensor in b.tp_degrees:
        # only fewer GPUs than the best so far are worth finding
        most = MAX_GPUS // tensor if best is None else (best.gpus - 1) // tensor
        base = Layout(tensor=tensor, zero=zero, offload=offload, recompute=recompute)
        found = _fewest_data_parallel(b, w, base, most)
        if found is not None:
            best = found
    return None if best is None else place(b, w, best)


def first_fit_training(
    b: Budget,
    w: Workload,
    gpus: int,
    *,
    stages: tuple[int, ...],
    offload: Offload,
    recomputes: tuple[Recompute, ...],
) -> tuple[Placement | None, Placement]:
    """The first split of ``gpus`` GPUs that fits, preferring less recomputation, then less tensor
    parallelism, then less ZeRO sharding (less communication); and the split with the least memory
    per GPU, to show when none fits."""
    tried: list[tuple[int, Layout]] = []
    for recompute in recomputes:
        for tensor in (t for t in b.tp_degrees if gpus % t == 0):
            for zero in stages:
                layout = Layout(tensor=tensor, data=gpus // tensor, zero=zero, offload=offload, recompute=recompute)
                if fits(b, w, layout):
                    placed = place(b, w, layout)
                    return placed, placed
                tried.append((_per_gpu(b, _parts(b, w, layout)), layout))
    return None, place(b, w, min(tried, key=lambda pair: pair[0])[1])


def inference_offload(b: Budget, w: Workload, gpus: int) -> Placement | None:
    """Keep what fits of the weights on ``gpus`` GPUs and the rest in host memory, if the host holds it."""
    layout = inference_layout(b, gpus)
    shards = layout.tensor * min(layout.pipeline, b.shape.layers)
    cpu = 0
    for _ in range(4):  # the headroom's rounding can leave a few bytes over: converge on them
        placed = place(b, w, layout._replace(cpu_weights=cpu))
        if placed.per_gpu <= b.usable:
            return placed if placed.fits(b) else None
        if cpu >= w.weights:
            return None
        excess = math.ceil((placed.per_gpu - b.usable) / (1 + b.headroom)) + 1
        cpu = min(w.weights, cpu + excess * shards)
    return None
