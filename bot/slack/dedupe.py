"""Reply once per Slack event, across retries and replicas, without shared state.

Slack redelivers an Events API event (``app_mention``, ``message.im``) when a delivery fails,
up to three times, with ``X-Slack-Retry-Num`` (1-3) and ``X-Slack-Retry-Reason`` (Socket Mode:
the envelope's ``retry_attempt`` / ``retry_reason``, which Bolt ≥ 1.29 copies into the same
headers). In HTTP mode a retry can reach any replica, so "have I seen this event?" cannot be
answered by one process, and napkin keeps no shared store. Instead the reason tells us:

* napkin acknowledges an event (HTTP 200 / Socket Mode ack) as soon as it accepts it, before
  any work, and posts the answer afterwards; it never answers non-2xx once it has accepted an
  event, and while draining it answers 503 *before* processing.
* ``http_timeout`` (``timeout`` in Socket Mode) therefore means a replica received the event and
  is answering it: **acknowledge and drop**.
* ``connection_failed``, ``ssl_error``, ``too_many_redirects`` and ``http_error`` mean the delivery
  never reached a replica that processed it (no connection, a proxy error, or napkin's drain
  503): **process**.
* Any other reason (``unknown_error``, a missing or new one) is ambiguous: **drop**, because a
  second reply is worse for users than a missing one (they can ask again).

On top of that, each replica keeps a small TTL/LRU set of event ids it has accepted
(:class:`SeenEvents`), so one replica never answers the same ``event_id`` twice, whatever the
headers say (e.g. Socket Mode redelivering on the same connection).

The guarantee, per delivery (docs/operations.md, "Delivery guarantee", says the same):

* first delivery (no retry header, or Socket Mode's attempt 0): processed, once per replica;
* ``http_timeout`` / ``timeout``, ``unknown_error``, no or a new reason, an unreadable or
  negative retry number: **at most once** (dropped everywhere);
* ``connection_failed``, ``ssl_error``, ``too_many_redirects``: processed; the earlier attempt
  reached no replica, so the user gets **exactly one** reply;
* ``http_error``: processed, **at least once**: napkin answers non-2xx only before processing
  (the drain's 503, a refused request), but a proxy that failed after napkin answered 200 also
  reports ``http_error``, and then the user sees a second reply.

The retry headers are not signed (the body is): someone replaying a captured signed request
within Slack's five-minute window could add them, and would get at most one more reply per
replica; napkin serves only over TLS behind the ingress, so capturing one means breaking TLS.

Trade-off: at most once rather than exactly once for all other reasons. A replica that accepted
an event and then died before posting (OOM kill, node loss; SIGTERM drains first) loses that one reply, because
the ``http_timeout`` retry is dropped everywhere; and a request that stalled in a proxy until
Slack's 3 s timeout without reaching napkin is dropped the same way. Exactly-once would need a
shared store (e.g. Redis ``SET event_id NX EX 900``) consulted before acknowledging; napkin
stays stateless because its answers are cheap to ask for again and a duplicate reply in a
channel is the more visible failure.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

RETRY_NUM_HEADER = "x-slack-retry-num"
RETRY_REASON_HEADER = "x-slack-retry-reason"

NOT_PROCESSED_REASONS = frozenset({"connection_failed", "ssl_error", "too_many_redirects", "http_error"})
"""Retry reasons after which no replica processed the event: the retry must be answered."""

# Slack's last retry comes about 5 minutes after the first delivery; keep ids well past that.
DEFAULT_TTL_SECONDS = 15 * 60
DEFAULT_MAX_EVENTS = 10_000


class Decision(StrEnum):
    """What to do with one event delivery."""

    PROCESS = "process"
    DROP_RETRY = "drop_retry"  # a retry some replica already received
    DROP_DUPLICATE = "drop_duplicate"  # this replica already accepted this event_id


@dataclass(frozen=True)
class Delivery:
    """Retry metadata of one delivery: ``retry_num`` 0 is the first attempt."""

    retry_num: int = 0
    retry_reason: str | None = None


def _header(headers: Mapping[str, str | Sequence[str]], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            if isinstance(value, str):
                return value
            return value[0] if value else None
    return None


def delivery_from_headers(headers: Mapping[str, str | Sequence[str]]) -> Delivery:
    """Read ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` (any case; str or list values).

    A retry number Slack never sends (not a whole number, or negative) makes the delivery a
    retry of unknown reason, which is dropped: these headers are not signed, so nothing they
    say that Slack would not is trusted to cause a second reply.
    """
    raw_num = _header(headers, RETRY_NUM_HEADER)
    reason = _header(headers, RETRY_REASON_HEADER)
    if raw_num is None:
        return Delivery(retry_num=0, retry_reason=None)
    text = raw_num.strip()
    if not text.isdigit():
        return Delivery(retry_num=1, retry_reason=None)
    return Delivery(retry_num=int(text), retry_reason=reason.strip().lower() if reason else None)


def retry_should_be_processed(delivery: Delivery) -> bool:
    """The stateless rule: first deliveries and retries no replica processed; never the rest."""
    if delivery.retry_num == 0:
        return True
    return delivery.retry_reason in NOT_PROCESSED_REASONS


class SeenEvents:
    """Event ids this process accepted, each kept ``ttl_seconds`` and at most ``max_events`` of them."""

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_events: int = DEFAULT_MAX_EVENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_events
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True unless it was already recorded within the TTL."""
        now = self._clock()
        self._expire(now)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest_id, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self._ttl:
                return
            del self._seen[oldest_id]


def share_key(body: Mapping[str, object]) -> str:
    """The identity of one share: the message the button is on, the answer it shares, and who clicked.

    A click delivered again (a replayed or duplicated request, a double click before the
    ephemeral original is deleted) has the same key, so the answer is posted once per message
    and user in this replica (``SeenEvents``; docs/operations.md states the guarantee).
    """
    container = body.get("container")
    user = body.get("user")
    channel = body.get("channel")
    message_ts = container.get("message_ts") if isinstance(container, dict) else None
    user_id = user.get("id") if isinstance(user, dict) else None
    channel_id = channel.get("id") if isinstance(channel, dict) else None
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    return f"share:{channel_id}:{message_ts}:{user_id}:{first.get('value')}"


def decide(delivery: Delivery, event_id: str | None, seen: SeenEvents) -> Decision:
    """Whether to process one event delivery (records ``event_id`` when it is processed)."""
    if not retry_should_be_processed(delivery):
        return Decision.DROP_RETRY
    if event_id and not seen.first_time(event_id):
        return Decision.DROP_DUPLICATE
    return Decision.PROCESS
