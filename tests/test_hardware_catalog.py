"""The built-in accelerator catalog, pinned to the public references its entries cite.

Figures are copied verbatim from the cited tables, so they are compared exactly (TOML decimals
parse to the same floats); derived figures (MI250X per GCD) state their tolerance.
"""

from __future__ import annotations

import re

import pytest

from config.catalogs import HARDWARE_FILE, load_catalog_files
from estimator.catalog import Catalog, normalize_name
from estimator.hardware import Accelerator
from estimator.precision import Precision

BF16, FP16, FP8, INT8, FP4, TF32, FP32 = (
    Precision.BF16,
    Precision.FP16,
    Precision.FP8,
    Precision.INT8,
    Precision.FP4,
    Precision.TF32,
    Precision.FP32,
)
GIB = 2**30
MIB = 2**20


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog_files([HARDWARE_FILE])


def gpu(catalog: Catalog, name: str) -> Accelerator:
    found = catalog.gpu(name)
    assert found is not None, name
    return found


def test_catalog_is_large_enough(catalog: Catalog) -> None:
    assert len(catalog.accelerators) >= 34


@pytest.mark.parametrize(
    "key",
    [
        "t4", "v100-16gb", "v100-32gb", "v100-pcie", "a10g", "a10", "l4", "l40s", "rtx-4090",
        "rtx-3090", "a100-40gb-sxm", "a100-80gb-sxm", "a100-40gb-pcie", "a100-80gb-pcie", "h100-sxm",
        "h100-pcie", "h100-nvl", "h800", "h200", "b200", "gb200", "b300", "mi250x", "mi300x", "mi325x",
        "mi355x", "tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e", "gaudi2", "gaudi3", "trainium", "trainium2",
        "rtx-5090", "rtx-5080", "rtx-4080", "rtx-3060", "rtx-a6000", "rtx-6000-ada", "rtx-pro-6000", "l40",
        "gh200", "h20", "a800", "m2-max", "m2-ultra", "m3-max", "m3-ultra", "m4-max",
    ],
)  # fmt: skip
def test_every_required_device_is_present(catalog: Catalog, key: str) -> None:
    assert key in catalog.accelerators


# --- headline figures (hardware reference §1-§2; ml-eng, klockwood, l40s-ds, waredb, mi300x-h200) ---


def test_h100_sxm(catalog: Catalog) -> None:
    h100 = catalog.accelerators["h100-sxm"]
    assert h100.dense_tflops[BF16] == 989.4
    assert h100.dense_tflops[FP16] == 989.4
    assert h100.dense_tflops[FP8] == 1978.9
    assert h100.bandwidth_tbps == 3.35
    assert h100.tdp_watts == 700
    assert h100.memory_bytes == 81559 * MIB  # what nvidia-smi reports, not 80e9
    assert h100.peak_flops(BF16) == 989.4e12


@pytest.mark.parametrize("key", ["a100-40gb-sxm", "a100-80gb-sxm", "a100-40gb-pcie", "a100-80gb-pcie"])
def test_a100_variants_share_paper_tflops(catalog: Catalog, key: str) -> None:
    a100 = catalog.accelerators[key]
    assert (a100.dense_tflops[BF16], a100.dense_tflops[TF32], a100.dense_tflops[FP32]) == (312, 156, 19.5)
    assert FP8 not in a100.dense_tflops


def test_a100_memory_and_bandwidth(catalog: Catalog) -> None:
    assert catalog.accelerators["a100-80gb-sxm"].memory_bytes == 80 * GIB
    assert catalog.accelerators["a100-80gb-sxm"].bandwidth_tbps == 2.039
    assert catalog.accelerators["a100-80gb-pcie"].bandwidth_tbps == 1.935
    assert catalog.accelerators["a100-40gb-sxm"].memory_bytes == 40 * GIB


@pytest.mark.parametrize(("key", "fp16"), [("t4", 65), ("v100-16gb", 125), ("v100-32gb", 125), ("v100-pcie", 112)])
def test_t4_and_v100_train_in_fp16_without_bf16(catalog: Catalog, key: str, fp16: float) -> None:
    device = catalog.accelerators[key]
    assert BF16 not in device.dense_tflops
    assert TF32 not in device.dense_tflops
    assert device.dense_tflops[FP16] == fp16
    assert device.default_training_precision() is FP16


