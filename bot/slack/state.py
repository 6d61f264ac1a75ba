"""Per-process state shared by the Slack app and the server that runs it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.slack.dedupe import SeenEvents
from bot.slack.tasks import TaskTracker


@dataclass
class AppState:
    """Per-process state shared by the app and its server: in-flight work, seen events, draining."""

    tasks: TaskTracker = field(default_factory=TaskTracker)
    seen: SeenEvents = field(default_factory=SeenEvents)
    draining: bool = False
