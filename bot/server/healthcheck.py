"""``napkin healthcheck``: exit 0 when the local server answers ``/healthz``, else 1.

Used by the Docker HEALTHCHECK; both modes serve ``/healthz`` on PORT. Only the standard
library is imported, so each check starts quickly.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request

DEFAULT_TIMEOUT_SECONDS = 3.0


def main(argv: list[str]) -> int:
    """GET http://127.0.0.1:$PORT/healthz with a short timeout; 0 on HTTP 200, else 1."""
    parser = argparse.ArgumentParser(prog="napkin healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help="port to check (default: $PORT or 3000)")
    parser.add_argument("--path", default="/healthz", help="path to GET (default: /healthz)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, help="seconds (default: 3)")
    args = parser.parse_args(argv)
    port = args.port if args.port is not None else _port_from_env()
    if port is None:
        print("napkin healthcheck: PORT must be a whole number between 1 and 65535", file=sys.stderr)
        return 1
    url = f"http://127.0.0.1:{port}{args.path}"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:
            ok = bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError) as err:
        print(f"napkin healthcheck: {url}: {err}", file=sys.stderr)
        return 1
    if not ok:
        print(f"napkin healthcheck: {url}: HTTP {response.status}", file=sys.stderr)
    return 0 if ok else 1


def _port_from_env() -> int | None:
    raw = os.environ.get("PORT", "").strip() or "3000"
    try:
        port = int(raw)
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None
