"""Start-up: validate settings, build the app, check the tokens with Slack, then serve in the chosen mode.

Every start-up problem is a :class:`StartupError` whose message is the one line printed on stderr
(exit 2).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import configure_logging, log_fields
from bot.slack.app import AppState, build_app
from bot.slack.authorize import TokenAuthorizer, is_rejected_token
from config.catalogs import CatalogError
from config.settings import Settings, SettingsError

logger = logging.getLogger("napkin.serve")

EXIT_STARTUP_ERROR = 2


class StartupError(Exception):
    """napkin cannot start; the message is the one line printed on stderr."""


def startup_failed(message: str) -> int:
    """Print ``napkin: message`` on stderr; the exit status of a failed start."""
    print(f"napkin: {message}", file=sys.stderr)
    return EXIT_STARTUP_ERROR


def prepare(settings: Settings) -> tuple[AsyncApp, AppState, TokenAuthorizer | None]:
    """Validate ``settings`` for serving and build the app; problems become one-line StartupErrors."""
    try:
        settings.validate_for_serving()
        state = AppState()
        token = settings.slack_bot_token
        authorizer = TokenAuthorizer(token.get_secret_value()) if token is not None else None
        app = build_app(settings, state=state, authorize=None if authorizer is None else authorizer.authorize)
    except (SettingsError, CatalogError) as err:
        raise StartupError(str(err)) from None
    return app, state, authorizer


async def verify_credentials(
    settings: Settings, client: AsyncWebClient, authorizer: TokenAuthorizer | None = None
) -> None:
    """Ask Slack (at SLACK_API_URL) whether the tokens work, so a wrong one fails the deploy.

    A rejected token is a StartupError; an unreachable or failing Slack is only a warning (the app
    still starts, and answers once Slack is back). A successful ``auth.test`` is handed to
    ``authorizer``, so requests do not ask again.
    """
    checks: list[tuple[str, Callable[[], Awaitable[object]]]] = []
    if settings.slack_bot_token is not None:
        bot_token = settings.slack_bot_token.get_secret_value()

        async def auth_test() -> None:
            response = await client.auth_test(token=bot_token)
            if authorizer is not None:
                authorizer.remember(response)

        checks.append(("SLACK_BOT_TOKEN", auth_test))
    if settings.mode == "socket" and settings.slack_app_token is not None:
        app_token = settings.slack_app_token.get_secret_value()
        checks.append(("SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=app_token)))
    for variable, check in checks:
        try:
            await check()
        except SlackApiError as err:
            error = str(err.response.get("error") or err.response.status_code)
            if is_rejected_token(err):
                raise StartupError(f"{variable}: Slack rejected it ({error})") from None
            log_fields(logger, logging.WARNING, "token check failed", variable=variable, error=error)
        except (TimeoutError, aiohttp.ClientError) as err:
            log_fields(logger, logging.WARNING, "Slack unreachable at startup", error=type(err).__name__)
            return


def freeze_startup_objects() -> None:
    """Move everything allocated so far (modules, the catalog, Bolt, pydantic schemas) out of the GC's sight.

    Those objects live as long as the process, yet every full collection walked them all: under
    load one took tens of milliseconds, stalling every request in flight (docs/performance.md).
    """
    gc.collect()
    gc.freeze()


def serve(settings: Settings) -> int:
    """Serve with already-loaded settings; 0 after a clean shutdown, 2 when it cannot start."""
    configure_logging(settings.napkin_log_level, settings.napkin_log_format, secrets=secrets_of(settings))
    try:
        app, state, authorizer = prepare(settings)
        asyncio.run(verify_credentials(settings, app.client, authorizer))
    except StartupError as err:
        return startup_failed(str(err))
    freeze_startup_objects()
    if settings.mode == "socket":
        from bot.server.socket_mode import run_socket_mode

        return run_socket_mode(settings, app, state)
    from bot.server.http_runner import run_http

    return run_http(settings, app, state)


def secrets_of(settings: Settings) -> list[str]:
    """The configured secrets' values, for log redaction."""
    return [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.hf_token,
        )
        if secret is not None
    ]
