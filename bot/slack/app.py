"""The Slack app: an AsyncApp built from a Settings object, with napkin's listeners registered.

``build_app`` reads no environment. It always passes Bolt an explicit ``authorize`` (from the bot
token, or the caller's), so ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` in the environment can
never make Bolt authorize through OAuth instead; napkin serves its own routes (``bot.server.serve``),
so Bolt's OAuth install pages are never exposed either.

Answers are computed on the event loop, inside the ack: estimate plus Block Kit rendering measured
0.4-1.5 ms per command (a thread would not help pure-Python work under the GIL, and Slack allows 3 s).

Listeners run inline (``process_before_response=True``): the HTTP answer leaves as soon as the
listener returns, instead of Bolt's default of running it in a task and polling for ``ack()``
every 10 ms, which put a 10 ms floor under every answer and cost CPU under load
(docs/performance.md). Work that outlives the answer (posting a reply) is spawned on
``AppState.tasks`` by the listener, so it never delays an acknowledgement.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.logs import quiet_request_verification
from bot.slack.answers import Answerer
from bot.slack.clients import Authorize, make_web_client, token_authorize
from bot.slack.hub_replies import HubReplies
from bot.slack.listeners import register_listeners
from bot.slack.middleware import events_gate
from bot.slack.state import AppState
from config.settings import Settings, SettingsError
from estimator.catalog import Catalog

__all__ = ["AppState", "Authorize", "build_app"]

logger = logging.getLogger("napkin.app")


def build_app(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    authorize: Authorize | None = None,
    state: AppState | None = None,
) -> AsyncApp:
    """napkin's AsyncApp; reads no environment. Raises SettingsError for unusable settings.

    ``catalog`` defaults to the (cached) catalog NAPKIN_CATALOG names; ``authorize`` to the bot
    token's ``auth.test``; ``state`` to a fresh :class:`AppState` (pass one to share it with a server).
    """
    if catalog is None:
        from config.catalogs import cached_catalog

        override = settings.catalog_path
        catalog = cached_catalog(None if override is None else str(override))
    defaults = settings.defaults()
    if catalog.gpu(defaults.gpu) is None:
        hint = catalog.suggest_gpu(defaults.gpu)
        did_you_mean = f"; did you mean {hint!r}?" if hint else ""
        raise SettingsError(f"NAPKIN_DEFAULT_GPU: {defaults.gpu!r} is not in the GPU catalog{did_you_mean}")
    if authorize is None:
        if settings.slack_bot_token is None:
            raise SettingsError("SLACK_BOT_TOKEN: required to build the Slack app")
        authorize = token_authorize(settings.slack_bot_token.get_secret_value())
    state = state if state is not None else AppState()
    secret = settings.slack_signing_secret
    app = AsyncApp(
        name="napkin.bolt",
        signing_secret=secret.get_secret_value() if secret is not None else "",
        client=make_web_client(settings),
        authorize=authorize,
        before_authorize=events_gate(state),
        raise_error_for_unhandled_request=True,
        process_before_response=True,  # see the module docstring
    )
    quiet_request_verification()  # Bolt has just reset these loggers' levels
    if app.oauth_flow is not None:
        logger.warning("SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are set and ignored: napkin uses SLACK_BOT_TOKEN")
    from bot.hub.service import client_from_settings

    hub = HubReplies(catalog, defaults, client_from_settings(settings))
    register_listeners(app, settings, Answerer(catalog, defaults), state, hub)
    return app
