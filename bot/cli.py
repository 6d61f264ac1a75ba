"""The ``napkin`` command line: the slash-command grammar in a terminal, plus the server commands.

Only what a command needs is imported, so ``napkin traincost …`` starts about as fast as
``python -c "import pydantic"``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from estimator.catalog import Catalog
    from estimator.commands import Reply, UsageError
    from estimator.defaults import Defaults

SERVER_COMMANDS = ("serve", "console", "run", "healthcheck")

CLI_HELP = """\
usage: napkin <command> [args…] [--json]

estimates (same grammar as the Slack commands):
  napkin traincost <params|model> [tokens] [gpu] [key=value …]   e.g. napkin traincost 405B 15T a100
  napkin fits <params|model> [gpu] [mode] [key=value …]           e.g. napkin fits 20B
  napkin servecost <params|model> [gpu] [dtype] [in=N out=N]     e.g. napkin servecost llama-3.3-70b 2xh100 fp8
  napkin gpus | napkin models | napkin help [traincost|fits|servecost]
  --json        print the result as JSON (contract in README.md)

running the Slack app:
  napkin run          serve Slack when credentials are configured, else open the console
  napkin serve        HTTP (POST /slack/events, GET /healthz, /readyz) or Socket Mode, from settings
  napkin console      talk to the same Slack app in the terminal, no Slack needed
  napkin healthcheck  exit 0 when the local server answers /healthz"""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``napkin`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(CLI_HELP)
        return 0
    if args[0] in {"--version", "version"}:
        from importlib.metadata import version

        print(f"napkin {version('napkin')}")
        return 0
    command, rest = args[0].lower().lstrip("/"), args[1:]
    if command in SERVER_COMMANDS:
        return _server_command(command, rest)
    as_json = "--json" in rest
    words = [w for w in rest if w != "--json"]
    try:
        return _estimate(command, " ".join(words), as_json)
    except BrokenPipeError:
        # `napkin … | head` closed the pipe: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _server_command(command: str, rest: list[str]) -> int:
    if command == "serve":
        from bot.server.serve import main as serve_main

        return serve_main(rest)
    if command == "run":
        from bot.server.serve import run_main

        return run_main(rest)
    if command == "console":
        from bot.console.repl import main as console_main

        return console_main(rest)
    from bot.server.healthcheck import main as health_main

    return health_main(rest)


# The settings an estimate reads; without any of them (and no .env) the CLI skips pydantic-settings.
_ESTIMATE_SETTINGS = frozenset(
    {"NAPKIN_DEFAULT_GPU", "NAPKIN_MFU", "NAPKIN_CATALOG", "NAPKIN_PUE", "NAPKIN_GRID_KG_PER_KWH"}
)


def _needs_settings() -> bool:
    # pydantic-settings matches names case-insensitively and also reads ./.env.
    return any(name.upper() in _ESTIMATE_SETTINGS for name in os.environ) or os.path.isfile(".env")


def _estimate(command: str, text: str, as_json: bool) -> int:
    from config.catalogs import CatalogError, cached_catalog
    from estimator.commands import UsageError, execute
    from estimator.defaults import Defaults

    try:
        if _needs_settings():
            from config.settings import SettingsError, load_settings

            try:
                settings = load_settings()
            except SettingsError as err:
                print(f"napkin: {err}", file=sys.stderr)
                return 2
            catalog, defaults = cached_catalog(settings.catalog_path), settings.defaults()
        else:
            catalog, defaults = cached_catalog(None), Defaults()
    except CatalogError as err:
        print(f"napkin: {err}", file=sys.stderr)
        return 2
    from estimator.vocabulary import is_command

    if not is_command(command):  # `napkin how much to train a 13B on 1T tokens`: read it as a question
        from estimator.grammar import USAGE, GrammarError
        from estimator.phrasing import read_question

        try:
            reading = read_question(f"{command} {text}".strip(), catalog)
        except GrammarError as err:
            hint = f" Did you mean `{err.suggestion}`?" if err.suggestion else ""
            print(f"napkin: {err.message}.{hint}\nusage: napkin {USAGE['help']}", file=sys.stderr)
            return 2
        command, text = reading.command, reading.text
    source = None
    run_text = text
    from estimator.grammar import hub_model_words

    if hub_model_words(command, text):
        from bot.hub.cli import resolve_for_cli

        resolved = resolve_for_cli(command, text, catalog)
        if resolved is None:
            return 2
        run_text, catalog, source = resolved.text, resolved.catalog, resolved.source
    if as_json:
        try:
            reply = execute(command, run_text, catalog=catalog, defaults=defaults)
        except UsageError as err:
            print(usage_error_text(err), file=sys.stderr)
            return 2
        document = reply_json(reply)
        if source is not None:
            document["source"] = source
        print(json.dumps(document, indent=2))
        return 0
    status, printed = terminal_answer(command, run_text, catalog=catalog, defaults=defaults, command_text=text)
    print(printed, file=sys.stdout if status == 0 else sys.stderr)
    if status == 0 and source is not None:
        from bot.hub.resolve import source_line

        print(source_line(source))
    return status


def terminal_answer(
    command: str, text: str, *, catalog: Catalog, defaults: Defaults, command_text: str | None = None
) -> tuple[int, str]:
    """The exit status and what ``napkin <command> <text>`` prints: the answer, or the usage error (status 2)."""
    from bot.render.blocks import render_reply
    from bot.render.text import blocks_to_text
    from estimator.commands import UsageError, execute

    try:
        reply = execute(command, text, catalog=catalog, defaults=defaults)
    except UsageError as err:
        return 2, usage_error_text(err)
    message = render_reply(reply, command_text=command_text or text, shareable=False, detail=True)
    return 0, blocks_to_text(message.blocks, message.text)


def usage_error_text(err: UsageError) -> str:
    """A usage error as the CLI prints it: the message, a suggestion, and the usage line."""
    hint = f" Did you mean `{err.suggestion}`?" if err.suggestion else ""
    return f"napkin: {err.message}.{hint}\nusage: napkin {err.usage}"


def reply_json(reply: Reply) -> dict[str, Any]:
    """The JSON document ``--json`` prints for a reply (the README documents it)."""
    from estimator.commands import GpuListing, HelpTopic, ModelListing

    result = reply.result
    if isinstance(result, GpuListing):
        return {
            "default_gpu": result.default_gpu,
            "gpus": [gpu.model_dump(mode="json") for gpu in result.accelerators],
        }
    if isinstance(result, ModelListing):
        return {
            "models": [
                {
                    **model.model_dump(mode="json"),
                    "params": model.param_count(),
                    "active_params": model.active_param_count(),
                }
                for model in result.models
            ]
        }
    if isinstance(result, HelpTopic):
        return {"help": result.text, "command": result.command}
    return result.model_dump(mode="json")


if __name__ == "__main__":
    sys.exit(main())
