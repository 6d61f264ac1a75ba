"""`fits` prices the set-up it recommends: N GPUs × the catalog price, in text and JSON (issue #10)."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from config.catalogs import cached_catalog
from estimator.commands import execute
from estimator.defaults import Defaults
from estimator.results import FitsResult

CATALOG = cached_catalog(None)


def fits(text: str) -> FitsResult:
    result = execute("fits", text, catalog=CATALOG, defaults=Defaults()).result
    assert isinstance(result, FitsResult)
    return result


@pytest.mark.parametrize(
    "text",
    [
        "20B h100",
        "llama-3.1-70b h100",
        "405B rtx-4090",
        "7B h100 gpus=8",
        "70B a100 train",
        "llama-3.1-70b h100 gpus=8 train",  # does not fit on the 8 GPUs given
    ],
)
def test_each_scenario_is_priced_at_its_recommended_gpus(text: str) -> None:
    result = fits(text)
    gpu = CATALOG.gpu(result.gpu)
    assert gpu is not None
    assert gpu.price is not None
    for s in result.scenarios:
        assert s.price_per_gpu_hour == gpu.price.usd_per_hour
        recommended = s.plan.num_gpus if s.plan is not None else s.num_gpus
        assert s.recommended_gpus == recommended
        if s.verdict == "does_not_fit":
            assert s.cost_per_hour_usd is None  # nothing to provision
        else:
            assert s.cost_per_hour_usd == pytest.approx(recommended * gpu.price.usd_per_hour, rel=1e-12)


def test_no_catalog_price_is_null_not_zero() -> None:
    result = fits("70B b300")
    assert CATALOG.accelerators["b300"].price is None
    assert all(s.price_per_gpu_hour is None and s.cost_per_hour_usd is None for s in result.scenarios)


def test_the_json_contract_carries_both_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fits", "20B", "h100", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    train = next(s for s in document["scenarios"] if s["mode"] == "train")
    assert train["plan"]["num_gpus"] == 5  # 20B full training needs 5 H100s (75.1 GB each under ZeRO-3)
    assert train["price_per_gpu_hour"] == CATALOG.accelerators["h100-sxm"].price.usd_per_hour  # type: ignore[union-attr]
    assert train["cost_per_hour_usd"] == pytest.approx(5 * train["price_per_gpu_hour"])
    assert main(["fits", "20B", "b300", "--json"]) == 0
    unpriced = json.loads(capsys.readouterr().out)["scenarios"][0]
    assert (unpriced["price_per_gpu_hour"], unpriced["cost_per_hour_usd"]) == (None, None)
