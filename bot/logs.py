"""Logging: one structured line per request, JSON or text, with secrets redacted from every line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TextIO

from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped, warning_token_skipped

REQUEST_LOGGER = "napkin.request"
APP_LOGGER = "napkin"
FIELDS_ATTR = "napkin_fields"

# Bolt logs the signature, timestamp and full body of every request that fails verification at
# INFO; bodies carry user text and ids. Kept at WARNING (see quiet_request_verification()).
REQUEST_VERIFICATION_LOGGERS = ("slack_bolt.RequestVerification", "slack_bolt.AsyncRequestVerification")

# Bolt warns that SLACK_BOT_TOKEN is unused whenever it is set in the environment, because napkin
# passes its own client and authorize (on purpose): misleading in napkin's logs, so dropped.
_BOLT_NOISE = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

# Slack tokens: bot/user/app/config/refresh (xoxb-, xoxp-, xapp-, xoxe.xoxb-, xoxe-…).
_TOKEN_RE = re.compile(r"\b(xox[a-z]|xapp|xoxe(?:\.xox[a-z])?)-[A-Za-z0-9-]+")
# Any "token" field: Slack's legacy verification token rides in every request body (form
# ``token=…``, JSON ``"token": "…"``, backslash-escaped when a body is logged inside a string, or
# a dict's repr ``'token': '…'``), and slack_sdk logs whole Socket Mode messages at DEBUG.
_TOKEN_FIELD_RE = re.compile(r"""(\btoken\\?["']?\s*[:=]\s*\\?["']?)([^"'\\&\s,;}]+)""")
# Hugging Face user access tokens (hf_ + 34 letters today; any length of 20+ is treated as one).
_HF_TOKEN_RE = re.compile(r"\bhf_[A-Za-z0-9]{20,}")
_REDACTED = "[redacted]"
_MAX_FIELD_CHARS = 300


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with Slack tokens, ``token`` fields' values and the given secrets replaced by a marker."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, _REDACTED)
    if "token" in text:
        text = _TOKEN_FIELD_RE.sub(lambda m: m.group(1) + _REDACTED, text)
    if "hf_" in text:
        text = _HF_TOKEN_RE.sub(_REDACTED, text)
    if "xox" in text or "xapp" in text:  # every token _TOKEN_RE knows starts so (a cheap test first)
        text = _TOKEN_RE.sub(lambda m: f"{m.group(1)}-{_REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and structured fields) without tokens or known secrets."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in REQUEST_VERIFICATION_LOGGERS and record.levelno < logging.WARNING:
            return False
        message = record.getMessage()
        if record.name.startswith("slack_bolt") and message in _BOLT_NOISE:
            return False
        if record.name == "aiohttp.server" and record.exc_info and isinstance(record.exc_info[1], HttpProcessingError):
            # Bytes that are not a valid HTTP request (aiohttp answered 400): the sender's fault,
            # and anyone can send them, so one WARNING line instead of an ERROR with a traceback.
            error = record.exc_info[1]
            message = f"malformed HTTP rejected: {type(error).__name__} ({error.code})"
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        record.msg = redact(message, self._secrets)
        record.args = None
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, Mapping):
            setattr(
                record,
                FIELDS_ATTR,
                {k: redact(v, self._secrets) if isinstance(v, str) else v for k, v in fields.items()},
            )
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        return True


_last_second: list[tuple[int, str]] = [(-1, "")]  # (whole second, its formatted stamp): one strftime a second


def _utc(record: logging.LogRecord) -> str:
    second = int(record.created)
    cached_second, stamp = _last_second[0]
    if second != cached_second:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _last_second[0] = (second, stamp)
    return f"{stamp}.{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, Mapping):
            doc.update(fields)
        if record.exc_text:
            doc["exception"] = record.exc_text
        return json.dumps(doc, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger message key=value …`` on one line (tracebacks, if any, follow)."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname} {record.name} {record.getMessage()}"
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, Mapping):
            line += "".join(f" {k}={_text_value(v)}" for k, v in fields.items())
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


_NEEDS_QUOTES = re.compile(r'[\s"=]')


def _text_value(value: object) -> str:
    text = str(value)
    return json.dumps(text) if (not text or _NEEDS_QUOTES.search(text)) else text


def configure_logging(
    level: str = "INFO",
    fmt: Literal["json", "text"] = "text",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Route all logging to one stream handler with napkin's format and redaction; return it."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Quiet libraries' chatty INFO lines (connection pools, Bolt's boot banner) below WARNING
    # unless DEBUG was asked for.
    if logging.getLevelName(level) != logging.DEBUG:
        for name in ("aiohttp.access", "slack_sdk.socket_mode", "slack_sdk.web"):
            logging.getLogger(name).setLevel(logging.WARNING)
    quiet_request_verification()
    return handler


def quiet_request_verification() -> None:
    """Keep Bolt's request-verification loggers at WARNING (Bolt resets them when building an app)."""
    for name in REQUEST_VERIFICATION_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def clip(value: str, limit: int = _MAX_FIELD_CHARS) -> str:
    """``value`` cut to ``limit`` characters for a log field."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def log_fields(logger: logging.Logger, level: int, message: str, **fields: object) -> None:
    """Emit ``message`` with structured ``fields`` (keys in order; None values left out)."""
    clean = {k: v for k, v in fields.items() if v is not None}
    logger.log(level, message, extra={FIELDS_ATTR: clean})


_request_logger = logging.getLogger(REQUEST_LOGGER)


def log_request(
    *,
    kind: str,
    command: str | None,
    team_id: str | None,
    user_id: str | None,
    channel_id: str | None,
    outcome: str,
    latency_ms: float,
    response_type: str | None = None,
    **extra: object,
) -> None:
    """The one line napkin writes per Slack request (ids and outcome only; never message text)."""
    log_fields(
        _request_logger,
        logging.INFO,
        "request",
        kind=kind,
        command=command,
        team=team_id,
        user=user_id,
        channel=channel_id,
        outcome=outcome,
        latency_ms=round(latency_ms, 2),
        response_type=response_type,
        **extra,
    )
