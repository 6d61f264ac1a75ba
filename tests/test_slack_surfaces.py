"""Slack-native surfaces over real HTTP, signed like Slack, against the local Slack stand-in.

The App Home tab published on ``app_home_opened``; a bare command opening its form (``views.open``
with the command's trigger id), the submission answered where it was opened and bad input shown on
its field; the Details, Cost and Page buttons answered; ``/gpus`` filters. Every message and view
napkin sends is checked with slack_sdk's block and view models.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.render.home import home_view
from config.catalogs import cached_catalog
from config.settings import load_settings
from estimator.commands import execute
from estimator.results import FitsResult
from tests.conftest import NapkinHttp, expected_details, expected_message
from tests.slack_standin import (
    CHANNEL_ID,
    USER_ID,
    SlackStandIn,
    block_actions_body,
    event_envelope,
    home_opened_event,
    view_submission_body,
)

FORM = "application/x-www-form-urlencoded"
TRIGGER_ID = "1234.5678.abcdef"  # what slash_form sends


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.napkin_fields for r in caplog.records if r.name == "napkin.request"]  # type: ignore[attr-defined]


async def line_of(caplog: pytest.LogCaptureFixture, kind: str) -> dict[str, Any]:
    """The request line of ``kind``, once the spawned work that writes it has finished."""
    for _ in range(250):
        lines = [line for line in request_lines(caplog) if line["kind"] == kind]
        if lines:
            return lines[-1]
        await asyncio.sleep(0.02)  # the line follows the delivery the test has just seen
    raise AssertionError(f"no {kind} request line")


def assert_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    """Every block parses with slack_sdk's models and writes back unchanged."""
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block


def assert_valid_view(view: dict[str, Any]) -> None:
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view


def button_value(blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def sent_view(call_body: dict[str, Any]) -> dict[str, Any]:
    view = call_body["view"]
    parsed = json.loads(view) if isinstance(view, str) else view
    assert isinstance(parsed, dict)
    return parsed


async def submit(napkin: NapkinHttp, view: dict[str, Any], values: dict[str, str]) -> tuple[int, str]:
    """Submit ``view`` (as napkin opened it) with ``values``: the status and the raw acknowledgement."""
    payload = urllib.parse.urlencode({"payload": json.dumps(view_submission_body(view, values))})
    status, raw, _ = await napkin.post(payload, FORM)
    return status, raw


# --- App Home ------------------------------------------------------------------------------------


async def test_the_home_tab_is_published_when_opened(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert await napkin.event(event_envelope(home_opened_event())) == 200
    (call,) = await standin.wait_calls("views.publish")
    assert call.body["user_id"] == USER_ID
    view = sent_view(call.body)
    assert view == home_view(cached_catalog(None), load_settings({}).defaults(), execute)
    assert_valid_view(view)
    assert call.headers["authorization"].startswith("Bearer xoxb-")
    assert await napkin.event(event_envelope(home_opened_event(tab="messages"))) == 200  # the DM tab: nothing
    await standin.settle()
    assert len(standin.calls("views.publish")) == 1
    assert [(line["kind"], line["outcome"]) for line in request_lines(caplog)] == [("app_home_opened", "published")]


async def test_a_refused_publish_is_one_logged_line(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    standin.refuse("views.publish", "not_enabled")  # the home tab switched off in the app's settings
    assert await napkin.event(event_envelope(home_opened_event())) == 200
    await standin.wait_calls("views.publish")
    await standin.settle()
    assert [line["outcome"] for line in request_lines(caplog)] == ["views_publish_failed:not_enabled"]


# --- the estimate form -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slash", "text", "command"),
    [
        ("/traincost", "", "traincost"),
        ("/fits", "  ", "fits"),
        ("/servecost", "", "servecost"),
        ("/napkin", "fits", "fits"),
    ],
)
async def test_a_bare_command_opens_its_form_with_the_trigger_id(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture, *, slash: str, text: str, command: str
) -> None:
    caplog.set_level(logging.INFO)
    hook = standin.hook_url("commands/T0/10/form")
    status, answer = await napkin.command(slash, text, response_url=hook)
    assert (status, answer) == (200, {"raw": ""})  # an empty acknowledgement: the form is the answer
    (call,) = await standin.wait_calls("views.open")
    assert call.body["trigger_id"] == TRIGGER_ID
    view = sent_view(call.body)
    assert_valid_view(view)
    assert json.loads(view["private_metadata"]) == {"c": command, "ch": CHANNEL_ID, "r": hook}
    await standin.settle()
    assert standin.calls("/hooks/") == []
    assert [(line["kind"], line["outcome"]) for line in request_lines(caplog)] == [("command", "form_opened")]


async def test_a_submitted_form_is_answered_in_the_channel_it_was_opened_from(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    hook = standin.hook_url("commands/T0/11/form")
    await napkin.command("/traincost", "", response_url=hook)
    (opened,) = await standin.wait_calls("views.open")
    values = {"model": "llama 3.1 70b", "tokens": "2T", "gpu": "h100-sxm", "gpus": "1024", "dtype": "bf16"}
    assert await submit(napkin, sent_view(opened.body), values) == (200, "")  # the modal closes
    (posted,) = await standin.wait_calls("/hooks/commands/T0/11/form")
    expected = expected_message("traincost", "llama-3.1-70b 2T h100-sxm gpus=1024 dtype=bf16")
    assert (posted.body["text"], posted.body["blocks"]) == (expected.text, expected.blocks)
    assert posted.body["response_type"] == "ephemeral"  # as the typed command: private, with a Share button
    assert_valid_blocks(posted.body["blocks"])
    form_line = await line_of(caplog, "form")
    assert (form_line["outcome"], form_line["channel"], form_line["estimate"]) == ("ok", CHANNEL_ID, "traincost")


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"model": "7B", "gpu": "h100-sxm", "gpus": "eight"}, "gpus", "A whole number of GPUs, like 8."),
        ({"model": "", "gpu": "h100-sxm"}, "model", "Give a model (llama-3.1-70b) or a parameter count (70B)."),
        ({"model": "llama 9000", "gpu": "h100-sxm"}, "model", "didn't recognise llama-9000"),
        ({"model": "7B", "tokens": "1e30", "gpu": "h100-sxm"}, "tokens", "tokens must be between 1 and 1000P"),
    ],
)
async def test_bad_input_in_the_form_is_shown_on_its_field(
    napkin: NapkinHttp, standin: SlackStandIn, values: dict[str, str], field: str, words: str
) -> None:
    await napkin.command("/traincost", "", response_url=standin.hook_url("commands/T0/12/form"))
    (opened,) = await standin.wait_calls("views.open")
    status, raw = await submit(napkin, sent_view(opened.body), values)
    assert status == 200
    answer = json.loads(raw)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field]
    assert answer["errors"][field].startswith(words)
    assert len(answer["errors"][field]) <= 150
    await standin.settle()
    assert standin.calls("/hooks/") == []  # nothing answered: the person fixes the field


