"""Liveness and readiness: ``GET /healthz`` and ``GET /readyz`` on an aiohttp application.

``/healthz`` answers 200 while the process serves requests at all. ``/readyz`` answers 200 only
when this replica should receive traffic: the app is built and not draining, and in Socket Mode
the WebSocket is connected with a recent ping-pong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.routes import HEALTH_PATH, READY_PATH

PING_PONG_STALE_FACTOR = 4  # slack_sdk reconnects after 4 missed ping intervals

Readiness = Callable[[], Awaitable[tuple[bool, str]]]


def add_health_routes(web_app: web.Application, readiness: Readiness) -> None:
    """Add ``/healthz`` (always 200) and ``/readyz`` (200 or 503 with the reason) to ``web_app``."""

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        ready, reason = await readiness()
        return web.Response(status=200 if ready else 503, text=f"{reason}\n")

    web_app.router.add_get(HEALTH_PATH, healthz)
    web_app.router.add_get(READY_PATH, readyz)


def socket_ready(
    *,
    connected: bool,
    last_ping_pong: float | None,
    now: float,
    ping_interval: float,
    draining: bool,
) -> tuple[bool, str]:
    """Readiness of a Socket Mode replica, with the reason.

    ``connected`` (slack_sdk's ``is_connected()``) is not enough on its own: sessions have been
    seen to stay "connected" while no pong came back, so the last pong must also be recent.
    """
    if draining:
        return False, "draining"
    if not connected:
        return False, "socket not connected"
    if last_ping_pong is None:
        return False, "no ping-pong yet"
    age = now - last_ping_pong
    if age >= PING_PONG_STALE_FACTOR * ping_interval:
        return False, f"last ping-pong {age:.0f}s ago"
    return True, "ready"
