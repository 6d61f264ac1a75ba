"""The drain: at SIGTERM, finish what was accepted within one NAPKIN_DRAIN_SECONDS deadline, refuse the rest."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.logs import log_fields
from bot.slack.app import AppState

logger = logging.getLogger("napkin.serve")

Hook = Callable[[web.Application], Awaitable[None]]


def drain_hooks(state: AppState, draining: asyncio.Event, drain_seconds: float) -> tuple[Hook, Hook]:
    """aiohttp (on_shutdown, on_cleanup) hooks that drain within one ``drain_seconds`` deadline.

    on_shutdown (listening sockets already closed) marks the state draining, which also refuses
    (503) bodies still arriving, and waits for tracked work; aiohttp then waits for handlers still
    running; on_cleanup waits for the work those handlers started, because aiohttp cancels every
    task left after on_cleanup.
    """
    deadline: list[float] = []

    async def on_shutdown(_: web.Application) -> None:
        state.draining = True
        draining.set()
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


def on_stop_signal(stop: asyncio.Event, signum: int) -> None:
    """A SIGTERM/SIGINT handler: the first sets ``stop``; any later one is a logged line and nothing else.

    (aiohttp's ``run_app`` exited 1 at once on a second signal, cancelling replies in flight.)
    """
    name = signal.Signals(signum).name
    if stop.is_set():
        log_fields(logger, logging.WARNING, "signal during drain ignored; still draining", signal=name)
        return
    log_fields(logger, logging.INFO, "signal received", signal=name)
    stop.set()
