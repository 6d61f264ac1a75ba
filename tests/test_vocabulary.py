"""One vocabulary: every command name and share word has one definition, used the same by every command."""

from __future__ import annotations

import pytest

from bot.render.blocks import parse_share_value, share_value
from config.catalogs import cached_catalog
from config.settings import load_settings
from estimator.commands import HELP, execute
from estimator.defaults import Defaults
from estimator.grammar import USAGE
from estimator.vocabulary import COMMANDS, DIRECT_SLASH_COMMANDS, SHARE_WORDS, SLASH_COMMANDS, UMBRELLA_SLASH_COMMAND

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
