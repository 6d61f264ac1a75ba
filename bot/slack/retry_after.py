"""Rate-limit retries that honour Slack's ``Retry-After`` within a bound, in either of its forms.

slack_sdk's ``AsyncRateLimitErrorRetryHandler`` waits whatever whole number of seconds the header
says (``Retry-After: 3600`` parked a reply for an hour, holding its task and the drain) and
raises on the HTTP-date form RFC 9110 also allows. This handler reads both, and does not retry
when the wait would pass ``MAX_RETRY_AFTER_SECONDS``: the reply then fails as one logged line
(``http_429``), and the user can ask again.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import time

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

MAX_RETRY_AFTER_SECONDS = 30.0
"""The longest napkin waits to retry a rate-limited call; a reply later than that is not worth holding."""
DEFAULT_RETRY_AFTER_SECONDS = 1.0
"""The wait when Slack sends a 429 without a readable Retry-After."""


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date; the default if unreadable."""
    if value is None:
        return DEFAULT_RETRY_AFTER_SECONDS
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return DEFAULT_RETRY_AFTER_SECONDS
    if when.tzinfo is None:
        return DEFAULT_RETRY_AFTER_SECONDS  # RFC 9110 dates are GMT; a zoneless one is not Slack's
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else DEFAULT_RETRY_AFTER_SECONDS


def _header(response: HttpResponse, name: str) -> str | None:
    for key, values in response.headers.items():
        if key.lower() == name:
            return values[0] if values else None
    return None


class CappedRateLimitRetryHandler(AsyncRetryHandler):
    """Retry a 429 after its Retry-After, unless that is more than ``MAX_RETRY_AFTER_SECONDS`` away."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_seconds(_header(response, "retry-after")) <= MAX_RETRY_AFTER_SECONDS

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait the (bounded) Retry-After, then count the attempt."""
        state.next_attempt_requested = True
        wait = (
            DEFAULT_RETRY_AFTER_SECONDS if response is None else retry_after_seconds(_header(response, "retry-after"))
        )
        await asyncio.sleep(min(wait, MAX_RETRY_AFTER_SECONDS))
        state.increment_current_attempt()
