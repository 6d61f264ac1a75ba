"""``napkin fits org/name``: the Hub look-up before the estimate, failures as one line on stderr."""

from __future__ import annotations

import sys

from bot.hub.client import HubError
from bot.hub.resolve import Prepared
from estimator.catalog import Catalog


def resolve_for_cli(command: str, text: str, catalog: Catalog) -> Prepared | None:
    """The command resolved against the Hub (HF_ENDPOINT, HF_TOKEN from settings); None after
    printing the one-line reason it could not be."""
    from bot.hub.service import client_from_settings, prepare_blocking
    from config.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"napkin: {err}", file=sys.stderr)
        return None
    try:
        return prepare_blocking(command, text, catalog, client_from_settings(settings))
    except HubError as err:
        print(f"napkin: {err.message}", file=sys.stderr)
        return None
