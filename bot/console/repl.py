"""``napkin console``: talk to the Slack app in a terminal, through the very path Slack uses.

Each line becomes the request Slack would send, signed with a secret made for the session, and
is dispatched through the same Bolt app (``build_app``) with its verification on. Slash commands
print the ack's blocks; ``@napkin …`` goes through the Events API path, and the reply the app
posts with ``chat.postMessage`` is caught by a loopback stand-in of Slack's Web API.

Lines: ``/traincost 405B 15T a100``, ``/fits 20B``, ``@napkin fits 20B``, ``traincost …`` (no
slash), ``models``, ``help``, ``quit``. Reads stdin line by line when it is not a terminal, so
``printf '/fits 20B\\n' | napkin console`` works.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import secrets
import sys
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.console.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, LoopbackSlack
from bot.logs import configure_logging
from bot.render.text import blocks_to_text
from bot.slack.app import build_app
from config.catalogs import CatalogError
from config.settings import Settings, SettingsError, load_settings
from estimator.vocabulary import SLASH_COMMANDS

PROMPT = "napkin> "
USER_ID = "UCONSOLE"
CHANNEL_ID = "CCONSOLE"
REPLY_TIMEOUT_SECONDS = 10.0
QUIT_WORDS = frozenset({"quit", "exit", ":q"})


async def console_authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
    """The console's workspace: a fixed team and bot user, no network."""
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=team_id or TEAM_ID,
        bot_token="xoxb-console",  # noqa: S106 (a placeholder the loopback stand-in accepts)
        bot_user_id=BOT_USER_ID,
        bot_id=BOT_ID,
    )


class Console:
    """Turns console lines into signed Slack requests for one app and returns the answers as text."""

    def __init__(self, app: AsyncApp, signing_secret: str, slack: LoopbackSlack, *, color: bool = False) -> None:
        self._app = app
        self._signer = SignatureVerifier(signing_secret)
        self._slack = slack
        self._color = color
        self._ids = itertools.count(1)

    async def answer(self, line: str) -> str:
        """The app's answer to one console line, as terminal text."""
        line = line.strip()
        if line.startswith("@"):
            return await self._mention(line.split(maxsplit=1)[1] if " " in line else "")
        slash, text = _as_slash(line)
        return await self._slash(slash, text)

    async def _dispatch(self, body: str, content_type: str) -> tuple[int, str]:
        timestamp = str(int(time.time()))
        headers: dict[str, str | Sequence[str]] = {
            "content-type": content_type,
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": self._signer.generate_signature(timestamp=timestamp, body=body) or "",
        }
        response = await self._app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        return response.status, response.body

    async def _slash(self, command: str, text: str) -> str:
        n = next(self._ids)
        form = {
            "token": "console",
            "team_id": TEAM_ID,
            "team_domain": "console",
            "channel_id": CHANNEL_ID,
            "channel_name": "console",
            "user_id": USER_ID,
            "user_name": "you",
            "command": command,
            "text": text,
            "api_app_id": "ACONSOLE",
            "response_url": f"{self._slack.base_url}hooks/commands/{n}",
            # no trigger_id: a terminal cannot show Slack's form, so `/fits` alone answers with its usage
        }
        status, body = await self._dispatch(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
        if status != 200:
            return f"napkin: the app answered HTTP {status}"
        return self._render(json.loads(body) if body.startswith("{") else {"text": body})

    async def _mention(self, text: str) -> str:
        n = next(self._ids)
        ts = f"{time.time():.6f}"
        event = {
            "type": "app_mention",
            "user": USER_ID,
            "text": f"<@{BOT_USER_ID}> {text}".strip(),
            "ts": ts,
            "channel": CHANNEL_ID,
            "event_ts": ts,
        }
        envelope = {
            "token": "console",
            "team_id": TEAM_ID,
            "api_app_id": "ACONSOLE",
            "type": "event_callback",
            "event_id": f"EvCONSOLE{n}",
            "event_time": int(time.time()),
            "event": event,
        }
        status, _ = await self._dispatch(json.dumps(envelope), "application/json")
        if status != 200:
            return f"napkin: the app answered HTTP {status}"
        try:
            posted = await asyncio.wait_for(self._slack.messages.get(), REPLY_TIMEOUT_SECONDS)
        except TimeoutError:
            return "napkin: no reply was posted"
        return self._render(posted)

    def _render(self, message: dict[str, Any]) -> str:
        blocks = message.get("blocks")
        return blocks_to_text(
            blocks if isinstance(blocks, list) else [], str(message.get("text") or ""), color=self._color
        )


def _as_slash(line: str) -> tuple[str, str]:
    """``/fits 20B`` and ``fits 20B`` → ``("/fits", "20B")``; anything else goes to ``/napkin``."""
    words = line.split(maxsplit=1)
    if not words:
        return "/napkin", "help"
    first, rest = words[0].lower().lstrip("/"), words[1] if len(words) > 1 else ""
    if first in SLASH_COMMANDS:
        return f"/{first}", rest
    return "/napkin", line.lstrip("/")


def console_settings(settings: Settings, api_url: str, signing_secret: str) -> Settings:
    """The user's estimator settings, with Slack pointed at the loopback stand-in."""
    return settings.model_copy(
        update={
            "slack_api_url": api_url,
            "slack_signing_secret": SecretStr(signing_secret),
            "napkin_command_suffix": "",
        }
    )


def _lines(stream: TextIO, interactive: bool) -> Iterator[str]:
    if not interactive:
        yield from stream
        return
    _enable_history()
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            print()
            return


def _enable_history() -> None:
    with contextlib.suppress(ImportError):  # not on every platform
        import readline  # noqa: F401 (importing it gives input() line editing and history)


async def run_console(settings: Settings, stdin: TextIO, stdout: TextIO, *, interactive: bool) -> int:
    """The read-answer-print loop; returns the exit status."""
    slack = LoopbackSlack()
    api_url = await slack.start()
    try:
        secret = secrets.token_hex(16)
        app = build_app(console_settings(settings, api_url, secret), authorize=console_authorize)
        console = Console(app, secret, slack, color=interactive and stdout.isatty())
        if interactive:
            print("napkin console: the Slack app, locally. Try /traincost 70B 2T h100, @napkin fits 20B, help, quit.")
        for raw in _lines(stdin, interactive):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.lower() in QUIT_WORDS:
                break
            print(await console.answer(line), end="\n\n", file=stdout, flush=True)
    finally:
        await slack.close()
    return 0


def main(argv: list[str]) -> int:
    """``napkin console``: exit 0 at EOF or ``quit``, 2 when settings or the catalog are unusable."""
    parser = argparse.ArgumentParser(prog="napkin console", description="Talk to the napkin Slack app locally.")
    parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"napkin: {err}", file=sys.stderr)
        return 2
    level = "DEBUG" if settings.napkin_log_level == "DEBUG" else "WARNING"
    configure_logging(level, settings.napkin_log_format)
    try:
        return asyncio.run(run_console(settings, sys.stdin, sys.stdout, interactive=sys.stdin.isatty()))
    except (SettingsError, CatalogError) as err:
        print(f"napkin: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
