"""The golden cases: real requests run through ``execute()`` over a pinned catalog, as Slack and the CLI show them.

The catalog is a copy of ``config/data`` pinned in ``tests/data/golden_catalog`` so catalog edits do not
churn the goldens; estimator or renderer changes do, and show up as reviewable diffs. Regenerate with
``make goldens`` (``NAPKIN_UPDATE_GOLDENS=1 pytest tests/test_goldens.py``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from bot.cli import terminal_answer
from bot.render.blocks import SlackMessage, share_value
from bot.slack.answers import Answerer
from config.catalogs import load_catalog_files
from estimator.catalog import Catalog
from estimator.commands import Reply, execute
from estimator.defaults import Defaults
from estimator.vocabulary import is_command

GOLDEN_DIR = Path(__file__).parent
CATALOG_DIR = GOLDEN_DIR.parent / "data" / "golden_catalog"
UPDATE_ENV = "NAPKIN_UPDATE_GOLDENS"
# Read at import: the autouse clean_env fixture removes NAPKIN_* variables before each test runs.
UPDATING = os.environ.get(UPDATE_ENV) == "1"


@dataclass(frozen=True)
class Case:
    """One request: the slash command Slack would send (``napkin`` takes the command as its first word)."""

    slash: str
    text: str

    @property
    def command_and_text(self) -> tuple[str, str]:
        """The command and its text, as the CLI takes them."""
        if self.slash == "napkin":
            command, _, rest = self.text.partition(" ")
            return command, rest
        return self.slash, self.text


CASES: dict[str, Case] = {
    "traincost_405b_15t_a100": Case("traincost", "405B 15T a100"),
    "fits_20b_h100": Case("fits", "20B h100"),
    "fits_llama_3_1_70b_h100": Case("fits", "llama-3.1-70b h100"),
    "servecost_llama_3_3_70b_2xh100_fp8": Case("servecost", "llama-3.3-70b 2xh100 fp8"),
    "gpus": Case("gpus", ""),
    "gpus_80gb": Case("gpus", "80gb"),
    "models": Case("napkin", "models"),
    "error_unknown_gpu": Case("traincost", "405B 15T h10O"),
}


@functools.cache
def catalog() -> Catalog:
    """The pinned catalog the goldens are computed over."""
    return load_catalog_files(sorted(CATALOG_DIR.glob("*.toml")))


def reply(command: str, text: str) -> Reply:
    """``execute(command, text)`` over the pinned catalog with the built-in defaults."""
    return execute(command, text, catalog=catalog(), defaults=Defaults())


def slack_message(name: str) -> SlackMessage:
    """What the Slack app answers to the case's slash command (the ephemeral reply, share button included)."""
    case = CASES[name]
    return Answerer(catalog(), Defaults()).slash(case.slash, case.text).message


def details_message(name: str) -> SlackMessage:
    """What the case's Details button answers: the full working (a listing's every row, an error as it was)."""
    command, text = CASES[name].command_and_text
    value = share_value(command if is_command(command) else "help", text)
    assert value is not None
    return Answerer(catalog(), Defaults()).action(value, user_id=None, detail=True).message


def terminal_text(name: str) -> str:
    """What ``napkin <command> <text>`` prints (stdout for an answer, stderr for a usage error)."""
    command, text = CASES[name].command_and_text
    _, printed = terminal_answer(command, text, catalog=catalog(), defaults=Defaults())
    return printed
