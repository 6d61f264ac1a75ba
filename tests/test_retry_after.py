"""Reading Slack's ``Retry-After``: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), anything else 1 s."""

from __future__ import annotations

import pytest

from bot.slack.retry_after import DEFAULT_RETRY_AFTER_SECONDS, retry_after_seconds

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 30 ", 30.0),
        ("3600", 3600.0),
        ("Tue, 14 Nov 2023 22:13:25 GMT", 5.0),  # IMF-fixdate, 5 s after NOW
        ("Tuesday, 14-Nov-23 22:13:25 GMT", 5.0),  # obsolete RFC 850 form, which RFC 9110 still accepts
        ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),  # in the past: retry at once
        (None, DEFAULT_RETRY_AFTER_SECONDS),
        ("", DEFAULT_RETRY_AFTER_SECONDS),
        ("-5", DEFAULT_RETRY_AFTER_SECONDS),
        ("1.5", DEFAULT_RETRY_AFTER_SECONDS),
        ("soon", DEFAULT_RETRY_AFTER_SECONDS),
        ("Tue, 14 Nov 2023 22:13:25", DEFAULT_RETRY_AFTER_SECONDS),  # no zone: not an HTTP-date
        ("Tue, 99 Nov 99999 99:99:99 GMT", DEFAULT_RETRY_AFTER_SECONDS),
    ],
)
def test_retry_after_values(value: str | None, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == pytest.approx(seconds, abs=1e-6)
