"""The limits napkin's HTTP server enforces itself (docs/operations.md lists what an operator sets around them).

Slack's largest requests (an interactivity payload with a message's blocks) are tens of KiB, so a
body is capped well below the 1 MiB nginx lets through by default, and the bytes of all bodies being
received at once are capped too: 200 slow clients each sending a nearly complete maximal body then
hold at most ``BODY_MEMORY_BUDGET_BYTES``, far below the manifests' 256 MiB memory limit.
"""

from __future__ import annotations

import logging
import resource

from bot.logs import log_fields

MAX_BODY_BYTES = 256 * 1024
"""Largest request body accepted (413 above it, before any byte of it is read)."""
BODY_MEMORY_BUDGET_BYTES = 16 * 1024 * 1024
"""Bytes of request bodies being received at one time, per size class (503 above it).

Bodies up to ``SMALL_BODY_BYTES`` (every slash command and event, most clicks) and larger ones
have a budget each, so slow large bodies cannot crowd out Slack's ordinary requests."""
SMALL_BODY_BYTES = 16 * 1024
BODY_READ_SECONDS = 10.0
"""A body must arrive within this long after its headers (408 after it)."""
DRAIN_BODY_GRACE_SECONDS = 0.5
"""At SIGTERM, a body still arriving gets this long to finish before the request is refused with 503."""
KEEPALIVE_SECONDS = 30.0
"""An idle keep-alive connection is closed after this long (frees its file descriptor)."""

logger = logging.getLogger("napkin.server")


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one (each connection holds a file descriptor); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as err:
            log_fields(logger, logging.WARNING, "open-file limit not raised", soft=soft, hard=hard, error=str(err))
            return soft
        return hard
    return soft


class BodyBudget:
    """Bytes reserved by the request bodies being received; a reservation over the budget is refused."""

    def __init__(self, limit: int = BODY_MEMORY_BUDGET_BYTES) -> None:
        self.limit = limit
        self.reserved = 0

    def reserve(self, size: int) -> bool:
        """Reserve ``size`` bytes; False (nothing reserved) when that would pass the limit."""
        if self.reserved + size > self.limit:
            return False
        self.reserved += size
        return True

    def release(self, size: int) -> None:
        """Give back a reservation made by :meth:`reserve`."""
        self.reserved -= size


class BodyBudgets:
    """One :class:`BodyBudget` for small bodies and one for large ones (see ``BODY_MEMORY_BUDGET_BYTES``)."""

    def __init__(self, limit: int = BODY_MEMORY_BUDGET_BYTES) -> None:
        self.small = BodyBudget(limit)
        self.large = BodyBudget(limit)

    def for_size(self, size: int) -> BodyBudget:
        """The budget a body of ``size`` bytes is reserved from."""
        return self.small if size <= SMALL_BODY_BYTES else self.large
