"""Estimator messages in Slack mrkdwn with every code span closed where the estimator closed it.

The estimator quotes what the user typed in backticks (``didn't recognise `x` as …``). mrkdwn has
no escape for a backtick inside a code span, so a typed word such as ``x`@here`` used to end the
span early and leave ``@here``, ``*bold*`` and bare links live in a public thread. A typed word
never contains a space, so the span's real end is the backtick followed by one (or by the end);
backticks inside the span, and any stray one, become ``'`` (as
:func:`bot.render.blocks.inline_code` does).
"""

from __future__ import annotations

import re

# A span opens after the start, a space or "(" and closes at the first backtick followed by a
# space or the end, possibly after one closing punctuation mark (`a`, `b`; (`c`)): a typed word has
# no spaces, so only the estimator's closing backtick can be followed by one.
_SPAN_OR_BACKTICK = re.compile(r"(?<![^\s(])`(.+?)`(?=[),.;:!?]?(?:\s|$))|`")


def safe_code_spans(message: str) -> str:
    """``message`` with each code span's inner backticks, and unpaired backticks, replaced by ``'``."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        return "'" if inner is None else "`" + inner.replace("`", "'") + "`"

    return _SPAN_OR_BACKTICK.sub(replace, message)