async def test_when_the_form_cannot_open_the_commands_help_is_sent(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    standin.refuse("views.open", "expired_trigger_id")
    hook = standin.hook_url("commands/T0/13/form")
    assert (await napkin.command("/fits", "", response_url=hook))[0] == 200
    (posted,) = await standin.wait_calls("/hooks/commands/T0/13/form")
    assert posted.body["blocks"] == expected_message("fits", "help").blocks
    assert (await line_of(caplog, "command"))["outcome"] == "views_open_failed:expired_trigger_id"


# --- answer buttons ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slash", "text", "command", "command_text"),
    [
        ("/fits", "70B a100 lora", "fits", "70B a100 lora"),
        ("/traincost", "405B 15T a100", "traincost", "405B 15T a100"),
        ("/servecost", "llama-3.3-70b 2xh100 fp8", "servecost", "llama-3.3-70b 2xh100 fp8"),
        ("/fits", "20B h100 share", "fits", "20B h100"),  # under a shared answer the details stay private
    ],
)
async def test_details_are_answered_privately_with_the_full_working(
    napkin: NapkinHttp,
    standin: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    *,
    slash: str,
    text: str,
    command: str,
    command_text: str,
) -> None:
    caplog.set_level(logging.INFO)
    _, answer = await napkin.command(slash, text)
    hook = standin.hook_url("actions/T0/20/details")
    click = block_actions_body(
        button_value(answer["blocks"], "napkin_details"),
        response_url=hook,
        user_id="U0CLICKER",
        action_id="napkin_details",
    )
    assert await napkin.action(click) == 200
    (posted,) = await standin.wait_calls("/hooks/actions/T0/20/details")
    expected = expected_details(command, command_text)
    assert (posted.body["text"], posted.body["blocks"]) == (expected.text, expected.blocks)
    assert (posted.body["response_type"], posted.body["replace_original"]) == ("ephemeral", False)
    assert posted.body["text"] == answer["text"]  # the same answer, its working shown
    assert any(b["type"] == "context" and "Formula" in json.dumps(b) for b in posted.body["blocks"])
    assert_valid_blocks(posted.body["blocks"])
    line = await line_of(caplog, "details")
    assert (line["outcome"], line["user"], line["estimate"]) == ("ok", "U0CLICKER", command)


