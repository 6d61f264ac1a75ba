"""Estimator messages in Slack mrkdwn with every code span closed where the estimator closed it.

The estimator quotes what the user typed in backticks (``didn't recognise `x` as …``). mrkdwn has
no escape for a backtick inside a code span, so a typed word such as ``x`@here`` used to end the
span early and leave ``@here``, ``*bold*`` and bare links live in a public thread. Each quoted
word is one whitespace-free token followed by a space, punctuation or the end, so the span is found
from the last backtick of the token; backticks inside it, and any stray one, become ``'`` (as
:func:`bot.render.blocks.inline_code` does).
"""

from __future__ import annotations

import re

_SPAN_OR_BACKTICK = re.compile(r"`(\S+)`(?=[\s).,:;?!]|$)|`")  # greedy: the span ends at its last backtick


def safe_code_spans(message: str) -> str:
    """``message`` with each code span's inner backticks, and unpaired backticks, replaced by ``'``."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        return "'" if inner is None else "`" + inner.replace("`", "'") + "`"

    return _SPAN_OR_BACKTICK.sub(replace, message)
