"""Terminal rendering of Block Kit: every golden answer reads as plain text with its key numbers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.render.blocks import render_error, render_reply, render_shared
from bot.render.home import home_view
from bot.render.text import blocks_to_text, mrkdwn_to_text
from estimator.commands import UsageError, execute
from estimator.defaults import Defaults
from tests.golden.cases import CASES, catalog, details_message, reply, slack_message, terminal_text

ANSI = re.compile(r"\x1b\[\d+m")

# What a reader must find in what napkin prints for each golden case (pinned catalog, built-in defaults).
KEY_FIGURES: dict[str, tuple[str, ...]] = {
    "traincost_405b_15t_a100": (
        "3.65e25 FLOP = 6 × 405B params × 15T tokens",  # 6 × 405e9 × 15e12 = 3.645e25 (Kaplan et al. 2020)
        "GPU-hours: 81.1M",  # 3.645e25 / (312e12 A100 bf16 dense × 0.40 MFU) / 3600 = 8.113e7
        "312 TFLOP/s bf16 peak × 40% MFU = 124.8 TFLOP/s per GPU",  # 312 × 0.40
        "Cost: $146M",  # 8.113e7 × $1.80 (pinned catalog price) = 1.46e8
        "at $1.80/GPU-h",
        "Wall-clock: 30 days on 112,688 GPUs",  # 8.113e7 h / 720 h = 112,680, up to whole 8-GPU nodes
        "Energy: 38.9 GWh",  # 8.113e7 h × 400 W × PUE 1.2 = 3.894e10 Wh
        "15.6k t CO₂e",  # 3.894e7 kWh × 0.4 kg/kWh
        "▸ a100-80gb-sxm",
        "Formula: C = 6 × 405B × 15T = 3.65e25 FLOP",
    ),
    "fits_20b_h100": (
        "85.5 GB (79.6 GiB) visible per GPU, 84.5 GB usable",  # 85.5e9 B / 2**30 = 79.6 GiB; − 1 GB context
        "Weights: 20B params × 2 bytes (bf16) = 40.0 GB",
        "✅ Inference bf16: 1 GPU, 45.7 GB (42.5 GiB) per GPU ≈ $2.99/h",  # 1 × $2.99 (pinned H100 price)
        "🟡 Full training bf16: 5 GPUs (4 more than one GPU), 75.1 GB (69.9 GiB) per GPU ≈ $15/h",  # 5 × $2.99 = $14.95
        "= 16 bytes/param",  # 2 + 2 + 12 for mixed-precision AdamW (ZeRO, arXiv 1910.02054 §3.1)
        "ZeRO-3 over 5 GPUs",
        "▼ usable 84.5 GB",
    ),
    "fits_llama_3_1_70b_h100": (
        "🟡 Inference bf16: 2 GPUs (1 more than one GPU), 79.2 GB (73.7 GiB) per GPU ≈ $5.98/h",  # 2 × $2.99
        "tensor parallel over 2 GPUs",
        "Weights: 70.6B params × 2 bytes (bf16) = 141.1 GB",  # 70,553,706,496 × 2 (HF safetensors count)
        "🟡 Full training bf16: 16 GPUs (15 more than one GPU), 79.4 GB (73.9 GiB) per GPU",
        "≈ $48/h",  # 16 × $2.99 = $47.84
        "✅ QLoRA nf4: 1 GPU, 56.6 GB (52.7 GiB) per GPU ≈ $2.99/h",
    ),
    "servecost_llama_3_3_70b_2xh100_fp8": (
        # the serving model's own figures (calibrated in tests/test_serving_reference.py), as rendered
        "llama-3.3-70b fp8 on 2× NVIDIA H100 SXM5 80GB — 53.3 tok/s per user",
        "Cost: $0.44/M output, $0.15/M input at $2.99/GPU-h × 2 GPUs",  # pinned H100 price × 2 GPUs
        "Single stream: 53.3 tok/s per user (ITL 18.8 ms)",  # 1 / 18.8 ms = 53.2 tok/s
        "▸ h100-sxm",
        "Formula: decode step = max(",
    ),
    "gpus": ("* h100-sxm", "989", "$2.99", "65 fp16", "no public price", "default h100-sxm"),
    "gpus_80gb": ("5 of 34 accelerators match “80gb”", "* h100-sxm", "a100-80gb-pcie", "h800"),
    "models": ("llama-3.1-70b", "70.6B", "mixtral-8x7b", "46.7B", "12.9B", "128k", "32k"),
    "error_unknown_gpu": (
        "napkin: didn't recognise `h10O`. Did you mean `h100`?",
        "usage: napkin traincost 13B 1T h100 gpus=256   (all options: help traincost)",
    ),
}


def _slack_blocks(name: str) -> list[dict[str, Any]]:
    return slack_message(name).blocks


def _preformatted(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        element["elements"][0]["text"]
        for block in blocks
        if block["type"] == "rich_text"
        for element in block["elements"]
    ]


def test_every_golden_has_key_figures() -> None:
    assert set(KEY_FIGURES) == set(CASES)


@pytest.mark.parametrize("name", sorted(KEY_FIGURES))
def test_printed_answer_has_its_key_figures(name: str) -> None:
    text = terminal_text(name)
    for figure in KEY_FIGURES[name]:
        assert figure in text
    for markup in ("&amp;", "&lt;", "&gt;", ":white_check_mark:", ":warning:", "\x1b["):
        assert markup not in text
    assert not re.search(r"(^|\s)\*\w", text)  # no *bold* markers left


@pytest.mark.parametrize("name", sorted(set(KEY_FIGURES) - {"error_unknown_gpu"}))
def test_slack_answer_reads_as_plain_text_with_its_tables_verbatim(name: str) -> None:
    message = slack_message(name)
    text = blocks_to_text(message.blocks, message.text)
    for table in _preformatted(message.blocks):
        assert table in text  # monospace tables verbatim
    assert text.splitlines()[0] == mrkdwn_to_text(message.text)  # the first line is the notification
    assert text.endswith("[Share in channel]")
    details = details_message(name)
    assert blocks_to_text(details.blocks, details.text) == terminal_text(name)  # the CLI prints the Details


def test_headers_are_underlined() -> None:
    blocks = home_view(catalog(), Defaults(), execute)["blocks"]
    lines = blocks_to_text(blocks).splitlines()
    headers = [block["text"]["text"] for block in blocks if block["type"] == "header"]
    assert headers  # the App Home tab opens with one
    for title in headers:
        assert lines[lines.index(title) + 1] == "=" * len(title)


@pytest.mark.parametrize("name", sorted(KEY_FIGURES))
def test_color_adds_only_ansi_styling(name: str) -> None:
    for message in (slack_message(name), details_message(name)):
        colored = blocks_to_text(message.blocks, color=True)
        assert ANSI.sub("", colored) == blocks_to_text(message.blocks)


def test_context_is_dimmed_and_the_answer_bold_with_color() -> None:
    colored = blocks_to_text(details_message("traincost_405b_15t_a100").blocks, color=True)
    assert colored.startswith("\x1b[1m405B params × 15T tokens on NVIDIA A100 SXM4 80GB — $146M")
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
    answer = render_reply(reply("traincost", "405B 15T a100"), command_text="405B 15T a100")
    shared = render_shared(answer, user_id="U012AB3CD", command_text=f"/traincost {hostile}")
    assert f"Asked by @U012AB3CD: /traincost {hostile}" in blocks_to_text(shared.blocks)
