"""``napkin serve``: the Slack app over HTTP (aiohttp) or Socket Mode, with health probes and a drain.

HTTP mode serves ``POST /slack/events`` (every Slack request: commands, interactivity, events),
``GET /healthz`` and ``GET /readyz`` on NAPKIN_HOST:PORT. On SIGTERM/SIGINT aiohttp stops
accepting connections; napkin then marks itself draining (``/readyz`` 503, event deliveries not
yet processed get 503 so Slack redelivers them elsewhere), waits up to NAPKIN_DRAIN_SECONDS for
requests in flight and for work that outlives its response (replies being posted), and exits 0.

``napkin run`` (:func:`run_main`) serves when Slack credentials are configured, else opens the
local console. Startup errors print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import configure_logging, log_fields
from bot.routes import EVENTS_PATH, READY_PATH
from bot.server.probes import add_health_routes
from bot.slack.app import AppState, build_app
from config.catalogs import CatalogError
from config.settings import Settings, SettingsError, load_settings

logger = logging.getLogger("napkin.serve")

EXIT_STARTUP_ERROR = 2

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class StartupError(Exception):
    """napkin cannot start; the message is the one line printed on stderr."""


# --- the HTTP application --------------------------------------------------------------------


def build_web_app(app: AsyncApp, state: AppState, *, drain_seconds: float) -> web.Application:
    """The aiohttp application ``napkin serve`` runs in HTTP mode (tests run this very one).

    Requests become ``AsyncBoltRequest`` with the raw body, so signature verification sees
    exactly what Slack signed (:func:`to_bolt_request`).
    """

    async def slack_events(request: web.Request) -> web.Response:
        rejected = reject_malformed(request)
        if rejected is not None:
            return rejected
        try:
            bolt_request = await to_bolt_request(request)
        except MalformedRequest:
            return web.json_response({"error": "malformed request"}, status=400)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def readiness() -> tuple[bool, str]:
        return (False, "draining") if state.draining else (True, "ready")

    web_app = web.Application(middlewares=[log_rejections])
    web_app.router.add_post(EVENTS_PATH, slack_events)
    add_health_routes(web_app, readiness)
    on_shutdown, on_cleanup = drain_hooks(state, drain_seconds)
    web_app.on_shutdown.append(on_shutdown)
    web_app.on_cleanup.append(on_cleanup)
    return web_app


class MalformedRequest(ValueError):
    """A body that is neither a Slack form nor a JSON object (or not UTF-8)."""


_SIGNATURE_HEADERS = ("X-Slack-Signature", "X-Slack-Request-Timestamp")


def reject_malformed(request: web.Request) -> web.Response | None:
    """Answer, before Bolt sees them, requests its signature check would crash on (then answer 200).

    Slack sends each signature header once, the timestamp as a whole number, the signature in
    ASCII. A repeated header is ambiguous (Bolt would check only the last one): 400. A timestamp
    ``int()`` cannot read or a non-ASCII signature raises inside Bolt's check: 401, as a failed
    signature is answered.
    """
    for name in _SIGNATURE_HEADERS:
        if len(request.headers.getall(name, ())) > 1:
            return web.json_response({"error": "malformed request"}, status=400)
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    if not request.headers.get("X-Slack-Signature", "").isascii() or not (timestamp is None or _is_int(timestamp)):
        return web.json_response({"error": "invalid request"}, status=401)
    return None


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def parse_body(raw: str, content_type: str) -> dict[str, Any]:
    """The body as Bolt's listeners expect it: a JSON object, an interactivity ``payload``, or a form.

    Unlike Bolt's own parser, which takes any form whose text contains ``payload`` for an
    interactivity request, so that ``/fits payload`` or a command from ``#payload-team`` parsed
    as an empty body and went unanswered, the form decides by its ``payload`` field.
    Raises MalformedRequest for anything else.
    """
    if not raw:
        return {}
    try:
        if content_type == "application/json" or raw.startswith("{"):
            body = json.loads(raw)
        else:
            form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            body = json.loads(form["payload"]) if "payload" in form else form
    except ValueError as err:
        raise MalformedRequest(str(err)) from None
    if not isinstance(body, dict):
        raise MalformedRequest("not a JSON object")
    return body


async def to_bolt_request(request: web.Request) -> AsyncBoltRequest:
    """Bolt's aiohttp adapter with napkin's :func:`parse_body`; MalformedRequest for unusable bodies."""
    try:
        raw = await request.text()
    except UnicodeDecodeError:
        raise MalformedRequest("not UTF-8") from None
    body = parse_body(raw, request.content_type)
    bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
    bolt_request.raw_body = raw
    bolt_request.body = body
    try:
        bolt_request.context = build_async_context(AsyncBoltContext(), body)
    except (AttributeError, TypeError, KeyError, IndexError):  # e.g. "authorizations" not a list of objects
        raise MalformedRequest("unexpected field types") from None
    return bolt_request


def drain_hooks(
    state: AppState, drain_seconds: float
) -> tuple[Callable[[web.Application], Awaitable[None]], Callable[[web.Application], Awaitable[None]]]:
    """aiohttp hooks that drain within one ``drain_seconds`` deadline.

    on_shutdown (listening sockets already closed) marks the state draining and waits for tracked
    work; aiohttp then waits for handlers still running; on_cleanup waits for the work those
    handlers started, because aiohttp cancels every task left after on_cleanup.
    """
    deadline: list[float] = []

    async def on_shutdown(_: web.Application) -> None:
        state.draining = True
        deadline.append(time.monotonic() + drain_seconds)
        log_fields(logger, logging.INFO, "draining", in_flight=len(state.tasks), drain_seconds=drain_seconds)
        await state.tasks.drain(drain_seconds)

    async def on_cleanup(_: web.Application) -> None:
        end = deadline[0] if deadline else time.monotonic() + drain_seconds
        left = await state.tasks.drain(max(0.0, end - time.monotonic()))
        if left:
            log_fields(logger, logging.WARNING, "drain deadline passed", still_running=left)
        else:
            logger.info("drained")

    return on_shutdown, on_cleanup


@web.middleware
async def log_rejections(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One WARNING line (method, path, status; never the body) for each non-2xx answer.

    Also for aiohttp's own rejections (404, 405, 413 for a body over 1 MiB), raised as exceptions.
    """
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as err:
        _log_rejection(request, err.status, started)
        raise
    _log_rejection(request, response.status, started)
    return response


