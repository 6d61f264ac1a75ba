"""Block Kit rendering: golden answers, Slack's limits, the share button, escaping of user text.

The goldens themselves are checked in tests/test_goldens.py; here the same real answers (and a few
more, all from ``execute()`` over the pinned catalog) are checked against Slack's limits and the results.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.render.bars import EIGHTHS, FULL
from bot.render.blocks import (
    SHARE_ACTION_ID,
    SlackMessage,
    escape_mrkdwn,
    inline_code,
    parse_share_value,
    render_error,
    render_reply,
    render_shared,
    share_value,
)
from bot.render.text import mrkdwn_to_text
from estimator.commands import GpuListing, HelpTopic, Reply, UsageError
from estimator.results import FitsResult, GpuCostRow, TrainCostResult
from tests.golden.cases import CASES, catalog, reply, slack_message

USER = "U012AB3CD"

GOLDEN_CASES: dict[str, Callable[[], SlackMessage]] = {name: functools.partial(slack_message, name) for name in CASES}
NO_PRICE = ("traincost", "mixtral-8x7b b300 gpus=64 share")
DOES_NOT_FIT = ("fits", "llama-3.1-70b h100 gpus=8 train")

OTHER_CASES: dict[str, Callable[[], SlackMessage]] = {
    "traincost shared by flag": lambda: render_reply(reply(*NO_PRICE), command_text=NO_PRICE[1], user_id=USER),
    "traincost shared by button": lambda: render_shared(
        GOLDEN_CASES["traincost_405b_15t_a100"](), user_id=USER, command_text="/traincost 405B 15T a100"
    ),
    "fits does not fit": lambda: render_reply(reply(*DOES_NOT_FIT), command_text=DOES_NOT_FIT[1]),
    "fits 405B on a 4090": lambda: render_reply(reply("fits", "405B rtx-4090"), command_text="405B rtx-4090"),
    "help": lambda: render_reply(reply("help", "traincost"), command_text="help"),
}
ALL_CASES = {**GOLDEN_CASES, **OTHER_CASES}


# --- helpers -----------------------------------------------------------------------------------


def slack_limit_violations(message: SlackMessage) -> list[str]:
    """Every way ``message`` breaks a Slack limit, checked independently of bot.render.blocks' constants.

    slack_sdk's models check header/section/context sizes on ``to_dict()``; the block count,
    field length and fallback text are not checked there, so they are checked here.
    """
    problems: list[str] = []
    if not 0 < len(message.text) <= 4000:
        problems.append(f"fallback text has {len(message.text)} chars")
    if not 0 < len(message.blocks) <= 50:
        problems.append(f"{len(message.blocks)} blocks")
    for block in message.blocks:
        parsed = Block.parse(block)
        if parsed is None or parsed.to_dict() != block:
            problems.append(f"does not round-trip through slack_sdk: {block}")
        kind = block["type"]
        if kind == "header" and (block["text"]["type"] != "plain_text" or len(block["text"]["text"]) > 150):
            problems.append("header")
        if kind == "section":
            fields = block.get("fields", [])
            if "text" not in block and not fields:
                problems.append("empty section")
            if "text" in block and len(block["text"]["text"]) > 3000:
                problems.append("section text over 3000")
            if len(fields) > 10 or any(len(f["text"]) > 2000 for f in fields):
                problems.append("fields over 10 or over 2000 chars")
        if kind == "context":
            elements = block["elements"]
            if not 0 < len(elements) <= 10 or any(len(e["text"]) > 3000 for e in elements):
                problems.append("context elements")
        if kind == "actions":
            for element in block["elements"]:
                if len(element["value"]) > 2000 or len(element["text"]["text"]) > 75:
                    problems.append("button value or label too long")
        if kind == "rich_text":
            for text in _strings(block):
                if not text or len(text) > 3000:
                    problems.append(f"preformatted text of {len(text)} chars")
    return problems


def _strings(node: Any) -> Iterator[str]:
    """Every displayed string: values of "text" keys (never a button's data ``value``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _mrkdwn_strings(message: SlackMessage) -> list[str]:
    """The fallback and every mrkdwn text object: the strings Slack parses for mentions and links."""
    found = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks)
    return found


