"""Shared fixtures: a clean environment, the Slack stand-in, and napkin served over real loopback HTTP."""

from __future__ import annotations

import json
import logging
import os
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.render.blocks import SlackMessage, render_error, render_reply
from bot.server.web_app import build_web_app
from bot.slack.app import AppState, Authorize, build_app
from config.catalogs import cached_catalog
from config.settings import Settings, load_settings
from estimator.commands import UsageError, execute
from tests.slack_standin import BOT_TOKEN, SIGNING_SECRET, USER_ID, SlackStandIn, signed_headers, slash_form

REPO_ROOT = Path(__file__).resolve().parent.parent


def expected_message(
    command: str, text: str, *, user_id: str | None = USER_ID, shareable: bool = True, settings: Settings | None = None
) -> SlackMessage:
    """What the real estimator and renderer produce for ``command text``: the answer napkin must give."""
    defaults = (settings or load_settings({})).defaults()
    reply = execute(command, text, catalog=cached_catalog(None), defaults=defaults)
    return render_reply(reply, command_text=text, user_id=user_id, shareable=shareable and not reply.share)


def expected_details(command: str, text: str) -> SlackMessage:
    """What a Details button answers for ``command text``: the full working, private to whoever clicked."""
    reply = execute(command, text, catalog=cached_catalog(None), defaults=load_settings({}).defaults())
    return render_reply(reply, command_text=text, shareable=True, detail=True)


def expected_error(command: str, text: str) -> SlackMessage:
    """The rendered usage error napkin must answer ``command text`` with."""
    try:
        execute(command, text, catalog=cached_catalog(None), defaults=load_settings({}).defaults())
    except UsageError as err:
        return render_error(err)
    raise AssertionError(f"{command} {text!r} is not a usage error")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SLACK_*, NAPKIN_* or PORT from the developer's shell (SLACK_CLIENT_ID would switch on OAuth)."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "NAPKIN_")) or name == "PORT":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """``configure_logging`` (run by serve/console mains) replaces the root handlers: put them back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    """Slack's Web API, response_url receiver and Socket Mode endpoint on 127.0.0.1."""
    server = await SlackStandIn().start()
    yield server
    await server.close()


def settings_for(standin: SlackStandIn, **env: str) -> Settings:
    """Serving settings pointed at the stand-in; ``env`` adds or overrides variables."""
    base = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        "NAPKIN_MODE": "http",
        "NAPKIN_DRAIN_SECONDS": "2",
    }
    return load_settings({**base, **env})


def subprocess_env(**env: str) -> dict[str, str]:
    """A child process environment: the project importable, no Slack/napkin settings but ``env``."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NAPKIN_")) and k != "PORT"}
    return {**keep, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1", **env}


class NapkinHttp:
    """napkin's aiohttp application (as ``napkin serve`` builds it) on a loopback port, plus a client."""

    def __init__(self, settings: Settings, *, authorize: Authorize | None = None) -> None:
        self.settings = settings
        self.state = AppState()
        self.app = build_app(settings, state=self.state, authorize=authorize)
        self.web_app = build_web_app(
            self.app,
            self.state,
            signing_secret=SIGNING_SECRET,
            drain_seconds=settings.napkin_drain_seconds,
        )
        self.server = TestServer(self.web_app, host="127.0.0.1")
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> NapkinHttp:
        await self.server.start_server()
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.session is not None
        await self.session.close()
        await self.server.close()

    def url(self, path: str = "/slack/events") -> str:
        return str(self.server.make_url(path))

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
    ) -> tuple[int, str, dict[str, str]]:
        """POST a body to /slack/events signed like Slack (``headers`` are added after signing)."""
        assert self.session is not None
        all_headers = {"Content-Type": content_type, **signed_headers(body, secret=secret, timestamp=timestamp)}
        all_headers.update(headers or {})
        async with self.session.post(self.url(), data=body.encode(), headers=all_headers) as response:
            return response.status, await response.text(), dict(response.headers)

    async def command(self, command: str, text: str, **fields: str) -> tuple[int, dict[str, Any]]:
        """A signed slash command; the status and the JSON answer."""
        body = urllib.parse.urlencode(slash_form(command, text, **fields))
        status, raw, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status, json.loads(raw) if raw.startswith("{") else {"raw": raw}

    async def event(
        self, envelope: dict[str, Any], *, retry_num: int | None = None, retry_reason: str | None = None
    ) -> int:
        """A signed Events API delivery (optionally a retry); the status."""
        headers = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
        if retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        status, _, _ = await self.post(json.dumps(envelope), "application/json", headers=headers)
        return status

    async def action(self, payload: dict[str, Any]) -> int:
        """A signed interactivity request (``payload=<json>`` form); the status."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        status, _, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status

    async def get(self, path: str) -> tuple[int, str]:
        assert self.session is not None
        async with self.session.get(self.url(path)) as response:
            return response.status, await response.text()


@pytest.fixture
async def napkin(standin: SlackStandIn) -> AsyncIterator[NapkinHttp]:
    """napkin over HTTP on loopback, its Web API calls going to the stand-in."""
    async with NapkinHttp(settings_for(standin)) as server:
        yield server
