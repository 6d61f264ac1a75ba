"""Reading and writing the quantities people type: ``405B``, ``15T``, ``80GiB``, ``40%``, ``$2.50``."""

from __future__ import annotations

import math
import re

_COUNT_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:e[+-]?\d{1,3})?"
_COUNT_RE = re.compile(rf"^({_NUMBER})\s*([kmbgtp]?)$", re.IGNORECASE)
_BYTES_RE = re.compile(rf"^({_NUMBER})\s*(k|m|g|t|p)(i?)b$", re.IGNORECASE)
_FRACTION_RE = re.compile(rf"^({_NUMBER})\s*(%?)$", re.IGNORECASE)
_MONEY_RE = re.compile(rf"^\$?({_NUMBER})(?:\s*(?:/h|/hr|/hour|usd))?$", re.IGNORECASE)
_DURATION_RE = re.compile(rf"^({_NUMBER})\s*(h|hours?|d|days?|w|weeks?|mo|months?|y|years?)?$", re.IGNORECASE)
_BYTE_POWER = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_DAYS_PER_UNIT = {"h": 1 / 24, "d": 1.0, "w": 7.0, "mo": 30.4375, "y": 365.25}


def _number(text: str) -> float | None:
    # ``text`` matched _NUMBER (digits , . e + -): it holds a digit iff stripping the rest leaves some
    if not text.strip(",.eE+-"):
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:  # an exponent with no mantissa, such as `e5`
        return None
    return value if math.isfinite(value) else None


def parse_count(text: str) -> float | None:
    """``405B`` → 4.05e11; ``15T``, ``1.5e12``, ``7,000,000,000``, ``350M``, ``70b``; else None."""
    match = _COUNT_RE.match(text.strip())
    if not match:
        return None
    value = _number(match.group(1))
    if value is None:
        return None
    scaled = value * _COUNT_SUFFIX[match.group(2).lower()]
    return scaled if math.isfinite(scaled) else None


def parse_bytes(text: str) -> int | None:
    """``80GB`` → 80e9 (decimal), ``80GiB`` → 80·2³⁰; ``512MB``, ``1.5TB``; else None."""
    match = _BYTES_RE.match(text.strip())
    if not match:
        return None
    value = _number(match.group(1))
    if value is None:
        return None
    base = 1024 if match.group(3) else 1000
    scaled = value * base ** _BYTE_POWER[match.group(2).lower()]
    return round(scaled) if math.isfinite(scaled) else None


def parse_fraction(text: str) -> float | None:
    """``40%`` → 0.4; ``0.4`` → 0.4; a bare ``1.5`` → 1.5 (the caller decides what a bare number above 1
    means: it could be a percentage or a mistyped fraction)."""
    match = _FRACTION_RE.match(text.strip())
    if not match:
        return None
    value = _number(match.group(1))
    if value is None:
        return None
    return value / 100 if match.group(2) else value


def parse_money(text: str) -> float | None:
    """``2.5``, ``$2.50``, ``2.5/h`` → 2.5 (USD per hour); else None."""
    match = _MONEY_RE.match(text.strip())
    return _number(match.group(1)) if match else None


def parse_days(text: str) -> float | None:
    """``30``, ``30d``, ``6w``, ``3mo``, ``1y``, ``12h`` → days; else None."""
    match = _DURATION_RE.match(text.strip())
    if not match:
        return None
    value = _number(match.group(1))
    if value is None:
        return None
    unit = (match.group(2) or "d").lower()
    key = "mo" if unit.startswith("mo") else unit[0]
    return value * _DAYS_PER_UNIT[key]


def parse_length(text: str) -> int | None:
    """A length in tokens: a whole number of ``k`` is binary, as context windows are (``8k`` → 8192,
    ``32k`` → 32768, ``128k`` → 131072); anything else as ``parse_int`` reads it (``1.5k`` → 1500,
    ``8000`` → 8000, ``1M`` → 1,000,000)."""
    match = _COUNT_RE.match(text.strip())
    if match and match.group(2).lower() == "k":
        value = _number(match.group(1))
        if value is not None and value == int(value):
            return int(value) * 1024
    return parse_int(text)


def parse_int(text: str) -> int | None:
    """A whole count (``8``, ``1,024``, ``2k``); else None."""
    value = parse_count(text)
    if value is None or value != int(value):
        return None
    return int(value)


# --- formatting ---------------------------------------------------------------------------------

_COUNT_UNITS = ((1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
_DECIMAL_UNITS = ("kB", "MB", "GB", "TB", "PB")
_BINARY_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def _significant(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, trailing zeros dropped."""
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_count(value: float, digits: int = 3) -> str:
    """4.05e11 → ``405B``; 8.03e9 → ``8.03B``; 1.5e13 → ``15T`` (3 significant digits)."""
    rounded = float(f"{value:.{digits}g}")  # round first so 999_999 becomes 1M, not 1000k
    for scale, unit in _COUNT_UNITS:
        if abs(rounded) >= scale:
            return _significant(rounded / scale, digits) + unit
    return _significant(rounded, digits) if rounded else "0"


def format_flops(value: float) -> str:
    """3.645e25 → ``3.65e25 FLOP`` (total operations, not per second)."""
    return f"{value:.3g} FLOP".replace("e+", "e")


def format_rate(flops_per_second: float) -> str:
    """9.894e14 → ``989 TFLOP/s``."""
    return f"{flops_per_second / 1e12:.4g} TFLOP/s"


def format_bytes(value: float, binary: bool = False) -> str:
    """4e10 → ``40.0 GB`` (decimal, as GPU vendors label memory) or ``37.3 GiB`` with ``binary``."""
    base, units = (1024.0, _BINARY_UNITS) if binary else (1000.0, _DECIMAL_UNITS)
    scaled, unit = float(value), "B"
    for bigger in units:  # one division per step, as the figures have always been rounded
        if not abs(scaled) >= base:  # (nan too)
            break
        scaled, unit = scaled / base, bigger
    return f"{scaled:.0f} B" if unit == "B" else f"{scaled:.1f} {unit}"


def format_usd(value: float) -> str:
    """1.46e8 → ``$146M``; 12_345 → ``$12.3k``; 123.45 → ``$123``; 7.56 → ``$7.56`` (3 significant digits,
    the one rule for money, hours and tonnes)."""
    return f"${format_count(value)}"


def format_days(days: float) -> str:
    """A wall-clock span to 3 significant digits: ``5.24 hours``, ``37.2 days``, ``2.12 years``."""
    if days < 1:
        return f"{format_count(days * 24)} hours"
    if days < 365.25 * 2:
        return f"{format_count(days)} days"
    return f"{format_count(days / 365.25)} years"


def format_percent(fraction: float) -> str:
    """0.4 → ``40%``; 0.385 → ``38.5%``."""
    percent = f"{fraction * 100:.1f}"
    return f"{percent.rstrip('0').rstrip('.')}%"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and a noun that agrees with it: ``1 GPU``, ``8 GPUs``, ``1,024 sequences``, ``1 sequence``."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
