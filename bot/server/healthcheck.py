"""``napkin healthcheck``: exit 0 when the local server answers ``/healthz`` within the timeout, else 1.

Used by the Docker HEALTHCHECK; both modes serve ``/healthz`` on PORT, read like every other
setting (environment, then ``.env``). The timeout bounds the whole check, not each read, so a
server that trickles bytes cannot hold it.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import sys
import time

from bot.routes import HEALTH_PATH
from bot.server.overrides import settings_with
from config.settings import SettingsError

DEFAULT_TIMEOUT_SECONDS = 3.0
_MAX_ANSWER_BYTES = 64 * 1024


class _Expired(Exception):
    pass


def main(argv: list[str]) -> int:
    """GET http://127.0.0.1:$PORT/healthz within ``--timeout`` seconds in total; 0 on HTTP 200, else 1."""
    parser = argparse.ArgumentParser(prog="napkin healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=None, help="port to check (default: PORT, 3000)")
    parser.add_argument("--path", default=HEALTH_PATH, help=f"path to GET (default: {HEALTH_PATH})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, help="seconds in all (default: 3)")
    args = parser.parse_args(argv)
    if not args.path.startswith("/") or any(c.isspace() for c in args.path):
        print(f"napkin healthcheck: --path: must be a path such as {HEALTH_PATH}", file=sys.stderr)
        return 1

    try:
        port = settings_with({} if args.port is None else {"port": args.port}).port
    except SettingsError as err:
        print(f"napkin healthcheck: {err}", file=sys.stderr)
        return 1
    url = f"http://127.0.0.1:{port}{args.path}"
    try:
        status = get_status(port, args.path, timeout=args.timeout)
    except (OSError, http.client.HTTPException, _Expired) as err:
        print(f"napkin healthcheck: {url}: {type(err).__name__} {err}".rstrip(), file=sys.stderr)
        return 1
    if status != 200:
        print(f"napkin healthcheck: {url}: HTTP {status}", file=sys.stderr)
    return 0 if status == 200 else 1


def get_status(port: int, path: str, *, timeout: float) -> int:
    """The HTTP status of ``GET path`` on 127.0.0.1:port, with ``timeout`` seconds for all of it."""
    deadline = time.monotonic() + timeout

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Expired(f"no answer within {timeout:g}s")
        return remaining

    with socket.create_connection(("127.0.0.1", port), timeout=left()) as sock:
        sock.settimeout(left())
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("ascii"))
        received = b""
        while b"\r\n" not in received:
            sock.settimeout(left())
            chunk = sock.recv(1024)
            if not chunk or len(received) > _MAX_ANSWER_BYTES:
                break
            received += chunk
    status_line = received.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise http.client.BadStatusLine(status_line[:80])
    return int(parts[1])
