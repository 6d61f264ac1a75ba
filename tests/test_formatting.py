"""Renderer-only formats: GPU counts, prices, energy, CO₂, context windows, GB table cells."""

from __future__ import annotations

import pytest

from bot.render.formatting import (
    format_co2,
    format_context,
    format_energy,
    format_gb,
    format_gpus,
    format_price,
    format_tflops,
    mode_label,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(112_688, "112,688 GPUs"), (1, "1 GPU"), (8, "8 GPUs")],
)
def test_format_gpus(value: int, expected: str) -> None:
    assert format_gpus(value) == expected


def test_format_price() -> None:
    assert format_price(1.8) == "$1.80/GPU-h"
    assert format_price(1234.5) == "$1,234.50/GPU-h"


@pytest.mark.parametrize(
    ("kwh", "expected"),
    [
        (8.113e7 * 0.4 * 1.2, "38.9 GWh"),  # 405B × 15T on A100: GPU-hours × 400 W × PUE 1.2
        (29_400, "29.4 MWh"),
        (512, "512 kWh"),
        (2.5e9, "2.5 TWh"),
    ],
)
def test_format_energy(kwh: float, expected: str) -> None:
    assert format_energy(kwh) == expected


def test_format_co2() -> None:
    assert format_co2(15_578) == "15.6k t CO₂e"
    assert format_co2(11.8) == "11.8 t CO₂e"


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [(131_072, "128k"), (32_768, "32k"), (4096, "4k"), (163_840, "160k"), (1_000_000, "1M"), (2000, "2k")],
)
def test_format_context(tokens: int, expected: str) -> None:
    assert format_context(tokens) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4_870e9, "4,870"),
        (320e9, "320"),
        (40e9, "40.0"),
        (5.2e9, "5.20"),
        (0.04e9, "0.04"),
        (1e6, "<0.01"),
        (0, "–"),
    ],
)
def test_format_gb(value: float, expected: str) -> None:
    assert format_gb(value) == expected


def test_format_tflops() -> None:
    assert format_tflops(989.4) == "989"
    assert format_tflops(65) == "65"
    assert format_tflops(1307.4) == "1,307"
    assert format_tflops(0.5) == "0.5"


def test_mode_label() -> None:
    assert [mode_label(m) for m in ("inference", "train", "lora", "qlora")] == [
        "Inference",
        "Full training",
        "LoRA",
        "QLoRA",
    ]
