"""The benchmark's baseline: a bare Bolt AsyncApp whose ``/traincost`` acks an echo of its text.

Served exactly as ``napkin serve`` serves napkin: an aiohttp ``web.Application`` whose
``POST /slack/events`` goes through Bolt's aiohttp adapter (``to_bolt_request`` →
``async_dispatch`` → ``to_aiohttp_response``), ``GET /healthz``/``/readyz``, ``web.run_app`` with
no access log. Bolt's own single-workspace authorization (one ``auth.test``, cached) and request
verification stay on; nothing of napkin's (settings, logging, middleware, estimator) is loaded.

``BASELINE_INLINE=1`` builds it with ``process_before_response=True``, as napkin is built: the
listener runs inline instead of in a task that Bolt polls every 10 ms for ``ack()``.

Run: ``SLACK_BOT_TOKEN=… SLACK_SIGNING_SECRET=… SLACK_API_URL=… PORT=… python -m bench.baseline_app``.
"""

from __future__ import annotations

import os
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.routes import EVENTS_PATH


def build_baseline(*, signing_secret: str, bot_token: str, api_url: str, inline: bool = False) -> AsyncApp:
    """A bare AsyncApp: one ``/traincost`` listener that acks ``echo: <text>``."""
    app = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(token=bot_token, base_url=api_url),
        process_before_response=inline,
    )

    @app.command("/traincost")
    async def echo(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(text=f"echo: {command.get('text', '')}", response_type="ephemeral")

    return app


def build_web_app(app: AsyncApp) -> web.Application:
    """The same route style as ``bot.server.web_app.build_web_app``, without napkin's middleware."""

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", ok)
    web_app.router.add_get("/readyz", ok)
    return web_app


def main() -> None:
    """Serve on 127.0.0.1:$PORT until SIGTERM/SIGINT."""
    app = build_baseline(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        bot_token=os.environ["SLACK_BOT_TOKEN"],
        api_url=os.environ["SLACK_API_URL"],
        inline=os.environ.get("BASELINE_INLINE") == "1",
    )
    web.run_app(
        build_web_app(app),
        host=os.environ.get("NAPKIN_HOST", "127.0.0.1"),
        port=int(os.environ["PORT"]),
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
