"""The Bolt behaviours :mod:`bot.server.bolt_request` relies on or works around, pinned.

If one of these fails after upgrading slack-bolt, Bolt has changed: re-read the module's docstring.
``test_bolt_still_misreads_forms_that_mention_payload`` failing means Bolt fixed its parser, and
the workaround can shrink to ``AsyncBoltRequest(body=raw_text, ...)``. pyproject.toml bounds
slack-bolt to the minor versions these tests were run against.
"""

from __future__ import annotations

import urllib.parse

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.server.bolt_request import MalformedRequest, parse_body, to_bolt_request
from tests.slack_standin import slash_form

FORM = "application/x-www-form-urlencoded"


def test_bolt_still_misreads_forms_that_mention_payload() -> None:
    raw = urllib.parse.urlencode(slash_form("/fits", "payload"))
    request = AsyncBoltRequest(body=raw, headers={"content-type": FORM})
    assert request.body == {}  # the command is lost: the bug napkin works around


def test_napkins_parse_keeps_forms_that_mention_payload() -> None:
    raw = urllib.parse.urlencode(slash_form("/fits", "payload", channel_name="payload-team"))
    request = to_bolt_request(raw.encode(), FORM, "", {"Content-Type": FORM})
    assert request.body["command"] == "/fits"
    assert request.body["text"] == "payload"
    assert request.context.team_id == request.body["team_id"]


async def test_a_parsed_body_is_dispatched_without_bolts_signature_check() -> None:
    """The one effect of ``mode="socket_mode"`` napkin relies on: Bolt does not verify again."""

    async def authorize() -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id="T0", bot_token="xoxb-0", bot_user_id="U0BOT")

    app = AsyncApp(signing_secret="not-the-one-used", authorize=authorize, process_before_response=True)

    @app.command("/fits")
    async def on_fits(ack: AsyncAck) -> None:
        await ack("ok")

    raw = urllib.parse.urlencode(slash_form("/fits", "20B"))
    response = await app.async_dispatch(to_bolt_request(raw.encode(), FORM, "", {"Content-Type": FORM}))
    assert (response.status, response.body) == (200, "ok")


def test_bodies_nested_past_the_recursion_limit_are_malformed_not_errors() -> None:
    for raw, content_type in (("[" * 100_000, "application/json"), ("payload=" + "%5B" * 100_000, FORM)):
        try:
            parse_body(raw, content_type)
        except MalformedRequest:
            continue
        raise AssertionError(f"{raw[:20]!r} parsed")
