"""traincost's comparison, built from figures worked out once per catalog, equals traincost's own answer on each
GPU, figure for figure (``estimator/training.py: TrainingFleet``, ``compare_fleet``)."""

from __future__ import annotations

import pytest

from config.catalogs import cached_catalog
from estimator.defaults import Defaults
from estimator.errors import EstimateError
from estimator.precision import Precision
from estimator.training import TrainingChip, TrainingFleet, TrainingJob, estimate_training

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()

# Dense and MoE, every training precision (and an inference-only one, which no chip trains at), a given MFU,
# a given cluster (consumer cards over a node, model states that outgrow memory), deadlines.
JOBS = [
    {"params": 405_000_000_000, "active_params": 405_000_000_000, "tokens": 15e12},
    {"params": 70_000_000_000, "active_params": 70_000_000_000, "tokens": 2e12, "num_gpus": 1024},
    {"params": 671_000_000_000, "active_params": 37_000_000_000, "tokens": 14.8e12, "dtype": Precision.FP8},
    {"params": 7_000_000_000, "active_params": 7_000_000_000, "dtype": Precision.FP16, "days": 2},
    {"params": 1_500_000_000, "active_params": 1_500_000_000, "tokens": 3e10, "dtype": Precision.FP4},
    {"params": 7_000_000_000, "active_params": 7_000_000_000, "dtype": Precision.TF32, "mfu": 0.5, "num_gpus": 4},
    {"params": 70_000_000_000, "active_params": 70_000_000_000, "dtype": Precision.FP32, "num_gpus": 16},
    {"params": 7_000_000_000, "active_params": 7_000_000_000, "dtype": Precision.INT8},
]


@pytest.mark.parametrize("fields", JOBS)
def test_each_row_is_traincost_on_that_gpu(fields: dict[str, object]) -> None:
    job = TrainingJob.model_validate(fields)
    answers = {}
    for gpu in CATALOG.fleet:
        try:
            answers[gpu.key] = estimate_training(job, gpu, DEFAULTS, TrainingFleet(()))
        except EstimateError:  # no dense peak, or not at this precision
            continue
    if not answers:
        assert job.dtype is not None
        assert CATALOG.training_fleet.chips(job.dtype) == ()
        return
    first = CATALOG.gpu(next(iter(answers)))
    assert first is not None
    rows = {row.gpu: row for row in estimate_training(job, first, DEFAULTS, CATALOG.training_fleet).comparison}
    assert rows.keys() == answers.keys()
    for gpu in CATALOG.fleet:
        if gpu.key not in answers:
            continue
        row, answer = rows[gpu.key], answers[gpu.key]
        assert (row.name, row.dtype, row.peak_flops, row.mfu) == (gpu.name, answer.dtype, answer.peak_flops, answer.mfu)
        assert (row.gpu_hours, row.price_per_gpu_hour, row.cost_usd, row.price_source) == (
            answer.gpu_hours,
            answer.price_per_gpu_hour,
            answer.cost_usd,
            answer.price_source,
        )
        warning = [line for line in answer.assumptions if line.startswith("Not a workable cluster: ")]
        assert [f"Not a workable cluster: {row.unsuitable}"] == warning if row.unsuitable else warning == []


def test_the_fleet_has_one_chip_per_trainable_accelerator_and_precision() -> None:
    fleet = CATALOG.training_fleet
    for requested in (None, *Precision):
        chips = fleet.chips(requested)
        assert list(chips) == [chip for gpu in CATALOG.fleet if (chip := TrainingChip.of(gpu, requested))]
        assert fleet.chips(requested) is chips  # worked out once per precision
    assert fleet.chips(Precision.INT4) == ()  # a storage format: nothing trains at it
    assert len(fleet.chips(None)) == sum(1 for gpu in CATALOG.fleet if gpu.has_dense_peak)
    assert CATALOG.training_fleet is fleet  # worked out once per catalog
