"""The shortcuts that keep an estimate in microseconds give the answers the plain computation gives:
number formatting, the searches for the fewest GPUs, and the per-architecture and per-fleet
constants remembered between answers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.catalogs import cached_catalog
from estimator.defaults import Defaults
from estimator.fit import FitJob, _setup, _workloads
from estimator.memory import zero_state_bytes
from estimator.placement import Layout, Placer, fewest_inference, fewest_training
from estimator.precision import Precision
from estimator.quantities import format_bytes, format_count
from estimator.shapes import shape_of
from estimator.training import TrainingJob, compare_fleet, estimate_training

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()

# --- number formatting: the plain algorithms, written out as the specification ---------------------


def _plain_count(value: float, digits: int = 3) -> str:
    rounded = float(f"{value:.{digits}g}")
    for scale, unit in ((1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(rounded) >= scale:
            return _plain_significant(rounded / scale, digits) + unit
    return _plain_significant(rounded, digits) if rounded else "0"


def _plain_significant(value: float, digits: int) -> str:
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plain_bytes(value: float, binary: bool = False) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB") if binary else ("B", "kB", "MB", "GB", "TB", "PB")
    base = 1024.0 if binary else 1000.0
    scaled, index = float(value), 0
    while abs(scaled) >= base and index < len(units) - 1:
        scaled /= base
        index += 1
    return f"{scaled:.0f} {units[0]}" if index == 0 else f"{scaled:.1f} {units[index]}"


NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e21, max_value=1e21),
    st.integers(min_value=-(10**19), max_value=10**19),
    st.builds(lambda m, e: m * 10**e, st.integers(1, 999), st.integers(0, 18)),  # whole units: 405B, 15T
    st.builds(lambda m, e: float(m) * 10.0**e, st.integers(1, 9999), st.integers(-6, 18)),
)


@given(NUMBERS, st.sampled_from([2, 3, 4]))
def test_format_count_matches_the_plain_algorithm(value: float, digits: int) -> None:
    assert format_count(value, digits) == _plain_count(value, digits)


@given(NUMBERS, st.booleans())
def test_format_bytes_matches_the_plain_algorithm(value: float, binary: bool) -> None:
    assert format_bytes(value, binary) == _plain_bytes(value, binary)


@pytest.mark.parametrize("value", [0, 999, 1000, 999_999, 10**15, 10**18, 5 * 10**18, 2**53 + 1, 0.5, 9.995, 1e-9])
def test_format_count_edges(value: float) -> None:
    for digits in (2, 3, 4):
        assert format_count(value, digits) == _plain_count(value, digits)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_format_bytes_non_finite(value: float) -> None:
    assert format_bytes(value) == _plain_bytes(value)


# --- the searches: the fewest GPUs, against a linear scan of every split ----------------------------

LIMIT = 256  # splits scanned per tensor-parallel degree


def _placer(params: int, memory_gb: int, mode_index: int, *, ctx: int = 4096) -> Placer:
    gpu = CATALOG.gpu("h100")
    assert gpu is not None
    job = FitJob(params=params, active_params=params, gpu_mem=memory_gb * 10**9, ctx=ctx)
    request = _setup(job, gpu, DEFAULTS)
    workload = _workloads(request)[mode_index]
    return Placer(request.budget, workload)


def _scan(placer: Placer, zero: int, recompute: str) -> tuple[int, int] | None:
    """(GPUs, tensor degree) of the fewest-GPU split, scanning data-parallel degrees one by one."""
    found: list[tuple[int, int]] = []
    for tensor in placer.budget.tp_degrees:
        for data in range(1, LIMIT + 1):
            if placer(Layout(tensor, 1, data, zero, "none", recompute)).holds(placer.budget):  # type: ignore[arg-type]
                found.append((tensor * data, tensor))
                break
    return min(found) if found else None


@settings(max_examples=40, deadline=None)
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
    found = fewest_training(_placer(params, memory_gb, mode_index), zero, "none", recompute)  # type: ignore[arg-type]
    if scanned is None:
        assert found is None or found.layout.data > LIMIT
        return
    assert found is not None
    assert (found.layout.gpus, found.layout.tensor) == scanned
    fresh = _placer(params, memory_gb, mode_index)
    assert found == fresh(found.layout)  # the search's figures are those of placing the split afresh


@settings(max_examples=40, deadline=None)
@given(params=st.integers(1_000_000_000, 2_000_000_000_000), memory_gb=st.integers(8, 200), ctx=st.integers(1, 200_000))
def test_fewest_inference_matches_a_linear_scan(params: int, memory_gb: int, ctx: int) -> None:
    placer = _placer(params, memory_gb, 0, ctx=ctx)
    budget = placer.budget
    expected = None
    for tensor in budget.tp_degrees:
        if placer(Layout(tensor=tensor)).holds(budget):
            expected = Layout(tensor=tensor)
            break
    else:
        widest = budget.tp_degrees[-1]
        for stages in range(2, budget.shape.layers + 1):
            if placer(Layout(tensor=widest, pipeline=stages)).holds(budget):
                expected = Layout(tensor=widest, pipeline=stages)
                break
    found = fewest_inference(_placer(params, memory_gb, 0, ctx=ctx))
    assert (found and found.layout) == expected


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


# --- constants remembered per architecture and per fleet ---------------------------------------------


def test_copied_architectures_are_counted_afresh() -> None:
    llama = CATALOG.model("llama-3.1-8b")
    assert llama is not None
    half = llama.model_copy(update={"layers": llama.layers // 2})
    assert half.param_count() < llama.param_count()
    assert llama.param_count() == llama._count(active_only=False)
    assert half.param_count() == half._count(active_only=False)
    assert shape_of(half).layers == llama.layers // 2 != shape_of(llama).layers


def test_a_repriced_fleet_is_priced_afresh() -> None:
    fleet = tuple(CATALOG.accelerators.values())
    before = {row.gpu: row for row in compare_fleet(fleet, None, 1e24, 0.4)}
    h100 = CATALOG.gpu("h100")
    assert h100 is not None
    assert h100.price is not None
    repriced = h100.model_copy(update={"price": h100.price.model_copy(update={"usd_per_hour": 0.01})})
    cheaper = tuple(repriced if gpu is h100 else gpu for gpu in fleet)
    rows = compare_fleet(cheaper, None, 1e24, 0.4)
    assert rows[0].gpu == h100.key
    assert rows[0].price_per_gpu_hour == 0.01
    assert rows[0].cost_usd == pytest.approx(before[h100.key].gpu_hours * 0.01)
    assert {row.gpu: row for row in compare_fleet(fleet, None, 1e24, 0.4)} == before


def test_comparison_rows_are_the_per_gpu_arithmetic() -> None:
    job = TrainingJob(params=70_000_000_000, active_params=70_000_000_000, tokens=2e12, dtype=Precision.FP16)
    fleet = tuple(CATALOG.accelerators.values())
    gpu = CATALOG.gpu("a100")
    assert gpu is not None
    result = estimate_training(job, gpu, DEFAULTS, fleet)
    keys = [row.gpu for row in result.comparison]
    assert len(keys) == len(set(keys))
    for row in result.comparison:
        assert row.gpu_hours == result.flops / (row.peak_flops * result.mfu) / 3600
        assert row.cost_usd == (None if row.price_per_gpu_hour is None else row.gpu_hours * row.price_per_gpu_hour)
    costs = [(row.cost_usd is None, row.cost_usd or 0.0, row.gpu_hours) for row in result.comparison]
    assert costs == sorted(costs)
