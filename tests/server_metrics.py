"""Measuring a ``napkin serve`` child process from the outside: CPU time, resident memory, log volume.

Linux ``/proc`` only (the project's CI and containers are Linux). Used by the attack tests to
show that what an attacker sends costs the server little, with generous bounds, never timings.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tests.slack_standin import signed_headers

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    """CPU seconds (user + system) and resident memory bytes of a process at one moment."""

    cpu_seconds: float
    rss_bytes: int


def usage(pid: int) -> Usage:
    """The process's CPU time so far and its current RSS, from ``/proc/<pid>``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5), after pid and comm
    rss_kib = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return Usage(cpu_seconds=(utime + stime) / _TICKS, rss_bytes=rss_kib * 1024)


def request_head(
    length: int,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    signed_for: bytes | None = None,
    extra: str = "",
) -> bytes:
    """The request line and headers of ``POST /slack/events`` announcing a ``length``-byte body.

    ``signed_for``: sign with the stand-in's secret over these bytes (then send exactly them);
    else the signature headers look real but cannot verify (a forger who knows the format).
    """
    if signed_for is not None:
        sig = signed_headers(signed_for.decode())
    else:
        sig = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64}
    headers = "".join(f"{name}: {value}\r\n" for name, value in sig.items())
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n{headers}{extra}\r\n"
    ).encode()


async def read_status(reader: asyncio.StreamReader, within: float = 30.0) -> int | None:
    """The status code of the next response on the connection, or None if it closed without one."""
    line = await asyncio.wait_for(reader.readline(), within)
    if not line:
        return None
    return int(line.split()[1])
