"""The servecost comparison's shortcuts give exactly what servecost's own arithmetic gives.

The comparison (``estimator/serving.py: _comparison``) skips widths whose GPUs are clearly too small with a
closed-form floor, and shares the per-size work between GPUs. These tests put GPU memory exactly on the boundary
where a width starts to hold one sequence, and one float below it, and check the shortcut against a search that
uses ``_kv_budget`` and ``_capacity`` for every width. The end-to-end check (each row equals servecost's answer at
that width) is ``test_serving_reference.py::test_comparison_rows_are_the_cheapest_width_of_a_full_search``.
"""

from __future__ import annotations

import math

import pytest

from config.catalogs import cached_catalog
from estimator.defaults import Defaults
from estimator.precision import Precision
from estimator.serving import (
    MAX_NUM_SEQS,
    ServeJob,
    ServingChip,
    ServingFleet,
    _capacity,
    _kv_budget,
    _loads,
    _Model,
    _model,
    _tp_degrees,
    _widths,
)

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()
H100 = CATALOG.gpu("h100")


def _job(model: str, **options: object) -> ServeJob:
    arch = CATALOG.model(model)
    assert arch is not None
    return ServeJob(params=arch.param_count(), active_params=arch.active_param_count(), model=arch, **options)


def _held(m: _Model, memory: float, tensor: int) -> int:
    """Sequences a width holds on GPUs of engine ``memory``: servecost's own arithmetic."""
    return _capacity(m, _kv_budget(m, memory, tensor, tensor, DEFAULTS), tensor) // m.sequence_tokens


def _reference(m: _Model, memory: float, degrees: tuple[int, ...]) -> list[tuple[int, int]]:
    """(width, batch) of every width of ``degrees`` that holds a sequence, narrowest first, up to the first at the
    engine's cap."""
    found = []
    for tensor in degrees:
        held = _held(m, memory, tensor)
        if held >= 1:
            found.append((tensor, min(held, MAX_NUM_SEQS)))
            if held >= MAX_NUM_SEQS:
                break
    return found


def _boundary(m: _Model, tensor: int) -> float:
    """The smallest float engine memory at which ``tensor`` GPUs hold one sequence (bisection over floats)."""
    low, high = 0.0, 2.0**60
    assert _held(m, high, tensor) >= 1
    while math.nextafter(low, math.inf) < high:
        middle = (low + high) / 2
        if middle in (low, high):  # adjacent floats whose midpoint rounds to one of them
            middle = math.nextafter(low, math.inf)
        if _held(m, middle, tensor) >= 1:
            high = middle
        else:
            low = middle
    return high


@pytest.mark.parametrize(
    "job",
    [
        _job("llama-3.3-70b", dtype=Precision.FP8),
        _job("mixtral-8x7b"),
        _job("gemma-2-27b", input_tokens=8000, output_tokens=200),
        _job("deepseek-v3", dtype=Precision.FP4, kv_dtype=Precision.FP8),
        _job("qwen2.5-0.5b", input_tokens=1, output_tokens=1),
    ],
    ids=lambda job: f"{job.model.key if job.model else job.params}",
)
def test_widths_start_holding_exactly_where_the_arithmetic_says(job: ServeJob) -> None:
    assert H100 is not None
    m = _model(job, H100, DEFAULTS)
    # the default 8-GPU node, and a 16-chip one (a Trainium instance, the catalog's node_size)
    for degrees in (m.degrees, _tp_degrees(16, m.shape.heads)):
        widths = _widths(m, degrees, DEFAULTS.cuda_context_bytes)
        for tensor in degrees:
            edge = _boundary(m, tensor)
            for memory in (math.nextafter(edge, 0.0), edge, math.nextafter(edge, math.inf), edge * 1.5):
                loads = _loads(m, memory, widths, DEFAULTS.cuda_context_bytes, {})
                assert [(width.tensor, batch) for width, batch, _, _ in loads] == _reference(m, memory, degrees)


def test_the_fleet_has_one_chip_per_timed_accelerator_and_weight_precision() -> None:
    fleet = ServingFleet(CATALOG.fleet)
    timed = [gpu for gpu in CATALOG.fleet if gpu.dense_tflops]
    for weights in Precision:
        chips = fleet.chips(weights)
        assert [chip.gpu for chip in chips] == timed
        assert chips == tuple(ServingChip.of(gpu, weights) for gpu in timed)
        assert fleet.chips(weights) is chips  # worked out once per precision
    assert CATALOG.serving_fleet is CATALOG.serving_fleet  # worked out once per catalog


def test_fp8_weights_compute_in_fp8_only_where_the_chip_has_it() -> None:
    a100, h100, t4 = (CATALOG.gpu(name) for name in ("a100", "h100", "t4"))
    assert a100 is not None
    assert h100 is not None
    assert t4 is not None
    assert ServingChip.of(h100, Precision.FP8).compute == Precision.FP8
    assert ServingChip.of(h100, Precision.FP8).peak == h100.dense_tflops[Precision.FP8] * 1e12
    assert ServingChip.of(a100, Precision.FP8).compute == Precision.BF16
    assert ServingChip.of(t4, Precision.INT4).compute == Precision.FP16  # no bf16 on a T4
