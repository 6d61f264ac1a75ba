"""`execute`, the whole text → answer path on the real catalog: only answers or usage errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.catalogs import cached_catalog
from estimator.commands import UsageError, execute
from estimator.defaults import Defaults
from estimator.results import FitsResult, TrainCostResult
from estimator.vocabulary import COMMANDS

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()
WORDS = st.sampled_from(
    [
        "405B",
        "15T",
        "7B",
        "e5",
        "1e30",
        "0",
        "a100",
        "t4",
        "h100",
        "mi250x",
        "tpu-v5e",
        "llama-3.1-405b",
        "deepseek-v3",
        "mixtral-8x7b",
        "gpus=0",
        "gpus=3",
        "gpus=100000",
        "days=0.01",
        "mfu=1",
        "price=0",
        "dtype=fp8",
        "dtype=int4",
        "zero=3",
        "offload=full",
        "ctx=1000000",
        "batch=4096",
        "rank=1",
        "cpu_mem=1GB",
        "gpu_mem=1GB",
        "optimizer=sgd",
        "recompute=selective",
        "in=0",
        "in=128k",
        "out=1",
        "kv=fp8",
        "kv=int4",
        "mbu=1",
        "util=0.1",
        "qlora",
        "train",
        "inference",
        "share",
        "help",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([*COMMANDS, "/fits", "/servecost", "nope"]),
    st.lists(st.one_of(WORDS, st.text(max_size=10)), max_size=8).map(" ".join),
)
def test_execute_answers_or_raises_a_usage_error(command: str, text: str) -> None:
    outcome: object
    try:
        outcome = execute(command, text, catalog=CATALOG, defaults=DEFAULTS)
    except UsageError as err:
        outcome = err
    if isinstance(outcome, UsageError):
        assert outcome.message
        assert outcome.usage
    else:
        result = getattr(outcome, "result", None)
        if isinstance(result, TrainCostResult):
            assert result.flops > 0
            assert result.gpu_hours > 0
            assert result.assumptions
        if isinstance(result, FitsResult):
            assert result.scenarios
            assert all(s.per_gpu_bytes == s.breakdown.total for s in result.scenarios)


def test_seed_questions_through_execute() -> None:
    reply = execute("traincost", "405B 15T a100", catalog=CATALOG, defaults=DEFAULTS)
    assert isinstance(reply.result, TrainCostResult)
    assert reply.result.flops == pytest.approx(3.645e25, rel=1e-12)  # 6 × 405e9 × 15e12 exactly
    fits = execute("fits", "20B", catalog=CATALOG, defaults=DEFAULTS).result
    assert isinstance(fits, FitsResult)
    assert fits.gpu == "h100-sxm"


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("traincost", "405B 15T a100"),
        ("traincost", "deepseek-v3 14.8T h800 days=60"),
        ("fits", "20B"),
        ("fits", "deepseek-v3 h200 gpus=16"),
        ("fits", "7B t4 train offload=optimizer cpu_mem=64GB"),
    ],
)
def test_answers_round_trip_through_their_json(command: str, text: str) -> None:
    """The JSON form is the public contract: read back, it is the same answer."""
    result = execute(command, text, catalog=cached_catalog(None), defaults=Defaults()).result
    assert isinstance(result, TrainCostResult | FitsResult)
    assert type(result).model_validate_json(result.model_dump_json()) == result
    if isinstance(result, FitsResult):
        for scenario in result.scenarios:
            breakdown = scenario.breakdown
            assert breakdown.total == sum(breakdown.model_dump().values()) == scenario.per_gpu_bytes
