"""Receiving a request body within napkin's limits: size, concurrent memory, time, and the drain.

Every outcome other than the bytes is an HTTP answer, so a client that sends too much, too slowly,
disconnects mid-body, or is still sending when SIGTERM comes is answered (or, when it has gone,
forgotten) without a traceback.
"""

from __future__ import annotations

import asyncio

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError

from bot.server.limits import BODY_READ_SECONDS, DRAIN_BODY_GRACE_SECONDS, MAX_BODY_BYTES, BodyBudgets


class BodyRefused(Exception):
    """The body was not received; ``response`` is the answer (None: the client is gone)."""

    def __init__(self, response: web.Response | None) -> None:
        super().__init__(None if response is None else response.status)
        self.response = response


def _refusal(status: int, error: str, **headers: str) -> BodyRefused:
    return BodyRefused(web.json_response({"error": error}, status=status, headers=headers or None))


async def receive_body(request: web.Request, budgets: BodyBudgets, draining: asyncio.Event) -> bytes:
    """The whole body, or BodyRefused: 413 too large, 503 over the memory budget, 408 too slow.

    Once draining, a body still arriving gets ``DRAIN_BODY_GRACE_SECONDS`` and then 503, so every
    request napkin has begun to receive is answered or refused before the drain ends.
    """
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise _refusal(413, "request body too large")
    size = MAX_BODY_BYTES if declared is None else declared
    budget = budgets.for_size(size)
    if not budget.reserve(size):
        raise _refusal(503, "busy", **{"Retry-After": "1"})
    try:
        return await _read(request, draining)
    finally:
        budget.release(size)


async def _read(request: web.Request, draining: asyncio.Event) -> bytes:
    reading = asyncio.ensure_future(_read_bounded(request))
    stopping = asyncio.ensure_future(draining.wait())
    try:
        done, _ = await asyncio.wait(
            {reading, stopping}, timeout=BODY_READ_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if stopping in done and reading not in done:
            # SIGTERM while the body arrives: a short grace, then refuse so Slack retries elsewhere.
            done, _ = await asyncio.wait({reading}, timeout=DRAIN_BODY_GRACE_SECONDS)
            if reading not in done:
                raise _refusal(503, "shutting down", Connection="close")
        if reading not in done:
            raise _refusal(408, "request body timeout", Connection="close")
        return reading.result()
    finally:
        for task in (reading, stopping):
            if not task.done():
                task.cancel()
        await asyncio.gather(reading, stopping, return_exceptions=True)


async def _read_bounded(request: web.Request) -> bytes:
    chunks: list[bytes] = []
    received = 0
    try:
        async for chunk in request.content.iter_any():
            received += len(chunk)
            if received > MAX_BODY_BYTES:
                raise _refusal(413, "request body too large", Connection="close")
            chunks.append(chunk)
    except (ConnectionError, asyncio.IncompleteReadError, ClientPayloadError, HttpProcessingError) as err:
        # The client went away mid-body (aiohttp reports it as a payload error): nobody to answer.
        raise BodyRefused(None) from err
    if request.content_length is not None and received != request.content_length:
        raise BodyRefused(None)
    return b"".join(chunks)
