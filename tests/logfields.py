"""Typed access to the structured fields napkin attaches to its log records."""

from __future__ import annotations

import logging
from typing import Any

from bot.logs import FIELDS_ATTR


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The ``key=value`` fields of one of napkin's log records (empty for other records)."""
    fields = getattr(record, FIELDS_ATTR, None)
    return dict(fields) if isinstance(fields, dict) else {}
