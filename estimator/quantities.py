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
    """``40%`` or ``0.4`` → 0.4; a bare number above 1 (up to 100) is read as a percentage."""
    match = _FRACTION_RE.match(text.strip())
    if not match:
        return None
    value = _number(match.group(1))
    if value is None:
        return None
    if match.group(2) or 1 < value <= 100:
        value /= 100
    return value


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


def parse_int(text: str) -> int | None:
    """A whole count (``8``, ``1,024``, ``2k``); else None."""
    value = parse_count(text)
    if value is None or value != int(value):
        return None
    return int(value)


# --- formatting ---------------------------------------------------------------------------------

_COUNT_UNITS = ((1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
_WHOLE_UNITS = ((10**15, "P"), (10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "k"), (1, ""))
_DECIMAL_UNITS = ("kB", "MB", "GB", "TB")  # then PB
_BINARY_UNITS = ("KiB", "MiB", "GiB", "TiB")  # then PiB


def _trim(value: float, digits: int) -> str:
    text = "%.*f" % (digits, value)  # noqa: UP031 - a third faster than an f-string with a nested spec
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_count(value: float, digits: int = 3) -> str:
    """4.05e11 → ``405B``; 8.03e9 → ``8.03B``; 1.5e13 → ``15T`` (3 significant digits)."""
    if isinstance(value, int) or value.is_integer():
        whole = _whole_count(int(value), digits)
        if whole is not None:
            return whole
    rounded = float("%.*g" % (digits, value))  # noqa: UP031 - round first so 999_999 becomes 1M, not 1000k
    magnitude, unit = abs(rounded), ""
    for scale, name in _COUNT_UNITS:
        if magnitude >= scale:
            rounded, magnitude, unit = rounded / scale, magnitude / scale, name
            break
    if not rounded:
        return "0"
    return _trim(rounded, max(0, digits - 1 - math.floor(math.log10(magnitude)))) + unit


def _whole_count(value: int, digits: int) -> str | None:
    """``format_count`` of a positive whole number of units (405e9 → 405B, 15e12 → 15T) by integer
    arithmetic: with at most ``digits`` digits it needs no rounding. None for any other number."""
    if value >= 1000 and value % 1000:  # every unit from k up is a multiple of 1000
        return None
    for unit_size, unit in _WHOLE_UNITS:
        if value >= unit_size:
            units, rest = divmod(value, unit_size)
            return f"{units}{unit}" if not rest and units < 10**digits else None
    return None


def format_flops(value: float) -> str:
    """3.645e25 → ``3.65e25 FLOP`` (total operations, not per second)."""
    return f"{value:.3g} FLOP".replace("e+", "e")


def format_rate(flops_per_second: float) -> str:
    """9.894e14 → ``989 TFLOP/s``."""
    return f"{flops_per_second / 1e12:.4g} TFLOP/s"


def format_bytes(value: float, binary: bool = False) -> str:
    """4e10 → ``40.0 GB`` (decimal, as GPU vendors label memory) or ``37.3 GiB`` with ``binary``."""
    base, units = (1024.0, _BINARY_UNITS) if binary else (1000.0, _DECIMAL_UNITS)
    scaled = float(value)
    if not abs(scaled) >= base:  # (nan too)
        return f"{scaled:.0f} B"
    for unit in units:  # one division per step, as the figures have always been rounded
        scaled /= base
        if not abs(scaled) >= base:
            return f"{scaled:.1f} {unit}"
    return f"{scaled / base:.1f} {'PiB' if binary else 'PB'}"


def format_usd(value: float) -> str:
    """1.46e8 → ``$146M``; 12_345 → ``$12.3k``; 7.56 → ``$7.56``."""
    if abs(value) < 1000:
        return f"${value:,.2f}"
    return f"${format_count(value)}"


def format_days(days: float) -> str:
    """A wall-clock span: ``5.2 hours``, ``37 days``, ``2.1 years``."""
    if days < 1:
        hours = days * 24
        return f"{hours:.2g} hours" if hours < 10 else f"{hours:.0f} hours"
    if days < 365.25 * 2:
        return f"{days:.2g} days" if days < 10 else f"{days:,.0f} days"
    return f"{days / 365.25:,.1f} years"


def format_percent(fraction: float) -> str:
    """0.4 → ``40%``; 0.385 → ``38.5%``."""
    return f"{_trim(fraction * 100, 1)}%"