@pytest.mark.parametrize(("key", "fp32_accumulate"), [("rtx-4090", 165.2), ("rtx-3090", 71), ("a10g", 70)])
def test_geforce_and_a10g_use_the_fp32_accumulate_rate(catalog: Catalog, key: str, fp32_accumulate: float) -> None:
    device = catalog.accelerators[key]
    assert device.dense_tflops[BF16] == device.dense_tflops[FP16] == fp32_accumulate


def test_l40s_is_dense_not_its_sparse_column(catalog: Catalog) -> None:
    l40s = catalog.accelerators["l40s"]
    assert l40s.dense_tflops[BF16] == 362.05  # its sparse BF16 (733) equals its dense FP8
    assert l40s.dense_tflops[FP8] == 733
    assert l40s.tdp_watts == 350  # 300 W is the L40 (non-S)


def test_l4_is_half_its_sparse_datasheet_figures(catalog: Catalog) -> None:
    l4 = catalog.accelerators["l4"]
    assert (l4.dense_tflops[TF32], l4.dense_tflops[FP16], l4.dense_tflops[FP8]) == (60, 121, 242)


def test_mi300x(catalog: Catalog) -> None:
    mi300x = catalog.accelerators["mi300x"]
    assert mi300x.dense_tflops[BF16] == 1307.4  # 2614.9 "FP16 dense" elsewhere is sparse
    assert mi300x.memory_bytes == 192 * GIB
    assert mi300x.bandwidth_tbps == 5.3


def test_b200(catalog: Catalog) -> None:
    b200 = catalog.accelerators["b200"]
    assert (b200.dense_tflops[BF16], b200.dense_tflops[FP8], b200.dense_tflops[FP4]) == (2250, 4500, 9000)
    assert b200.memory_bytes == 180 * GIB  # HGX exposes 180 GB, not the 192 GB first marketed
    assert b200.tdp_watts == 1000


def test_b300_has_no_int8(catalog: Catalog) -> None:
    b300 = catalog.accelerators["b300"]
    assert INT8 not in b300.dense_tflops
    assert b300.dense_tflops[BF16] == 2250


def test_mi250x_is_one_gcd(catalog: Catalog) -> None:
    mi250x = catalog.accelerators["mi250x"]
    assert mi250x.memory_bytes == 64 * GIB  # half the package's 128 GiB (ROCm table)
    # Half the package's 383 BF16 TFLOPS and 3.2768 TB/s (exact halves, compared to 1e-12).
    assert mi250x.dense_tflops[BF16] == pytest.approx(383 / 2, rel=1e-12)
    assert mi250x.bandwidth_tbps == pytest.approx(3.2768 / 2, rel=1e-12)
    assert "GCD" in mi250x.notes


def test_gaudi3_uses_the_shipping_clock(catalog: Catalog) -> None:
    assert catalog.accelerators["gaudi3"].dense_tflops[BF16] == 1677  # not the 1835 spec-clock figure


def test_tpus_train_in_bf16(catalog: Catalog) -> None:
    expected = {"tpu-v4": 275, "tpu-v5e": 197, "tpu-v5p": 459, "tpu-v6e": 918}
    assert {k: catalog.accelerators[k].dense_tflops[BF16] for k in expected} == expected


# Devices per node where it is not 8 GPUs, exact: Cloud TPU docs (v4 and v5p: 2x2x1 = 4 chips on one
# host; v5e and v6e: "Chips per host: 8"), AWS Neuron docs (trn1.32xlarge and trn2.48xlarge: 16 chips),
# NVIDIA (a GB200 NVL72 compute tray: 2 superchips = 4 GPUs). Intel Gaudi is an AI accelerator, not a
# GPU ("device"), 8 to a server as in Intel's HLS-Gaudi2/HLS-Gaudi3 baseboards.
NODES = {
    "tpu-v4": (4, "chip", "host"),
    "tpu-v5p": (4, "chip", "host"),
    "tpu-v5e": (8, "chip", "host"),
    "tpu-v6e": (8, "chip", "host"),
    "trainium": (16, "chip", "instance"),
    "trainium2": (16, "chip", "instance"),
    "gb200": (4, "GPU", "node"),
    "gaudi2": (8, "device", "node"),
    "gaudi3": (8, "device", "node"),
}


