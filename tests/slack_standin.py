"""A local stand-in for Slack: the Web API, ``response_url`` webhooks and a Socket Mode WebSocket.

An aiohttp server on 127.0.0.1 (ephemeral port) that records every request (path, headers,
JSON or form body) for assertions, and can be told to fail: a status (429 with Retry-After,
500…), a delay, or a dropped connection (after reading the request), for the next N calls of one
method.

* ``POST /api/<method>``: ``auth.test`` and ``chat.postMessage`` answer like Slack; ``apps.connections.open``
  returns this server's WebSocket URL; anything else ``{"ok": true}``.
* ``POST /hooks/<anything>``: a ``response_url`` receiver.
* ``GET /link``: Socket Mode: sends ``hello``, then the envelopes tests push; records the acks.

Slack's other side, what it sends: signed request helpers and :class:`NapkinProcess`, which runs
``napkin serve`` in a subprocess and posts to it like Slack does.
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0STANDIN"


@dataclass(frozen=True)
class Recorded:
    """One request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    started: float
    finished: float | None = None

    @property
    def api_method(self) -> str:
        """``chat.postMessage`` for ``/api/chat.postMessage``; the path otherwise."""
        return self.path.removeprefix("/api/")


@dataclass
class Fault:
    """How to answer the next ``times`` calls of a method instead of normally."""

    status: int = 200
    delay: float = 0.0
    retry_after: int | str | None = None  # seconds, or the header's text (an HTTP-date)
    error: str | None = None  # HTTP 200 with {"ok": false, "error": error}
    disconnect: bool = False  # read the request, then close the connection without answering
    times: int = 1


@dataclass
class SlackStandIn:
    """The server; ``start()`` it, then point SLACK_API_URL at ``api_url``."""

    requests: list[Recorded] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _ts: int = 0

    async def start(self) -> SlackStandIn:
        """Listen on 127.0.0.1, an ephemeral port."""
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/hooks/{hook:.*}", self._hook)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/"
        return self

    async def close(self) -> None:
        """Close WebSockets and stop listening."""
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL."""
        return self.base_url + "api/"

    def hook_url(self, name: str = "commands/T0/1/abc") -> str:
        """A ``response_url`` that this stand-in receives."""
        return f"{self.base_url}hooks/{name}"

    # --- faults ------------------------------------------------------------------------------

    def fail(self, method: str, status: int, *, retry_after: int | str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status``."""
        self._faults.setdefault(method, []).append(Fault(status=status, retry_after=retry_after, times=times))

    def refuse(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` like Slack refusing them: 200, ok false."""
        self._faults.setdefault(method, []).append(Fault(error=error, times=times))

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` normally, after ``seconds``."""
        self._faults.setdefault(method, []).append(Fault(delay=seconds, times=times))

    def drop(self, method: str, *, times: int = 1) -> None:
        """Read the next ``times`` calls of ``method``, then close the connection unanswered.

        The caller cannot tell whether the request took effect (Slack may have posted it).
        """
        self._faults.setdefault(method, []).append(Fault(disconnect=True, times=times))

    def _next_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method) or []
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    # --- assertions --------------------------------------------------------------------------

    def calls(self, method: str) -> list[Recorded]:
        """Requests to ``/api/<method>`` (or to a path starting with ``method``), in order."""
        return [r for r in self.requests if r.api_method == method or r.path.startswith(method)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever a request arrives or finishes)."""
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def wait_calls(self, method: str, count: int = 1, within: float = 5.0) -> list[Recorded]:
        """Wait for ``count`` finished calls of ``method``; return them."""
        await self.wait_for(lambda: sum(1 for r in self.calls(method) if r.finished) >= count, within)
        return self.calls(method)

    async def settle(self, seconds: float = 0.3) -> None:
        """Let in-flight work land, for asserting that something did *not* happen."""
        await asyncio.sleep(seconds)

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # --- handlers ----------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> int:
        body: dict[str, Any]
        if request.content_type == "application/json":
            data = await request.json()
            body = data if isinstance(data, dict) else {"_": data}
        else:
            form = await request.post()
            body = {k: v for k, v in form.items() if isinstance(v, str)}
            if isinstance(body.get("blocks"), str):
                body["blocks"] = json.loads(body["blocks"])
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Recorded(request.method, request.path, headers, body, time.monotonic()))
        await self._notify()
        return len(self.requests) - 1

    async def _finish(self, index: int) -> None:
        done = self.requests[index]
        self.requests[index] = Recorded(done.method, done.path, done.headers, done.body, done.started, time.monotonic())
        await self._notify()

    async def _answer(self, request: web.Request, ok_body: Callable[[dict[str, Any]], web.Response]) -> web.Response:
        index = await self._record(request)
        method = self.requests[index].api_method
        fault = self._next_fault(method)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.disconnect:
            if request.transport is not None:
                request.transport.close()
            await self._finish(index)
            return web.Response(status=200)  # never sent: the connection is gone
        if fault is not None and fault.error is not None:
            response = web.json_response({"ok": False, "error": fault.error})
        elif fault is not None and fault.status != 200:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            response = web.json_response(
                {"ok": False, "error": f"http_{fault.status}"}, status=fault.status, headers=headers
            )
        else:
            response = ok_body(self.requests[index].body)
        await self._finish(index)
        return response

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        return await self._answer(request, lambda body: web.json_response(self._api_result(method, body)))

    def _api_result(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "team_id": TEAM_ID, "team": "Standin", "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        if method == "chat.postMessage":
            self._ts += 1
            return {"ok": True, "channel": body.get("channel"), "ts": f"1700000000.{self._ts:06d}"}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base_url.replace("http://", "ws://") + "link"}
        return {"ok": True}

    async def _hook(self, request: web.Request) -> web.Response:
        return await self._answer(request, lambda _: web.Response(text="ok"))

    # --- Socket Mode -------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0STANDIN"}})
        await self._notify()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
                await self._notify()
        return ws

    @property
    def connected(self) -> bool:
        """Whether a Socket Mode client is connected."""
        return any(not ws.closed for ws in self._sockets)

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Push a Socket Mode envelope to the connected client."""
        live = [ws for ws in self._sockets if not ws.closed]
        assert live, "no Socket Mode client connected"
        await live[-1].send_json(envelope)

    async def wait_ack(self, envelope_id: str, within: float = 5.0) -> dict[str, Any]:
        """The client's acknowledgement of ``envelope_id``."""
        await self.wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in self.acks), within)
        return next(a for a in self.acks if a.get("envelope_id") == envelope_id)


