"""Catalog loading: built-ins, overrides (merge, add, directories) and one clear error per bad file."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from config.catalogs import (
    BUILTIN_FILES,
    CatalogError,
    cached_catalog,
    load_catalog,
    load_catalog_files,
    override_files,
)
from estimator.precision import Precision

DATA = Path(__file__).parent / "data"
BASE = DATA / "catalog_base.toml"
OVERRIDE_DIR = DATA / "catalog_override_dir"

NEW_GPU = """
[[accelerator]]
key = "new-gpu"
name = "New GPU"
vendor = "NVIDIA"
memory_bytes = 85_899_345_920
memory_label = "80 GB HBM3"
bandwidth_tbps = 3.35
dense_tflops = { bf16 = 989.4 }
sources = ["test"]
"""


def write(tmp_path: Path, text: str, name: str = "team.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- built-in catalog --------------------------------------------------------------------------


def test_builtin_catalog_loads_hardware_and_models() -> None:
    catalog = load_catalog()
    assert catalog.sources == tuple(str(p) for p in BUILTIN_FILES)
    assert catalog.gpu("h100") is not None
    assert len(catalog.models) >= 1


def test_builtin_override_reprices_one_gpu_and_keeps_the_rest(tmp_path: Path) -> None:
    team = write(
        tmp_path,
        """
        [[accelerator]]
        key = "h100-sxm"
        price = { usd_per_hour = 2.10, provider = "Our reserved contract", as_of = "2026-11", source = "PO 42" }
        """,
    )
    builtin = load_catalog()
    catalog = load_catalog(team)
    h100 = catalog.accelerators["h100-sxm"]
    assert h100.price is not None
    assert (h100.price.usd_per_hour, h100.price.provider) == (2.10, "Our reserved contract")
    assert h100.model_dump(exclude={"price"}) == builtin.accelerators["h100-sxm"].model_dump(exclude={"price"})
    assert catalog.accelerators["a100-80gb-sxm"] == builtin.accelerators["a100-80gb-sxm"]
    assert catalog.sources[-1] == str(team)


def test_cached_catalog_loads_once_per_override(tmp_path: Path) -> None:
    team = str(write(tmp_path, NEW_GPU))
    assert cached_catalog(None) is cached_catalog(None)
    assert cached_catalog(team) is cached_catalog(team)
    assert cached_catalog(team).gpu("new-gpu") is not None
    assert cached_catalog(None).gpu("new-gpu") is None


# --- override semantics ------------------------------------------------------------------------


def test_base_fixture_loads() -> None:
    catalog = load_catalog_files([BASE])
    assert list(catalog.accelerators) == ["gpu-a", "gpu-b"]
    assert list(catalog.models) == ["llama-2-7b"]
    assert catalog.sources == (str(BASE),)


def test_override_reprices_a_gpu_field_by_field(tmp_path: Path) -> None:
    team = write(
        tmp_path,
        """
        [[accelerator]]
        key = "gpu-a"
        [accelerator.price]
        usd_per_hour = 2.50
        provider = "Team contract"
        as_of = "2026-06"
        source = "internal quote"
        """,
    )
    base = load_catalog_files([BASE]).accelerators["gpu-a"]
    merged = load_catalog_files([BASE, team]).accelerators["gpu-a"]
    assert merged.price is not None
    assert merged.price.usd_per_hour == 2.50
    assert merged.price.provider == "Team contract"
    assert merged.model_dump(exclude={"price"}) == base.model_dump(exclude={"price"})


def test_override_by_alias_in_any_spelling_merges_into_the_key(tmp_path: Path) -> None:
    team = write(tmp_path, '[[accelerator]]\nkey = "GPU_A_80GB"\ntdp_watts = 300\n')
    catalog = load_catalog_files([BASE, team])
    assert list(catalog.accelerators) == ["gpu-a", "gpu-b"]
    assert catalog.accelerators["gpu-a"].tdp_watts == 300
    assert catalog.gpu("a-gpu") is catalog.accelerators["gpu-a"]


def test_override_replaces_a_nested_table_whole(tmp_path: Path) -> None:
    team = write(tmp_path, '[[accelerator]]\nkey = "gpu-a"\ndense_tflops = { bf16 = 300 }\n')
    gpu = load_catalog_files([BASE, team]).accelerators["gpu-a"]
    assert gpu.dense_tflops == {Precision.BF16: 300.0}


def test_override_can_replace_aliases(tmp_path: Path) -> None:
    team = write(tmp_path, '[[accelerator]]\nkey = "gpu-a"\naliases = ["ours"]\n')
    catalog = load_catalog_files([BASE, team])
    assert catalog.gpu("ours") is catalog.accelerators["gpu-a"]
    assert catalog.gpu("a-gpu") is None


def test_override_adds_a_gpu(tmp_path: Path) -> None:
    catalog = load_catalog_files([BASE, write(tmp_path, NEW_GPU)])
    gpu = catalog.gpu("New GPU")
    assert gpu is not None
    assert (gpu.key, gpu.peak_flops(Precision.BF16), gpu.price) == ("new-gpu", 989.4e12, None)
    assert list(catalog.accelerators) == ["gpu-a", "gpu-b", "new-gpu"]


def test_override_adds_and_merges_models(tmp_path: Path) -> None:
    team = write(
        tmp_path,
        """
        [[model]]
        key = "llama2-7b"
        max_context = 8192

        [[model]]
        key = "tiny-2m"
        name = "Tiny 2M"
        layers = 2
        hidden = 128
        heads = 4
        kv_heads = 2
        head_dim = 32
        ffn = 512
        vocab = 1000
        max_context = 512
        official_params = 2_000_000
        source = "test"
        """,
    )
    catalog = load_catalog_files([BASE, team])
    assert catalog.models["llama-2-7b"].max_context == 8192
    assert catalog.models["llama-2-7b"].layers == 32
    tiny = catalog.model("TINY_2M")
    assert tiny is not None
    assert tiny.kv_heads == 2


def test_directory_applies_its_toml_files_in_name_order() -> None:
    files = override_files(OVERRIDE_DIR)
    assert [f.name for f in files] == ["10-reprice.toml", "20-team.toml"]
    catalog = load_catalog_files([BASE, *files])
    price = catalog.accelerators["gpu-a"].price
    assert price is not None
    assert (price.usd_per_hour, price.provider) == (2.00, "Team contract, renewed")
    assert price.as_of == "2026-07-01"  # an unquoted TOML date is accepted as ISO text
    assert catalog.gpu("gpu-c") is not None
    assert catalog.model("tiny-1m") is not None
    assert catalog.sources == (str(BASE), *(str(f) for f in files))


def test_load_catalog_accepts_a_directory(tmp_path: Path) -> None:
    team = write(tmp_path, NEW_GPU)
    catalog = load_catalog(tmp_path)
    assert catalog.sources == (*(str(p) for p in BUILTIN_FILES), str(team))
    assert catalog.gpu("new-gpu") is not None


@pytest.mark.parametrize("override", [None, ""])
def test_no_override_means_builtins_only(override: str | None) -> None:
    assert override_files(override) == []


def test_empty_override_directory_changes_nothing(tmp_path: Path) -> None:
    assert override_files(tmp_path) == []


def test_a_later_file_may_redefine_an_entry_an_earlier_one_added(tmp_path: Path) -> None:
    first = write(tmp_path, NEW_GPU, "1.toml")
    second = write(tmp_path, '[[accelerator]]\nkey = "new-gpu"\nbandwidth_tbps = 4.8\n', "2.toml")
    assert load_catalog_files([BASE, first, second]).accelerators["new-gpu"].bandwidth_tbps == 4.8


# --- bad files: one CatalogError naming file, entry and field --------------------------------

BAD_FILES = {
    "missing field": (
        NEW_GPU.replace("bandwidth_tbps = 3.35\n", ""),
        "accelerator 'new-gpu': bandwidth_tbps: Field required",
    ),
    "wrong type": (
        NEW_GPU.replace("memory_bytes = 85_899_345_920", 'memory_bytes = "80GB"'),
        "accelerator 'new-gpu': memory_bytes: Input should be a valid integer",
    ),
    "negative price": (
        '[[accelerator]]\nkey = "gpu-a"\n'
        'price = { usd_per_hour = -1.0, provider = "x", as_of = "2026-01", source = "y" }\n',
        "accelerator 'gpu-a': price.usd_per_hour: Input should be greater than 0",
    ),
    "unknown field": (
        '[[accelerator]]\nkey = "gpu-a"\nhbm_gb = 80\n',
        "accelerator 'gpu-a': hbm_gb: Extra inputs are not permitted",
    ),
    "unknown precision": (
        '[[accelerator]]\nkey = "gpu-a"\ndense_tflops = { bf17 = 1.0 }\n',
        "accelerator 'gpu-a': dense_tflops.bf17.[key]: Input should be",
    ),
    "unknown field in a model": (
        '[[model]]\nkey = "llama-2-7b"\nexperts = 8\n',
        "model 'llama-2-7b': experts: Extra inputs are not permitted",
    ),
    "model wrong type": (
        '[[model]]\nkey = "llama-2-7b"\nlayers = "many"\n',
        "model 'llama-2-7b': layers: Input should be a valid integer",
    ),
    "entry without a key": (
        '[[accelerator]]\nkey = "gpu-b"\ntdp_watts = 70\n\n[[accelerator]]\nname = "no key"\n',
        "accelerator #2: key: Field required",
    ),
    "bad key": (
        NEW_GPU.replace('key = "new-gpu"', 'key = "New GPU!"'),
        "accelerator 'New GPU!': key: String should match pattern",
    ),
    "duplicate alias": (
        NEW_GPU.replace('sources = ["test"]', 'sources = ["test"]\naliases = ["new", "A_GPU"]'),
        "accelerator 'new-gpu': aliases: 'A_GPU' is already a name of accelerator 'gpu-a'",
    ),
    "same entry twice in one file": (
        '[[accelerator]]\nkey = "gpu-b"\ntdp_watts = 70\n\n[[accelerator]]\nkey = "gpu-b"\ntdp_watts = 75\n',
        "accelerator 'gpu-b': key: 'gpu-b' is defined twice in this file",
    ),
    "unknown top-level table": (
        '[[gpu]]\nkey = "gpu-a"\n',
        "unknown top-level 'gpu': expected [[accelerator]] or [[model]] tables",
    ),
    "table instead of array of tables": (
        '[accelerator]\nkey = "gpu-a"\n',
        "accelerator: expected [[accelerator]] tables",
    ),
    "TOML syntax error": (
        '[[accelerator]]\nkey = "gpu-a"\ntdp_watts = 70 W\n',
        "TOML syntax error: Expected newline or end of document after a statement (at line 3, column 16)",
    ),
}


@pytest.mark.parametrize(("text", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_override_gives_one_line_naming_file_entry_and_field(tmp_path: Path, text: str, expected: str) -> None:
    team = write(tmp_path, text)
    with pytest.raises(CatalogError) as caught:
        load_catalog_files([BASE, team])
    message = str(caught.value)
    assert message.startswith(f"catalog {team}: ")
    assert expected in message
    assert "\n" not in message


def test_every_problem_in_an_entry_is_listed(tmp_path: Path) -> None:
    bare = write(tmp_path, '[[accelerator]]\nkey = "new-gpu"\nname = "New"\n')
    with pytest.raises(CatalogError, match="new-gpu") as caught:
        load_catalog_files([BASE, bare])
    for field in ("vendor", "memory_bytes", "memory_label", "bandwidth_tbps", "sources"):
        assert f"{field}: Field required" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(CatalogError, match=f"^catalog {re.escape(str(missing))}: file not found$"):
        load_catalog(missing)


def test_unreadable_file(tmp_path: Path) -> None:
    not_a_dir = write(tmp_path, NEW_GPU)
    path = not_a_dir / "child.toml"  # a path through a regular file cannot be opened
    with pytest.raises(CatalogError, match=f"^catalog {re.escape(str(path))}: cannot read: Not a directory$"):
        load_catalog_files([path])


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[[accelerator]]\nkey = "gpu-a"\nnotes = "café"\n'.encode("latin-1"))
    with pytest.raises(CatalogError, match=f"^catalog {re.escape(str(path))}: not UTF-8 text"):
        load_catalog_files([BASE, path])


def test_bad_file_in_a_directory_is_named(tmp_path: Path) -> None:
    write(tmp_path, '[[accelerator]]\nkey = "gpu-b"\ntdp_watts = 70\n', "10-ok.toml")
    bad = write(tmp_path, '[[accelerator]]\nkey = "gpu-b"\ntdp_watts = -5\n', "20-bad.toml")
    with pytest.raises(CatalogError, match=f"^catalog {re.escape(str(bad))}: accelerator 'gpu-b': tdp_watts: "):
        load_catalog_files([BASE, *override_files(tmp_path)])


def test_catalog_error_is_a_value_error() -> None:
    assert issubclass(CatalogError, ValueError)
