"""A stand-in for Slack's Web API and ``response_url`` webhooks on 127.0.0.1, for the console.

The console's app posts mention replies with ``chat.postMessage`` exactly as in production; this
server receives them (on an ephemeral loopback port) and hands them to the console.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

BOT_USER_ID = "UNAPKIN"
BOT_ID = "BNAPKIN"
TEAM_ID = "TCONSOLE"


class LoopbackSlack:
    """Answers ``/api/<method>`` like Slack (``{"ok": true}``) and ``/hooks/<id>``; queues messages."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        """Listen on 127.0.0.1 (ephemeral port); return the Web API base URL (``…/api/``)."""
        web_app = web.Application()
        web_app.router.add_post("/api/{method}", self._api)
        web_app.router.add_post("/hooks/{hook:.*}", self._hook)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/"
        return self.base_url + "api/"

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team": "console"}
            )
        if method == "chat.postMessage":
            payload = await _payload(request)
            await self.messages.put(payload)
            return web.json_response({"ok": True, "channel": payload.get("channel"), "ts": f"{time.time():.6f}"})
        return web.json_response({"ok": True})

    async def _hook(self, request: web.Request) -> web.Response:
        await self.messages.put(await _payload(request))
        return web.Response(text="ok")


async def _payload(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return data if isinstance(data, dict) else {}
    form = await request.post()
    payload: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    if isinstance(payload.get("blocks"), str):
        payload["blocks"] = json.loads(payload["blocks"])
    return payload
