"""Hostile or broken catalogs are refused at load with one line; large ones load in linear work.

Before: ``inf``/``1e308`` prices or TDP and TFLOPS of ``1e-300`` validated, then ``/traincost`` on
that GPU answered "unexpected error" (OverflowError); a catalog at ``/dev/zero`` or a FIFO hung
start-up; 20,000 entries took 45-50 s (every entry rebuilt the name index).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from config.catalogs import CatalogError, load_catalog, load_catalog_files
from config.settings import load_settings
from estimator.commands import execute

GPU = """
[[accelerator]]
key = "odd-gpu"
name = "Odd GPU"
vendor = "Acme"
memory_bytes = 85_899_345_920
memory_label = "80 GB"
bandwidth_tbps = {bandwidth}
tdp_watts = {tdp}
dense_tflops = {{ bf16 = {tflops} }}
sources = ["test"]
[accelerator.price]
usd_per_hour = {price}
provider = "test"
as_of = "2026-01"
source = "test"
"""
SANE = {"bandwidth": "3.35", "tdp": "700", "tflops": "989.4", "price": "2.5"}


def gpu_file(tmp_path: Path, **values: str) -> Path:
    path = tmp_path / "gpu.toml"
    path.write_text(textwrap.dedent(GPU.format(**{**SANE, **values})), encoding="utf-8")
    return path


def test_a_sane_gpu_loads_and_estimates(tmp_path: Path) -> None:
    catalog = load_catalog(gpu_file(tmp_path))
    reply = execute("traincost", "7B 1T odd-gpu", catalog=catalog, defaults=load_settings({}).defaults())
    assert reply.command == "traincost"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("price", "inf", "price.usd_per_hour"),
        ("price", "1e308", "price.usd_per_hour"),
        ("price", "nan", "price.usd_per_hour"),
        ("tdp", "inf", "tdp_watts"),
        ("tdp", "1e308", "tdp_watts"),
        ("tflops", "1e-300", "dense_tflops.bf16"),
        ("tflops", "inf", "dense_tflops.bf16"),
        ("tflops", "1e308", "dense_tflops.bf16"),
        ("bandwidth", "1e308", "bandwidth_tbps"),
        ("bandwidth", "-inf", "bandwidth_tbps"),
    ],
)
def test_non_finite_or_absurd_values_are_refused_in_one_line(tmp_path: Path, field: str, value: str, says: str) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(gpu_file(tmp_path, **{field: value}))
    message = str(caught.value)
    assert "\n" not in message
    assert "accelerator 'odd-gpu'" in message
    assert says in message


def test_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "catalog.toml"
    os.mkfifo(fifo)
    with pytest.raises(CatalogError, match="not a regular file"):
        load_catalog_files([fifo])


def test_dev_zero_is_refused_at_once_instead_of_read_without_end() -> None:
    with pytest.raises(CatalogError, match="not a regular file"):
        load_catalog_files([Path("/dev/zero")])


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from config import catalogs

    monkeypatch.setattr(catalogs, "MAX_CATALOG_BYTES", 1024)
    path = tmp_path / "big.toml"
    path.write_text("# " + "x" * 2000 + "\n")
    with pytest.raises(CatalogError, match="larger than"):
        load_catalog_files([path])


def test_20000_entries_with_aliases_load_and_resolve(tmp_path: Path) -> None:
    """About 3 s on a shared 2-core machine (45-50 s when every entry rebuilt the name index; no timing asserted)."""
    entries = "".join(
        GPU.format(**SANE).replace('key = "odd-gpu"', f'key = "gpu-{n}"\naliases = ["g{n}"]') for n in range(20_000)
    )
    path = tmp_path / "many.toml"
    path.write_text(entries, encoding="utf-8")
    catalog = load_catalog_files([path])
    assert catalog.gpu("gpu-19999") is not None
    assert catalog.gpu("g123") is not None
