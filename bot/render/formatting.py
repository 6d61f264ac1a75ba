"""Human formatting for answers, beyond the quantities in ``estimator.quantities``.

Counts, FLOPs, bytes, dollars and spans come from ``estimator.quantities`` so the CLI, Slack and
the JSON contract agree; this module adds the few shapes only the renderers need.
"""

from __future__ import annotations

from estimator.quantities import counted, format_bytes, format_count
from estimator.results import Mode

_MODE_LABELS: dict[str, str] = {
    "inference": "Inference",
    "train": "Full training",
    "lora": "LoRA",
    "qlora": "QLoRA",
}
_ENERGY_UNITS = ((1e9, "TWh"), (1e6, "GWh"), (1e3, "MWh"))


def mode_label(mode: Mode) -> str:
    """``train`` → ``Full training``; ``qlora`` → ``QLoRA``."""
    return _MODE_LABELS.get(mode, mode)


def format_gpus(count: int, unit: str = "GPU") -> str:
    """112656 → ``112,656 GPUs``; 1 → ``1 GPU``; 4, ``chip`` → ``4 chips`` (exact: people provision whole devices)."""
    return counted(count, unit)


def format_price(usd_per_hour: float, unit: str = "GPU") -> str:
    """1.8 → ``$1.80/GPU-h``; 4.2, ``chip`` → ``$4.20/chip-h``."""
    return f"${usd_per_hour:,.2f}/{unit}-h"


def format_memory(value_bytes: float) -> str:
    """A per-device figure set against the device's capacity: ``75.1 GB (69.9 GiB)``, decimal as vendors
    label memory and binary as nvidia-smi's MiB add up (an "80GB" card shows 80 GiB)."""
    return f"{format_bytes(value_bytes)} ({format_bytes(value_bytes, binary=True)})"


def format_energy(kwh: float) -> str:
    """3.89e7 → ``38.9 GWh``; 512 → ``512 kWh``."""
    for scale, unit in _ENERGY_UNITS:
        if abs(kwh) >= scale:
            return f"{format_count(kwh / scale)} {unit}"
    return f"{format_count(kwh)} kWh"


def format_co2(tonnes: float) -> str:
    """1.56e4 → ``15.6k t CO₂e``."""
    return f"{format_count(tonnes)} t CO₂e"


def format_tflops(tflops: float) -> str:
    """989.4 → ``989``; 65 → ``65``; 0.5 → ``0.5`` (a table cell; the header names the unit)."""
    return f"{tflops:.3g}" if tflops < 1000 else f"{tflops:,.0f}"


def format_context(tokens: int) -> str:
    """131072 → ``128k``; 4096 → ``4k``; 1000000 → ``1M`` (context windows are usually 2^n·1024)."""
    if tokens >= 1024 and tokens % 1024 == 0 and tokens < 1024 * 1024:
        return f"{tokens // 1024}k"
    return format_count(tokens)


def format_length(tokens: int) -> str:
    """A length in tokens as it would be typed back: 8192 → ``8k`` (a whole k of a length is 1024), 1000 →
    ``1,000`` (never ``1k``, which reads as 1024)."""
    if tokens >= 1024 and tokens % 1024 == 0:
        return f"{tokens // 1024:,}k"
    return f"{tokens:,}"


def format_gb(value_bytes: float) -> str:
    """A compact table cell in decimal GB: ``4,870``, ``320``, ``40.0``, ``5.20``, ``0.04``, ``<0.01``, ``–``."""
    if value_bytes <= 0:
        return "–"
    gb = value_bytes / 1e9
    if gb >= 100:
        return f"{gb:,.0f}"
    if gb >= 10:
        return f"{gb:.1f}"
    return f"{gb:.2f}" if gb >= 0.01 else "<0.01"
