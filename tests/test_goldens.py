"""Golden answers: napkin's real Slack and terminal output for a fixed set of requests.

Each case in tests/golden/cases.py runs through ``execute()`` over the catalog pinned in
tests/data/golden_catalog, then through the Slack app's answer path (Block Kit, ``<name>.json``)
and the CLI's (terminal text, ``<name>.txt``). Regenerate with ``make goldens`` and review the diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.render.text import blocks_to_text
from tests.golden.cases import CASES, GOLDEN_DIR, UPDATING, slack_message, terminal_text


def _check(path: Path, rendered: str) -> None:
    if UPDATING:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run `make goldens`"
    assert path.read_text(encoding="utf-8") == rendered, f"{path.name} differs: run `make goldens` and review the diff"


@pytest.mark.parametrize("name", sorted(CASES))
def test_slack_answer_matches_golden(name: str) -> None:
    message = slack_message(name)
    rendered = json.dumps({"text": message.text, "blocks": message.blocks}, indent=2, ensure_ascii=False) + "\n"
    _check(GOLDEN_DIR / f"{name}.json", rendered)


@pytest.mark.parametrize("name", sorted(CASES))
def test_terminal_answer_matches_golden(name: str) -> None:
    _check(GOLDEN_DIR / f"{name}.txt", terminal_text(name) + "\n")


def test_every_golden_file_has_a_case() -> None:
    files = {path.name for path in GOLDEN_DIR.iterdir() if path.suffix in {".json", ".txt"}}
    assert files == {f"{name}{suffix}" for name in CASES for suffix in (".json", ".txt")}


def test_pinned_catalog_is_a_complete_catalog_of_its_own() -> None:
    from tests.golden.cases import catalog

    assert "a100-80gb-sxm" in catalog().accelerators
    assert "llama-3.1-70b" in catalog().models


# --- README screenshots ---------------------------------------------------------------------------

README = GOLDEN_DIR.parents[1] / "README.md"
# <!-- golden: <case> slack|terminal [N lines] --> then a fenced block: that golden's text, its first N lines.
_SCREENSHOT = re.compile(
    r"(?P<head><!-- golden: (?P<case>\w+) (?P<kind>slack|terminal)(?: (?P<lines>\d+) lines)? -->\n```\n)"
    r"(?P<body>(?:(?!```).*\n)*)(?P<tail>```)"
)


def _screenshot(match: re.Match[str]) -> str:
    name, kind, lines = match.group("case"), match.group("kind"), match.group("lines")
    if kind == "slack":
        message = slack_message(name)
        text = blocks_to_text(message.blocks, message.text)
    else:
        text = terminal_text(name)
    shown = text.splitlines()
    if lines is not None and len(shown) > int(lines):
        shown = [*shown[: int(lines)], "…"]
    return match.group("head") + "".join(f"{line}\n" for line in shown) + match.group("tail")


def test_readme_screenshots_are_the_golden_answers() -> None:
    """The README's screenshots-as-text are napkin's real answers (`make goldens` rewrites them)."""
    readme = README.read_text(encoding="utf-8")
    cases = [match.group("case") for match in _SCREENSHOT.finditer(readme)]
    assert cases, "README.md has no golden screenshots"
    assert set(cases) <= set(CASES)
    rendered = _SCREENSHOT.sub(_screenshot, readme)
    if UPDATING:
        README.write_text(rendered, encoding="utf-8")
    assert readme == rendered or UPDATING, "README.md screenshots differ: run `make goldens` and review the diff"
