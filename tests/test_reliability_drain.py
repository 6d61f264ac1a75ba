"""SIGTERM answers or refuses every request it has begun to receive; a second signal changes nothing.

``napkin serve`` runs in a child process. Requests whose body is still arriving when SIGTERM
comes get 503 (Slack redelivers an event elsewhere with reason ``http_error``); the old server
held them for the drain and closed them unanswered (0 of 50). A second SIGTERM or SIGINT during
the drain is one log line; replies being posted still reach Slack and the process exits 0 (it
used to exit 1 at once, cancelling them).
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest

from tests.conftest import subprocess_env
from tests.server_metrics import read_status, request_head
from tests.slack_standin import (
    BOT_TOKEN,
    SIGNING_SECRET,
    NapkinProcess,
    SlackStandIn,
    event_envelope,
    free_port,
    mention_event,
)


def _env(standin: SlackStandIn) -> dict[str, str]:
    return subprocess_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        NAPKIN_LOG_FORMAT="json",
        NAPKIN_DRAIN_SECONDS="8",
    )


async def test_requests_whose_body_is_arriving_at_sigterm_are_refused_with_503(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    async with NapkinProcess(_env(standin), port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path) as napkin:
        port = int(napkin.base.rsplit(":", 1)[1])
        body = json.dumps(event_envelope(mention_event("fits 20B"))).encode()
        partial = []
        for _ in range(50):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request_head(len(body), content_type="application/json", signed_for=body) + body[:-10])
            partial.append((reader, writer))
        await asyncio.gather(*(writer.drain() for _, writer in partial))
        await asyncio.sleep(0.3)  # every request's headers have reached the server
        napkin.terminate()
        statuses = await asyncio.gather(*(read_status(reader) for reader, _ in partial))
        exit_code = await napkin.wait()
        for _, writer in partial:
            writer.close()
    assert statuses == [503] * 50
    assert exit_code == 0
    assert "Traceback" not in napkin.log_text()
    assert standin.calls("chat.postMessage") == []  # refused, so not processed: Slack's retry answers it


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_second_signal_during_the_drain_is_logged_and_replies_in_flight_are_posted(
    standin: SlackStandIn, tmp_path: Path, second: signal.Signals
) -> None:
    async with NapkinProcess(_env(standin), port=free_port(), log_path=tmp_path / "napkin.log", cwd=tmp_path) as napkin:
        standin.slow("chat.postMessage", 2.0, times=2)
        for n in range(2):
            event = mention_event("fits 20B", ts=f"1700300000.{n:06d}")
            status, _ = await napkin.post(json.dumps(event_envelope(event)), "application/json")
            assert status == 200
        await standin.wait_for(lambda: len(standin.calls("chat.postMessage")) == 2)
        assert all(call.finished is None for call in standin.calls("chat.postMessage"))  # still being posted
        napkin.terminate()
        await asyncio.sleep(0.3)
        assert napkin.process is not None
        napkin.process.send_signal(second)
        exit_code = await napkin.wait()
    assert exit_code == 0
    posted = standin.calls("chat.postMessage")
    assert len(posted) == 2
    assert all(call.finished is not None for call in posted)
    lines = napkin.json_lines()
    ignored = [line for line in lines if line["message"] == "signal during drain ignored; still draining"]
    assert [line["signal"] for line in ignored] == [second.name]
    assert any(line["message"] == "drained" for line in lines)
