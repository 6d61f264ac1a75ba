"""Verified request bytes to an ``AsyncBoltRequest``: the one place napkin works around Bolt's body parser.

The Bolt bug (slack-bolt 1.30, pinned by ``tests/test_bolt_workaround.py``): ``AsyncBoltRequest``
given a raw form body takes any form whose *text* contains ``payload`` for an interactivity
request, so ``/fits payload`` or a command from ``#payload-team`` parsed as an empty body and went
unanswered. Bolt's public constructor also accepts an already-parsed body, but only with
``mode="socket_mode"``, whose one effect in Bolt is to skip Bolt's own signature check
(also pinned by that test). napkin has checked the signature over the raw bytes already
(:mod:`bot.server.signature`), so it parses the body here, decided by the form's ``payload``
field, and hands Bolt the parsed body that way. When the test says Bolt's parser is fixed, this
module shrinks to ``AsyncBoltRequest(body=raw_text, ...)``.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

_PARSED_BODY_MODE = "socket_mode"  # the only mode in which Bolt's constructor takes a parsed body


class MalformedRequest(ValueError):
    """A body that is neither a Slack form nor a JSON object, not UTF-8, or of a shape Slack never sends."""


def parse_body(raw: str, content_type: str) -> dict[str, Any]:
    """The body as Bolt's listeners expect it: a JSON object, an interactivity ``payload``, or a form.

    Raises MalformedRequest for anything else (including JSON nested too deep to parse).
    """
    if not raw:
        return {}
    try:
        if content_type == "application/json" or raw.startswith("{"):
            body = json.loads(raw)
        else:
            form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            body = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError) as err:
        raise MalformedRequest(type(err).__name__) from None
    if not isinstance(body, dict):
        raise MalformedRequest("not a JSON object")
    _check_shape(body)
    return body


# Fields Bolt indexes without checking: each must be what Slack sends when present.
_OBJECT_FIELDS = ("event", "view", "user", "team", "channel", "container", "message", "enterprise")
_LIST_OF_OBJECTS_FIELDS = ("actions", "authorizations")


def _check_shape(body: dict[str, Any]) -> None:
    for name in _OBJECT_FIELDS:
        if name in body and not isinstance(body[name], dict):
            raise MalformedRequest(f"{name}: not an object")
    for name in _LIST_OF_OBJECTS_FIELDS:
        if name in body:
            value = body[name]
            if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
                raise MalformedRequest(f"{name}: not a list of objects")


def to_bolt_request(raw: bytes, content_type: str, query: str, headers: Mapping[str, str]) -> AsyncBoltRequest:
    """A Bolt request for a body whose signature was verified; MalformedRequest for unusable bodies."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("not UTF-8") from None
    body = parse_body(text, content_type)
    try:
        return AsyncBoltRequest(body=body, query=query, headers=dict(headers), mode=_PARSED_BODY_MODE)
    except (AttributeError, TypeError, KeyError, IndexError):  # e.g. "authorizations" not a list of objects
        raise MalformedRequest("unexpected field types") from None
