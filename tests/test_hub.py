"""Hub look-ups over real HTTP: the real ``huggingface_hub`` client against tests/fake_hub.py on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from bot.cli import main
from bot.hub.checkpoint import Tensor, summarize
from bot.hub.client import HubClient, HubError, HubRef
from bot.hub.resolve import prepare
from config.catalogs import cached_catalog
from estimator.commands import execute
from estimator.defaults import Defaults
from estimator.quantities import format_bytes
from tests.fake_hub import FakeHub, FakeRepo, VirtualFile, add_checkpoint, data_size
from tests.hub_models import gpt_oss_checkpoint, gptq_tensors, llama_config, llama_tensors

TOKEN = "hf_" + "a" * 34
CATALOG = cached_catalog(None)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """The fake Hub on its own thread and loop (the CLI runs its own event loop), HF_ENDPOINT at it."""
    fake = FakeHub(tokens=frozenset({TOKEN}))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        host, port = runner.addresses[0][:2]
        fake.url = f"http://{host}:{port}"
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("NAPKIN_HUB_TIMEOUT_SECONDS", "5")
    yield fake
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def preset_repo(hub: FakeHub, repo_id: str, preset: str, *, shards: int = 1) -> FakeRepo:
    arch = CATALOG.model(preset)
    assert arch is not None
    tensors = list(llama_tensors(arch).items())
    size = -(-len(tensors) // shards)
    parts = [dict(tensors[i : i + size]) for i in range(0, len(tensors), size)]
    model_type = "mixtral" if arch.is_moe else "llama"
    files: dict[str, VirtualFile] = {}
    add_checkpoint(files, parts, llama_config(arch, model_type))
    return hub.add(FakeRepo(repo_id, files))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def fits_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code, out, err = run_cli(capsys, "fits", *args, "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


# --- a repo built from a preset answers as the preset ------------------------------------------------


@pytest.mark.parametrize(("preset", "shards"), [("llama-3.1-8b", 1), ("mixtral-8x7b", 3)])
def test_repo_from_a_preset_answers_as_the_preset(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], preset: str, shards: int
) -> None:
    preset_repo(hub, "acme/copy", preset, shards=shards)
    from_hub = fits_json(capsys, "acme/copy", "h100")
    from_preset = fits_json(capsys, preset, "h100")
    source = from_hub.pop("source")
    assert isinstance(source, dict)
    assert source["repo_id"] == "acme/copy"
    assert source["commit"] == hub.repos["acme/copy"].sha
    assert ("model.safetensors.index.json" in source["read"]) == (shards > 1)
    arch = CATALOG.model(preset)
    assert arch is not None
    # the checkpoint holds exactly the parameters the preset's architecture derives
    assert source["checkpoint_params"] == arch.param_count()
    assert from_hub["params"] == from_preset["params"]
    assert from_hub["active_params"] == from_preset["active_params"]
    assert from_hub.pop("model") != from_preset.pop("model")
    # same scenarios: weights, KV cache, activations, verdicts (assumption texts name the model)
    for ours, theirs in zip(from_hub.pop("scenarios"), from_preset.pop("scenarios"), strict=True):  # type: ignore[call-overload]
        assert ours["breakdown"] == theirs["breakdown"]
        assert ours["verdict"] == theirs["verdict"]
        assert ours["gpus_needed"] == theirs["gpus_needed"]
    assert len(from_hub.pop("assumptions")) == len(from_preset.pop("assumptions"))  # type: ignore[arg-type]
    assert from_hub == from_preset


def test_traincost_takes_a_hub_model(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    preset_repo(hub, "acme/copy", "llama-3.1-8b")
    code, out, _ = run_cli(capsys, "traincost", "acme/copy", "1T", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["params"] == 8_030_261_248  # Llama 3.1 8B, HF safetensors metadata (exact)
    assert document["source"]["repo_id"] == "acme/copy"


def test_servecost_takes_a_hub_model(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    preset_repo(hub, "acme/copy", "llama-3.1-8b")
    code, out, _ = run_cli(capsys, "servecost", "acme/copy", "h100", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["params"] == 8_030_261_248  # Llama 3.1 8B, HF safetensors metadata (exact)
    assert document["source"]["repo_id"] == "acme/copy"
    assert document["single_stream"]["tokens_per_s"] > 0


def test_text_answer_names_the_source(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    preset_repo(hub, "acme/copy", "llama-3.1-8b")
    code, out, _ = run_cli(capsys, "fits", "acme/copy")
    assert code == 0
    assert "From the Hub: `acme/copy`" in out
    assert "8,030,261,248 parameters" in out


def test_preset_repo_id_needs_no_network(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    document = fits_json(capsys, "meta-llama/Llama-3.1-70B")
    assert document["model"] == "llama-3.1-70b"
    assert document["source"]["preset"] == "llama-3.1-70b"  # type: ignore[index]
    document = fits_json(capsys, "meta-llama/Llama-3.1-70B-Instruct")
    assert document["model"] == "llama-3.1-70b"
    assert hub.requests == []


# --- quantized checkpoints ---------------------------------------------------------------------------


def test_gptq_checkpoint_counts_unpacked_weights(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    arch = CATALOG.model("llama-3.2-1b")
    assert arch is not None
    config = {**llama_config(arch), "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}
    files: dict[str, VirtualFile] = {}
    add_checkpoint(files, [gptq_tensors(arch)], config)
    hub.add(FakeRepo("acme/llama-1b-gptq", files))
    document = fits_json(capsys, "acme/llama-1b-gptq", "inference")
    source = document["source"]
    assert isinstance(source, dict)
    assert source["checkpoint_params"] == arch.param_count()  # 1,235,814,400 (tied embeddings)
    assert source["quantization"] == "gptq 4-bit"
    # int4 weights + fp16 scales and zeros per group of 128 + fp16 embeddings: between 0.5 and 2 bytes/param
    assert 0.5 < source["bytes_per_param"] < 1.0
    scenarios = document["scenarios"]
    assert isinstance(scenarios, list)
    assert [s["dtype"] for s in scenarios] == ["int4"]


def gptq_repo(hub: FakeHub) -> tuple[int, int]:
    """A GPTQ 4-bit Llama 3.2 1B on the fake Hub: its safetensors data bytes and its parameters."""
    arch = CATALOG.model("llama-3.2-1b")
    assert arch is not None
    config = {**llama_config(arch), "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}
    tensors = gptq_tensors(arch)
    files: dict[str, VirtualFile] = {}
    add_checkpoint(files, [tensors], config)
    hub.add(FakeRepo("acme/llama-1b-gptq", files))
    return data_size(tensors), arch.param_count()


def test_gptq_weights_line_is_the_checkpoints_stored_bytes(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    stored, params = gptq_repo(hub)
    document = fits_json(capsys, "acme/llama-1b-gptq", "inference")
    assert document["source"]["stored_bytes"] == stored  # type: ignore[index]
    scenarios = document["scenarios"]
    assert isinstance(scenarios, list)
    (scenario,) = scenarios
    # exact: the bytes of every tensor in the file (qweight, qzeros, scales, g_idx, fp16 embeddings, norms)
    assert scenario["breakdown"]["weights"] == stored
    # an assumed 0.5 bytes/param with 16-bit embeddings would undercount the scales and zero points
    assert stored > params * 0.5
    assert "as the checkpoint stores them (int4)" in scenario["assumptions"][0]
    assert "scales, zero points" in scenario["assumptions"][0]
    # another precision asked for: the stored bytes do not apply, the assumed bytes/param does
    document = fits_json(capsys, "acme/llama-1b-gptq", "inference", "fp16")
    scenarios = document["scenarios"]
    assert isinstance(scenarios, list)
    assert scenarios[0]["breakdown"]["weights"] == params * 2


def test_gptq_servecost_weights_are_the_stored_bytes(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    stored, _ = gptq_repo(hub)
    code, out, err = run_cli(capsys, "servecost", "acme/llama-1b-gptq", "h100", "int4", "--json")
    assert code == 0, err
    document = json.loads(out)
    (weights_line,) = [line for line in document["assumptions"] if line.startswith("Weights ")]
    assert weights_line.startswith(
        f"Weights {format_bytes(stored)} in int4 (the checkpoint's exact stored bytes, scales and zero points included)"
    )


def test_mxfp4_checkpoint_counts_two_values_per_byte(hub: FakeHub) -> None:
    tensors, config, params = gpt_oss_checkpoint()
    files: dict[str, VirtualFile] = {}
    add_checkpoint(files, [tensors], config)
    hub.add(FakeRepo("acme/gpt-oss-tiny", files))
    client = HubClient(endpoint=hub.url, timeout=5)
    model = client.fetch(HubRef("acme/gpt-oss-tiny"))
    assert model.checkpoint.params == params
    assert model.checkpoint.quantization == "mxfp4"
    assert model.checkpoint.precision is not None
    assert model.checkpoint.precision.value == "fp4"
    assert model.arch is not None
    assert model.arch.is_moe
    # router biases and attention sinks are not in ModelArch: within 0.1% of the checkpoint
    assert abs(model.arch.param_count() - params) / params < 1e-3


def test_bitsandbytes_and_fp8_layouts() -> None:
    nf4 = summarize(
        {
            "w.weight": Tensor("U8", (512, 1)),
            "w.weight.absmax": Tensor("F32", (16,)),
            "w.weight.quant_map": Tensor("F32", (16,)),
            "w.weight.quant_state.bitsandbytes__nf4": Tensor("U8", (100,)),
            "emb.weight": Tensor("BF16", (10, 4)),
        },
        {"quant_method": "bitsandbytes", "load_in_4bit": True},
    )
    assert nf4.params == 1024 + 40
    fp8 = summarize(
        {"w.weight": Tensor("F8_E4M3", (256, 256)), "w.weight_scale_inv": Tensor("F32", (2, 2))},
        {"quant_method": "fp8", "weight_block_size": [128, 128]},
    )
    assert fp8.params == 65536
    assert fp8.stored_bytes == 65536 + 16
    assert fp8.precision is not None
    assert fp8.precision.value == "fp8"


# --- gated models, revisions, faults ---------------------------------------------------------------


def test_gated_model_without_token_says_how_to_set_it(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    repo = preset_repo(hub, "acme/gated", "llama-3.2-1b")
    repo.gated = True
    code, out, err = run_cli(capsys, "fits", "acme/gated")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "gated" in err
    assert "HF_TOKEN" in err


def test_gated_model_with_token_answers(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = preset_repo(hub, "acme/gated", "llama-3.2-1b")
    repo.gated = True
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    document = fits_json(capsys, "acme/gated")
    assert document["params"] == 1_235_814_400  # Llama 3.2 1B, HF safetensors metadata


async def test_gated_with_a_token_lacking_access_is_403(hub: FakeHub) -> None:
    repo = preset_repo(hub, "acme/gated", "llama-3.2-1b")
    repo.gated = True
    client = HubClient(endpoint=hub.url, token="hf_" + "b" * 34, timeout=5)
    with pytest.raises(HubError) as caught:
        await client.lookup(HubRef("acme/gated"))
    assert caught.value.reason == "gated"
    assert "no access" in caught.value.message


def test_revision_is_read_and_reported(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    repo = preset_repo(hub, "acme/copy", "llama-3.2-1b")
    repo.revisions = ("main", "v1.0")
    document = fits_json(capsys, "acme/copy@v1.0")
    assert document["source"]["revision"] == "v1.0"  # type: ignore[index]
    assert ("GET", "/api/models/acme/copy/revision/v1.0") in hub.requests
    code, _, err = run_cli(capsys, "fits", "acme/copy@nope")
    assert code == 2
    assert "no revision `nope`" in err


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "no model `acme/missing` on the Hub"),
        ("status500", "the Hub answered HTTP 500"),
        ("truncated", "unreadable safetensors header"),
        ("garbage_header", "unreadable safetensors header"),
        ("bad_config", "config.json is not valid JSON"),
        ("no_weights", "has no safetensors weights"),
    ],
)
def test_failures_are_one_line(hub: FakeHub, capsys: pytest.CaptureFixture[str], setup: str, expected: str) -> None:
    if setup != "missing":
        repo = preset_repo(hub, "acme/missing", "llama-3.2-1b")
        if setup == "status500":
            repo.status = 500
        elif setup == "truncated":  # the header claims 1 MB, the file ends after 100 bytes
            repo.files["model.safetensors"] = VirtualFile.of((1_000_000).to_bytes(8, "little") + b"{" * 92)
        elif setup == "garbage_header":
            repo.files["model.safetensors"] = VirtualFile.of((16).to_bytes(8, "little") + b"not json at all!")
        elif setup == "bad_config":
            repo.files["config.json"] = VirtualFile.of(b'{"model_type": "llama", ')
        else:
            del repo.files["model.safetensors"]
    code, out, err = run_cli(capsys, "fits", "acme/missing")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert expected in err


async def test_slow_hub_times_out_within_the_bound(hub: FakeHub) -> None:
    repo = preset_repo(hub, "acme/slow", "llama-3.2-1b")
    repo.delay = 2.0
    client = HubClient(endpoint=hub.url, timeout=0.3)
    with pytest.raises(HubError) as caught:
        await prepare("fits", "acme/slow", CATALOG, client)
    assert caught.value.reason == "timeout"
    assert "timed out" in caught.value.message


def test_unknown_architecture_falls_back_to_the_count(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    repo = preset_repo(hub, "acme/novel", "llama-3.2-1b")
    repo.files["config.json"] = VirtualFile.of(json.dumps({"model_type": "brand_new", "hidden_size": 8}).encode())
    document = fits_json(capsys, "acme/novel")
    assert document["params"] == 1_235_814_400
    assert document["model"] is None  # a bare count: the assumed shape
    assert "does not know this architecture" in document["source"]["notes"][0]  # type: ignore[index]


async def test_cache_answers_repeats_until_the_ttl(hub: FakeHub) -> None:
    preset_repo(hub, "acme/copy", "llama-3.2-1b")
    now = [0.0]
    client = HubClient(endpoint=hub.url, timeout=5, ttl=60, clock=lambda: now[0])
    first, cached = await client.lookup(HubRef("acme/copy"))
    assert not cached
    seen = len(hub.requests)
    again, cached = await client.lookup(HubRef("ACME/copy"))
    assert cached
    assert again is first
    assert len(hub.requests) == seen
    now[0] = 61.0
    _, cached = await client.lookup(HubRef("acme/copy"))
    assert not cached
    assert len(hub.requests) > seen


def test_unresolved_hub_word_is_one_line_in_the_estimator() -> None:
    from estimator.commands import UsageError

    with pytest.raises(UsageError) as caught:
        execute("fits", "acme/copy", catalog=CATALOG, defaults=Defaults())
    assert "Hugging Face Hub model" in caught.value.message
