"""``napkin console``: lines go through the same Bolt app as Slack's requests, answers print as text."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

from bot.console import repl as console
from bot.render.text import blocks_to_text
from bot.server import serve
from config.settings import load_settings
from tests.conftest import NapkinHttp, expected_error, expected_message, subprocess_env
from tests.slack_standin import SlackStandIn, event_envelope, mention_event

CONSOLE_USER = console.USER_ID


async def run_lines(*lines: str) -> str:
    out = io.StringIO()
    status = await console.run_console(
        load_settings({}), io.StringIO("".join(f"{line}\n" for line in lines)), out, interactive=False
    )
    assert status == 0
    return out.getvalue()


def as_text(message: object) -> str:
    blocks, text = getattr(message, "blocks"), getattr(message, "text")  # noqa: B009 (SlackMessage or dict-like)
    return blocks_to_text(blocks, text) + "\n\n"


async def test_piped_input_matches_the_http_path(napkin: NapkinHttp, standin: SlackStandIn, tmp_path: Path) -> None:
    lines = ["/traincost 405B 15T a100", "fits 20B", "/napkin models", "@napkin fits 70B a100 lora", "gpuz", "help"]
    # The HTTP path: the same requests to napkin served over loopback.
    over_http: list[str] = []
    for slash, text in (("/traincost", "405B 15T a100"), ("/fits", "20B"), ("/napkin", "models")):
        status, answer = await napkin.command(slash, text, user_id=CONSOLE_USER)
        assert status == 200
        over_http.append(blocks_to_text(answer["blocks"], answer["text"]) + "\n\n")
    assert await napkin.event(event_envelope(mention_event("fits 70B a100 lora"))) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    over_http.append(blocks_to_text(post.body["blocks"], post.body["text"]) + "\n\n")
    for text in ("gpuz", "help"):
        status, answer = await napkin.command("/napkin", text, user_id=CONSOLE_USER)
        over_http.append(blocks_to_text(answer["blocks"], answer["text"]) + "\n\n")

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.console.repl",
        cwd=tmp_path,
        env=subprocess_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate("\n".join(lines).encode() + b"\n"), 30)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode() == "".join(over_http)
    assert "napkin>" not in stdout.decode()  # no prompt when stdin is not a terminal
    assert stderr.decode() == ""


async def test_lines_without_a_slash_and_mentions() -> None:
    out = await run_lines("traincost 70B 2T h100", "/traincost 70B 2T h100", "@napkin traincost 70B 2T h100")
    slash = as_text(expected_message("traincost", "70B 2T h100", user_id=CONSOLE_USER))
    mention = as_text(expected_message("traincost", "70B 2T h100", user_id=CONSOLE_USER, shareable=False))
    assert out == slash + slash + mention


async def test_errors_help_comments_and_quit() -> None:
    out = await run_lines("", "# a comment", "/fits 20B h1000", "@napkin", "quit", "/gpus")
    assert out == as_text(expected_error("fits", "20B h1000")) + as_text(
        expected_message("help", "intro", user_id=CONSOLE_USER, shareable=False)
    )


async def test_a_bare_command_answers_its_usage_in_a_terminal() -> None:
    out = await run_lines("/fits", "/napkin traincost")  # Slack would open the form: a terminal cannot show it
    assert out == as_text(expected_error("fits", "")) + as_text(expected_error("traincost", ""))


async def test_share_keyword_answers_in_channel_like_slack() -> None:
    out = await run_lines("/fits 20B share")
    assert out == as_text(expected_message("fits", "20B share", user_id=CONSOLE_USER))
    assert "Asked by" in out


def test_console_main_exits_2_on_bad_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NAPKIN_PUE", "9")
    assert console.main([]) == 2
    assert capsys.readouterr().err.strip() == "napkin: NAPKIN_PUE: must be a number between 1 and 3 (got '9')"


def test_napkin_run_without_credentials_opens_the_console(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("gpus\n"))
    assert serve.run_main([]) == 0
    captured = capsys.readouterr()
    assert "starting the local console" in captured.err
    assert captured.out == as_text(expected_message("gpus", "", user_id=CONSOLE_USER))


def test_napkin_run_with_credentials_serves(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-3")  # but no signing secret: serving refuses to start
    assert serve.run_main([]) == 2
    assert capsys.readouterr().err.startswith("napkin: SLACK_SIGNING_SECRET: required in HTTP mode")