@pytest.mark.parametrize(("key", "node"), sorted(NODES.items()))
def test_chips_and_nodes_that_are_not_8_gpus(catalog: Catalog, key: str, node: tuple[int, str, str]) -> None:
    gpu = catalog.accelerators[key]
    assert (gpu.per_node(8), gpu.unit, gpu.node_name) == node


def test_every_other_device_is_a_gpu_in_8_gpu_nodes(catalog: Catalog) -> None:
    for key, gpu in catalog.accelerators.items():
        if key not in NODES:
            assert (gpu.node_size, gpu.unit, gpu.node_name) == (None, "GPU", "node"), key
        elif gpu.unit == "device":
            assert gpu.node_size is None, key  # the default 8 per node


def test_trainium_bandwidth_from_gib_per_second(catalog: Catalog) -> None:
    # Published as 820 GiB/s; stored in decimal TB/s, rounded to 2 digits (tolerance 0.5%).
    assert catalog.accelerators["trainium"].bandwidth_tbps == pytest.approx(820 * GIB / 1e12, rel=5e-3)


# --- aliases ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("a100", "a100-80gb-sxm"),
        ("A100", "a100-80gb-sxm"),
        ("a100-80gb", "a100-80gb-sxm"),
        ("a100-40gb", "a100-40gb-sxm"),
        ("A100 40GB PCIe", "a100-40gb-pcie"),
        ("h100", "h100-sxm"),
        ("H100_SXM", "h100-sxm"),
        ("h100-pcie", "h100-pcie"),
        ("h100-nvl", "h100-nvl"),
        ("v100", "v100-32gb"),
        ("v100-16gb", "v100-16gb"),
        ("v100-32gb", "v100-32gb"),
        ("4090", "rtx-4090"),
        ("rtx4090", "rtx-4090"),
        ("RTX 4090", "rtx-4090"),
        ("3090", "rtx-3090"),
        ("mi300x", "mi300x"),
        ("mi300", "mi300x"),
        ("tpu-v5e", "tpu-v5e"),
        ("v5e", "tpu-v5e"),
        ("gaudi3", "gaudi3"),
        ("Gaudi 3", "gaudi3"),
        ("b200", "b200"),
        ("gb200", "gb200"),
        ("h200", "h200"),
        ("l40s", "l40s"),
        ("trn1", "trainium"),
        ("trn2", "trainium2"),
        ("trillium", "tpu-v6e"),
        ("a100 40gb", "a100-40gb-sxm"),
        ("A100 40GB", "a100-40gb-sxm"),
        ("a100_40gb", "a100-40gb-sxm"),
        ("a6000", "rtx-a6000"),
        ("RTX A6000", "rtx-a6000"),
        ("rtx 6000 ada", "rtx-6000-ada"),
        ("RTX PRO 6000 Blackwell", "rtx-pro-6000"),
        ("5090", "rtx-5090"),
        ("RTX 5080", "rtx-5080"),
        ("4080", "rtx-4080"),
        ("3060", "rtx-3060"),
        ("l40", "l40"),
        ("a10", "a10"),
        ("gh200", "gh200"),
        ("h20", "h20"),
        ("a800", "a800"),
        ("M2 Ultra", "m2-ultra"),
        ("m3 max", "m3-max"),
        ("M4 Max", "m4-max"),
        ("m3 ultra", "m3-ultra"),
    ],
)
def test_names_users_type(catalog: Catalog, typed: str, key: str) -> None:
    assert gpu(catalog, typed).key == key


def test_plain_v100_says_which_part_it_means(catalog: Catalog) -> None:
    assert "'v100'" in catalog.accelerators["v100-32gb"].notes


def test_keys_and_aliases_are_already_normalized(catalog: Catalog) -> None:
    for device in catalog.accelerators.values():
        for name in (device.key, *device.aliases):
            assert normalize_name(name) == name, (device.key, name)


# --- provenance and hygiene ---------------------------------------------------------------------

DATED = re.compile(r"^(\d{4}(-\d{2}){0,2}|undated)\b")


def test_every_accelerator_names_its_sources(catalog: Catalog) -> None:
    for device in catalog.accelerators.values():
        assert device.sources, device.key
        assert all(len(source) > 10 for source in device.sources), device.key


