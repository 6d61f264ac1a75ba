"""Slack clients: the Web API and ``response_url`` clients with napkin's timeout and retry rules, and authorize."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.retry_after import CappedRateLimitRetryHandler
from config.settings import Settings

WEB_API_TIMEOUT_SECONDS = 10

Authorize = Callable[..., Awaitable[AuthorizeResult]]


def retry_handlers() -> list[AsyncRetryHandler]:
    """Web API retries, chosen so that one reply is not posted twice.

    429 waits for ``Retry-After`` (nothing was posted). 500/503 retry once: a 5xx returned after
    Slack had stored the message would duplicate it, a risk accepted to ride out transient
    outages. Connection errors retry only when no connection was made (``ClientConnectorError``),
    never after a request may have reached Slack (a reset or disconnect mid-response).
    """
    return [
        CappedRateLimitRetryHandler(max_retry_count=2),  # Retry-After bounded, HTTP-dates read
        AsyncServerErrorRetryHandler(max_retry_count=1),
        AsyncConnectionErrorRetryHandler(max_retry_count=1, error_types=[aiohttp.ClientConnectorError]),
    ]


def make_web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """An AsyncWebClient on SLACK_API_URL with napkin's retry handlers."""
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
    )


def make_webhook_client(response_url: str) -> AsyncWebhookClient:
    """A ``response_url`` client with the same timeout and retry rules as the Web API client.

    Bolt's ``respond()`` uses slack_sdk's defaults instead: a 30 s timeout, and a retry after a
    connection reset or disconnect, when the message may already have been posted.
    """
    return AsyncWebhookClient(url=response_url, timeout=WEB_API_TIMEOUT_SECONDS, retry_handlers=retry_handlers())


def token_authorize(bot_token: str) -> Authorize:
    """Single-workspace authorize: ``auth.test`` once (on SLACK_API_URL), then cached."""
    cached: list[AuthorizeResult] = []
    lock = asyncio.Lock()

    async def authorize(client: AsyncWebClient) -> AuthorizeResult:
        async with lock:
            if not cached:
                response = await client.auth_test(token=bot_token)
                cached.append(AuthorizeResult.from_auth_test_response(auth_test_response=response, bot_token=bot_token))
            return cached[0]

    return authorize