def _log_rejection(request: web.Request, status: int, started: float) -> None:
    if status >= 400 and request.path != READY_PATH:
        log_fields(
            logger,
            logging.WARNING,
            "rejected",
            method=request.method,
            path=request.path,
            status=status,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )


# --- startup ---------------------------------------------------------------------------------


def prepare(settings: Settings) -> tuple[AsyncApp, AppState]:
    """Validate ``settings`` for serving and build the app; problems become one-line StartupErrors."""
    try:
        settings.validate_for_serving()
        state = AppState()
        return build_app(settings, state=state), state
    except (SettingsError, CatalogError) as err:
        raise StartupError(str(err)) from None


# auth.test / apps.connections.open errors that mean the token itself is wrong.
_REJECTED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"}
)


async def verify_credentials(settings: Settings, client: AsyncWebClient) -> None:
    """Ask Slack (at SLACK_API_URL) whether the tokens work, so a wrong one fails the deploy.

    A rejected token is a StartupError; an unreachable Slack is only a warning (the app still
    starts, and answers once Slack is back).
    """
    checks: list[tuple[str, Callable[[], Awaitable[object]]]] = []
    if settings.slack_bot_token is not None:
        bot_token = settings.slack_bot_token.get_secret_value()
        checks.append(("SLACK_BOT_TOKEN", lambda: client.auth_test(token=bot_token)))
    if settings.mode == "socket" and settings.slack_app_token is not None:
        app_token = settings.slack_app_token.get_secret_value()
        checks.append(("SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=app_token)))
    for variable, check in checks:
        try:
            await check()
        except SlackApiError as err:
            error = str(err.response.get("error") or err.response.status_code)
            if error in _REJECTED_TOKEN_ERRORS:
                raise StartupError(f"{variable}: Slack rejected it ({error})") from None
            log_fields(logger, logging.WARNING, "token check failed", variable=variable, error=error)
        except (TimeoutError, aiohttp.ClientError) as err:
            log_fields(logger, logging.WARNING, "Slack unreachable at startup", error=type(err).__name__)
            return


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="napkin serve", description="Serve the napkin Slack app.")
    parser.add_argument("--host", help="interface to listen on (default: NAPKIN_HOST, 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port (default: PORT, 3000)")
    parser.add_argument("--mode", choices=("http", "socket", "auto"), help="default: NAPKIN_MODE (auto)")
    return parser.parse_args(argv)


def _settings_from(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    overrides = {
        key: value
        for key, value in (("napkin_host", args.host), ("port", args.port), ("napkin_mode", args.mode))
        if value is not None
    }
    if not overrides:
        return settings
    if "port" in overrides and not 1 <= overrides["port"] <= 65535:
        raise SettingsError(f"--port: must be a whole number between 1 and 65535 (got {overrides['port']})")
    return settings.model_copy(update=overrides)


def _startup_failed(message: str) -> int:
    print(f"napkin: {message}", file=sys.stderr)
    return EXIT_STARTUP_ERROR


def main(argv: list[str]) -> int:
    """``napkin serve [--host H] [--port P] [--mode http|socket|auto]``: serve until SIGTERM."""
    args = _parse_args(argv)
    try:
        settings = _settings_from(args)
    except SettingsError as err:
        return _startup_failed(str(err))
    return serve(settings)


def serve(settings: Settings) -> int:
    """Serve with already-loaded settings; 0 after a clean shutdown, 2 when it cannot start."""
    configure_logging(settings.napkin_log_level, settings.napkin_log_format, secrets=_secrets(settings))
    try:
        app, state = prepare(settings)
        asyncio.run(verify_credentials(settings, app.client))
    except StartupError as err:
        return _startup_failed(str(err))
    freeze_startup_objects()
    if settings.mode == "socket":
        from bot.server.socket_mode import run_socket_mode

        return run_socket_mode(settings, app, state)
    return run_http(settings, app, state)


def freeze_startup_objects() -> None:
    """Move everything allocated so far (modules, the catalog, Bolt, pydantic schemas) out of the GC's sight.

    Those objects live as long as the process, yet every full collection walked them all: under
    load one took tens of milliseconds, stalling every request in flight (docs/performance.md).
    """
    gc.collect()
    gc.freeze()


def run_http(settings: Settings, app: AsyncApp, state: AppState) -> int:
    """Run HTTP mode until SIGTERM/SIGINT; 0 after draining, 2 when the port cannot be bound."""
    web_app = build_web_app(app, state, drain_seconds=settings.napkin_drain_seconds)

    async def announce(_: web.Application) -> None:
        log_fields(
            logger,
            logging.INFO,
            "starting",
            mode="http",
            host=settings.napkin_host,
            port=settings.port,
            path=EVENTS_PATH,
            commands=" ".join(settings.commands().values()),
        )

    web_app.on_startup.append(announce)
    try:
        web.run_app(
            web_app,
            host=settings.napkin_host,
            port=settings.port,
            shutdown_timeout=settings.napkin_drain_seconds,
            handle_signals=True,
            access_log=None,
            print=None,
        )
    except OSError as err:
        return _startup_failed(f"cannot listen on {settings.napkin_host}:{settings.port}: {err.strerror or err}")
    return 0


def _secrets(settings: Settings) -> list[str]:
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


def run_main(argv: list[str]) -> int:
    """``napkin run``: serve when any Slack credential is configured, else the local console."""
    try:
        settings = load_settings()
    except SettingsError as err:
        return _startup_failed(str(err))
    if settings.has_slack_credentials:
        return main(argv)
    print(
        "napkin: no Slack credentials (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET / SLACK_APP_TOKEN); "
        "starting the local console",
        file=sys.stderr,
    )
    from bot.console.repl import main as console_main

    return console_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
