"""Every accelerator's memory against the figure its memory_source cites (issue #9, item 2).

A reference table: key -> (published figure in bytes, where it is published, tolerance). Figures that
a device reports (nvidia-smi / rocm-smi MiB, Metal's working set) are compared exactly; a decimal
figure is allowed only where no binary or visible one was found, and says so in its source.
"""

from __future__ import annotations

import pytest

from config.catalogs import HARDWARE_FILE, load_catalog_files
from estimator.catalog import Catalog

MIB, GIB, GB = 2**20, 2**30, 10**9
MODAL = "modal-labs/modal-client pull 2797"
ROCM = "rocm.docs.amd.com gpu-specs (GiB)"

# key: (published bytes, source, relative tolerance)
REFERENCE: dict[str, tuple[int, str, float]] = {
    "t4": (15360 * MIB, MODAL, 0.0),
    "a10": (23028 * MIB, MODAL, 0.0),
    "a10g": (23028 * MIB, f"{MODAL} (the A10's figure, same board memory)", 0.0),
    "l4": (23034 * MIB, MODAL, 0.0),
    "l40s": (46068 * MIB, MODAL, 0.0),
    "l40": (46068 * MIB, f"{MODAL} (the L40S's figure, same board memory)", 0.0),
    "a100-40gb-sxm": (40960 * MIB, MODAL, 0.0),
    "a100-80gb-sxm": (81920 * MIB, MODAL, 0.0),
    "h100-sxm": (81559 * MIB, MODAL, 0.0),
    "h100-pcie": (81559 * MIB, "VladislavDuma/gpu_specs README", 0.0),
    "h100-nvl": (95830 * MIB, "Vast catalog", 0.0),
    "h200": (143771 * MIB, "Vast catalog", 0.0),
    "b200": (184320 * MIB, "GCP catalog", 0.0),
    "rtx-3090": (24576 * MIB, "nvidia-smi, club-3090 issues 390/1129", 0.0),
    "rtx-4090": (24564 * MIB, "Vast catalog", 0.0),
    "rtx-5090": (32607 * MIB, "nvidia-smi, club-3090 issues 617/1229", 0.0),
    "rtx-4080": (16376 * MIB, "VladislavDuma/gpu_specs README (4080 SUPER)", 0.0),
    "rtx-6000-ada": (49140 * MIB, "VladislavDuma/gpu_specs README", 0.0),
    "mi250x": (128 * GIB // 2, f"{ROCM}, one of two GCDs", 0.0),
    "mi300x": (192 * GIB, ROCM, 0.0),
    "mi325x": (256 * GIB, ROCM, 0.0),
    "mi355x": (288 * GIB, ROCM, 0.0),
    "tpu-v4": (32 * GIB, "Google Cloud TPU docs (GiB)", 0.0),
    "trainium": (32 * GIB, "AWS Neuron docs (GiB)", 0.0),
    "trainium2": (96 * GIB, "AWS Neuron docs (GiB)", 0.0),
    # Vendor label in binary units (NVIDIA's HBM and RTX parts are GiB-sized; no visible figure found).
    "v100-16gb": (16 * GIB, "label, binary", 0.0),
    "v100-32gb": (32 * GIB, "label, binary", 0.0),
    "v100-pcie": (16 * GIB, "label, binary", 0.0),
    "a100-40gb-pcie": (40 * GIB, "label, binary", 0.0),
    "a100-80gb-pcie": (80 * GIB, "label, binary", 0.0),
    "a800": (80 * GIB, "label, binary", 0.0),
    "h800": (80 * GIB, "label, binary", 0.0),
    "h20": (96 * GIB, "label, binary", 0.0),
    "gh200": (96 * GIB, "label, binary", 0.0),
    "gb200": (186 * GIB, "label, binary", 0.0),
    "b300": (288 * GIB, "label, binary", 0.0),
    "rtx-5080": (16 * GIB, "label, binary", 0.0),
    "rtx-3060": (12 * GIB, "label, binary", 0.0),
    "rtx-a6000": (48 * GIB, "label, binary", 0.0),
    "rtx-pro-6000": (96 * GIB, "label, binary", 0.0),
    # Decimal: no binary or visible figure found (errs low by at most 6.9%).
    "tpu-v5e": (16 * GB, "Google Cloud TPU docs (GB)", 0.0),
    "tpu-v5p": (95 * GB, "Google Cloud TPU docs (GB)", 0.0),
    "tpu-v6e": (32 * GB, "Google Cloud TPU docs (GB)", 0.0),
    "gaudi2": (96 * GB, "Intel Hot Chips 2024 (GB)", 0.0),
    "gaudi3": (128 * GB, "Intel Hot Chips 2024 (GB)", 0.0),
    # Apple: Metal's recommendedMaxWorkingSetSize, 75% of unified memory on these machines.
    "m2-max": (73728 * MIB, "llama.cpp issue 3213 (96 GB M2 Max)", 0.0),
    "m2-ultra": (144 * GIB, "Rapid-MLX pull 183 (192 GB M2 Ultra)", 0.0),
    "m3-max": (96 * GIB, "Rapid-MLX pull 183 (128 GB M3 Max)", 0.0),
    "m4-max": (128 * GIB * 3 // 4, "75% rule (Rapid-MLX pull 183)", 0.0),
    "m3-ultra": (512 * GIB * 3 // 4, "75% rule (llama.cpp 3213, Rapid-MLX 183)", 0.0),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog_files([HARDWARE_FILE])


def test_every_accelerator_has_a_reference_row(catalog: Catalog) -> None:
    assert set(catalog.accelerators) == set(REFERENCE)


@pytest.mark.parametrize(("key", "row"), REFERENCE.items(), ids=list(REFERENCE))
def test_memory_matches_its_published_figure(catalog: Catalog, key: str, row: tuple[int, str, float]) -> None:
    published, _source, tolerance = row
    device = catalog.accelerators[key]
    assert device.memory_bytes == pytest.approx(published, rel=tolerance, abs=0)
    assert len(device.memory_source) > 20, key


def test_decimal_sizes_say_why(catalog: Catalog) -> None:
    for device in catalog.accelerators.values():
        if device.memory_bytes % MIB:  # not a whole number of MiB: a decimal label
            assert "decimal" in device.memory_source, device.key


def test_the_same_24_gb_card_gets_the_same_memory(catalog: Catalog) -> None:
    """Issue #9: the 3090 was 24.0e9 bytes and the 4090 25.76e9; both report ~24 GiB (12 MiB apart)."""
    rtx3090, rtx4090 = catalog.accelerators["rtx-3090"], catalog.accelerators["rtx-4090"]
    assert abs(rtx3090.memory_bytes - rtx4090.memory_bytes) <= 12 * MIB


@pytest.mark.parametrize("key", ["b300", "mi355x"])
def test_288_gb_parts_are_288_gib(catalog: Catalog, key: str) -> None:
    assert catalog.accelerators[key].memory_bytes == 288 * GIB