# --- what Slack sends ---------------------------------------------------------------------------

SIGNING_SECRET = "test-signing-secret-0123456789ab"
BOT_TOKEN = "xoxb-1111-2222-standintoken"
APP_TOKEN = "xapp-1-A0STANDIN-3333-standinapptoken"
USER_ID = "U0ASKER"
CHANNEL_ID = "C0GENERAL"


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with ``body``: the v0 HMAC signature over ``v0:<timestamp>:<body>``."""
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def slash_form(
    command: str, text: str, *, response_url: str = "https://hooks.invalid/x", **fields: str
) -> dict[str, str]:
    """Every field of a slash-command POST, as Slack sends them (``fields`` override)."""
    form = {
        "token": "legacyverificationtoken",
        "team_id": TEAM_ID,
        "team_domain": "standin",
        "channel_id": CHANNEL_ID,
        "channel_name": "general",
        "user_id": USER_ID,
        "user_name": "asker",
        "command": command,
        "text": text,
        "api_app_id": "A0STANDIN",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1234.5678.abcdef",
    }
    form.update(fields)
    return form


_event_counter = 0


def event_envelope(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API ``event_callback`` around ``event`` (a fresh event_id unless given)."""
    global _event_counter  # noqa: PLW0603 (unique ids across a test session)
    _event_counter += 1
    return {
        "token": "legacyverificationtoken",
        "team_id": TEAM_ID,
        "api_app_id": "A0STANDIN",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev0STANDIN{_event_counter:06d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention_event(
    text: str, *, ts: str = "1700000100.000100", thread_ts: str | None = None, channel: str = CHANNEL_ID
) -> dict[str, Any]:
    """An ``app_mention`` event: ``text`` after the bot's mention."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": USER_ID,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def dm_event(text: str, *, ts: str = "1700000200.000200", **extra: Any) -> dict[str, Any]:
    """A ``message.im`` event from a person (``extra`` adds e.g. ``subtype`` or ``bot_id``)."""
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0DIRECT",
        "user": USER_ID,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def block_actions_body(
    value: str,
    *,
    response_url: str,
    user_id: str = USER_ID,
    action_id: str = "share_in_channel",
    trigger_id: str | None = "1234.5678.abcdef",
) -> dict[str, Any]:
    """The ``block_actions`` payload of a click on one of napkin's buttons (the share button by default)."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "asker", "team_id": TEAM_ID},
        "api_app_id": "A0STANDIN",
        "token": "legacyverificationtoken",
        "container": {"type": "message", "message_ts": "1700000300.000300", "is_ephemeral": True},
        "team": {"id": TEAM_ID, "domain": "standin"},
        "channel": {"id": CHANNEL_ID, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "buttons",
                "text": {"type": "plain_text", "text": action_id},
                "value": value,
                "type": "button",
                "action_ts": "1700000301.000301",
            }
        ],
        **({"trigger_id": trigger_id} if trigger_id is not None else {}),
    }


