"""napkin's words, defined once: the command names, the slash commands and the words that share an answer.

The grammar, the command runner, settings, the Slack listeners, the console and the CLI all import
these; nothing else lists them.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

CommandName = Literal["traincost", "fits", "servecost", "gpus", "models", "help"]
COMMANDS: tuple[CommandName, ...] = get_args(CommandName)
"""Every command, in the order help lists them."""

ESTIMATE_COMMANDS: tuple[CommandName, ...] = ("traincost", "fits", "servecost")
"""Commands that estimate for a model or parameter count: they take options, Hub ids and plain English."""

DIRECT_SLASH_COMMANDS: tuple[CommandName, ...] = ("traincost", "fits", "servecost", "gpus")
"""Commands with a slash command of their own (``/traincost 405B``)."""

UMBRELLA_SLASH_COMMAND = "napkin"
"""The slash command that takes any command as its first word (``/napkin models``)."""

SLASH_COMMANDS: tuple[str, ...] = (*DIRECT_SLASH_COMMANDS, UMBRELLA_SLASH_COMMAND)
"""Every slash command the app registers (each gets NAPKIN_COMMAND_SUFFIX appended)."""

SHARE_WORDS = frozenset({"share", "public", "in_channel", "channel"})
"""Any of these words, in any command's text, posts the answer in the channel instead of privately."""

HELP_WORDS = frozenset({"help", "-h", "--help", "?"})
"""A first word asking for a command's help."""


def is_command(name: str) -> TypeGuard[CommandName]:
    """Whether ``name`` is one of napkin's commands."""
    return name in COMMANDS


def asks_to_share(words: list[str]) -> bool:
    """Whether any of ``words`` is a share word (case-insensitive)."""
    return any(word.lower() in SHARE_WORDS for word in words)
