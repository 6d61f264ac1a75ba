"""Proportional bars drawn with block characters, for monospace tables in Slack and the terminal."""

from __future__ import annotations

import math
from collections.abc import Sequence

FULL = "█"
EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
MARKER = "│"


def _usable(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 0.0


def bar(value: float, scale: float, width: int) -> str:
    """A bar of ``value / scale × width`` cells, to an eighth of a cell.

    Capped at ``width`` cells; any positive value shows at least one eighth so it never looks
    like zero. Zero, negative or NaN values, and a scale that is not positive, draw nothing.
    """
    value = value if math.isfinite(value) or value == math.inf else 0.0
    if width <= 0 or not scale > 0 or not value > 0:
        return ""
    eighths = max(1, round(min(value / scale, 1.0) * width * 8))
    full, rest = divmod(eighths, 8)
    return FULL * full + EIGHTHS[rest]


def stacked(parts: Sequence[tuple[float, str]], scale: float, width: int) -> str:
    """One bar made of ``(value, fill character)`` segments in whole cells, in order.

    The bar is ``sum / scale × width`` cells long (capped at ``width``, at least one cell when
    the sum is positive); cells go to segments by largest remainder, so every segment's length
    is its exact share rounded up or down.
    """
    values = [_usable(value) for value, _ in parts]
    total = sum(values)
    if width <= 0 or not scale > 0 or total <= 0:
        return ""
    cells = max(1, round(min(total / scale, 1.0) * width))
    exact = [value / total * cells for value in values]
    counts = [math.floor(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: cells - sum(counts)]:
        counts[i] += 1
    return "".join(fill * count for (_, fill), count in zip(parts, counts, strict=True))


def with_marker(drawn: str, position: int, width: int, marker: str = MARKER) -> str:
    """``drawn`` padded to ``width`` cells with ``marker`` inserted before cell ``position``.

    The result is ``width + 1`` characters; cells left of the marker keep their place, so rows
    drawn against the same scale line up at the marker (e.g. a GPU's usable memory).
    """
    position = min(max(position, 0), width)
    padded = drawn.ljust(width)
    return padded[:position] + marker + padded[position:]


def marker_position(mark: float, scale: float, width: int) -> int:
    """The cell index where ``mark`` falls on a ``width``-cell axis running from 0 to ``scale``."""
    if not scale > 0 or not math.isfinite(mark):
        return width
    return min(width, max(0, round(mark / scale * width)))
