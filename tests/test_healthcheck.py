"""``napkin healthcheck``: PORT read like every setting (environment, then ``.env``); one total timeout."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from bot.server import healthcheck as health
from tests.conftest import NapkinHttp


def _port(napkin: NapkinHttp) -> int:
    port = napkin.server.port
    assert port is not None
    return port


async def test_port_comes_from_dot_env_like_every_other_setting(
    napkin: NapkinHttp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(f"PORT={_port(napkin)}\n")
    monkeypatch.chdir(tmp_path)
    assert await asyncio.to_thread(health.main, []) == 0


async def test_the_environment_wins_over_dot_env(
    napkin: NapkinHttp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("PORT=1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", str(_port(napkin)))
    assert await asyncio.to_thread(health.main, []) == 0


@pytest.mark.parametrize("port", ["0", "65536", "http", "3000.5"])
def test_a_bad_port_is_one_line_and_exit_1(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert health.main(["--port", port]) == 1
    err = capsys.readouterr().err
    assert err.startswith("napkin healthcheck: PORT: must be a whole number between 1 and 65535")
    assert err.count("\n") == 1


async def test_a_server_trickling_bytes_cannot_hold_the_check_past_its_timeout() -> None:
    """One byte every 0.5 s for a minute: with a per-read timeout the check waited for all of it."""

    async def trickle(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            for byte in b"HTTP/1.1 200 OK" * 8:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.5)

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        # 20 times the check's own 1 s timeout: a bound for a loaded machine, not a timing.
        code = await asyncio.wait_for(asyncio.to_thread(health.main, ["--port", str(port), "--timeout", "1"]), 20)
    finally:
        server.close()
    assert code == 1