def test_every_price_has_provider_date_and_source(catalog: Catalog) -> None:
    priced = [d for d in catalog.accelerators.values() if d.price is not None]
    assert len(priced) >= 25
    for device in priced:
        assert device.price is not None
        assert device.price.provider.strip(), device.key
        assert DATED.match(device.price.as_of), (device.key, device.price.as_of)
        assert re.search(r"[a-z0-9]\.[a-z]{2,}/", device.price.source), device.key  # a public address
        assert 0.1 <= device.price.usd_per_hour <= 20, device.key


@pytest.mark.parametrize(
    ("key", "usd"),
    [("h100-sxm", 2.99), ("a100-80gb-sxm", 1.80), ("a100-40gb-sxm", 1.30), ("h200", 3.99), ("b200", 6.00),
     ("mi300x", 1.99), ("t4", 0.45), ("tpu-v5e", 1.20), ("trainium", 1.34)],
)  # fmt: skip
def test_default_prices_are_the_typical_on_demand_figures(catalog: Catalog, key: str, usd: float) -> None:
    price = catalog.accelerators[key].price
    assert price is not None
    assert price.usd_per_hour == usd


@pytest.mark.parametrize(
    "key", ["h800", "b300", "mi250x", "mi355x", "gaudi2", "gaudi3", "trainium2", "h20", "a800", "m2-ultra"]
)
def test_devices_without_a_public_typical_price_carry_none(catalog: Catalog, key: str) -> None:
    assert catalog.accelerators[key].price is None


HOPPER = ["h100-sxm", "h100-pcie", "h100-nvl", "h800", "h200"]


@pytest.mark.parametrize("key", HOPPER)
def test_hopper_fp8_is_twice_bf16(catalog: Catalog, key: str) -> None:
    # Dense FP8 is exactly 2x dense BF16; published roundings (1513 vs 2x756) stay within 0.1%.
    tflops = catalog.accelerators[key].dense_tflops
    assert tflops[FP8] == pytest.approx(2 * tflops[BF16], rel=1e-3)


def test_nvidia_tensor_cores_run_tf32_at_half_bf16(catalog: Catalog) -> None:
    # A sparse figure slipped into one column breaks this ratio by 2x; datasheet roundings stay < 2%.
    for device in catalog.accelerators.values():
        if device.vendor == "NVIDIA" and TF32 in device.dense_tflops:
            assert device.dense_tflops[TF32] == pytest.approx(device.dense_tflops[BF16] / 2, rel=0.02), device.key


def test_no_precision_exceeds_the_next_narrower_one(catalog: Catalog) -> None:
    # Narrower formats are never slower on the same chip: fp32 ≤ tf32 ≤ bf16 ≤ fp8 ≤ fp4.
    ladder = [FP32, TF32, BF16, FP8, FP4]
    for device in catalog.accelerators.values():
        rates = [device.dense_tflops[p] for p in ladder if p in device.dense_tflops]
        assert rates == sorted(rates), device.key


MEMORY_ONLY = {
    "rtx-5090", "rtx-5080", "rtx-4080", "rtx-3060", "rtx-a6000", "rtx-pro-6000", "l40",
    "m2-max", "m2-ultra", "m3-max", "m3-ultra", "m4-max",
}  # fmt: skip


def test_every_device_with_a_dense_peak_can_train(catalog: Catalog) -> None:
    for device in catalog.accelerators.values():
        if device.key in MEMORY_ONLY:
            assert not device.dense_tflops, device.key
            assert not device.has_dense_peak, device.key
            assert "Memory fits only" in device.notes, device.key
            continue
        precision = device.default_training_precision()
        assert precision in (BF16, FP16), device.key
        assert device.peak_flops(precision) is not None


def test_a_device_without_a_dense_peak_still_loads_and_stores_16_bit(catalog: Catalog) -> None:
    m2 = catalog.accelerators["m2-ultra"]
    assert m2.dense_tflops == {}
    assert m2.default_training_precision() is BF16  # the storage format memory fits assume
    assert m2.peak_flops(BF16) is None


def test_memory_is_what_one_device_exposes(catalog: Catalog) -> None:
    for device in catalog.accelerators.values():
        if device.vendor == "Apple":  # unified memory: the GPU's default 75% working set (test_device_memory)
            continue
        label = re.match(r"\d+", device.memory_label)
        assert label is not None, device.key
        label_gb = float(label.group())
        # Visible size lies between 93% of the decimal label (ECC-reserved GDDR) and the binary label.
        assert 0.93 * label_gb * 1e9 <= device.memory_bytes <= label_gb * GIB, device.key
