"""The `napkin` CLI as a user runs it: real processes, exit codes, stdout/stderr, the JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TRAINCOST_KEYS = {
    "params",
    "active_params",
    "tokens",
    "flops",
    "gpu",
    "dtype",
    "peak_flops",
    "mfu",
    "gpu_hours",
    "price_per_gpu_hour",
    "cost_usd",
    "num_gpus",
    "wall_clock_days",
    "energy_kwh",
    "co2_tonnes",
    "assumptions",
}
FITS_KEYS = {"params", "active_params", "gpu", "gpu_memory_bytes", "scenarios"}
SCENARIO_KEYS = {"mode", "dtype", "num_gpus", "breakdown", "per_gpu_bytes", "total_bytes", "gpus_needed", "verdict"}
BREAKDOWN_KEYS = {"weights", "gradients", "optimizer", "activations", "kv_cache", "overhead"}


def napkin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script the way a user would."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NAPKIN_"))}
    exe = Path(sys.executable).with_name("napkin")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=clean | (env or {}), cwd=ROOT, timeout=60, check=False
    )


def test_traincost_json_contract_for_the_seed_question() -> None:
    run = napkin("traincost", "405B", "15T", "a100", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc.keys() >= TRAINCOST_KEYS
    # 6 · 405e9 · 15e12 = 3.645e25 FLOPs (Kaplan's C = 6ND), exact arithmetic.
    assert doc["flops"] == pytest.approx(3.645e25, rel=1e-9)
    assert doc["gpu"] == "a100-80gb-sxm"
    assert doc["dtype"] == "bf16"
    assert doc["peak_flops"] == pytest.approx(312e12)
    assert doc["gpu_hours"] == pytest.approx(3.645e25 / (312e12 * doc["mfu"]) / 3600, rel=1e-9)
    assert doc["cost_usd"] == pytest.approx(doc["gpu_hours"] * doc["price_per_gpu_hour"], rel=1e-9)
    assert any("MFU" in a for a in doc["assumptions"])


def test_traincost_text_shows_the_figures_and_the_formula() -> None:
    run = napkin("traincost", "405B", "15T", "a100")
    assert run.returncode == 0, run.stderr
    assert "3.65e25" in run.stdout
    assert "6" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_fits_json_contract_for_the_seed_question() -> None:
    run = napkin("fits", "20B", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc.keys() >= FITS_KEYS
    by_mode = {(s["mode"], s["dtype"]): s for s in doc["scenarios"]}
    for scenario in doc["scenarios"]:
        assert scenario.keys() >= SCENARIO_KEYS
        assert scenario["breakdown"].keys() >= BREAKDOWN_KEYS
    # 20e9 params × 2 bytes (bf16) = 40 GB of weights, decimal.
    assert by_mode[("inference", "bf16")]["breakdown"]["weights"] == 40_000_000_000
    train = next(s for s in doc["scenarios"] if s["mode"] == "train")
    states = train["breakdown"]["weights"] + train["breakdown"]["gradients"] + train["breakdown"]["optimizer"]
    # Mixed-precision AdamW: 16 bytes/param (ZeRO paper) = 320 GB of model states on one GPU.
    assert states * train["num_gpus"] == 320_000_000_000
    assert train["gpus_needed"] > 1
    assert {"lora", "qlora"} <= {s["mode"] for s in doc["scenarios"]}


def test_catalog_listings() -> None:
    gpus = json.loads(napkin("gpus", "--json").stdout)
    assert len(gpus["gpus"]) >= 20
    models = json.loads(napkin("models", "--json").stdout)
    assert len(models["models"]) >= 25
    assert napkin("gpus").returncode == 0
    assert napkin("help").returncode == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("traincost", "405B", "15T", "h10"), "Did you mean `h100`?"),
        (("traincost",), "needs a parameter count"),
        (("fits", "20B", "zero=9"), "zero"),
        (("frobnicate",), "unknown command"),
    ],
)
def test_bad_input_exits_2_with_one_message_on_stderr(args: tuple[str, ...], expected: str) -> None:
    run = napkin(*args)
    assert run.returncode == 2
    assert expected in run.stderr
    assert "usage:" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


def test_bad_settings_are_one_line_not_a_traceback() -> None:
    run = napkin("traincost", "7B", env={"NAPKIN_MFU": "lots"})
    assert run.returncode == 2
    assert "NAPKIN_MFU" in run.stderr
    assert "Traceback" not in run.stderr


def test_catalog_override_reprices_a_gpu(tmp_path: Path) -> None:
    override = tmp_path / "prices.toml"
    override.write_text(
        '[[accelerator]]\nkey = "a100-80gb-sxm"\n'
        'price = { usd_per_hour = 1.0, provider = "our cluster", as_of = "2026-11", source = "contract" }\n'
    )
    run = napkin("traincost", "7B", "1T", "a100", "--json", env={"NAPKIN_CATALOG": str(override)})
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["price_per_gpu_hour"] == 1.0
    assert doc["cost_usd"] == pytest.approx(doc["gpu_hours"])


def test_a_closed_pipe_ends_quietly() -> None:
    """`napkin … | head` style: the reader is gone before napkin writes; no traceback, exit 0."""
    exe = Path(sys.executable).with_name("napkin")
    with subprocess.Popen(
        [str(exe), "traincost", "405B", "15T", "a100"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.close()
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert "BrokenPipe" not in err


def test_a_dot_env_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"NAPKIN_MFU=\xff\xfe0.4\n")
    exe = Path(sys.executable).with_name("napkin")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NAPKIN_"))}
    run = subprocess.run(
        [str(exe), "traincost", "7B"], capture_output=True, text=True, env=clean, cwd=tmp_path, timeout=60, check=False
    )
    assert run.returncode == 2
    assert ".env: not UTF-8" in run.stderr
    assert "Traceback" not in run.stderr
