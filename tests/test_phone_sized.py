"""Answers fit a phone, across a broad set of real requests (issue #10, "Answers").

For every model preset × a few GPUs × every fits mode, traincost and servecost, plus a range of
parameter counts, the listings (every filter, every page), help and errors: the Slack answer's
notification text is its first line and at most 150 characters, every monospace line in the answer
and in its Details is at most 60 columns, and every block parses with slack_sdk's models. The
150-character and 60-column limits are the issue's; Slack's own limits are checked by
``tests.test_blocks.slack_limit_violations``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.render.blocks import SlackMessage
from bot.render.text import mrkdwn_to_text
from bot.slack.answers import Answerer
from config.catalogs import cached_catalog
from estimator.defaults import Defaults
from tests.test_blocks import slack_limit_violations

NOTIFICATION_CHARS = 150
MONOSPACE_COLUMNS = 60
CATALOG = cached_catalog(None)
ANSWERER = Answerer(CATALOG, Defaults())
GPUS = ("h100", "a100-40gb-sxm", "rtx-4090", "mi300x", "m3-ultra")  # datacentre, small, consumer, AMD, Apple
FITS_MODES = ("", "inference", "train", "lora", "qlora")


def monospace_lines(message: SlackMessage) -> Iterator[str]:
    for block in message.blocks:
        if block["type"] == "rich_text":
            for element in block["elements"]:
                if element["type"] == "rich_text_preformatted":
                    for piece in element["elements"]:
                        yield from str(piece["text"]).splitlines()


def check(message: SlackMessage, *, answer: bool) -> None:
    """The phone-sized rules; ``answer`` (not an error) also has its notification as its first line."""
    assert 0 < len(message.text) <= NOTIFICATION_CHARS, message.text
    if answer:
        first_line = message.blocks[0]["text"]["text"].splitlines()[0]
        assert mrkdwn_to_text(first_line) == mrkdwn_to_text(message.text), (first_line, message.text)
    wide = [line for line in monospace_lines(message) if len(line) > MONOSPACE_COLUMNS]
    assert wide == [], wide
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block
    assert slack_limit_violations(message) == []


def check_request(slash: str, text: str) -> str:
    """Check ``/slash text`` as Slack shows it, and its Details; the outcome."""
    answer = ANSWERER.slash(slash, text)
    check(answer.message, answer=answer.outcome == "ok")
    if answer.outcome == "ok":
        value = _details_value(answer.message.blocks)
        if value is not None:
            details = ANSWERER.action(value, user_id=None, detail=True)
            check(details.message, answer=True)
            assert details.message.text == answer.message.text  # the Details are the same answer, in full
    return answer.outcome


def _details_value(blocks: list[dict[str, Any]]) -> str | None:
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == "napkin_details":
                return str(element["value"])
    return None


@pytest.mark.parametrize("model", sorted(CATALOG.models))
def test_every_preset_on_a_few_gpus_in_every_mode(model: str) -> None:
    outcomes: list[str] = []
    for gpu in GPUS:
        outcomes.extend(check_request("fits", f"{model} {gpu} {mode}".strip()) for mode in FITS_MODES)
        outcomes.append(check_request("traincost", f"{model} {gpu}"))
        outcomes.append(check_request("servecost", f"{model} {gpu}"))
    assert outcomes.count("ok") >= len(GPUS) * (len(FITS_MODES) + 1)  # fits and servecost answer every device


@pytest.mark.parametrize(
    "text",
    ["1B", "7B h100 gpus=8", "70B a100 gpus=3 train", "405B 15T h100 gpus=16384", "1.8T 20T b200", "350M 4090 qlora"],
)
def test_parameter_counts_from_tiny_to_huge(text: str) -> None:
    for command in ("fits", "traincost", "servecost"):
        check_request(command, text)


def test_every_page_and_filter_of_the_listings() -> None:
    pages = -(-len(CATALOG.accelerators) // 15)
    for page in range(1, pages + 1):
        assert check_request("gpus", f"page={page}") == "ok"
    for text in ("80gb", "80gb+", "amd", "mi300x", "under $2", "nvidia under $1", "under 1gb"):
        assert check_request("gpus", text) == "ok"
    for text in ("", "llama", "moe", "dense", "qwen page=2"):
        assert check_request("napkin", f"models {text}".strip()) == "ok"


@pytest.mark.parametrize(
    ("slash", "text"),
    [
        ("napkin", ""),
        ("napkin", "help traincost"),
        ("napkin", "help fits"),
        ("napkin", "help servecost"),
        ("napkin", "help gpus"),
        ("napkin", "help models"),
        ("traincost", "help"),
    ],
)
def test_help(slash: str, text: str) -> None:
    assert check_request(slash, text) == "ok"


@pytest.mark.parametrize(
    ("slash", "text"),
    [
        ("traincost", "405B 15T h10O"),
        ("fits", "llama-9000"),
        ("fits", "20B h100 zero=7"),
        ("servecost", "70B out=abc"),
        ("gpus", "h10"),
        ("napkin", "trainkost 70B"),
        ("fits", "x" * 2000),
        ("traincost", "7B 1T m2-max"),
        ("fits", "<!channel> " * 30),
    ],
)
def test_errors(slash: str, text: str) -> None:
    assert check_request(slash, text) == "usage_error"
