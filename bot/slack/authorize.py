"""Single-workspace ``authorize`` for Bolt: the bot token's ``auth.test``, asked once and remembered.

``napkin serve`` asks ``auth.test`` at start-up and hands the answer over (:meth:`TokenAuthorizer.remember`),
so the first request does not ask again. When Slack cannot answer (5xx, rate limited, unreachable),
that is not the token's fault: the request is authorized with what it carries itself and
``auth.test`` is asked again next time. Raising instead would make Bolt tell the user to
"reinstall this app", which only a rejected token warrants.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.logs import log_fields

logger = logging.getLogger("napkin.authorize")

REJECTED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"}
)
"""``auth.test`` / ``apps.connections.open`` errors that mean the token itself is wrong."""


def is_rejected_token(err: SlackApiError) -> bool:
    """Whether Slack's error says the token is wrong (not that Slack failed)."""
    return str(err.response.get("error") or "") in REJECTED_TOKEN_ERRORS


class TokenAuthorizer:
    """One bot token's authorization; pass :attr:`authorize` as ``build_app(authorize=...)``."""

    def __init__(self, bot_token: str) -> None:
        self._token = bot_token
        self._result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

        # A plain function: Bolt passes arguments by the names in its signature.
        async def authorize(client: AsyncWebClient, team_id: str | None, enterprise_id: str | None) -> AuthorizeResult:
            return await self._authorize(client, team_id, enterprise_id)

        self.authorize = authorize

    def remember(self, auth_test: AsyncSlackResponse) -> AuthorizeResult:
        """Keep a successful ``auth.test`` answer (the start-up check's) for every request; return it."""
        result = AuthorizeResult.from_auth_test_response(auth_test_response=auth_test, bot_token=self._token)
        self._result = result
        return result

    async def _authorize(
        self, client: AsyncWebClient, team_id: str | None, enterprise_id: str | None
    ) -> AuthorizeResult:
        if self._result is not None:
            return self._result
        async with self._lock:
            if self._result is not None:
                return self._result
            try:
                response = await client.auth_test(token=self._token)
            except SlackApiError as err:
                if is_rejected_token(err):
                    raise  # Bolt answers with its "reinstall" message: right for a rejected token
                error = str(err.response.get("error") or err.response.status_code)
                log_fields(logger, logging.WARNING, "auth.test failed; will retry", error=error)
                return self._provisional(team_id, enterprise_id)
            except (TimeoutError, aiohttp.ClientError) as err:
                log_fields(logger, logging.WARNING, "auth.test failed; will retry", error=type(err).__name__)
                return self._provisional(team_id, enterprise_id)
            return self.remember(response)

    def _provisional(self, team_id: str | None, enterprise_id: str | None) -> AuthorizeResult:
        # Not remembered: the bot's user id is unknown until auth.test answers.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=self._token)
