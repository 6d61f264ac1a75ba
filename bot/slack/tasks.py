"""Strong references to work that outlives the HTTP response, so shutdown can wait for it.

Bolt runs each listener in ``asyncio.ensure_future(...)`` and keeps no reference: the task may be
garbage-collected mid-flight, and aiohttp's shutdown cancels whatever is still running. Every
napkin listener registers its own task here; ``drain()`` waits for them with a deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any


class TaskTracker:
    """A set of running tasks, each removed when it finishes."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, task: asyncio.Task[Any]) -> None:
        """Hold ``task`` until it finishes."""
        if task.done():
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def track_current(self) -> None:
        """Hold the task running the caller (a Bolt listener) until it finishes."""
        task = asyncio.current_task()
        if task is not None:
            self.add(task)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start ``coro`` as a tracked task."""
        task = asyncio.ensure_future(coro)
        self.add(task)
        return task

    async def drain(self, seconds: float) -> int:
        """Wait up to ``seconds`` for every tracked task (also ones added meanwhile).

        Returns how many were still running at the deadline. The caller's own task is skipped.
        """
        deadline = time.monotonic() + seconds
        me = asyncio.current_task()
        while True:
            pending = {t for t in self._tasks if t is not me and not t.done()}
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                return len(pending)
            await asyncio.wait(pending, timeout=remaining)
