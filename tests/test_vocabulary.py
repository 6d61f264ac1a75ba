"""One vocabulary: every command name and share word has one definition, used the same by every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import CLI_HELP
from bot.render.blocks import parse_share_value, share_value
from config.catalogs import cached_catalog
from config.settings import load_settings
from estimator.commands import HELP, HELP_OVERVIEW, execute, short_usage
from estimator.defaults import Defaults
from estimator.grammar import OPTION_KEYS, USAGE, hub_model_words
from estimator.phrasing import EXAMPLES, read_question, rephrase
from estimator.vocabulary import (
    COMMANDS,
    DIRECT_SLASH_COMMANDS,
    ESTIMATE_COMMANDS,
    SHARE_WORDS,
    SLASH_COMMANDS,
    UMBRELLA_SLASH_COMMAND,
    CommandName,
)

CATALOG = cached_catalog(None)
MANIFEST = json.loads((Path(__file__).resolve().parents[1] / "manifest.json").read_text())

# The smallest valid text of each command; a share word is appended to it.
_TEXTS = {"traincost": "70B", "fits": "20B", "servecost": "8B", "gpus": "", "models": "", "help": ""}


def test_every_command_has_usage_and_help_and_a_share_value() -> None:
    assert set(USAGE) == set(COMMANDS) == set(_TEXTS)
    assert set(HELP) == set(COMMANDS) - {"help"}
    for command in COMMANDS:
        value = share_value(command, "x")
        assert value is not None
        assert parse_share_value(value) == (command, "x")


def test_slash_commands_are_the_direct_commands_and_the_umbrella() -> None:
    assert set(DIRECT_SLASH_COMMANDS) <= set(COMMANDS)
    assert UMBRELLA_SLASH_COMMAND not in COMMANDS
    assert load_settings({"NAPKIN_COMMAND_SUFFIX": "-dev"}).commands() == {
        name: f"/{name}-dev" for name in SLASH_COMMANDS
    }


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("word", sorted(SHARE_WORDS | {w.upper() for w in SHARE_WORDS}))
def test_a_share_word_shares_every_command(command: str, word: str) -> None:
    catalog, defaults = cached_catalog(None), Defaults()
    text = f"{_TEXTS[command]} {word}".strip()
    assert execute(command, text, catalog=catalog, defaults=defaults).share is True
    assert execute(command, _TEXTS[command], catalog=catalog, defaults=defaults).share is False


# --- a command added to the vocabulary is supported everywhere people meet napkin ---------------------


def _mentions(text: str, command: str) -> bool:
    return re.search(rf"(?<![\w-]){command}(?![\w-])", text) is not None


def test_the_estimate_commands_are_the_commands_with_options() -> None:
    assert set(ESTIMATE_COMMANDS) <= set(COMMANDS)
    assert set(OPTION_KEYS) == set(ESTIMATE_COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_usage_help_and_an_example_that_runs(command: CommandName) -> None:
    assert command in USAGE
    assert command in EXAMPLES
    assert command == "help" or command in HELP
    for text in (HELP_OVERVIEW, CLI_HELP, USAGE["help"]):
        assert command == "help" or _mentions(text, command)
    napkin_hint = next(c["usage_hint"] for c in MANIFEST["features"]["slash_commands"] if c["command"] == "/napkin")
    assert _mentions(napkin_hint, command)
    example = EXAMPLES[command]
    name, _, text = example.partition(" ")
    assert name == command
    reply = execute(command, text, catalog=CATALOG, defaults=Defaults())
    assert reply.command == command
    usage = short_usage(command)
    assert usage.startswith(example)
    assert len(f"Usage: {usage}") <= 80  # one short line, never the full usage
    if command in ESTIMATE_COMMANDS:
        assert usage.endswith(f"(all options: help {command})")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_read_from_a_question(command: CommandName) -> None:
    """Mentions, DMs and ``/napkin``: the command typed first, its example, and help about it."""
    example = EXAMPLES[command]
    reading = read_question(example, CATALOG)
    assert reading.command == command
    if command in ESTIMATE_COMMANDS:  # the reading answers as the example does
        expected = execute(command, example.partition(" ")[2], catalog=CATALOG, defaults=Defaults())
        assert execute(command, reading.text, catalog=CATALOG, defaults=Defaults()).result == expected.result
        assert rephrase(command, reading.text, CATALOG).text == reading.text
        assert hub_model_words(command, "acme/model-7b h100") == ["acme/model-7b"]
    assert read_question(f"help {command}", CATALOG).canonical == f"help {command}"
    assert read_question(f"/{command} help", CATALOG).canonical == f"help {command}"
