"""`gpus` and `models` filters and pages (estimator.listings), and the CLI printing every row.

Each filter is checked against the catalog's own fields, not against a list typed here: the rows a
filter keeps are exactly those whose memory label, vendor, price or names satisfy it.
"""

from __future__ import annotations

import re

import pytest

from bot.cli import main
from config.catalogs import cached_catalog
from estimator.commands import GpuListing, ModelListing, UsageError, execute
from estimator.defaults import Defaults
from estimator.hardware import Accelerator
from estimator.listings import ListingQuery, filter_gpus, filter_models, parse_query

CATALOG = cached_catalog(None)
ALL_GPUS = tuple(CATALOG.accelerators.values())


def gpus(text: str) -> list[str]:
    return [a.key for a in filter_gpus(CATALOG, parse_query(text))]


def models(text: str) -> list[str]:
    return [m.key for m in filter_models(CATALOG, parse_query(text))]


def labelled_gb(accelerator: Accelerator) -> float:
    """The vendor's memory class: the first number of the catalog's memory label."""
    match = re.search(r"\d+(?:\.\d+)?", accelerator.memory_label)
    assert match is not None
    return float(match.group())


def price(accelerator: Accelerator) -> float | None:
    return accelerator.price.usd_per_hour if accelerator.price is not None else None


@pytest.mark.parametrize(
    ("text", "words", "page"),
    [
        ("", (), 1),
        ("80gb page=2", ("80gb",), 2),
        ("amd page 3 share", ("amd",), 3),
        ("80 GB", ("80GB",), 1),  # a space before the unit reads as one size
        ("page:2 under $2", ("under", "$2"), 2),
        ("page=0", (), 1),
    ],
)
def test_parse_query(text: str, words: tuple[str, ...], page: int) -> None:
    assert parse_query(text) == ListingQuery(words, page)


def test_memory_class_at_least_and_at_most() -> None:
    assert gpus("80gb") == [a.key for a in ALL_GPUS if labelled_gb(a) == 80]
    assert "h100-sxm" in gpus("80gb")
    assert gpus("80 gb") == gpus("80GB") == gpus("80gb")
    at_least = [a.key for a in ALL_GPUS if labelled_gb(a) >= 80]
    for text in ("80gb+", ">=80gb", "≥80gb", "over 80gb", "at least 80gb", "more than 80gb"):
        assert gpus(text) == at_least, text
    assert gpus("under 48gb") == [a.key for a in ALL_GPUS if labelled_gb(a) <= 48]


def test_price_ceiling_keeps_only_priced_accelerators() -> None:
    under_two = [a.key for a in ALL_GPUS if (p := price(a)) is not None and p <= 2]
    assert under_two
    for text in ("under $2", "under 2", "<$2", "< 2", "below $2/h", "cheaper than $2", "under $2 per hour", "max 2"):
        assert gpus(text) == under_two, text
    assert "v100-pcie" not in gpus("under $100")  # no public price: never "under" anything


def test_vendor_and_names() -> None:
    assert gpus("amd") == [a.key for a in ALL_GPUS if a.vendor == "AMD"]
    assert gpus("AMD") == gpus("amd")
    assert gpus("mi300x") == ["mi300x"]
    assert gpus("l4") == ["l4"]  # whole words: not l40, l40s
    assert set(gpus("h100")) == {"h100-sxm", "h100-pcie", "h100-nvl"}  # every H100, not gh200
    assert set(gpus("gaudi")) == {"gaudi2", "gaudi3"}
    assert gpus("a100-80gb") == ["a100-80gb-sxm", "a100-80gb-pcie"]


def test_filters_combine() -> None:
    both = [a.key for a in ALL_GPUS if a.vendor == "NVIDIA" and labelled_gb(a) == 80 and (price(a) or 99) <= 2]
    assert gpus("nvidia 80gb under $2") == both
    assert gpus("show me gpus with 80gb") == gpus("80gb")  # filler is skipped


@pytest.mark.parametrize(
    ("text", "message", "suggestion"),
    [
        ("h10", "no GPU matches `h10`", "h100"),
        ("nvdia", "no GPU matches `nvdia`", "nvidia"),
        ("under cheap", "`under cheap`: give a price in USD per GPU-hour", None),
        ("over $2", "`over $2`: give a price", None),  # only a ceiling makes sense for a price
    ],
)
def test_a_word_that_matches_nothing_is_one_line_with_the_closest_name(
    text: str, message: str, suggestion: str | None
) -> None:
    with pytest.raises(UsageError) as raised:
        execute("gpus", text, catalog=CATALOG, defaults=Defaults())
    assert raised.value.message.startswith(message)
    assert raised.value.suggestion == suggestion
    assert raised.value.usage.startswith("gpus [80gb")


def test_models_filter_by_family_and_kind() -> None:
    every = CATALOG.models.values()
    # a family word matches the Llama- and Qwen-based distills too (deepseek-r1-distill-llama-8b)
    assert models("llama") == [m.key for m in every if "llama" in m.key]
    assert set(models("qwen")) == {m.key for m in every if "qwen" in m.key}  # qwen2.5, qwen3 and the distills
    assert models("moe") == [m.key for m in every if m.official_active_params is not None]
    assert models("dense") == [m.key for m in every if m.official_active_params is None]
    assert set(models("qwen moe")) == {"qwen3-30b-a3b", "qwen3-235b-a22b"}
    with pytest.raises(UsageError) as raised:
        execute("models", "llamma", catalog=CATALOG, defaults=Defaults())
    assert (raised.value.message, raised.value.suggestion) == ("no model preset matches `llamma`", "llama")


def test_execute_carries_the_query_page_and_total() -> None:
    listing = execute("gpus", "amd page=2 share", catalog=CATALOG, defaults=Defaults())
    assert listing.share
    assert isinstance(listing.result, GpuListing)
    assert (listing.result.query, listing.result.page, listing.result.total) == ("amd", 2, len(ALL_GPUS))
    presets = execute("models", "moe", catalog=CATALOG, defaults=Defaults()).result
    assert isinstance(presets, ModelListing)
    assert (presets.query, presets.total) == ("moe", len(CATALOG.models))


def test_the_cli_prints_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gpus"]) == 0
    printed = capsys.readouterr().out
    for key in CATALOG.accelerators:
        assert re.search(rf"^[* ] {re.escape(key)} ", printed, re.MULTILINE), key
    assert "more" not in printed.split("* default")[0]  # no "… N more" line anywhere in the table
    assert "page" not in printed.splitlines()[0]
    assert main(["models"]) == 0
    printed = capsys.readouterr().out
    for key in CATALOG.models:
        # a row is the key then its figures, on one line or (when a key is too long for 60 columns) the next
        assert re.search(rf"^{re.escape(key)}(?: +|\n +)\d", printed, re.MULTILINE), key
    assert main(["models", "moe"]) == 0
    rows = re.findall(r"^[a-z0-9.-]+(?: +|\n +)\d", capsys.readouterr().out, re.MULTILINE)
    assert len(rows) == sum(1 for m in CATALOG.models.values() if m.official_active_params is not None)
