"""Placement: the searches for the fewest GPUs find what scanning every split finds, and a split's
bytes are the ZeRO formulas' bytes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.catalogs import cached_catalog
from estimator.activations import Recompute
from estimator.defaults import Defaults
from estimator.fit import FitJob, _setup, _workloads
from estimator.memory import zero_state_bytes
from estimator.placement import (
    COMFORTABLE,
    Layout,
    Placement,
    Placer,
    choose_training,
    fewest_inference,
    fewest_training,
)

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()

# --- the searches: the fewest GPUs, against a linear scan of every split ----------------------------

LIMIT = 256  # splits scanned per tensor-parallel degree


def _placer(params: int, memory_gb: int, mode_index: int, *, ctx: int = 4096) -> Placer:
    gpu = CATALOG.gpu("h100")
    assert gpu is not None
    job = FitJob(params=params, active_params=params, gpu_mem=memory_gb * 10**9, ctx=ctx)
    request = _setup(job, gpu, DEFAULTS)
    workload = _workloads(request)[mode_index]
    return Placer(request.budget, workload)


def _scan(placer: Placer, zero: int, recompute: str) -> int | None:
    """GPUs of the fewest-GPU split, scanning data-parallel degrees one by one, and pipeline stages
    too where the stage allows them (ZeRO-0/1)."""
    best: int | None = None
    stages = range(1, placer.budget.shape.layers + 1) if zero <= 1 else range(1, 2)
    for tensor in placer.budget.tp_degrees:
        for pipeline in stages:
            for data in range(1, LIMIT + 1):
                if best is not None and tensor * pipeline * data >= best:
                    break
                layout = Layout(tensor, pipeline, data, zero, "none", recompute)  # type: ignore[arg-type]
                if placer(layout).holds(placer.budget):
                    best = tensor * pipeline * data
                    break
    return best


@settings(max_examples=25, deadline=None)
@given(
    params=st.integers(100_000_000, 400_000_000_000),
    memory_gb=st.integers(8, 200),
    mode_index=st.sampled_from([3, 4, 5]),  # train, LoRA, QLoRA
    zero=st.sampled_from([0, 1, 2, 3]),
    recompute=st.sampled_from(["none", "full"]),
)
def test_fewest_training_matches_a_linear_scan(
    params: int, memory_gb: int, mode_index: int, zero: int, recompute: str
) -> None:
    scanned = _scan(_placer(params, memory_gb, mode_index), zero, recompute)
    found = fewest_training(_placer(params, memory_gb, mode_index), (zero,), "none", recompute)  # type: ignore[arg-type]
    if scanned is None:
        assert found is None or found.layout.data > LIMIT
        return
    assert found is not None
    assert found.layout.gpus == scanned
    fresh = _placer(params, memory_gb, mode_index)
    assert found == fresh(found.layout)  # the search's figures are those of placing the split afresh


@settings(max_examples=40, deadline=None)
@given(params=st.integers(1_000_000_000, 2_000_000_000_000), memory_gb=st.integers(8, 200), ctx=st.integers(1, 200_000))
def test_fewest_inference_matches_a_linear_scan(params: int, memory_gb: int, ctx: int) -> None:
    """The fewest GPUs of any tensor × pipeline split that holds it, scanned split by split."""
    placer = _placer(params, memory_gb, 0, ctx=ctx)
    budget = placer.budget
    counts = [
        tensor * stages
        for tensor in budget.tp_degrees
        for stages in range(1, budget.shape.layers + 1)
        if placer(Layout(tensor=tensor, pipeline=stages)).holds(budget)
    ]
    found = fewest_inference(_placer(params, memory_gb, 0, ctx=ctx))
    assert (found and found.layout.gpus) == (min(counts) if counts else None)


@pytest.mark.parametrize("zero", [0, 1, 2, 3])
@pytest.mark.parametrize(("tensor", "data"), [(1, 1), (1, 2), (2, 7), (8, 3), (4, 64)])
@pytest.mark.parametrize("mode_index", [3, 4])  # full training; LoRA on a frozen 16-bit base
def test_placed_model_states_are_zero_state_bytes(zero: int, tensor: int, data: int, mode_index: int) -> None:
    placer = _placer(70_000_000_000, 80, mode_index)
    workload = placer.workload
    placed = placer(Layout(tensor=tensor, data=data, zero=zero))
    weights, gradients, optimizer = zero_state_bytes(workload.trained_params, placer.budget.spec, zero, data)
    frozen_shards = tensor * (data if zero == 3 and data > 1 else 1)
    assert placed.weights == math.ceil(workload.weights / frozen_shards) + math.ceil(weights / tensor)
    assert placed.gradients == math.ceil(gradients / tensor)
    assert placed.optimizer == math.ceil(optimizer / tensor)


def test_one_data_parallel_rank_has_the_same_bytes_at_every_zero_stage() -> None:
    placer = _placer(70_000_000_000, 80, 3)
    twin = _placer(70_000_000_000, 80, 3)
    for zero in (1, 2, 3):
        for tensor in (1, 2, 4):
            layout = Layout(tensor=tensor, zero=zero, recompute="full")
            stage_zero = twin(layout._replace(zero=0))
            assert placer(layout) == stage_zero._replace(layout=layout)
            assert placer(layout) == _placer(70_000_000_000, 80, 3)._place(layout)


# --- the training choice on N GPUs: the rule as stated, checked split by split --------------------------


def _rule_as_stated(placer: Placer, gpus: int, recomputes: tuple[Recompute, ...]) -> Placement | None:
    """``choose_training``'s rule applied literally, count by count, to every split of at most ``gpus``."""
    b, rank = placer.budget, {r: i for i, r in enumerate(recomputes)}
    limit = COMFORTABLE * b.usable
    pick: Placement | None = None
    started = False
    for count in range(1, gpus + 1):
        splits = [
            placer(Layout(t, p, d, z, "none", r))
            for r in recomputes
            for t in b.tp_degrees
            for p in range(1, min(b.shape.layers, count // t) + 1)
            for d in range(1, count // (t * p) + 1)
            for z in (0, 1, 2, 3)
            if p == 1 or z <= 1
        ]
        roomy = [s for s in splits if s.per_gpu <= limit and s.holds(b)]
        if started and pick is not None:
            roomy = [s for s in roomy if s.per_gpu <= pick.per_gpu]
        if roomy:
            started = True
            lay = min(
                roomy,
                key=lambda s: (rank[s.layout.recompute], s.layout.tensor * s.layout.pipeline, -s.layout.tensor,
                               s.layout.zero, -s.layout.gpus),
            )  # fmt: skip
            pick = lay
        else:
            fitting = [s for s in splits if s.holds(b)]
            pick = min(fitting, key=lambda s: s.per_gpu) if fitting else None
    return pick


@settings(max_examples=40, deadline=None)
@given(
    params=st.integers(1_000_000_000, 150_000_000_000),
    memory_gb=st.integers(16, 200),
    mode_index=st.sampled_from([3, 4, 5]),  # train, LoRA, QLoRA
    gpus=st.integers(1, 20),
    hinted=st.booleans(),
)
def test_choose_training_is_the_rule_applied_count_by_count(
    params: int, memory_gb: int, mode_index: int, gpus: int, hinted: bool
) -> None:
    """The event-driven search (and its shortcut when the fewest count is known) against the rule
    applied literally to every split of every count up to ``gpus``."""
    recomputes: tuple[Recompute, ...] = ("none", "full")
    stages = (0, 1, 2, 3)
    stated = _rule_as_stated(_placer(params, memory_gb, mode_index), gpus, recomputes)
    placer = _placer(params, memory_gb, mode_index)
    least = fewest_training(placer, stages, "none", "full") if hinted else None
    chosen, closest = choose_training(
        placer, gpus, stages=stages, offload="none", recomputes=recomputes, fewest=least and least.layout.gpus
    )
    if stated is None:
        assert chosen is None
        assert closest.per_gpu > placer.budget.usable
        return
    assert chosen is not None
    assert chosen.per_gpu == stated.per_gpu
    assert chosen.layout == stated.layout
    assert chosen == _placer(params, memory_gb, mode_index)(chosen.layout)  # probed figures are placed figures
