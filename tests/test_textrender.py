"""Terminal rendering of Block Kit: every golden answer reads as plain text with its key numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.render.blocks import render_error, render_reply, render_shared
from bot.render.text import blocks_to_text, mrkdwn_to_text
from estimator.commands import UsageError
from tests.golden import samples

GOLDEN_DIR = Path(__file__).parent / "golden"
ANSI = re.compile(r"\x1b\[\d+m")

# What a reader must find in each golden answer printed to a terminal.
KEY_FIGURES: dict[str, tuple[str, ...]] = {
    "traincost_405b_15t_a100": (
        "Compute: 3.65e25 FLOP",  # 6 × 405e9 × 15e12
        "GPU-hours: 81.1M",  # 3.645e25 / (312e12 × 0.4) / 3600
        "Cost: $146M",  # 8.11e7 × $1.80
        "at $1.80/GPU-h (Lambda on-demand, 2026-01)",
        "Wall-clock: 30 days on 112,688 GPUs",
        "Energy: 38.9 GWh",  # 8.11e7 h × 400 W × PUE 1.2
        "15.6k t CO₂e",
        "▸ a100-80gb",
        "Formula: C = 6·N·D FLOPs",
        "[Share in channel]",
    ),
    "fits_20b_h100": (
        "Inference · bf16: ✅ 44.0 GB per GPU on 1 GPU",  # 40 GB of bf16 weights + 10%
        "Full training · bf16: ✅ 57.2 GB per GPU × 8 GPUs",
        "ZeRO-3 over 8 GPUs",
        "▼ usable 79.0 GB",
        "No architecture given: KV cache not counted for inference",
    ),
    "fits_llama_3_1_70b_h100": (
        "Inference · bf16: 🟡 78.3 GB per GPU × 2 GPUs",
        "tensor parallel over 2 GPUs",
        "Full training · bf16: ⚠️ 60.8 GB per GPU × 8 GPUs",
        "+ 846.6 GB offloaded to CPU memory",  # 12 bytes/param × 70.55B
        "CPU memory for offload: 2.0 TB",
    ),
    "gpus": ("* h100-sxm", "989", "$2.99", "65 fp16", "no public price", "Default: h100."),
    "models": ("llama-3.1-70b", "70.6B", "mixtral-8x7b", "12.9B", "128k", "32k"),
    "error_unknown_gpu": (
        "⚠️ unknown GPU h10O",
        "Did you mean h100?",
        "Usage: traincost <params|model> [tokens] [gpu]",
    ),
}


def _golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _preformatted(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        element["elements"][0]["text"]
        for block in blocks
        if block["type"] == "rich_text"
        for element in block["elements"]
    ]


def test_every_golden_has_key_figures() -> None:
    assert set(KEY_FIGURES) == {path.stem for path in GOLDEN_DIR.glob("*.json")}


@pytest.mark.parametrize("name", sorted(KEY_FIGURES))
def test_golden_reads_as_plain_text_with_its_key_figures(name: str) -> None:
    golden = _golden(name)
    text = blocks_to_text(golden["blocks"], golden["text"])
    for figure in KEY_FIGURES[name]:
        assert figure in text
    for markup in ("&amp;", "&lt;", "&gt;", ":white_check_mark:", ":warning:", "\x1b["):
        assert markup not in text
    assert not re.search(r"(^|\s)\*\w", text)  # no *bold* markers left
    for table in _preformatted(golden["blocks"]):
        assert table in text  # monospace tables verbatim


@pytest.mark.parametrize("name", sorted(KEY_FIGURES))
def test_headers_are_underlined(name: str) -> None:
    golden = _golden(name)
    lines = blocks_to_text(golden["blocks"]).splitlines()
    for block in golden["blocks"]:
        if block["type"] == "header":
            title = block["text"]["text"]
            assert lines[lines.index(title) + 1] == "=" * len(title)


@pytest.mark.parametrize("name", sorted(KEY_FIGURES))
def test_color_adds_only_ansi_styling(name: str) -> None:
    golden = _golden(name)
    colored = blocks_to_text(golden["blocks"], color=True)
    if any(block["type"] == "header" for block in golden["blocks"]):
        assert "\x1b[1m" in colored
    assert ANSI.sub("", colored) == blocks_to_text(golden["blocks"])


def test_context_is_dimmed_and_header_bold_with_color() -> None:
    golden = _golden("traincost_405b_15t_a100")
    colored = blocks_to_text(golden["blocks"], color=True)
    assert colored.startswith("\x1b[1mTraining cost:")
    assert "\x1b[2m\x1b[1mFormula:\x1b[0m" in colored


def test_fields_become_label_value_lines_with_indented_details() -> None:
    blocks = [
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Cost*\n$146M\nat $1.80/GPU-h"},
                {"type": "plain_text", "text": "*not a label*"},
            ],
        }
    ]
    assert blocks_to_text(blocks) == "Cost: $146M\n  at $1.80/GPU-h\n*not a label*"


def test_fallback_is_used_when_there_are_no_blocks() -> None:
    assert blocks_to_text([], "*405B* &lt;params&gt;") == "405B <params>"
    assert blocks_to_text([{"type": "unknown"}], "fallback") == "fallback"


def test_other_block_types_render_readably() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "markdown", "text": "**md** stays as written"},
        {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "chart"},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "pick"},
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go"},
        },
        {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "see "}]},
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "link", "url": "https://x.test", "text": "two"}],
                        },
                    ],
                },
                {"type": "rich_text_quote", "elements": [{"type": "user", "user_id": "U1"}]},
            ],
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "A"}, "action_id": "a"},
                {"type": "button", "text": {"type": "plain_text", "text": "B"}, "action_id": "b"},
            ],
        },
    ]
    assert blocks_to_text(blocks) == (
        "─" * 40 + "\n\n**md** stays as written\n\n[image: chart]\n\npick\n[Go]\n\nsee \n• one\n• two\n> @U1\n\n[A] [B]"
    )


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("*bold* and _italic_ and ~struck~", "bold and italic and struck"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("`*kept*` verbatim", "*kept* verbatim"),
        ("```\nline  one\n*two*\n```", "line  one\n*two*"),
        ("<https://napkin.test|docs> and <https://napkin.test>", "docs (https://napkin.test) and https://napkin.test"),
        ("<@U024BE7LH> in <#C123|general>, <!here>", "@U024BE7LH in #general, @here"),
        ("&lt;!channel&gt; &amp;lt;", "<!channel> &lt;"),
        (":white_check_mark: :x: :unknown:", "✅ ❌ :unknown:"),
    ],
)
def test_mrkdwn_to_text(mrkdwn: str, plain: str) -> None:
    assert mrkdwn_to_text(mrkdwn) == plain


def test_hostile_user_text_is_printed_literally() -> None:
    hostile = "<!channel> & <@U024BE7LH>"
    error = render_error(UsageError(f"couldn't read `{hostile}`", "fits <params|model>"))
    assert f"couldn't read {hostile}" in blocks_to_text(error.blocks)
    answer = render_reply(samples.traincost_405b_15t_a100(), command_text="405B 15T a100")
    shared = render_shared(answer, user_id="U012AB3CD", command_text=f"/traincost {hostile}")
    assert f"Asked by @U012AB3CD: /traincost {hostile}" in blocks_to_text(shared.blocks)