_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def assert_no_injection(message: SlackMessage, allowed_mention: str | None = None) -> None:
    """No user text can ping, link or mention: no raw ``<``/``>`` in parsed text but our own mention."""
    for parsed in _mrkdwn_strings(message):
        text = parsed.replace(allowed_mention, "") if allowed_mention else parsed
        assert "<" not in text, text
        assert ">" not in text, text
        assert not _BARE_AMPERSAND.search(text), text
    for text in _strings(message.blocks):
        for control in ("<!", "<#", "<http"):
            assert control not in text
        assert "<@" not in text.replace(allowed_mention or "<@", "")


def _preformatted_text(message: SlackMessage, index: int = 0) -> str:
    texts = [
        element["elements"][0]["text"]
        for block in message.blocks
        if block["type"] == "rich_text"
        for element in block["elements"]
    ]
    return str(texts[index])


def _all_preformatted(message: SlackMessage) -> list[str]:
    return [
        element["elements"][0]["text"]
        for block in message.blocks
        if block["type"] == "rich_text"
        for element in block["elements"]
    ]


def _details(command: str, text: str) -> SlackMessage:
    """The Details button's answer: the full working of ``command text`` over the pinned catalog."""
    return render_reply(reply(command, text), command_text=text, detail=True)


def _share_buttons(message: SlackMessage) -> list[dict[str, Any]]:
    return [
        element
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == SHARE_ACTION_ID
    ]


# --- goldens and limits ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_rendered_messages_are_within_slack_limits(name: str) -> None:
    assert slack_limit_violations(ALL_CASES[name]()) == []


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_rendered_messages_escape_their_text(name: str) -> None:
    assert_no_injection(ALL_CASES[name](), allowed_mention=f"<@{USER}>")


