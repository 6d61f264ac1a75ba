"""A backtick in what a user typed cannot close napkin's code spans: nothing typed goes live in mrkdwn.

Slack mrkdwn has no escape inside a code span, so ``fits 20B x`@here`` used to reply in a public
thread with ``@here``, ``*bold*`` and bare links live. Checked on the reply the real server posts
(over loopback HTTP, to the Slack stand-in), and for any typed word (hypothesis).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.blocks import render_error
from bot.render.code_spans import safe_code_spans
from config.catalogs import cached_catalog
from config.settings import load_settings
from estimator.commands import UsageError, execute
from tests.conftest import NapkinHttp
from tests.slack_standin import SlackStandIn, event_envelope, mention_event

LIVE = ("@here", "*bold*", "https://evil.example", "<!channel>")


def outside_code(mrkdwn: str) -> str:
    """The text Slack formats: everything not inside a pair of backticks."""
    assert mrkdwn.count("`") % 2 == 0, mrkdwn
    return "".join(mrkdwn.split("`")[0::2])


def error_mrkdwn(command: str, text: str) -> str:
    try:
        execute(command, text, catalog=cached_catalog(None), defaults=load_settings({}).defaults())
    except UsageError as err:
        return str(render_error(err).blocks[0]["text"]["text"])
    raise AssertionError(f"{command} {text!r} is not a usage error")


async def test_a_typed_backtick_cannot_make_a_thread_reply_ping_or_link(
    napkin: NapkinHttp, standin: SlackStandIn
) -> None:
    text = "fits 20B x`@here`*bold*`https://evil.example`"
    assert await napkin.event(event_envelope(mention_event(text))) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    section = post.body["blocks"][0]["text"]["text"]
    assert "@here" in section  # shown, as code
    live = outside_code(section)
    assert not any(marker in live for marker in LIVE), section


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="`*_~<>@!&x:/.)", min_size=1, max_size=12).filter(lambda w: "`" in w))
def test_any_word_with_backticks_stays_inside_its_code_span(word: str) -> None:
    mrkdwn = error_mrkdwn("fits", f"20B q{word}")
    live = outside_code(mrkdwn)
    assert "*" not in live
    assert "@" not in live
    assert "~" not in live


def test_spans_the_estimator_closed_are_kept() -> None:
    assert safe_code_spans("unknown option `foo=` (got `x`)") == "unknown option `foo=` (got `x`)"
    assert safe_code_spans("didn't recognise `x`@here` as a number") == "didn't recognise `x'@here` as a number"
    assert safe_code_spans("didn't recognise ``` as a number") == "didn't recognise `'` as a number"
    assert safe_code_spans("couldn't read `<!channel> & x`") == "couldn't read `<!channel> & x`"
    assert safe_code_spans("(got `x`).*bold*`)") == "(got `x').*bold*`)"  # not closed by "`)."
    # a list of examples: each span closes before its comma or semicolon
    listed = "ask e.g. `how much to train a 13B`, `will 70b fit on 2 a100s`; or `help`"
    assert safe_code_spans(listed) == listed
