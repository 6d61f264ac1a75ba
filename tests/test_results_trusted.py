"""The estimator builds its answers unvalidated (``results.trusted``) and its per-GPU and per-row
records as named tuples: both must give exactly what validated models give, in Python and in JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.catalogs import cached_catalog
from estimator.commands import execute
from estimator.defaults import Defaults
from estimator.precision import Precision
from estimator.results import FitsResult, GpuCostRow, MemoryBreakdown, Scenario, TrainCostResult, trusted

COMMANDS = [
    ("traincost", "405B 15T a100"),
    ("traincost", "llama-3.1-70b 2T h100 gpus=1024"),
    ("traincost", "deepseek-v3 14.8T h800 days=60"),
    ("traincost", "7B t4 price=0.5"),
    ("fits", "20B"),
    ("fits", "mixtral-8x7b 4090 qlora ctx=8k"),
    ("fits", "deepseek-v3 h200 gpus=16"),
    ("fits", "7B t4 train offload=optimizer cpu_mem=64GB"),
    ("fits", "llama-3.1-405b h100 inference gpus=3"),
]


def _answer(command: str, text: str) -> TrainCostResult | FitsResult:
    result = execute(command, text, catalog=cached_catalog(None), defaults=Defaults()).result
    assert isinstance(result, TrainCostResult | FitsResult)
    return result


@pytest.mark.parametrize(("command", "text"), COMMANDS)
def test_trusted_answers_equal_their_validated_twins(command: str, text: str) -> None:
    result = _answer(command, text)
    validated = type(result).model_validate(result.model_dump())
    assert validated == result
    assert validated.model_dump_json() == result.model_dump_json()
    assert result.model_fields_set == set(type(result).model_fields)
    # and what JSON says comes back as the same answer
    assert type(result).model_validate_json(result.model_dump_json()) == result


def test_trusted_builds_what_model_construct_builds() -> None:
    result = _answer("fits", "20B")
    assert isinstance(result, FitsResult)
    fields: dict[str, Any] = dict(result.scenarios[3])
    built = trusted(Scenario, dict(fields))
    assert built == Scenario(**fields) == Scenario.model_construct(**fields)
    assert built.model_fields_set == Scenario(**fields).model_fields_set
    # fields given out of order still serialize in the model's order
    shuffled = trusted(Scenario, dict(reversed(list(fields.items()))))
    assert shuffled.model_dump_json() == built.model_dump_json() == Scenario(**fields).model_dump_json()
    with pytest.raises(ValueError, match="frozen"):
        built.num_gpus = 3  # type: ignore[misc]


def test_records_validate_serialize_and_copy_like_models() -> None:
    result = _answer("traincost", "405B 15T a100")
    assert isinstance(result, TrainCostResult)
    row = result.comparison[0]
    as_json = json.loads(result.model_dump_json())["comparison"][0]
    assert list(as_json) == list(GpuCostRow._fields)
    assert as_json["dtype"] == str(row.dtype)
    # a row given as an object of its fields is validated into a record, strings into precisions
    again = TrainCostResult.model_validate({**result.model_dump(), "comparison": [as_json]}).comparison[0]
    assert again == row
    assert isinstance(again, GpuCostRow)
    assert again.dtype is Precision(as_json["dtype"])
    assert row.model_copy(update={"gpu": "x"}) == row._replace(gpu="x")
    assert row.model_copy() == row
    with pytest.raises(AttributeError):
        row.gpu = "x"  # type: ignore[misc]


def test_breakdown_record_totals_and_round_trips() -> None:
    result = _answer("fits", "20B")
    assert isinstance(result, FitsResult)
    for scenario in result.scenarios:
        breakdown = scenario.breakdown
        assert isinstance(breakdown, MemoryBreakdown)
        assert breakdown.total == sum(breakdown)
        assert json.loads(scenario.model_dump_json())["breakdown"] == breakdown._asdict()
    with pytest.raises(ValueError, match="weights"):
        FitsResult.model_validate(
            {**result.model_dump(), "scenarios": [{**result.scenarios[0].model_dump(), "breakdown": {"weights": 1}}]}
        )
