"""The Hub client a process uses, built from its settings, and the CLI's blocking entry point."""

from __future__ import annotations

import asyncio

from bot.hub.client import HubClient
from bot.hub.resolve import Prepared, prepare
from config.settings import Settings
from estimator.catalog import Catalog


def client_from_settings(settings: Settings) -> HubClient:
    """A HubClient on HF_ENDPOINT (unset: the library's default) with HF_TOKEN and napkin's bounds."""
    token = settings.hf_token.get_secret_value() if settings.hf_token is not None else None
    return HubClient(
        endpoint=settings.hf_endpoint,
        token=token,
        timeout=settings.napkin_hub_timeout_seconds,
        ttl=settings.napkin_hub_cache_seconds,
    )


def prepare_blocking(command: str, text: str, catalog: Catalog, client: HubClient) -> Prepared:
    """:func:`bot.hub.resolve.prepare` for a caller without an event loop (the CLI)."""
    return asyncio.run(prepare(command, text, catalog, client))
