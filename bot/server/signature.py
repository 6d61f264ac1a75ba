"""Slack's request signature, checked over the raw bytes before anything in the request is parsed.

An unsigned, forged or stale request costs a header check (no body read at all) or one HMAC
over at most ``MAX_BODY_BYTES``; it never reaches a parser, so no body shape can make it expensive.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from aiohttp import web

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
MAX_CLOCK_SKEW_SECONDS = 5 * 60  # Slack's documented replay window, as slack_sdk's SignatureVerifier

_SIGNATURE_RE = re.compile(r"v0=[0-9a-f]{64}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")


class SignatureError(Exception):
    """The request is not signed by Slack; ``status`` is the answer (400 ambiguous, 401 unsigned)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def check_headers(request: web.Request, *, now: float | None = None) -> tuple[str, str]:
    """The (timestamp, signature) headers when they can belong to a Slack request, else SignatureError.

    Slack sends each header once, the timestamp as a whole number of seconds within five minutes,
    the signature as ``v0=`` and 64 hex digits. A repeated header is ambiguous: 400. Anything
    else wrong: 401, as a failed signature is answered.
    """
    for name in (SIGNATURE_HEADER, TIMESTAMP_HEADER):
        if len(request.headers.getall(name, ())) > 1:
            raise SignatureError(400)
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not _TIMESTAMP_RE.fullmatch(timestamp) or not _SIGNATURE_RE.fullmatch(signature):
        raise SignatureError(401)
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        raise SignatureError(401)
    return timestamp, signature


def verify(signing_secret: bytes, raw: bytes, timestamp: str, signature: str) -> None:
    """SignatureError(401) unless ``signature`` is Slack's HMAC-SHA256 of ``v0:timestamp:raw`` (the bytes as sent).

    slack_sdk's SignatureVerifier decodes the body as UTF-8 first, which raises on other bytes.
    """
    expected = hmac.new(signing_secret, b"v0:" + timestamp.encode("ascii") + b":" + raw, hashlib.sha256).hexdigest()
    if not signing_secret or not hmac.compare_digest("v0=" + expected, signature):
        raise SignatureError(401)