def test_blocks_and_textrender_import_no_slack_or_aiohttp() -> None:
    code = (
        "import sys, bot.render.blocks, bot.render.text; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'slack_sdk', 'slack_bolt', 'aiohttp'}]; "
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# --- traincost ---------------------------------------------------------------------------------


def test_traincost_answer_is_its_first_line_then_the_working_on_request() -> None:
    message = GOLDEN_CASES["traincost_405b_15t_a100"]()
    # 6 × 405e9 × 15e12 = 3.645e25 FLOPs; / (312e12 × 0.4) / 3600 = 8.11e7 GPU-hours; × $1.80 = $146M;
    # 8.11e7 h / (30 × 24 h) = 112,680 GPUs, rounded up to whole 8-GPU nodes
    headline = "405B params × 15T tokens on NVIDIA A100 SXM4 80GB — $146M · 81.1M GPU-hours · 30 days on 112,688 GPUs"
    assert message.text == headline
    summary = message.blocks[0]["text"]["text"].splitlines()
    assert summary == [
        f"*{headline}*",
        "3.65e25 FLOP = 6 × 405B params × 15T tokens",
        "312 TFLOP/s bf16 peak × 40% MFU = 124.8 TFLOP/s per GPU",
    ]
    assert [b["type"] for b in message.blocks] == ["section", "context", "actions"]
    assert message.blocks[1]["elements"][0]["text"].startswith("$1.80/GPU-h · cluster sized to the default deadline")
    buttons = [(e["text"]["text"], e["action_id"]) for e in message.blocks[2]["elements"]]
    assert buttons == [("Details", "napkin_details"), ("Share in channel", SHARE_ACTION_ID)]
    assert json.dumps(message.text).count("NVIDIA A100") == 1  # the GPU's full name once


def test_traincost_details_show_the_key_figures_in_fields() -> None:
    message = _details("traincost", "405B 15T a100")
    fields = " ".join(f["text"] for f in message.blocks[1]["fields"])
    for figure in ("81.1M", "$146M", "$1.80/GPU-h", "30 days on 112,688 GPUs", "38.9 GWh", "15.6k t CO₂e"):
        assert figure in fields
    assert "Lambda 8x A100 80GB SXM4 1.79 per GPU" in fields  # the pinned catalog's price source
    assert message.text == GOLDEN_CASES["traincost_405b_15t_a100"]().text  # the same answer, in full
    assert not any(b["type"] == "actions" for b in message.blocks)


def test_traincost_comparison_is_cheapest_first_with_proportional_bars() -> None:
    table = _preformatted_text(_details("traincost", "405B 15T a100"))
    rows = [line for line in table.splitlines() if "$" in line]
    assert len(rows) == 8
    costs = [_cost(row[2:].split()[0]) for row in rows]
    assert costs == sorted(costs)
    assert min(costs) > 0
    widest = max(_bar_eighths(row) for row in rows)
    assert widest == 12 * 8  # the dearest row shown fills the 12-cell bar
    for row, cost in zip(rows, costs, strict=True):
        # bar length ∝ cost, to the nearest eighth of a cell (the dearest shown is A100's)
        assert _bar_eighths(row) == pytest.approx(cost / max(costs) * 96, abs=0.5)
    assert rows[-1].startswith("▸ a100-80gb-sxm")
    answer = reply("traincost", "405B 15T a100")
    assert isinstance(answer.result, TrainCostResult)
    left_out = sum(1 for row in answer.result.comparison if row.unsuitable)
    assert left_out == 2  # the two GeForce cards in the pinned catalog (rtx-4090, rtx-3090)
    assert f"… {len(catalog().accelerators) - 8 - left_out} more" in table


def _cost(gpu: str) -> float:
    """The cost ``traincost 405B 15T <gpu>`` computes on its own."""
    result = reply("traincost", f"405B 15T {gpu}").result
    assert isinstance(result, TrainCostResult)
    assert result.cost_usd is not None
    return result.cost_usd


def _bar_eighths(line: str) -> int:
    cells = "".join(c for c in line if c == FULL or c in EIGHTHS[1:])
    return 8 * cells.count(FULL) + sum(EIGHTHS.index(c) for c in cells if c != FULL)


def test_traincost_comparison_keeps_the_chosen_gpu_when_it_is_not_among_the_cheapest() -> None:
    answer = reply("traincost", "405B 15T v100-32gb")
    table = _preformatted_text(render_reply(answer, command_text="405B 15T v100-32gb", detail=True))
    rows = [line for line in table.splitlines() if "$" in line or "no price" in line]
    assert len(rows) == 8
    assert rows[-1].startswith("▸ v100-32gb")
    answer = reply("traincost", "405B 15T a100")
    assert isinstance(answer.result, TrainCostResult)
    left_out = sum(1 for row in answer.result.comparison if row.unsuitable)
    assert left_out == 2  # the two GeForce cards in the pinned catalog (rtx-4090, rtx-3090)
    assert f"… {len(catalog().accelerators) - 8 - left_out} more" in table


def test_traincost_without_price_says_how_to_give_one() -> None:
    message = OTHER_CASES["traincost shared by flag"]()
    assert "cost unknown (no price)" in message.text
    assert "$" not in message.text
    summary = message.blocks[0]["text"]["text"]
    assert "12.9B active params" in summary  # MoE: FLOPs use the active parameters
    assert "tokens assumed: 20 per param" in summary
    assert "no catalog price: add `price=`" in message.blocks[1]["elements"][0]["text"]
    details = render_reply(reply(*NO_PRICE), command_text=NO_PRICE[1], detail=True)
    fields = " ".join(f["text"] for f in details.blocks[1]["fields"])
    assert "unknown: no catalog price" in fields
    assert "price=2.5" in fields


def test_traincost_lists_formula_and_every_assumption_in_context() -> None:
    answer = reply("traincost", "405B 15T a100")
    assert isinstance(answer.result, TrainCostResult)
    message = render_reply(answer, command_text="405B 15T a100", detail=True)
    context = "\n".join(e["text"] for b in message.blocks if b["type"] == "context" for e in b["elements"])
    assert escape_mrkdwn(answer.result.formula) in context
    for assumption in answer.result.assumptions:
        assert escape_mrkdwn(assumption) in context


# --- fits --------------------------------------------------------------------------------------


def test_fits_answer_is_one_line_per_scenario_under_the_headline() -> None:
    result = reply(*CASES["fits_llama_3_1_70b_h100"].command_and_text).result
    assert isinstance(result, FitsResult)
    message = GOLDEN_CASES["fits_llama_3_1_70b_h100"]()
    headline, *lines = message.blocks[0]["text"]["text"].splitlines()
    # 2 × $2.99 (pinned H100 price) = $5.98/h; 16 × $2.99 = $47.84 ≈ $48/h
    assert message.text == (
        "llama-3.1-70b on NVIDIA H100 SXM5 80GB — serve 🟡 2 GPUs ≈ $5.98/h · full fine-tune 🟡 16 GPUs ≈ $48/h · "
        "LoRA 🟡 2 GPUs ≈ $5.98/h · QLoRA ✅ 1"
    )
    long = render_reply(reply("fits", "405B rtx-4090"), command_text="405B rtx-4090").text
    assert long.startswith("405B on NVIDIA GeForce RTX 4090 24GB — serve 🟡 40 GPUs ≈ $24/h · full fine-tune 🟡 336 ≈ ")
    assert len(long) <= 150  # later counts drop their unit rather than the line losing a scenario
    assert "QLoRA" in long
    assert headline == f"*{message.text}*"
    assert len(lines) == len(result.scenarios) == 6
    assert (
        lines[0]
        == ":large_yellow_circle: *Inference bf16*: 2 GPUs (1 more than one GPU), 79.2 GB (73.7 GiB) per GPU ≈ $5.98/h"
    )
    assert lines[1].startswith(
        ":large_yellow_circle: *Inference fp8*: 1 GPU, 82.7 GB (77.0 GiB) per GPU (98% of usable: tight)"
    )
    assert lines[2] == ":white_check_mark: *Inference int4*: 1 GPU, 45.1 GB (42.0 GiB) per GPU ≈ $2.99/h"
    assert [b["type"] for b in message.blocks] == ["section", "context", "actions"]
    buttons = [e["text"]["text"] for e in message.blocks[2]["elements"]]
    assert buttons == ["Details", "Cost to train / fine-tune this", "Share in channel"]
    details = render_reply(Reply("fits", result), command_text="llama-3.1-70b h100", detail=True)
    context = " ".join(e["text"] for b in details.blocks if b["type"] == "context" for e in b["elements"])
    for scenario in result.scenarios:
        assert escape_mrkdwn(scenario.verdict_text) in context


def test_fits_cost_button_asks_traincost_for_the_model_gpu_and_full_training_gpus() -> None:
    message = GOLDEN_CASES["fits_llama_3_1_70b_h100"]()
    [cost] = [
        e for b in message.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "napkin_cost"
    ]
    assert parse_share_value(cost["value"]) == ("traincost", "llama-3.1-70b h100-sxm gpus=16")
    bare = render_reply(reply("fits", "20B a100 inference"), command_text="20B a100 inference")
    [cost] = [
        e for b in bare.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "napkin_cost"
    ]
    assert parse_share_value(cost["value"]) == ("traincost", "20B a100-80gb-sxm")  # no training scenario asked


def _bars(message: SlackMessage) -> list[str]:
    block = next(text for text in _all_preformatted(message) if "▼ usable" in text)
    return block.splitlines()


def test_fits_bars_share_one_scale_and_mark_usable_memory_in_one_column() -> None:
    for name in ("fits_20b_h100", "fits_llama_3_1_70b_h100"):
        lines = _bars(_details(*CASES[name].command_and_text))
        axis = next(line for line in lines if "▼ usable 84.5 GB" in line)  # H100: 85.5 GB visible − 1 GB context
        bars = [line for line in lines if "│" in line and "usable" not in line]
        assert bars
        assert {line.index("│") for line in bars} == {axis.index("▼")}


def test_fits_bar_lengths_follow_per_gpu_memory() -> None:
    answer = reply("fits", "20B h100")
    assert isinstance(answer.result, FitsResult)
    lines = _bars(render_reply(answer, command_text="20B", detail=True))
    # a scenario is drawn at its fewest-GPU plan when it has one
    shown = [s.plan.per_gpu_bytes if s.plan else s.per_gpu_bytes for s in answer.result.scenarios]
    scale = max(answer.result.usable_gpu_memory_bytes, *shown)
    for per_gpu in shown:
        line = next(line for line in lines if "│" in line and line.endswith(f"{per_gpu / 1e9:.1f} GB"))
        filled = sum(line.count(fill) for fill in "█▓▒░▚·")
        assert filled == pytest.approx(per_gpu / scale * 30, abs=1), line


def test_fits_does_not_fit_draws_past_the_capacity_marker() -> None:
    message = OTHER_CASES["fits does not fit"]()
    assert message.blocks[0]["text"]["text"].splitlines()[1].startswith(":x: *Full training bf16*: ")
    assert "full fine-tune ❌" in message.text
    bar_line = next(line for line in _bars(_details(*DOES_NOT_FIT)) if line.endswith("156.4 GB"))
    assert bar_line.index("█") < bar_line.index("│") < bar_line.rindex("▒")  # the bar runs past the marker


def test_fits_with_many_scenarios_keeps_ten_lines_and_every_table_column() -> None:
    answer = reply("fits", "20B h100")
    assert isinstance(answer.result, FitsResult)
    many = answer.result.model_copy(update={"scenarios": answer.result.scenarios * 3})
    message = render_reply(Reply("fits", many), command_text="20B")
    assert slack_limit_violations(message) == []
    assert len(message.blocks[0]["text"]["text"].splitlines()) == 1 + 10  # the headline, then ten scenarios
    details = render_reply(Reply("fits", many), command_text="20B", detail=True)
    assert slack_limit_violations(details) == []
    table = "\n".join(_all_preformatted(details))
    header_cells = [line.split() for line in table.splitlines() if line.startswith("GB/GPU")]
    assert sum(len(cells) - 1 for cells in header_cells) == 18  # one column per scenario, five to a table
    assert table.count("QLoRA nf4 ") == 3  # one bar per scenario


# --- listings, help, errors --------------------------------------------------------------------


def test_gpu_listing_marks_the_default_by_alias_and_shows_fp16_for_chips_without_bf16() -> None:
    details = _details("gpus", "")
    table = _preformatted_text(details)
    rows = {line.split()[1] if line.startswith("*") else line.split()[0]: line for line in table.splitlines()}
    assert rows["h100-sxm"].startswith("* h100-sxm")
    assert rows["a100-80gb-sxm"].startswith("  a100-80gb-sxm")
    assert "65 fp16" in rows["t4"]
    assert "$2.99" in rows["h100-sxm"]
    assert rows["v100-pcie"].endswith("–")
    context = " ".join(e["text"] for b in details.blocks if b["type"] == "context" for e in b["elements"])
    v100 = catalog().accelerators["v100-pcie"]
    assert f"• v100-pcie: {v100.name}, {v100.memory_label}; no public price" in context
    assert len(rows) - 2 == len(catalog().accelerators)  # every row in the details (header and key aside)


def test_gpu_listing_pages_fifteen_rows_with_a_button_for_the_next() -> None:
    total = len(catalog().accelerators)
    pages = -(-total // 15)
    message = GOLDEN_CASES["gpus"]()
    assert message.text == f"{total} accelerators · default h100-sxm · page 1 of {pages}"
    rows = [line for line in _preformatted_text(message).splitlines()[1:] if not line.startswith("* default")]
    assert len(rows) == 15
    [page] = [
        e for b in message.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "napkin_page"
    ]
    assert (page["text"]["text"], parse_share_value(page["value"])) == ("Page 2", ("gpus", "page=2"))
    last = render_reply(reply("gpus", f"page={pages}"), command_text=f"page={pages}")
    assert last.text.endswith(f"page {pages} of {pages}")
    assert "napkin_page" not in json.dumps(last.blocks)  # the last page has no next


def test_model_listing_uses_official_counts() -> None:
    table = _preformatted_text(GOLDEN_CASES["models"]())
    assert re.search(r"llama-3\.1-70b\s+70\.6B\s+all\s+80\s+128k", table)
    assert re.search(r"mixtral-8x7b\s+46\.7B\s+12\.9B\s+32\s+32k", table)


def test_help_is_shown_under_a_title_without_buttons() -> None:
    answer = reply("help", "traincost")
    assert isinstance(answer.result, HelpTopic)
    message = render_reply(answer, command_text="help")
    title = "napkin help: traincost — compute, GPU-hours, wall-clock, cost and energy of a training run"
    assert (message.text, message.blocks[0]["text"]["text"]) == (title, f"*{title}*")
    shown = _preformatted_text(message)
    assert shown.split() == answer.result.text.split()  # every word, the long usage line wrapped to 60 columns
    assert max(len(line) for line in shown.splitlines()) <= 60
    assert not any(b["type"] == "actions" for b in message.blocks)
    overview = reply("help", "")
    assert isinstance(overview.result, HelpTopic)
    first, *rest = overview.result.text.splitlines()
    message = render_reply(overview, command_text="")
    assert message.text == first
    assert _preformatted_text(message) == "\n".join(rest)  # written to fit: shown verbatim


def test_error_shows_message_suggestion_and_usage() -> None:
    message = GOLDEN_CASES["error_unknown_gpu"]()
    assert message.blocks[0]["text"]["text"] == ":warning: didn't recognise `h10O`\nDid you mean `h100`?"
    # a short example, not the whole usage line (issue #10): every option is one `help traincost` away
    # wrapped to the 60-column phone width
    assert _preformatted_text(message) == "Usage: traincost 13B 1T h100 gpus=256\n    (all options: help traincost)"
    assert message.text.startswith(":warning: didn't recognise")


def test_error_without_suggestion_has_no_question() -> None:
    message = render_error(UsageError("couldn't read `405X` as a parameter count", "fits <params|model>"))
    assert "Did you mean" not in message.blocks[0]["text"]["text"]


# --- share button ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "command"),
    [("traincost_405b_15t_a100", "traincost"), ("fits_20b_h100", "fits"), ("gpus", "gpus"), ("models", "models")],
)
def test_answers_carry_a_share_button_that_names_the_command(name: str, command: str) -> None:
    [button] = _share_buttons(GOLDEN_CASES[name]())
    assert button["text"]["text"] == "Share in channel"
    assert parse_share_value(button["value"])[0] == command


def test_no_share_button_when_not_shareable_or_already_shared() -> None:
    answer = reply("traincost", "405B 15T a100")
    assert _share_buttons(render_reply(answer, command_text="405B", shareable=False)) == []
    shared = Reply(answer.command, answer.result, share=True)
    assert _share_buttons(render_reply(shared, command_text="405B", user_id=USER)) == []


def test_share_button_is_dropped_when_its_value_would_pass_2000_chars() -> None:
    answer = reply("traincost", "405B 15T a100")
    assert _share_buttons(render_reply(answer, command_text="x" * 1980)) == []
    assert len(_share_buttons(render_reply(answer, command_text="x" * 1970))) == 1
    assert share_value("traincost", "é" * 3000) is None


def test_render_shared_drops_the_share_button_keeps_the_others_and_says_who_asked() -> None:
    original = GOLDEN_CASES["fits_20b_h100"]()
    shared = render_shared(original, user_id=USER, command_text="/fits 20B h100")
    assert _share_buttons(shared) == []
    *body, asked, actions = shared.blocks
    assert body == [b for b in original.blocks if b["type"] != "actions"]  # the same compact answer
    assert asked == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Asked by <@{USER}>: `/fits 20B h100`"}],
    }
    assert [e["action_id"] for e in actions["elements"]] == ["napkin_details", "napkin_cost"]  # for anyone
    assert shared.text == original.text


