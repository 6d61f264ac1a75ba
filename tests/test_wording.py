"""Wording every answer keeps: a count agrees with its noun ("1 GPU", "1 sequence", "1 byte"), and
TPU and Trainium answers count chips in hosts or instances, not GPUs in 8-GPU nodes."""

from __future__ import annotations

import json
import re

import pytest

from bot.render.blocks import render_reply
from bot.render.text import blocks_to_text
from config.catalogs import cached_catalog
from estimator.commands import execute
from estimator.defaults import Defaults
from estimator.results import FitsResult, TrainCostResult
from estimator.serving_results import ServeCostResult

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()
NOUNS = (
    "GPUs|chips|cards|devices|sequences|tokens|bytes|layers|heads|stages|nodes|hosts|instances|ranks|users|"
    "requests|experts|params|parameters|replicas|steps|days|hours|weeks|months|years|GPU-hours|chip-hours"
)
# "1 GPUs" but not "1,024 GPUs", "2.1 GPUs", "1024+1 tokens" or "8×1 GPUs"
ONE_PLURAL = re.compile(rf"(?<![\d.,×x+])\b1 ({NOUNS})\b")
COMMANDS = [
    ("fits", "7B h100 gpus=1 batch=1 ctx=1"),
    ("fits", "llama-3.1-8b h100 batch=1 ctx=1 inference"),
    ("fits", "70B a100 gpus=2 cpu_mem=64GB"),
    ("fits", "mixtral-8x7b tpu-v5e gpus=1"),
    ("fits", "deepseek-v3 trainium batch=1"),
    ("fits", "405B tpu-v5p"),
    ("traincost", "7B 1B h100 gpus=1"),
    ("traincost", "7B 10B h100 days=1"),
    ("traincost", "70B tpu-v5p days=1"),
    ("traincost", "1B 1B trainium"),
    ("servecost", "llama-3.1-8b h100 batch=1 in=1 out=1"),
    ("servecost", "7B 1xh100 in=1 out=1"),
]


def _rendered(command: str, text: str, *, detail: bool = True) -> tuple[object, str]:
    """The answer as the terminal shows it (the compact one, and with ``detail`` its Details too), its
    notification text and its JSON."""
    reply = execute(command, text, catalog=CATALOG, defaults=DEFAULTS)
    views = [render_reply(reply, command_text=text)]
    if detail:
        views.append(render_reply(reply, command_text=text, detail=True))
    result = reply.result
    assert isinstance(result, FitsResult | TrainCostResult | ServeCostResult)
    dumped = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    shown = [blocks_to_text(message.blocks, message.text) for message in views]
    return result, "\n".join([*shown, views[0].text, dumped])


@pytest.mark.parametrize(("command", "text"), COMMANDS)
def test_no_count_of_one_takes_a_plural(command: str, text: str) -> None:
    _, rendered = _rendered(command, text)
    assert ONE_PLURAL.findall(rendered) == []


def test_one_of_each_reads_singular() -> None:
    _, fits = _rendered("fits", "7B h100 gpus=1 batch=1 ctx=1")
    assert "bf16: 1 GPU, " in fits
    assert "1 token × 1 sequence" in fits
    assert "× 1 byte (fp8)" in fits
    _, serve = _rendered("servecost", "llama-3.1-8b h100 batch=1 in=1 out=1")
    assert "1 sequence ·" in serve
    assert "for 1 prompt token" in serve


def test_tpu_fits_counts_chips_in_4_chip_hosts() -> None:
    """TPU v5p: 4 chips per host (v5p 2x2x1 = 4 chips on 1 host, Cloud TPU docs): tensor parallelism
    stays within 4, and the answer counts chips."""
    result, text = _rendered("fits", "405B tpu-v5p")
    assert isinstance(result, FitsResult)
    assert result.unit == "chip"
    assert "tensor parallel in powers of two up to 4 per host" in text
    assert "GB per chip" in text
    assert " GPU" not in text.split("\n{")[0]  # the rendered answer, JSON field names aside
    assert all("tensor parallel 8" not in s.strategy for s in result.scenarios)


