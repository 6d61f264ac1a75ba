"""``napkin serve`` and ``napkin run``: the command line over :mod:`bot.server.startup`.

HTTP mode serves ``POST /slack/events`` (every Slack request: commands, interactivity, events),
``GET /healthz`` and ``GET /readyz`` on NAPKIN_HOST:PORT (:mod:`bot.server.web_app`); Socket Mode
connects out to Slack (:mod:`bot.server.socket_mode`). On SIGTERM/SIGINT napkin drains
(:mod:`bot.server.drain`) and exits 0. Startup errors print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys

from bot.server.overrides import settings_with
from bot.server.startup import serve, startup_failed
from config.settings import Settings, SettingsError, load_settings


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="napkin serve", description="Serve the napkin Slack app.")
    parser.add_argument("--host", help="interface to listen on (default: NAPKIN_HOST, 0.0.0.0)")
    parser.add_argument("--port", help="port (default: PORT, 3000)")
    parser.add_argument("--mode", choices=("http", "socket", "auto"), help="default: NAPKIN_MODE (auto)")
    return parser.parse_args(argv)


def _settings_from(args: argparse.Namespace) -> Settings:
    pairs = (("napkin_host", args.host), ("port", args.port), ("napkin_mode", args.mode))
    return settings_with({key: value for key, value in pairs if value is not None})


def main(argv: list[str]) -> int:
    """``napkin serve [--host H] [--port P] [--mode http|socket|auto]``: serve until SIGTERM."""
    args = _parse_args(argv)
    try:
        settings = _settings_from(args)
    except SettingsError as err:
        return startup_failed(str(err))
    return serve(settings)


def run_main(argv: list[str]) -> int:
    """``napkin run``: serve when any Slack credential is configured, else the local console."""
    try:
        settings = load_settings()
    except SettingsError as err:
        return startup_failed(str(err))
    if settings.has_slack_credentials:
        return main(argv)
    print(
        "napkin: no Slack credentials (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET / SLACK_APP_TOKEN); "
        "starting the local console",
        file=sys.stderr,
    )
    from bot.console.repl import main as console_main

    return console_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
