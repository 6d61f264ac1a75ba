"""The Slack app manifest (``manifest.json``, Socket Mode) and its HTTP-mode / dev-suffix variants.

``manifest.json`` at the repository root is the Socket Mode manifest (what ``slack run`` and the
slack CLI hooks read). For HTTP mode, every request URL points at ``POST /slack/events``::

    python -m bot.slack.manifest --http https://napkin.example.com > manifest.http.json
    python -m bot.slack.manifest --suffix=-dev        # a dev app with /traincost-dev etc.

The HTTP variant sets ``socket_mode_enabled: false``, each slash command's ``url``,
``settings.event_subscriptions.request_url`` and ``settings.interactivity.request_url``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from bot.routes import EVENTS_PATH

MANIFEST_FILE = Path(__file__).resolve().parents[2] / "manifest.json"
"""The manifest in a source checkout (the repository root, where the slack CLI reads it)."""
MANIFEST_RESOURCE = "manifest.json"
"""The manifest's name inside the ``bot.slack`` package, where the wheel ships it (see pyproject.toml)."""


def load_manifest(path: Path | None = None) -> dict[str, Any]:
    """The manifest as a dict: ``path``, else the copy installed with the package, else the checkout's."""
    if path is None:
        packaged = resources.files(__package__ or "bot.slack").joinpath(MANIFEST_RESOURCE)
        text = packaged.read_text(encoding="utf-8") if packaged.is_file() else MANIFEST_FILE.read_text(encoding="utf-8")
        path = MANIFEST_FILE
    else:
        text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a manifest is a JSON object")
    return data


def variant(manifest: dict[str, Any], *, base_url: str | None = None, command_suffix: str = "") -> dict[str, Any]:
    """A copy of ``manifest`` for HTTP mode at ``base_url`` and/or with suffixed commands."""
    out = copy.deepcopy(manifest)
    features, settings = out["features"], out["settings"]
    if command_suffix:
        for command in features["slash_commands"]:
            command["command"] += command_suffix
        display = out["display_information"]
        display["name"] = (display["name"] + command_suffix)[:35]
        features["bot_user"]["display_name"] += command_suffix
    if base_url is not None:
        url = base_url.rstrip("/") + EVENTS_PATH
        settings["socket_mode_enabled"] = False
        settings["event_subscriptions"]["request_url"] = url
        settings["interactivity"]["request_url"] = url
        for command in features["slash_commands"]:
            command["url"] = url
    return out


def main(argv: list[str]) -> int:
    """Print a manifest variant as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bot.slack.manifest", description=__doc__.splitlines()[0])
    parser.add_argument("--http", metavar="BASE_URL", help="HTTP mode, e.g. https://napkin.example.com")
    parser.add_argument("--suffix", default="", help="command suffix, e.g. -dev (NAPKIN_COMMAND_SUFFIX)")
    args = parser.parse_args(argv)
    if args.http is not None and not args.http.startswith("https://"):
        print("napkin: Slack request URLs must be https://", file=sys.stderr)
        return 2
    print(json.dumps(variant(load_manifest(), base_url=args.http, command_suffix=args.suffix), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
