"""The App Home tab (bot.render.home): a valid home view whose worked examples are the estimator's own figures."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from bot.render.home import EXAMPLE_GPUS, KV_CONTEXT, MAX_HOME_BLOCKS, home_view
from bot.render.text import blocks_to_text
from config.catalogs import cached_catalog
from estimator.catalog import Catalog
from estimator.commands import execute
from estimator.defaults import Defaults
from estimator.quantities import format_bytes, format_flops

CATALOG = cached_catalog(None)


def text_of(view: dict[str, Any]) -> str:
    return blocks_to_text(view["blocks"])


def assert_valid_home(view: dict[str, Any]) -> None:
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view
    assert view["type"] == "home"
    assert 0 < len(view["blocks"]) <= MAX_HOME_BLOCKS


def test_the_home_view_is_valid_and_teaches_each_idea_with_an_example() -> None:
    view = home_view(CATALOG, Defaults(), execute)
    assert_valid_home(view)
    text = text_of(view)
    for title in (
        "How to ask",
        "Training compute: 6 · N · D",
        "MFU: the share of the peak you really get",
        "Bytes per parameter",
        "KV cache",
        "ZeRO: splitting training over GPUs",
        "LoRA and QLoRA",
        "Serving speed",
        "Defaults in force",
        "Catalog",
    ):
        assert f"\n{title}\n" in f"\n{text}\n", title
    # C = 6·N·D (Kaplan et al. 2020): 6 × 7e9 × 1e12 = 4.2e22 FLOPs
    assert f"7B parameters on 1T tokens = {format_flops(6 * 7e9 * 1e12)}." in text
    assert format_flops(6 * 7e9 * 1e12) == "4.2e22 FLOP"
    # KV cache = 2 · layers · KV heads · head size · tokens · 2 bytes; Llama 3.1 8B (config.json: 32 layers,
    # 8 KV heads of 128): 2 × 32 × 8 × 128 × 32768 × 2 = 4.29e9 bytes
    assert f"llama-3.1-8b at 32k tokens: {format_bytes(2 * 32 * 8 * 128 * KV_CONTEXT * 2)}." in text
    # full training with mixed-precision AdamW: 16 bytes/param (ZeRO, arXiv 1910.02054 §3.1) → 7e9 × 16 = 112 GB
    assert f"{format_bytes(7e9 * 16)} of weights, gradients and optimizer state" in text
    assert f"on {EXAMPLE_GPUS} GPUs." in text


def test_the_defaults_and_catalog_in_force_are_shown() -> None:
    defaults = Defaults(mfu=0.35, default_days=45)
    text = text_of(home_view(CATALOG, defaults, execute))
    h100 = CATALOG.accelerators["h100-sxm"]
    assert h100.price is not None
    assert f"GPU {h100.name} at ${h100.price.usd_per_hour:.2f}/GPU-h · MFU 35%" in text
    assert "45-day deadline" in text
    moe = sum(1 for m in CATALOG.models.values() if m.official_active_params is not None)
    assert f"{len(CATALOG.accelerators)} accelerators (" in text
    assert f"{len(CATALOG.models)} model presets ({moe} mixture-of-experts)" in text


def test_a_catalog_without_the_examples_still_gives_a_valid_home() -> None:
    # a default GPU with no price and no published dense peak, and no llama-3.1-8b preset
    models = {key: model for key, model in CATALOG.models.items() if key != "llama-3.1-8b"}
    catalog = Catalog(CATALOG.accelerators, models, CATALOG.sources)
    view = home_view(catalog, Defaults(gpu="m2-max"), execute)
    assert_valid_home(view)
    text = text_of(view)
    assert "at no catalog price" in text
    assert "peaks at" not in text  # no training example on a memory-only device, rather than a guess
    first = next(iter(models))
    assert f"{first} at 32k tokens: " in text  # the KV example falls back to the first preset