def test_render_shared_never_mentions_a_malformed_user_id() -> None:
    shared = render_shared(GOLDEN_CASES["gpus"](), user_id="!channel", command_text="/gpus")
    assert "Asked by !channel: `/gpus`" in json.dumps(shared.blocks)
    assert_no_injection(shared)


@pytest.mark.parametrize(
    "value", ["", "not json", "[]", '{"c": "rm", "t": ""}', '{"c": "fits"}', '{"c": "fits", "t": 3}']
)
def test_parse_share_value_rejects_what_napkin_did_not_write(value: str) -> None:
    with pytest.raises(ValueError, match="share value"):
        parse_share_value(value)


# --- escaping (property-based) -----------------------------------------------------------------


@given(st.text())
def test_escape_mrkdwn_leaves_no_control_characters_and_round_trips(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert not _BARE_AMPERSAND.search(escaped)
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


@given(st.text())
def test_inline_code_cannot_be_closed_early(text: str) -> None:
    code = inline_code(text)
    if code:
        assert code.startswith("`")
        assert code.endswith("`")
        assert code.count("`") == 2
        assert "\n" not in code
        assert mrkdwn_to_text(code) == " ".join(text.replace("`", "'").split())
    else:
        assert not text.replace("`", "'").strip()


@given(st.text())
def test_user_command_text_never_pings_links_or_mentions(command_text: str) -> None:
    traincost = reply("traincost", "405B 15T a100")
    answer = render_reply(traincost, command_text=command_text)
    assert_no_injection(answer)
    for button in _share_buttons(answer):
        assert parse_share_value(button["value"]) == ("traincost", command_text)
    shared = render_shared(answer, user_id=USER, command_text=f"/traincost {command_text}")
    assert_no_injection(shared, allowed_mention=f"<@{USER}>")
    flagged = render_reply(Reply("traincost", traincost.result, share=True), command_text=command_text, user_id=USER)
    assert_no_injection(flagged, allowed_mention=f"<@{USER}>")
    assert slack_limit_violations(shared) == []


@given(user_id=st.text())
def test_user_id_is_only_ever_a_mention_of_itself(user_id: str) -> None:
    shared = render_shared(GOLDEN_CASES["gpus"](), user_id=user_id, command_text="/gpus")
    assert_no_injection(shared, allowed_mention=f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else None)


@given(message=st.text(), suggestion=st.one_of(st.none(), st.text()))
def test_error_messages_echoing_user_text_are_escaped(message: str, suggestion: str | None) -> None:
    rendered = render_error(UsageError(message, "traincost <params|model> [tokens] [gpu]", suggestion))
    assert_no_injection(rendered)
    assert slack_limit_violations(rendered) == []


@pytest.mark.parametrize("hostile", ["<!channel>", "<!here|here>", "<@U024BE7LH>", "<#C123|general>", "<http://x|y>"])
def test_known_hostile_inputs_are_shown_not_obeyed(hostile: str) -> None:
    error = render_error(UsageError(f"couldn't read `{hostile}`", "fits <params|model>", hostile))
    shared = render_shared(GOLDEN_CASES["gpus"](), user_id=USER, command_text=f"/fits {hostile}")
    for message in (error, shared):
        assert escape_mrkdwn(hostile) in json.dumps(message.blocks, ensure_ascii=False)
        assert_no_injection(message, allowed_mention=f"<@{USER}>")


# --- limits under oversized input --------------------------------------------------------------


def test_oversized_traincost_is_clipped_to_slack_limits() -> None:
    answer = reply("traincost", "405B 15T a100")
    assert isinstance(answer.result, TrainCostResult)
    row = answer.result.comparison[0]
    huge = answer.result.model_copy(
        update={
            "gpu_name": "G" * 400,
            "formula": "F" * 5000,
            "assumptions": [f"assumption {i}: " + "a" * 1900 for i in range(600)],
            "comparison": [row.model_copy(update={"gpu": f"gpu-{i}"}) for i in range(300)],
            "price_source": "S" * 3000,
        }
    )
    message = render_reply(Reply("traincost", huge), command_text="405B 15T a100")
    assert slack_limit_violations(message) == []
    assert len(message.text) == 150  # the headline, clipped to a notification
    assert len(_share_buttons(message)) == 1
    details = render_reply(Reply("traincost", huge), command_text="405B 15T a100", detail=True)
    assert slack_limit_violations(details) == []
    assert len(details.blocks) == 50
    assert details.blocks[-1]["elements"][0]["text"].endswith("more blocks not shown")
    assert "… 292 more (see gpus)" in _preformatted_text(details)


def test_oversized_listing_help_and_error_are_clipped() -> None:
    listing = reply("gpus", "").result
    assert isinstance(listing, GpuListing)
    gpus = tuple(a.model_copy(update={"key": f"gpu-{i}"}) for i in range(120) for a in listing.accelerators[:1])
    big_listing = render_reply(Reply("gpus", GpuListing(gpus, "gpu-0")), command_text="")
    all_rows = render_reply(Reply("gpus", GpuListing(gpus, "gpu-0")), command_text="", detail=True)
    big_help = render_reply(Reply("help", HelpTopic(None, "line of help text\n" * 500)), command_text="")
    big_error = render_error(UsageError("<" * 10_000, "u" * 10_000, "s" * 5000))
    for message in (big_listing, all_rows, big_help, big_error):
        assert slack_limit_violations(message) == []
    assert big_listing.text.endswith("page 1 of 8")  # 120 rows, 15 a page
    assert all(f"gpu-{i} " in "\n".join(_all_preformatted(all_rows)) for i in range(120))
    assert "\n".join(_all_preformatted(big_help)).count("line of help text") == 499  # the first is the headline
    assert big_error.blocks[0]["text"]["text"].endswith("…")
    assert "&l…" not in big_error.blocks[0]["text"]["text"]  # never cut inside an entity
    assert all(len(line) <= 60 for text in _all_preformatted(big_error) for line in text.splitlines())


def test_comparison_rows_without_price_sort_after_priced_rows() -> None:
    answer = reply(*NO_PRICE)
    assert isinstance(answer.result, TrainCostResult)
    unpriced = GpuCostRow(
        gpu="zz-cheap-hours",
        name="Z",
        dtype=answer.result.dtype,
        peak_flops=1e15,
        mfu=answer.result.mfu,
        gpu_hours=1.0,
        price_per_gpu_hour=None,
        cost_usd=None,
        price_source=None,
    )
    result = answer.result.model_copy(update={"comparison": [unpriced, *answer.result.comparison[:3]]})
    table = _preformatted_text(render_reply(Reply("traincost", result), command_text="x", detail=True))
    lines = [line for line in table.splitlines() if line[:1] in {" ", "▸"} and "GPU-hours" not in line]
    assert "zz-cheap-hours" in lines[-1]
    assert "no price" in lines[-1]


def test_comparison_leaves_out_unsuitable_rows_and_names_why() -> None:
    """A row the estimator marked unsuitable is not ranked; one line per reason lists the chips."""
    answer = reply("traincost", "405B 15T a100")
    assert isinstance(answer.result, TrainCostResult)
    rows = answer.result.comparison
    assert rows[0].unsuitable is None
    marked = rows[0].model_copy(update={"unsuitable": "made-up reason (x, 9 GPUs)"})
    result = answer.result.model_copy(update={"comparison": [marked, *rows[1:]]})
    lines = _preformatted_text(render_reply(Reply("traincost", result), command_text="x", detail=True)).splitlines()
    left_out = [line for line in lines if line.startswith("Left out")]
    assert all(marked.gpu not in line for line in lines if line not in left_out)
    assert f"Left out (made-up reason): {marked.gpu}" in left_out
