"""`servecost` through the grammar, the CLI (text and --json) and Block Kit."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.render.blocks import render_reply
from config.catalogs import cached_catalog
from estimator.commands import UsageError, execute
from estimator.defaults import Defaults
from estimator.serving_results import ServeCostResult

CATALOG = cached_catalog(None)
CONTRACT = {
    "model",
    "params",
    "active_params",
    "gpu",
    "num_gpus",
    "dtype",
    "kv_dtype",
    "input_tokens",
    "output_tokens",
    "kv_capacity_tokens",
    "single_stream",
    "max_load",
    "at_batch",
    "price_per_gpu_hour",
    "cost_per_million_output_tokens",
    "cost_per_million_input_tokens",
    "bound",
    "assumptions",
    "comparison",
}


def run(text: str) -> ServeCostResult:
    result = execute("servecost", text, catalog=CATALOG, defaults=Defaults()).result
    assert isinstance(result, ServeCostResult)
    return result


def test_grammar_reads_every_option() -> None:
    r = run("llama-3.3-70b 2xh100 fp8 in=2k out=500 batch=32 kv=fp8 price=2 mbu=0.6 mfu=50% util=0.95")
    assert (r.num_gpus, r.dtype, r.kv_dtype, r.input_tokens, r.output_tokens) == (2, "fp8", "fp8", 2048, 500)
    assert r.at_batch is not None
    assert r.at_batch.concurrent_sequences == 32
    assert (r.price_per_gpu_hour, r.mbu, r.mfu) == (2.0, 0.6, 0.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("70B in=0", "in= (tokens) must be between"),
        ("70B kv=int4", "kv= must be one of"),
        ("70B zero=3", "`zero=` applies to `fits`"),
        ("70B days=3", "`days=` applies to `traincost`"),
        ("70B 2T", "one number too many"),
        ("70B mbu=0", "mbu must be between"),
    ],
)
def test_bad_input_is_one_line(text: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        run(text)
    assert message in err.value.message


def test_cli_text_has_the_headline_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["servecost", "llama-3.3-70b", "2xh100", "fp8", "in=1000", "out=1000"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0].startswith("llama-3.3-70b fp8 on 2× NVIDIA H100 SXM5 80GB — ")
    for part in (" tok/s per user · ", " tok/s at ", " users · $", "/M output"):
        assert part in lines[0]
    assert lines[1].startswith("Alone: ")
    assert any(line.startswith("Formula:") for line in lines)  # the CLI prints the details too


def test_cli_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["servecost", "llama-3.3-70b", "2xh100", "fp8", "batch=8", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= CONTRACT
    assert set(data["single_stream"]) == {"ttft_ms", "itl_ms", "tokens_per_s"}
    for key in ("max_load", "at_batch"):
        assert {"concurrent_sequences", "output_tokens_per_s", "itl_ms", "ttft_ms"} <= set(data[key])
    assert data["bound"] in {"bandwidth", "compute", "kv_capacity"}


def test_cli_bad_input_is_a_usage_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["servecost", "70B", "out=abc"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("napkin: ")
    assert "Traceback" not in err


def test_block_kit_headline_and_limits() -> None:
    reply = execute("servecost", "llama-3.3-70b 2xh100 fp8", catalog=CATALOG, defaults=Defaults())
    message = render_reply(reply, command_text="llama-3.3-70b 2xh100 fp8")
    headline = message.blocks[0]["text"]["text"].splitlines()[0]
    assert headline == f"*{message.text}*"  # the answer's first line is the notification
    assert len(message.text) <= 150
    for part in (" tok/s per user · ", " tok/s at ", "/M output"):
        assert part in message.text
    assert [b["type"] for b in message.blocks] == ["section", "context", "actions"]  # compact: details on request
    buttons = [element["action_id"] for element in message.blocks[-1]["elements"]]
    assert buttons == ["napkin_details", "share_in_channel"]
    detail = render_reply(reply, command_text="llama-3.3-70b 2xh100 fp8", detail=True)
    assert len(detail.blocks) <= 50
    assert any(b["type"] == "rich_text" for b in detail.blocks)  # the catalog comparison table
    assert not any(b["type"] == "actions" for b in detail.blocks)


def test_does_not_fit_renders_the_verdict() -> None:
    reply = execute("servecost", "llama-3.1-405b h100 gpus=2", catalog=CATALOG, defaults=Defaults())
    message = render_reply(reply, command_text="llama-3.1-405b h100 gpus=2")
    assert isinstance(reply.result, ServeCostResult)
    assert reply.result.gpus_needed > 2
    assert message.text.endswith(f"— ❌ does not fit: needs {reply.result.gpus_needed} GPUs")
    body = message.blocks[0]["text"]["text"]
    assert "Does not fit on 2×" in body
    assert "fits needs" in body


def test_an_unpriced_gpu_says_how_to_price_it(capsys: pytest.CaptureFixture[str]) -> None:
    """MI355X has no catalog price: the answer says so and names price=, never "no price output"."""
    assert main(["servecost", "8b", "mi355x"]) == 0
    printed = capsys.readouterr().out
    first, *rest = printed.splitlines()
    assert first.endswith("· no price (add price=)")
    assert "Cost: unknown × 1 GPU: no catalog price; add price= (USD per GPU-hour)" in rest
    assert "no price output" not in printed
    assert main(["servecost", "8b", "mi355x", "price=2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cost_per_million_output_tokens"] > 0


def test_gpt_oss_is_served_in_its_published_precision(capsys: pytest.CaptureFixture[str]) -> None:
    """gpt-oss ships its experts in MXFP4 (OpenAI model card): with no dtype= it is served as stored."""
    assert main(["servecost", "gpt-oss-120b", "h100", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["dtype"], document["num_gpus"]) == ("fp4", 1)
    assert main(["servecost", "gpt-oss-120b", "h100", "dtype=bf16", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dtype"] == "bf16"
