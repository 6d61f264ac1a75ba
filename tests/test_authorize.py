"""auth.test: asked once at start-up and reused; a transient Slack failure never tells a user to reinstall.

``napkin serve`` runs in a child process against the Slack stand-in. Bolt answers a failed
``authorize`` with "Please reinstall this app into your workspace"; before this, a 500 or a rate
limit at a replica's first request showed that to the user.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import expected_message, subprocess_env
from tests.slack_standin import BOT_TOKEN, SIGNING_SECRET, NapkinProcess, SlackStandIn, free_port


def _env(standin: SlackStandIn) -> dict[str, str]:
    return subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        NAPKIN_LOG_FORMAT="json",
    )


async def test_the_start_up_auth_test_is_reused_by_every_request(standin: SlackStandIn, tmp_path: Path) -> None:
    async with NapkinProcess(_env(standin), port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path) as napkin:
        for _ in range(3):
            status, answer = await napkin.command("/fits", "20B")
            assert status == 200
            assert answer["blocks"] == expected_message("fits", "20B").blocks
    assert len(standin.calls("auth.test")) == 1


@pytest.mark.parametrize(
    "fault",
    ["http_500", "http_503", "ratelimited", "fatal_error"],
)
async def test_a_transient_auth_test_failure_answers_normally_and_never_says_reinstall(
    standin: SlackStandIn, tmp_path: Path, fault: str
) -> None:
    # Every auth.test fails, at start-up and at the first requests (retries included).
    if fault.startswith("http_"):
        standin.fail("auth.test", int(fault.removeprefix("http_")), times=6)
    else:
        standin.refuse("auth.test", fault, times=6)
    async with NapkinProcess(_env(standin), port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path) as napkin:
        status, answer = await napkin.command("/fits", "20B")
        assert status == 200
        assert "reinstall" not in json.dumps(answer).lower()
        assert answer["blocks"] == expected_message("fits", "20B").blocks
        while len(standin.calls("auth.test")) < 6:  # use up the faults; then auth.test succeeds and is kept
            status, _ = await napkin.command("/gpus", "")
            assert status == 200
        for _ in range(2):
            status, _ = await napkin.command("/gpus", "")
            assert status == 200
        calls = len(standin.calls("auth.test"))
        status, _ = await napkin.command("/gpus", "")
        assert len(standin.calls("auth.test")) == calls  # the success is remembered
    log = napkin.log_text()
    assert "Traceback" not in log
    assert "auth.test failed; will retry" in log


async def test_a_rejected_token_at_start_up_is_one_line_and_exit_2(standin: SlackStandIn, tmp_path: Path) -> None:
    standin.refuse("auth.test", "invalid_auth")
    napkin = NapkinProcess(_env(standin), port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path)
    with pytest.raises(AssertionError, match="exited early"):
        await napkin.start()
    await napkin.close()
    assert napkin.process is not None
    assert napkin.process.returncode == 2
    assert "napkin: SLACK_BOT_TOKEN: Slack rejected it (invalid_auth)" in napkin.log_text()