async def test_the_cost_button_opens_the_traincost_form_with_what_fits_knew(
    napkin: NapkinHttp, standin: SlackStandIn
) -> None:
    _, answer = await napkin.command("/fits", "llama-3.1-70b h100")
    hook = standin.hook_url("actions/T0/21/cost")
    click = block_actions_body(
        button_value(answer["blocks"], "napkin_cost"), response_url=hook, action_id="napkin_cost", trigger_id="9.9.c"
    )
    assert await napkin.action(click) == 200
    (opened,) = await standin.wait_calls("views.open")
    assert opened.body["trigger_id"] == "9.9.c"
    view = sent_view(opened.body)
    assert_valid_view(view)
    assert view["title"]["text"] == "Training cost"
    fields = {block["block_id"]: block["element"] for block in view["blocks"]}
    assert fields["model"]["initial_value"] == "llama-3.1-70b"
    assert fields["gpu"]["initial_option"]["value"] == "h100-sxm"
    assert fields["gpus"]["initial_value"] == "16"  # the fits answer's full fine-tune set-up
    assert "initial_value" not in fields["tokens"]  # the one thing fits did not know
    values = {"model": "llama-3.1-70b", "tokens": "1B", "gpu": "h100-sxm", "gpus": "16"}
    assert await submit(napkin, view, values) == (200, "")
    (posted,) = await standin.wait_calls("/hooks/actions/T0/21/cost")
    expected = expected_message("traincost", "llama-3.1-70b 1B h100-sxm gpus=16")
    assert (posted.body["text"], posted.body["blocks"]) == (expected.text, expected.blocks)


async def test_without_a_trigger_id_the_cost_button_answers_the_matching_traincost(
    napkin: NapkinHttp, standin: SlackStandIn
) -> None:
    _, answer = await napkin.command("/fits", "20B a100")
    hook = standin.hook_url("actions/T0/22/cost")
    value = button_value(answer["blocks"], "napkin_cost")
    assert await napkin.action(block_actions_body(value, response_url=hook, action_id="napkin_cost", trigger_id=None))
    (posted,) = await standin.wait_calls("/hooks/actions/T0/22/cost")
    fits = execute("fits", "20B a100", catalog=cached_catalog(None), defaults=load_settings({}).defaults()).result
    assert isinstance(fits, FitsResult)
    [train] = [s for s in fits.scenarios if s.mode == "train"]
    expected = expected_message("traincost", f"20B a100-80gb-sxm gpus={train.recommended_gpus}")  # its set-up
    assert (posted.body["response_type"], posted.body["blocks"]) == ("ephemeral", expected.blocks)
    assert standin.calls("views.open") == []


async def test_the_page_button_answers_the_next_page(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    _, answer = await napkin.command("/gpus", "")
    assert "page 1 of" in answer["text"]
    hook = standin.hook_url("actions/T0/23/page")
    value = button_value(answer["blocks"], "napkin_page")
    assert await napkin.action(block_actions_body(value, response_url=hook, action_id="napkin_page")) == 200
    (posted,) = await standin.wait_calls("/hooks/actions/T0/23/page")
    expected = expected_message("gpus", "page=2", user_id=None)
    assert (posted.body["text"], posted.body["blocks"]) == (expected.text, expected.blocks)
    assert "page 2 of" in posted.body["text"]
    assert_valid_blocks(posted.body["blocks"])


async def test_a_hub_models_details_keep_its_hub_source(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    """A Hub id naming a preset's repository resolves without the network; its Details say so again."""
    hook = standin.hook_url("commands/T0/24/hub")
    status, pending = await napkin.command("/fits", "meta-llama/Llama-3.1-70B h100", response_url=hook)
    assert status == 200
    assert "Looking up" in pending["text"]
    (answered,) = await standin.wait_calls("/hooks/commands/T0/24/hub")
    assert answered.body["text"].startswith("llama-3.1-70b on NVIDIA H100")
    assert json.loads(button_value(answered.body["blocks"], "napkin_cost"))["t"].startswith("meta-llama/Llama-3.1-70B ")
    details_hook = standin.hook_url("actions/T0/24/details")
    value = button_value(answered.body["blocks"], "napkin_details")
    click = block_actions_body(value, response_url=details_hook, action_id="napkin_details")
    assert await napkin.action(click) == 200
    (posted,) = await standin.wait_calls("/hooks/actions/T0/24/details")
    text = json.dumps(posted.body["blocks"])
    assert "is the preset `llama-3.1-70b`" in text
    assert "Formula" in text
    assert posted.body["response_type"] == "ephemeral"


# --- /gpus filters -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["80gb", "mi300x", "amd", "under $2", "80gb+ under $3"])
async def test_gpus_filters_answer_over_http(napkin: NapkinHttp, text: str) -> None:
    status, answer = await napkin.command("/gpus", text)
    expected = expected_message("gpus", text)
    assert (status, answer["text"], answer["blocks"]) == (200, expected.text, expected.blocks)
    assert f"match “{text}”" in answer["text"]
    assert_valid_blocks(answer["blocks"])
