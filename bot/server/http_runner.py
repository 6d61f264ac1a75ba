"""HTTP mode's process: listen, serve until SIGTERM/SIGINT, drain, exit 0.

napkin runs aiohttp's runner itself rather than ``web.run_app`` so that a second signal during the
drain is one logged line and changes nothing (``run_app`` exited 1 at once, cancelling replies in
flight), and so that the open-file limit and asyncio's accept errors are handled (see
:mod:`bot.server.loop_errors`).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.logs import log_fields
from bot.routes import EVENTS_PATH
from bot.server.drain import on_stop_signal
from bot.server.limits import KEEPALIVE_SECONDS, raise_open_file_limit
from bot.server.loop_errors import install_loop_error_handler
from bot.server.startup import startup_failed
from bot.server.web_app import build_web_app
from bot.slack.app import AppState
from config.settings import Settings

logger = logging.getLogger("napkin.serve")

BACKLOG = 1024


def run_http(settings: Settings, app: AsyncApp, state: AppState) -> int:
    """Run HTTP mode until SIGTERM/SIGINT; 0 after draining, 2 when the port cannot be bound."""
    try:
        asyncio.run(_serve(settings, app, state))
    except OSError as err:
        return startup_failed(f"cannot listen on {settings.napkin_host}:{settings.port}: {err.strerror or err}")
    return 0


async def _serve(settings: Settings, app: AsyncApp, state: AppState) -> None:
    loop = asyncio.get_running_loop()
    install_loop_error_handler(loop)
    open_files = raise_open_file_limit()
    secret = settings.slack_signing_secret
    web_app = build_web_app(
        app,
        state,
        signing_secret=secret.get_secret_value() if secret is not None else "",
        drain_seconds=settings.napkin_drain_seconds,
    )
    runner = web.AppRunner(
        web_app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=settings.napkin_drain_seconds,
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    await runner.setup()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_stop_signal, stop, signum)
    try:
        site = web.TCPSite(runner, settings.napkin_host, settings.port, backlog=BACKLOG)
        await site.start()
        log_fields(
            logger,
            logging.INFO,
            "starting",
            mode="http",
            host=settings.napkin_host,
            port=settings.port,
            path=EVENTS_PATH,
            open_files=open_files,
            commands=" ".join(settings.commands().values()),
        )
        await stop.wait()
    finally:
        await runner.cleanup()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
