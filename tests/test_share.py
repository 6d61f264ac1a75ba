"""The "Share in channel" button: a click recomputes the answer and posts it via response_url."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.render.blocks import SHARE_ACTION_ID, render_shared
from tests.conftest import NapkinHttp, expected_error, expected_message, settings_for
from tests.logfields import fields_of
from tests.slack_standin import USER_ID, SlackStandIn, block_actions_body


def share_button_value(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        elements: list[dict[str, Any]] = block.get("elements", []) if block.get("type") == "actions" else []
        for element in elements:
            if element.get("action_id") == SHARE_ACTION_ID:
                return str(element["value"])
    raise AssertionError("no share button")


async def test_the_ephemeral_answer_carries_a_share_button(napkin: NapkinHttp) -> None:
    _, answer = await napkin.command("/traincost", "405B 15T a100")
    assert answer["response_type"] == "ephemeral"
    assert json.loads(share_button_value(answer["blocks"])) == {"c": "traincost", "t": "405B 15T a100"}


@pytest.mark.parametrize(
    ("slash", "text", "command", "command_text"),
    [
        ("/traincost", "405B 15T a100", "traincost", "405B 15T a100"),
        ("/fits", "70B a100 lora", "fits", "70B a100 lora"),
        ("/napkin", "fits 20B", "fits", "20B"),
    ],
)
async def test_a_click_posts_the_same_answer_in_the_channel_attributed_to_the_asker(
    napkin: NapkinHttp, standin: SlackStandIn, *, slash: str, text: str, command: str, command_text: str
) -> None:
    _, answer = await napkin.command(slash, text)
    value = share_button_value(answer["blocks"])
    hook = standin.hook_url("actions/T0/1/share")
    assert await napkin.action(block_actions_body(value, response_url=hook, user_id="U0CLICKER")) == 200
    shared, delete = await standin.wait_calls("/hooks/actions/T0/1/share", 2)
    reference = expected_message(command, command_text, user_id="U0CLICKER", shareable=False)
    expected = render_shared(reference, user_id="U0CLICKER", command_text=f"/{command} {command_text}")
    assert shared.body["response_type"] == "in_channel"
    assert shared.body["replace_original"] is False
    assert (shared.body["text"], shared.body["blocks"]) == (expected.text, expected.blocks)
    assert "<@U0CLICKER>" in json.dumps(shared.body["blocks"])
    buttons = [e["action_id"] for b in shared.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == (["napkin_details", "napkin_cost"] if command == "fits" else ["napkin_details"])
    assert delete.body["delete_original"] is True  # the ephemeral original cannot be shared twice


async def test_a_shared_answer_names_the_suffixed_command(standin: SlackStandIn) -> None:
    async with NapkinHttp(settings_for(standin, NAPKIN_COMMAND_SUFFIX="-dev")) as napkin:
        _, answer = await napkin.command("/gpus-dev", "")
        hook = standin.hook_url("actions/T0/2/share")
        assert await napkin.action(block_actions_body(share_button_value(answer["blocks"]), response_url=hook)) == 200
        shared, _ = await standin.wait_calls("/hooks/actions/T0/2/share", 2)
    assert f"Asked by <@{USER_ID}>: `/gpus-dev`" in json.dumps(shared.body["blocks"])


@pytest.mark.parametrize(
    "value",
    ["not json", json.dumps({"c": "rm -rf", "t": "x"}), json.dumps({"c": "fits"}), json.dumps(["fits", "20B"])],
)
async def test_a_tampered_value_gets_an_ephemeral_error(napkin: NapkinHttp, standin: SlackStandIn, value: str) -> None:
    hook = standin.hook_url("actions/T0/3/share")
    assert await napkin.action(block_actions_body(value, response_url=hook)) == 200
    (posted,) = await standin.wait_calls("/hooks/actions/T0/3/share")
    await standin.settle()
    assert len(standin.calls("/hooks/actions/T0/3/share")) == 1  # nothing to delete
    assert posted.body["response_type"] == "ephemeral"
    assert "no longer valid" in posted.body["text"]


async def test_a_value_that_no_longer_parses_explains_why(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    hook = standin.hook_url("actions/T0/4/share")
    value = json.dumps({"c": "fits", "t": "20B h1000"})  # e.g. a GPU since removed from the catalog
    assert await napkin.action(block_actions_body(value, response_url=hook)) == 200
    (posted,) = await standin.wait_calls("/hooks/actions/T0/4/share")
    expected = expected_error("fits", "20B h1000")
    assert (posted.body["response_type"], posted.body["blocks"]) == ("ephemeral", expected.blocks)


async def test_a_failing_response_url_is_logged_not_raised(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    standin.fail("/hooks/actions/T0/5/share", 404)
    hook = standin.hook_url("actions/T0/5/share")
    value = json.dumps({"c": "gpus", "t": ""})
    assert await napkin.action(block_actions_body(value, response_url=hook)) == 200
    await standin.wait_calls("/hooks/actions/T0/5/share")
    await standin.settle()
    lines = [fields_of(r) for r in caplog.records if r.name == "napkin.request"]
    assert [(line["kind"], line["outcome"]) for line in lines] == [("share", "response_url_http_404")]


async def test_one_click_delivered_three_times_posts_once(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    """Idempotent per message and user: the old server posted three times in the channel."""
    _, answer = await napkin.command("/fits", "20B")
    value = share_button_value(answer["blocks"])
    hook = standin.hook_url("actions/T0/3/share")
    click = block_actions_body(value, response_url=hook, user_id="U0CLICKER")
    for _ in range(3):
        assert await napkin.action(click) == 200
    await napkin.state.tasks.drain(5)
    posts = [call for call in standin.calls("/hooks/actions/T0/3/share") if call.body.get("replace_original") is False]
    assert len(posts) == 1
    # Another user sharing the same message is a different share.
    assert await napkin.action(block_actions_body(value, response_url=hook, user_id="U0OTHER")) == 200
    await napkin.state.tasks.drain(5)
    posts = [call for call in standin.calls("/hooks/actions/T0/3/share") if call.body.get("replace_original") is False]
    assert len(posts) == 2
