"""asyncio's own error reports, kept to a bounded number of log lines.

When the process runs out of file descriptors, asyncio's accept loop reports every failed
``accept()`` through the loop's exception handler, each with a traceback (thousands of lines a
second). napkin logs the first at once and then one summary line per interval with the count.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from typing import Any

from bot.logs import log_fields

logger = logging.getLogger("napkin.server")

SUMMARY_INTERVAL_SECONDS = 10.0
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class _AcceptErrors:
    def __init__(self) -> None:
        self.suppressed = 0
        self.last_logged = float("-inf")

    def report(self, context: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last_logged < SUMMARY_INTERVAL_SECONDS:
            self.suppressed += 1
            return
        error = context.get("exception")
        log_fields(
            logger,
            logging.ERROR,
            "cannot accept connections: out of file descriptors or memory",
            error=type(error).__name__ if error is not None else None,
            errno=getattr(error, "errno", None),
            suppressed_since_last=self.suppressed,
        )
        self.suppressed = 0
        self.last_logged = now


def install_loop_error_handler(loop: asyncio.AbstractEventLoop) -> None:
    """Route asyncio's accept-resource errors through a rate-limited one-line report; the rest as before."""
    accept_errors = _AcceptErrors()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in _RESOURCE_ERRNOS:
            accept_errors.report(context)
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
