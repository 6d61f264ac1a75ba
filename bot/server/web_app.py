"""The aiohttp application of HTTP mode: ``POST /slack/events`` behind the signature check, and the probes.

A request to ``/slack/events`` goes: signature headers (401/400, body never read), body within the
limits (:mod:`bot.server.body`), HMAC over the raw bytes (401), and only then parsing (400 for a
body Slack never sends) and Bolt. ``napkin serve`` and the tests run this very application.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp

from bot.logs import log_fields
from bot.routes import EVENTS_PATH, READY_PATH
from bot.server.body import BodyRefused, receive_body
from bot.server.bolt_request import MalformedRequest, to_bolt_request
from bot.server.drain import drain_hooks
from bot.server.limits import MAX_BODY_BYTES, BodyBudgets
from bot.server.probes import add_health_routes
from bot.server.signature import SignatureError, check_headers, verify
from bot.slack.app import AppState

logger = logging.getLogger("napkin.serve")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FORM = "application/x-www-form-urlencoded"
_ANSWERS = {400: "malformed request", 401: "invalid request"}


def build_web_app(app: AsyncApp, state: AppState, *, signing_secret: str, drain_seconds: float) -> web.Application:
    """The aiohttp application ``napkin serve`` runs in HTTP mode."""
    secret = signing_secret.encode()
    budgets = BodyBudgets()
    draining = asyncio.Event()

    async def slack_events(request: web.Request) -> web.StreamResponse:
        try:
            timestamp, signature = check_headers(request)
            raw = await receive_body(request, budgets, draining)
            verify(secret, raw, timestamp, signature)
            bolt_request = to_bolt_request(raw, request.content_type, request.query_string, request.headers)
        except SignatureError as err:
            if err.status == 401 and await _is_ssl_check(request, budgets, draining):
                return web.Response(status=200, text="")
            return web.json_response({"error": _ANSWERS[err.status]}, status=err.status)
        except MalformedRequest:
            return web.json_response({"error": _ANSWERS[400]}, status=400)
        except BodyRefused as refused:
            if refused.response is None:  # the client went away mid-body: nobody to answer
                log_fields(logger, logging.INFO, "client disconnected mid-body", path=request.path)
                return web.Response(status=400)
            return refused.response
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def readiness() -> tuple[bool, str]:
        return (False, "draining") if state.draining else (True, "ready")

    web_app = web.Application(middlewares=[log_rejections], client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    add_health_routes(web_app, readiness)
    on_shutdown, on_cleanup = drain_hooks(state, draining, drain_seconds)
    web_app.on_shutdown.append(on_shutdown)
    web_app.on_cleanup.append(on_cleanup)
    return web_app


SSL_CHECK_MAX_BYTES = 256


async def _is_ssl_check(request: web.Request, budgets: BodyBudgets, draining: asyncio.Event) -> bool:
    """Slack's unsigned certificate check (``ssl_check=1``, a few bytes): answered 200 with nothing done."""
    length = request.content_length
    if length is None or length > SSL_CHECK_MAX_BYTES or request.content_type != FORM:
        return False
    try:
        raw = await receive_body(request, budgets, draining)
    except BodyRefused:
        return False
    fields = urllib.parse.parse_qs(raw.decode("ascii", errors="replace"), max_num_fields=4)
    return fields.get("ssl_check") == ["1"]


@web.middleware
async def log_rejections(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One WARNING line (method, path, status; never the body) for each non-2xx answer.

    Also for aiohttp's own rejections (404, 405), raised as exceptions.
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
