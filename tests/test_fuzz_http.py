"""Hypothesis over every field Slack sends, through napkin's real HTTP path (one server per module).

Whatever the input: HTTP 200, an answer or a helpful error, and nothing in the reply that Slack
would turn into a broadcast (``<!channel>``, ``<!here>``, ``<!everyone>``), a link or a mention of
anyone but the asker.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.server.web_app import build_web_app
from bot.slack.app import AppState, build_app
from tests.conftest import settings_for
from tests.slack_standin import (
    SIGNING_SECRET,
    SlackStandIn,
    block_actions_body,
    event_envelope,
    signed_headers,
    slash_form,
)

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEWER = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Anything Slack renders specially: <!channel>, <!here>, <!everyone>, <!subteam^…>, <!date…>,
# <http…> / <mailto:…> links, <#C…> channels and <@U…> mentions.
_SPECIAL = re.compile(r"<[!#@]|<(?:https?|mailto|ftp|slack)[:/]", re.IGNORECASE)
_MENTION = re.compile(r"<@([A-Z0-9]+)>")

_chars = st.characters(exclude_categories=["Cs"])
_words = st.sampled_from(
    [
        "405B", "15T", "a100", "h100", "70B", "20B", "lora", "qlora", "share", "public", "help", "gpus=1024",
        "days=30", "mfu=0.5", "dtype=int4", "<!channel>", "<!here>", "<!everyone>", "<@U0EVIL>", "<#C0EVIL>",
        "<https://evil.example|click>", "&lt;", "&", "<", ">", "*bold*", "`", "```", "llama-3.1-70b", "mixtral-8x7b",
        "1e400", "-5B", "0", "nan", "∞", "😀", "\u202e", "x" * 600,
    ]
)  # fmt: skip
TEXT = st.one_of(st.text(_chars, max_size=200), st.lists(_words, max_size=8).map(" ".join))
FIELD = st.one_of(st.text(_chars, max_size=40), _words)
OPTIONAL_FIELDS = (
    "channel_id",
    "channel_name",
    "team_id",
    "team_domain",
    "user_name",
    "api_app_id",
    "trigger_id",
    "token",
    "enterprise_id",
    "enterprise_name",
    "is_enterprise_install",
)
COMMAND = st.one_of(
    st.sampled_from(["/traincost", "/fits", "/servecost", "/gpus", "/napkin"]), st.text(_chars, max_size=20)
)
FORM_SLASH_COMMANDS = frozenset({"/traincost", "/fits", "/servecost"})  # alone, each opens the estimate form
BUTTONS = st.sampled_from(["share_in_channel", "napkin_details", "napkin_cost", "napkin_page"])


class ThreadedNapkin:
    """napkin's aiohttp application and the Slack stand-in on a loop in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.standin = SlackStandIn()
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.call(self._start())

    def call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=30)

    async def _start(self) -> None:
        await self.standin.start()
        app_settings = settings_for(self.standin)
        state = AppState()
        web_app = build_web_app(
            build_app(app_settings, state=state), state, signing_secret=SIGNING_SECRET, drain_seconds=2
        )
        self.runner = web.AppRunner(web_app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.port = self.runner.addresses[0][1]

    async def _stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()
        await self.standin.close()

    def close(self) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def post(self, body: str, content_type: str) -> tuple[int, str]:
        """A signed POST to /slack/events over a real TCP connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            headers = {"Content-Type": content_type, **signed_headers(body)}
            connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def wait_calls(self, path: str, count: int) -> list[Any]:
        return self.call(self.standin.wait_calls(path, count))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def served() -> Iterator[ThreadedNapkin]:
    server = ThreadedNapkin()
    yield server
    server.close()


def strings(value: Any) -> Iterator[str]:
    """Every string Slack would display in a message (a button's ``value`` is opaque data, never shown)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in {"value", "action_id", "block_id"}:
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_safe(message: dict[str, Any], asker: str) -> None:
    """A real answer (text and blocks) that pings, links or mentions no one but the asker."""
    assert isinstance(message.get("text"), str)
    assert message["text"].strip()
    assert isinstance(message.get("blocks"), list)
    assert message["blocks"]
    for text in strings(message):
        for match in _SPECIAL.finditer(text):
            mention = _MENTION.match(text, match.start())
            mentioned = mention.group(1) if mention is not None else None
            assert mentioned == asker, f"special sequence in reply: {text!r}"


@FUZZ
@given(
    command=COMMAND,
    text=TEXT,
    user_id=st.one_of(st.just("U0ASKER"), FIELD),
    fields=st.fixed_dictionaries({}, optional=dict.fromkeys(OPTIONAL_FIELDS, FIELD)),
    response_url=st.one_of(st.just("https://hooks.slack.com/commands/T0/1/x"), FIELD),
)
def test_any_slash_command_gets_200_and_a_safe_answer(
    served: ThreadedNapkin, *, command: str, text: str, user_id: str, fields: dict[str, str], response_url: str
) -> None:
    form = slash_form(command, text, response_url=response_url, user_id=user_id, **fields)
    status, body = served.post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
    assert status == 200
    if command in FORM_SLASH_COMMANDS and not text.strip() and form["trigger_id"]:
        assert body == ""  # an empty acknowledgement: the form opens with the command's trigger id
        served.call(
            served.standin.wait_for(
                lambda: any(c.body.get("trigger_id") == form["trigger_id"] for c in served.standin.calls("views.open"))
            )
        )
        return
    answer = json.loads(body)
    assert answer["response_type"] in {"ephemeral", "in_channel"}
    assert_safe(answer, user_id)


@FEWER
@given(value=st.one_of(TEXT, st.builds(lambda c, t: json.dumps({"c": c, "t": t}), FIELD, TEXT)), button=BUTTONS)
def test_any_button_click_gets_200_and_a_safe_message(served: ThreadedNapkin, value: str, button: str) -> None:
    hook = f"hooks/fuzz/{button}/{abs(hash(value))}"
    payload = block_actions_body(
        value, response_url=served.standin.base_url + hook, user_id="U0CLICKER", action_id=button, trigger_id=None
    )
    status, _ = served.post(
        urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert status == 200
    posted = served.wait_calls(f"/{hook}", 1)[0]
    assert_safe(posted.body, "U0CLICKER")


@FEWER
@given(text=TEXT)
def test_any_mention_gets_200_and_a_safe_reply_in_its_thread(served: ThreadedNapkin, text: str) -> None:
    ts = f"1700001000.{abs(hash(text)) % 10**6:06d}"
    event = {"type": "app_mention", "user": "U0ASKER", "text": f"<@UBOT> {text}", "ts": ts, "channel": "C0FUZZ"}
    status, _ = served.post(json.dumps(event_envelope(event)), "application/json")
    assert status == 200
    replies = [r for r in served.standin.calls("chat.postMessage") if r.body.get("thread_ts") == ts]
    if not replies:
        served.call(
            served.standin.wait_for(
                lambda: any(r.body.get("thread_ts") == ts for r in served.standin.calls("chat.postMessage"))
            )
        )
        replies = [r for r in served.standin.calls("chat.postMessage") if r.body.get("thread_ts") == ts]
    assert_safe(replies[-1].body, "U0ASKER")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(_chars, max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(_chars, max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
SLACK_KEYS = st.sampled_from(
    ["type", "actions", "authorizations", "event", "view", "user", "team", "channel", "container", "message",
     "enterprise", "response_url", "api_app_id", "team_id", "event_id", "command", "text"]
)  # fmt: skip


@FUZZ
@given(
    kind=st.sampled_from(["block_actions", "event_callback", "view_submission", "shortcut", "message_action"]),
    fields=st.dictionaries(st.one_of(SLACK_KEYS, st.text(_chars, max_size=10)), JSON_VALUES, max_size=6),
    as_form=st.booleans(),
)
def test_any_signed_shape_slack_never_sends_gets_200_or_400_never_5xx(
    served: ThreadedNapkin, kind: str, fields: dict[str, Any], as_form: bool
) -> None:
    """19 of 1,500 signed fuzz requests (``actions: []`` and the like) got a 500 from inside Bolt."""
    body = {**fields, "type": kind}
    if as_form:
        status, _ = served.post(
            urllib.parse.urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
        )
    else:
        status, _ = served.post(json.dumps(body), "application/json")
    assert status in {200, 400}