def view_submission_body(view: dict[str, Any], values: dict[str, str], *, user_id: str = USER_ID) -> dict[str, Any]:
    """The ``view_submission`` payload of ``view`` (as napkin opened it) submitted with ``values``.

    ``values`` maps an input block's id to what was typed, or to the chosen option's value for a select.
    """
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input" or block["block_id"] not in values:
            continue
        element = block["element"]
        typed = values[block["block_id"]]
        if element["type"] == "static_select":
            option = next(o for o in element["options"] if o["value"] == typed)
            state[block["block_id"]] = {element["action_id"]: {"type": "static_select", "selected_option": option}}
        else:
            state[block["block_id"]] = {element["action_id"]: {"type": element["type"], "value": typed}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "standin"},
        "user": {"id": user_id, "username": "asker", "team_id": TEAM_ID},
        "api_app_id": "A0STANDIN",
        "token": "legacyverificationtoken",
        "trigger_id": "5678.1234.fedcba",
        "view": {
            **view,
            "id": "V0STANDIN",
            "team_id": TEAM_ID,
            "state": {"values": state},
            "hash": "1700000400.abcdef",
            "app_id": "A0STANDIN",
            "bot_id": BOT_ID,
        },
        "response_urls": [],
    }


def home_opened_event(*, user: str = USER_ID, tab: str = "home") -> dict[str, Any]:
    """An ``app_home_opened`` event: ``user`` opened the app's Home (or Messages) tab."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0DIRECT",
        "tab": tab,
        "event_ts": "1700000500.000500",
    }


# --- napkin serve in a subprocess ------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on now (a child process binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NapkinProcess:
    """``python -m bot.server.serve`` on 127.0.0.1:``port`` with ``env``; its stdout and stderr go to ``log_path``.

    ``env`` is the whole child environment (PORT and NAPKIN_HOST are set here). Use as an async
    context manager: entering starts it and waits for ``/readyz``, leaving kills it if still running.
    """

    def __init__(
        self, env: Mapping[str, str], *, port: int, log_path: Path, cwd: Path, open_files: int | None = None
    ) -> None:
        self.env = {**env, "PORT": str(port), "NAPKIN_HOST": "127.0.0.1"}
        self.open_files = open_files  # the child's open-file limit (soft and hard), None: inherited
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> NapkinProcess:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def start(self, within: float = 20.0) -> None:
        """Spawn, then poll ``/readyz`` until it answers 200 (fails if the process exits first)."""
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.server.serve",
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=log,
                preexec_fn=None if self.open_files is None else self._limit_open_files,
            )
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process.returncode is None, f"napkin serve exited early: {self.log_text()}"
            try:
                async with self.session.get(f"{self.base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)  # the process is starting: nothing to wait on but the port
        raise AssertionError(f"napkin serve not ready within {within} s: {self.log_text()}")

    def _limit_open_files(self) -> None:
        assert self.open_files is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    async def close(self) -> None:
        """Kill the process if it is still running; close the client session."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self.session is not None:
            await self.session.close()

    async def post(
        self,
        body: str | bytes,
        content_type: str | None = "application/x-www-form-urlencoded",
        *,
        secret: str = SIGNING_SECRET,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST ``body`` to /slack/events signed with ``secret`` (``headers`` added after signing)."""
        assert self.session is not None
        text = body.decode() if isinstance(body, bytes) else body
        all_headers = {**signed_headers(text, secret=secret), **(headers or {})}
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        async with self.session.post(f"{self.base}/slack/events", data=body, headers=all_headers) as response:
            return response.status, await response.text()

    async def command(self, command: str, text: str, **fields: str) -> tuple[int, dict[str, Any]]:
        """A signed slash command; the status and the JSON answer (``{}`` if there is none)."""
        status, raw = await self.post(urllib.parse.urlencode(slash_form(command, text, **fields)))
        return status, json.loads(raw) if raw.startswith("{") else {}

    def terminate(self) -> None:
        """SIGTERM."""
        assert self.process is not None
        self.process.terminate()

    async def wait(self, within: float = 30.0) -> int:
        """The exit status, once the process has exited."""
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), within)

    def log_text(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def json_lines(self) -> list[dict[str, Any]]:
        """Its JSON log lines (NAPKIN_LOG_FORMAT=json), parsed."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith("{")]