@pytest.mark.parametrize(
    ("gpu", "node", "name"), [("tpu-v5p", 4, "host"), ("tpu-v6e", 8, "host"), ("trainium", 16, "instance")]
)
def test_traincost_rounds_chips_up_to_whole_hosts(gpu: str, node: int, name: str) -> None:
    result, text = _rendered("traincost", f"70B {gpu}")
    assert isinstance(result, TrainCostResult)
    assert result.unit == "chip"
    assert result.num_gpus % node == 0
    assert f"rounded up to whole {node}-chip {name}s" in text
    assert "Chip-hours" in text
    assert "/chip-h" in text


def test_gpus_keep_8_gpu_nodes() -> None:
    result, text = _rendered("traincost", "70B h100")
    assert isinstance(result, TrainCostResult)
    assert result.unit == "GPU"
    assert result.num_gpus % 8 == 0
    assert "rounded up to whole 8-GPU nodes" in text


VERDICT_MARKS = ("✅", "🟡", "❌", "⚠️")
VERDICT_LINE = re.compile(
    r"^(✅|🟡|❌|⚠️) [\w ]+ \w+: (1 (GPU|chip)|[\d,]+ (GPUs|chips) \([\d,]+ more than one (GPU|chip)\)), "
    r"[\d.]+ [kMGT]?B \([\d.]+ [KMGT]iB\) per (GPU|chip)( |$)"
)


@pytest.mark.parametrize("text", ["20B h100", "70B a100 gpus=8 lora", "405B tpu-v5p", "7B h100 gpu_mem=24GB"])
def test_every_verdict_line_gives_gib_beside_gb(text: str) -> None:
    """One rule: the per-device total on each verdict line carries GiB (what nvidia-smi counts) beside
    GB, as does the card's memory; an A100 80GB (81920 MiB) shows 85.9 GB (80.0 GiB)."""
    result, rendered = _rendered("fits", text, detail=False)
    assert isinstance(result, FitsResult)
    verdicts = [line for line in rendered.splitlines() if line.startswith(VERDICT_MARKS)]
    assert len(verdicts) == len(result.scenarios)
    assert all(VERDICT_LINE.match(line) for line in verdicts), verdicts
    _, a100 = _rendered("fits", "70B a100")
    assert "85.9 GB (80.0 GiB) visible per GPU" in a100


def test_servecost_counts_chips_and_keeps_tensor_parallelism_within_a_host() -> None:
    """Llama 3.1 405B in bf16 (810 GB) does not fit 8 Trainium2 chips (96 GiB each) but fits the 16 chips of
    one trn2.48xlarge instance (AWS Neuron docs); a TPU v5p row never goes past its 4-chip host."""
    result, text = _rendered("servecost", "llama-3.1-405b trainium2", detail=False)
    assert isinstance(result, ServeCostResult)
    assert (result.unit, result.num_gpus, result.fits) == ("chip", 16, True)
    assert "× 16 chips" in text
    assert " GPU" not in text.split("\n{")[0]  # the compact answer, JSON field names aside
    h100, _ = _rendered("servecost", "llama-3.3-70b h100")
    assert isinstance(h100, ServeCostResult)
    hosts = [row for row in h100.comparison if row.gpu in ("tpu-v4", "tpu-v5p")]
    assert hosts
    assert all(row.num_gpus <= 4 for row in hosts)


@pytest.mark.parametrize(("command", "text"), [("fits", "70B gaudi3"), ("traincost", "70B gaudi3")])
def test_gaudi_is_a_device_not_a_gpu(command: str, text: str) -> None:
    """Intel calls Gaudi an AI accelerator: the answer counts devices (catalog unit = "device")."""
    result, rendered = _rendered(command, text, detail=False)
    assert isinstance(result, FitsResult | TrainCostResult)
    assert result.unit == "device"
    assert " devices" in rendered
    assert " GPU" not in rendered.split("\n{")[0]
