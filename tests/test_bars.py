"""Proportional bars: lengths follow values to an eighth of a cell, and markers line up."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.render.bars import EIGHTHS, FULL, MARKER, bar, marker_position, stacked, with_marker


def eighths(drawn: str) -> int:
    """A bar's length in eighths of a cell."""
    return sum(8 if c == FULL else EIGHTHS.index(c) for c in drawn)


@pytest.mark.parametrize(
    ("value", "scale", "width", "expected"),
    [
        (0.5, 1.0, 10, FULL * 5),
        (1.0, 1.0, 4, FULL * 4),
        (3.0, 8.0, 1, "▍"),  # 3/8 of one cell
        (1.0, 3.0, 2, "▋"),  # 2/3 of 2 cells = 5.33 eighths → 5
        (2.0, 1.0, 4, FULL * 4),  # capped at the width
        (1e-9, 1.0, 10, "▏"),  # a positive value never looks like zero
        (0.0, 1.0, 10, ""),
        (-1.0, 1.0, 10, ""),
        (math.nan, 1.0, 10, ""),
        (1.0, 0.0, 10, ""),
        (1.0, 1.0, 0, ""),
    ],
)
def test_bar(value: float, scale: float, width: int, expected: str) -> None:
    assert bar(value, scale, width) == expected


@given(
    value=st.floats(min_value=0, max_value=1e30),
    scale=st.floats(min_value=1e-6, max_value=1e30),
    width=st.integers(min_value=1, max_value=80),
)
def test_bar_is_proportional_to_the_nearest_eighth(value: float, scale: float, width: int) -> None:
    drawn = bar(value, scale, width)
    exact = min(value / scale, 1.0) * width * 8
    assert len(drawn) <= width
    if value > 0:
        assert eighths(drawn) == max(1, round(exact))
    else:
        assert drawn == ""


@given(
    a=st.floats(min_value=0, max_value=1e6),
    b=st.floats(min_value=0, max_value=1e6),
    width=st.integers(min_value=1, max_value=60),
)
def test_bar_is_monotonic(a: float, b: float, width: int) -> None:
    low, high = sorted((a, b))
    assert eighths(bar(low, 1e6, width)) <= eighths(bar(high, 1e6, width))


def test_stacked_keeps_order_and_shares() -> None:
    assert stacked([(40, "█"), (20, "▓"), (20, "▒")], 160, 16) == "████▓▓▒▒"
    assert stacked([(1, "a"), (1, "b"), (1, "c")], 3, 10) == "aaaabbbccc"  # largest remainder, ties in order
    assert stacked([(0, "a"), (0, "b")], 1, 10) == ""
    assert stacked([(5, "a")], 1, 10) == "a" * 10  # capped at the width


@given(
    parts=st.lists(st.floats(min_value=0, max_value=1e12), min_size=1, max_size=6),
    scale=st.floats(min_value=1, max_value=1e13),
    width=st.integers(min_value=1, max_value=60),
)
def test_stacked_segments_are_their_exact_share_rounded(parts: list[float], scale: float, width: int) -> None:
    fills = "█▓▒░▚·"
    drawn = stacked([(value, fills[i]) for i, value in enumerate(parts)], scale, width)
    total = sum(parts)
    if total <= 0:
        assert drawn == ""
        return
    cells = max(1, round(min(total / scale, 1.0) * width))
    assert len(drawn) == cells
    for i, value in enumerate(parts):
        share = value / total * cells
        assert math.floor(share) <= drawn.count(fills[i]) <= math.ceil(share)


def test_with_marker_pads_and_inserts_at_the_cell() -> None:
    assert with_marker("██", 4, 6) == "██  " + MARKER + "  "
    assert with_marker("██████", 2, 4) == "██" + MARKER + "████"  # overflow continues past the marker
    assert with_marker("", 99, 3) == "   " + MARKER


def test_marker_position() -> None:
    assert marker_position(79e9, 158e9, 30) == 15
    assert marker_position(79e9, 79e9, 30) == 30
    assert marker_position(1, 0, 30) == 30
