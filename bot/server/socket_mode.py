"""Socket Mode: the same app over Slack's WebSocket, plus ``/healthz`` and ``/readyz`` on PORT.

Ready only while the socket is connected and its last ping-pong is recent. SIGTERM/SIGINT:
not ready, close the socket (Slack sends new envelopes to other connections), wait up to
NAPKIN_DRAIN_SECONDS for replies being posted, exit 0. Retry headers (``x-slack-retry-num`` /
``-reason``) reach the app from the envelope since Bolt 1.29, so ``bot.slack.dedupe`` applies unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.logs import log_fields
from bot.server.drain import on_stop_signal
from bot.server.loop_errors import install_loop_error_handler
from bot.server.probes import add_health_routes, socket_ready
from bot.server.startup import startup_failed
from bot.slack.app import AppState
from config.settings import Settings

logger = logging.getLogger("napkin.socket_mode")

PING_INTERVAL_SECONDS = 10.0
CLOSE_TIMEOUT_SECONDS = 5.0


def make_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    """The Socket Mode handler; its Web API client is the app's (SLACK_API_URL, retries). Needs a loop."""
    token = settings.slack_app_token
    if token is None:
        raise ValueError("SLACK_APP_TOKEN is required for Socket Mode")
    return AsyncSocketModeHandler(
        app,
        app_token=token.get_secret_value(),
        web_client=app.client,
        ping_interval=PING_INTERVAL_SECONDS,
    )


async def readiness_of(handler: AsyncSocketModeHandler, state: AppState) -> tuple[bool, str]:
    """Readiness from the handler's client (see :func:`bot.server.probes.socket_ready`)."""
    client = handler.client
    return socket_ready(
        connected=await client.is_connected(),
        last_ping_pong=client.last_ping_pong_time,
        now=time.time(),
        ping_interval=client.ping_interval,
        draining=state.draining,
    )


async def serve_socket_mode(settings: Settings, app: AsyncApp, state: AppState, stop: asyncio.Event) -> None:
    """Connect, serve health on NAPKIN_HOST:PORT until ``stop`` is set, then close and drain."""
    handlers: list[AsyncSocketModeHandler] = []

    async def readiness() -> tuple[bool, str]:
        if not handlers:
            return False, "starting"
        return await readiness_of(handlers[0], state)

    health = web.Application()
    add_health_routes(health, readiness)
    runner = web.AppRunner(health, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.napkin_host, settings.port).start()
        handler = make_handler(app, settings)  # after the port is bound: nothing to leak if it is taken
        handlers.append(handler)
        log_fields(
            logger,
            logging.INFO,
            "starting",
            mode="socket",
            health=f"{settings.napkin_host}:{settings.port}",
            commands=" ".join(settings.commands().values()),
        )
        # connect() retries until it succeeds or the client is closed: race it against stop.
        connect = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({connect, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if connect.done() and connect.exception() is None:
            logger.info("connected")
        await stop.wait()
        state.draining = True
        log_fields(logger, logging.INFO, "draining", in_flight=len(state.tasks))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(handler.close_async(), CLOSE_TIMEOUT_SECONDS)  # type: ignore[no-untyped-call]
        connect.cancel()
        left = await state.tasks.drain(settings.napkin_drain_seconds)
        if left:
            log_fields(logger, logging.WARNING, "drain deadline passed", still_running=left)
        else:
            logger.info("drained")
    finally:
        await runner.cleanup()


def run_socket_mode(settings: Settings, app: AsyncApp, state: AppState) -> int:
    """Run Socket Mode until SIGTERM/SIGINT; 0 after draining, 2 when PORT cannot be bound."""

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        install_loop_error_handler(loop)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_stop_signal, stop, sig)
        await serve_socket_mode(settings, app, state, stop)

    try:
        asyncio.run(run())
    except OSError as err:
        return startup_failed(f"cannot listen on {settings.napkin_host}:{settings.port}: {err.strerror or err}")
    return 0
