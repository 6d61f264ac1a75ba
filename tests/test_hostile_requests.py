"""Hostile requests: whatever arrives at ``POST /slack/events``, napkin answers it and keeps serving.

Each case is sent over real loopback HTTP to napkin's server as ``napkin serve`` builds it, with
logs captured at DEBUG. A forged or unverifiable request gets 401, a body that is neither a Slack
form nor a JSON object 400, an oversized one 413, an authentic but odd one 200 (with help where
Slack shows the answer to a person); never a 5xx, never a traceback in any log line; and a
genuine command is answered correctly right after each of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
import time
import urllib.parse
from dataclasses import dataclass, field

import pytest
from multidict import CIMultiDict

from bot.logs import configure_logging
from tests.conftest import NapkinHttp, expected_message
from tests.slack_standin import SIGNING_SECRET, slash_form

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
INVALID = {"error": "invalid request"}
MALFORMED = {"error": "malformed request"}
COMMAND = urllib.parse.urlencode(slash_form("/fits", "20B"))


def signature(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: str | None = None) -> tuple[str, str]:
    """(timestamp, ``v0=`` signature) over the raw bytes, as Slack computes them."""
    ts = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return ts, f"v0={digest}"


def payload(value: object) -> str:
    """An interactivity form: ``payload=<value>`` (a string is sent as is, anything else as JSON)."""
    return urllib.parse.urlencode({"payload": value if isinstance(value, str) else json.dumps(value)})


@dataclass(frozen=True)
class Hostile:
    """A request to send and the answer it must get (``body`` None: the answer's body is not checked)."""

    name: str
    body: bytes
    content_type: str | None = FORM
    signed: bool = True
    secret: str = SIGNING_SECRET
    timestamp: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    drop_headers: frozenset[str] = field(default_factory=frozenset)
    status: int = 200
    answer: dict[str, str] | str | None = None
    errors_logged: int = 0  # ERROR lines expected (a signed body Bolt's listeners trip over)

    def headers(self) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict()
        if self.content_type is not None:
            headers["Content-Type"] = self.content_type
        if self.signed:
            ts, sig = signature(self.body, secret=self.secret, timestamp=self.timestamp)
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = sig
        for name in self.drop_headers:
            headers.popall(name, None)
        for name, value in self.extra_headers:
            headers.add(name, value)
        return headers


_BAD_SIG = "v0=" + "0" * 64
_now = str(int(time.time()))
_good_ts, _good_sig = signature(COMMAND.encode(), timestamp=_now)

CASES = [
    # Forged or unverifiable: 401, whatever the body.
    Hostile("unsigned", COMMAND.encode(), signed=False, status=401, answer=INVALID),
    Hostile("signed with another secret", COMMAND.encode(), secret="another-apps-secret", status=401, answer=INVALID),
    Hostile("signature missing", COMMAND.encode(), drop_headers=frozenset({"X-Slack-Signature"}), status=401),
    Hostile("timestamp missing", COMMAND.encode(), drop_headers=frozenset({"X-Slack-Request-Timestamp"}), status=401),
    Hostile("timestamp stale", COMMAND.encode(), timestamp=str(int(time.time()) - 3600), status=401, answer=INVALID),
    Hostile("timestamp not a number", COMMAND.encode(), timestamp="yesterday", status=401, answer=INVALID),
    Hostile("timestamp empty", COMMAND.encode(), timestamp="", status=401, answer=INVALID),
    Hostile("timestamp a float", COMMAND.encode(), timestamp="1.7e9", status=401, answer=INVALID),
    Hostile(
        "signature not ASCII",
        COMMAND.encode(),
        drop_headers=frozenset({"X-Slack-Signature"}),
        extra_headers=(("X-Slack-Signature", "v0=é"),),
        status=401,
        answer=INVALID,
    ),
    Hostile(
        "signature of another version",
        COMMAND.encode(),
        signed=False,
        extra_headers=(("X-Slack-Request-Timestamp", _good_ts), ("X-Slack-Signature", _good_sig.replace("v0=", "v1="))),
        status=401,
        answer=INVALID,
    ),
    # Ambiguous: the same signature header twice.
    Hostile(
        "signature header twice, forged one last",
        COMMAND.encode(),
        signed=False,
        extra_headers=(
            ("X-Slack-Request-Timestamp", _good_ts),
            ("X-Slack-Signature", _good_sig),
            ("X-Slack-Signature", _BAD_SIG),
        ),
        status=400,
        answer=MALFORMED,
    ),
    Hostile(
        "signature header twice, forged one first",
        COMMAND.encode(),
        signed=False,
        extra_headers=(
            ("X-Slack-Request-Timestamp", _good_ts),
            ("X-Slack-Signature", _BAD_SIG),
            ("X-Slack-Signature", _good_sig),
        ),
        status=400,
        answer=MALFORMED,
    ),
    Hostile(
        "timestamp header twice",
        COMMAND.encode(),
        signed=False,
        extra_headers=(
            ("X-Slack-Request-Timestamp", _good_ts),
            ("X-Slack-Request-Timestamp", "1"),
            ("X-Slack-Signature", _good_sig),
        ),
        status=400,
        answer=MALFORMED,
    ),
    # Bodies that are neither a Slack form nor a JSON object: 400, signed or not.
    Hostile("JSON cut short", b'{"type": "event_callback", ', JSON, status=400, answer=MALFORMED),
    Hostile("JSON cut short, unsigned", b'{"type": ', JSON, signed=False, status=401, answer=INVALID),
    Hostile("JSON array", b"[1, 2, 3]", JSON, status=400, answer=MALFORMED),
    Hostile("JSON string", b'"event_callback"', JSON, status=400, answer=MALFORMED),
    Hostile("a form sent as JSON", COMMAND.encode(), JSON, status=400, answer=MALFORMED),
    Hostile("not UTF-8", b"command=%2Ffits&text=\xff\xfe20B", status=400, answer=MALFORMED),
    Hostile("not UTF-8, unsigned", b"\xff\xfe\x00garbage", signed=False, status=401, answer=INVALID),
    Hostile("payload not JSON", payload("{not json").encode(), status=400, answer=MALFORMED),
    Hostile("payload not JSON, unsigned", payload("<xml/>").encode(), signed=False, status=401, answer=INVALID),
    Hostile("payload a JSON list", payload([{"type": "block_actions"}]).encode(), status=400, answer=MALFORMED),
    Hostile("payload null", payload(None).encode(), status=400, answer=MALFORMED),
    Hostile(
        "authorizations not a list of objects",
        json.dumps({"type": "event_callback", "authorizations": "everyone"}).encode(),
        JSON,
        status=400,
        answer=MALFORMED,
    ),
    # Too big for any Slack request: over MAX_BODY_BYTES (256 KiB), refused before the body is read.
    Hostile("2 MiB body", b"text=" + b"x" * (2 * 1024 * 1024), status=413),
    Hostile("2 MiB body, unsigned", b"text=" + b"x" * (2 * 1024 * 1024), signed=False, status=401, answer=INVALID),
    Hostile("a 900 kB command text", urllib.parse.urlencode(slash_form("/fits", "x" * 900_000)).encode(), status=413),
    # Authentic but odd: 200, never an error status Slack would show as a failure.
    Hostile("a command as text/plain", COMMAND.encode(), "text/plain", answer="fits 20B"),
    Hostile("a command without a content type", COMMAND.encode(), None, answer="fits 20B"),
    Hostile(
        "a 200 kB command text",
        urllib.parse.urlencode(slash_form("/fits", "20B " + "x" * 200_000)).encode(),
        answer="usage",
    ),
    Hostile("a command word without a command", b"command=&text=20B", answer="unknown command"),
    Hostile("an empty body", b"", answer=""),
    Hostile("a form of nonsense", b"%%%&&&===", answer=""),
    Hostile("an empty payload object", payload({}).encode(), answer=""),
    Hostile("a view submission napkin has no listener for", payload({"type": "view_submission"}).encode(), answer=""),
    Hostile(
        "an event whose event is a string",
        json.dumps({"type": "event_callback", "event": "app_mention"}).encode(),
        JSON,
        status=400,
        answer=MALFORMED,
    ),
    Hostile(
        "a click whose actions are a string",
        payload({"type": "block_actions", "actions": "share_in_channel"}).encode(),
        status=400,
        answer=MALFORMED,
    ),
    Hostile("a click without actions", payload({"type": "block_actions", "actions": []}).encode(), status=400),
    Hostile(
        "a click whose actions are not objects",
        payload({"type": "block_actions", "actions": [1, None]}).encode(),
        status=400,
        answer=MALFORMED,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_hostile_request_gets_a_clean_answer_and_the_server_keeps_serving(
    napkin: NapkinHttp, caplog: pytest.LogCaptureFixture, case: Hostile
) -> None:
    caplog.set_level(logging.DEBUG)
    assert napkin.session is not None
    async with napkin.session.post(napkin.url(), data=case.body, headers=case.headers()) as response:
        status, raw = response.status, await response.read()
    assert status == case.status, raw[:300]
    text = raw.decode()
    if isinstance(case.answer, dict):
        assert json.loads(text) == case.answer
    elif case.answer == "fits 20B":
        assert json.loads(text)["blocks"] == expected_message("fits", "20B").blocks
    elif case.answer == "usage":
        answer = json.loads(text)
        assert answer["response_type"] == "ephemeral"
        assert "at most 500" in answer["text"]
    elif case.answer == "unknown command":
        assert "does not handle this command" in json.loads(text)["text"]
    elif case.answer == "":
        assert text == ""

    assert "Traceback" not in caplog.text
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == case.errors_logged, [r.getMessage() for r in errors]
    if status >= 400:  # one WARNING line naming the status, never the body
        rejections = [r for r in caplog.records if r.name == "napkin.serve" and r.getMessage() == "rejected"]
        assert [r.napkin_fields["status"] for r in rejections] == [status]  # type: ignore[attr-defined]

    status, answer = await napkin.command("/fits", "20B")  # still serving, and correctly
    assert status == 200
    assert answer["blocks"] == expected_message("fits", "20B").blocks


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/slack/events", 405), ("PUT", "/slack/events", 405), ("POST", "/", 404), ("POST", "/admin", 404)],
)
async def test_other_methods_and_paths_are_4xx(
    napkin: NapkinHttp, caplog: pytest.LogCaptureFixture, method: str, path: str, status: int
) -> None:
    caplog.set_level(logging.DEBUG)
    assert napkin.session is not None
    async with napkin.session.request(method, napkin.url(path), data=COMMAND) as response:
        assert response.status == status
    rejections = [r for r in caplog.records if r.getMessage() == "rejected"]
    assert [r.napkin_fields["status"] for r in rejections] == [status]  # type: ignore[attr-defined]
    assert "Traceback" not in caplog.text
    assert (await napkin.command("/fits", "20B"))[0] == 200


async def test_bytes_the_http_parser_rejects_are_400_and_one_log_line(napkin: NapkinHttp) -> None:
    """aiohttp logs unparseable requests with a traceback; napkin's logging makes that one WARNING line."""
    stream = io.StringIO()
    configure_logging("DEBUG", "text", stream=stream)  # what napkin serve writes (conftest restores handlers)
    assert napkin.session is not None
    headers = {"Content-Type": FORM, "X-Slack-Signature": "v0=" + "a" * 20_000, "X-Slack-Request-Timestamp": _now}
    async with napkin.session.post(napkin.url(), data=COMMAND, headers=headers) as response:
        assert response.status == 400  # a header line over aiohttp's 8190 bytes
    reader, writer = await asyncio.open_connection("127.0.0.1", napkin.server.port)
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
    assert (await reader.readline()).split()[1] == b"400"
    writer.close()
    await writer.wait_closed()
    assert (await napkin.command("/fits", "20B"))[0] == 200
    lines = stream.getvalue().splitlines()
    assert "Traceback" not in stream.getvalue()
    rejected = [line for line in lines if "malformed HTTP rejected" in line]
    assert len(rejected) == 2
    assert all(" WARNING aiohttp.server " in line for line in rejected)
    assert not any(" ERROR " in line for line in lines)
