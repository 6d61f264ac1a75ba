"""@napkin mentions and DMs over real HTTP: mentions in their thread, DMs inline, once, across retries and replicas."""

from __future__ import annotations

import logging

import pytest

from bot.slack.dedupe import (
    NOT_PROCESSED_REASONS,
    Decision,
    Delivery,
    SeenEvents,
    decide,
    delivery_from_headers,
    retry_should_be_processed,
)
from tests.conftest import NapkinHttp, expected_error, expected_message, settings_for
from tests.logfields import fields_of
from tests.slack_standin import CHANNEL_ID, USER_ID, SlackStandIn, dm_event, event_envelope, mention_event

# --- the reply-once rule, as pure functions -------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "delivery"),
    [
        ({}, Delivery(0, None)),
        ({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}, Delivery(1, "http_timeout")),
        ({"x-slack-retry-num": ["2"], "x-slack-retry-reason": ["Connection_Failed"]}, Delivery(2, "connection_failed")),
        ({"x-slack-retry-num": "soon"}, Delivery(1, None)),
        # Numbers Slack never sends: a retry of unknown reason, whatever reason comes with it.
        ({"x-slack-retry-num": "-1", "x-slack-retry-reason": "connection_failed"}, Delivery(1, None)),
        ({"x-slack-retry-num": "1e3", "x-slack-retry-reason": "http_error"}, Delivery(1, None)),
        ({"X-Slack-Retry-Num": "0"}, Delivery(0, None)),  # Socket Mode's first attempt
    ],
)
def test_delivery_from_headers(headers: dict[str, str | list[str]], delivery: Delivery) -> None:
    assert delivery_from_headers(headers) == delivery


@pytest.mark.parametrize(
    ("delivery", "process"),
    [
        (Delivery(0, None), True),
        (Delivery(1, "http_timeout"), False),  # a replica received it and is answering
        (Delivery(3, "timeout"), False),  # Socket Mode's name for the same thing
        (Delivery(1, "connection_failed"), True),  # no replica got it
        (Delivery(1, "ssl_error"), True),
        (Delivery(1, "too_many_redirects"), True),
        (Delivery(2, "http_error"), True),  # e.g. napkin's 503 while draining
        (Delivery(1, "unknown_error"), False),  # ambiguous: at most once
        (Delivery(1, None), False),
    ],
)
def test_retry_rule(delivery: Delivery, process: bool) -> None:
    assert retry_should_be_processed(delivery) is process
    assert {"connection_failed", "ssl_error", "too_many_redirects", "http_error"} == NOT_PROCESSED_REASONS


def test_seen_events_expire_after_the_ttl_and_stay_bounded() -> None:
    now = [1000.0]
    seen = SeenEvents(ttl_seconds=60, max_events=3, clock=lambda: now[0])
    assert seen.first_time("Ev1")
    assert not seen.first_time("Ev1")
    now[0] += 59
    assert not seen.first_time("Ev1")
    now[0] += 2
    assert seen.first_time("Ev1")  # expired, so new again
    for name in ("Ev2", "Ev3", "Ev4"):
        assert seen.first_time(name)
    assert len(seen) == 3
    assert seen.first_time("Ev1")  # the oldest was evicted


def test_decide_combines_the_rule_and_the_seen_set() -> None:
    seen = SeenEvents()
    assert decide(Delivery(0), "Ev1", seen) is Decision.PROCESS
    assert decide(Delivery(1, "http_timeout"), "Ev1", seen) is Decision.DROP_RETRY
    assert decide(Delivery(1, "connection_failed"), "Ev1", seen) is Decision.DROP_DUPLICATE
    assert decide(Delivery(1, "connection_failed"), "Ev2", seen) is Decision.PROCESS
    assert decide(Delivery(0), None, seen) is Decision.PROCESS  # no id: nothing to remember


# --- mentions and DMs -----------------------------------------------------------------------------


async def test_a_mention_is_answered_in_a_new_thread(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    event = mention_event("traincost 70B 2T h100", ts="1700000100.000100")
    assert await napkin.event(event_envelope(event)) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    expected = expected_message("traincost", "70B 2T h100", shareable=False)
    assert post.headers["authorization"] == "Bearer xoxb-1111-2222-standintoken"
    assert post.body["channel"] == CHANNEL_ID
    assert post.body["thread_ts"] == "1700000100.000100"
    assert (post.body["text"], post.body["blocks"]) == (expected.text, expected.blocks)
    assert post.body["unfurl_links"] is False


async def test_a_mention_inside_a_thread_answers_in_that_thread(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    event = mention_event("/fits 20B", ts="1700000500.000500", thread_ts="1700000400.000400")
    assert await napkin.event(event_envelope(event)) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    assert post.body["thread_ts"] == "1700000400.000400"
    assert post.body["blocks"] == expected_message("fits", "20B", shareable=False).blocks


async def test_a_mistyped_mention_gets_the_usage_in_the_thread(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    assert await napkin.event(event_envelope(mention_event("traincost 70X"))) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    assert post.body["blocks"] == expected_error("traincost", "70X").blocks
    assert await napkin.event(event_envelope(mention_event(""))) == 200
    posts = await standin.wait_calls("chat.postMessage", 2)
    assert posts[1].body["blocks"] == expected_message("help", "intro", shareable=False).blocks


async def test_a_dm_is_answered_and_bot_messages_are_ignored(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    assert await napkin.event(event_envelope(dm_event("fits 20B", bot_id="B0OTHER"))) == 200
    assert await napkin.event(event_envelope(dm_event("fits 20B", subtype="message_changed"))) == 200
    assert await napkin.event(event_envelope(mention_event("fits 20B", channel="D0DIRECT"))) == 200
    assert await napkin.event(event_envelope(dm_event("fits 20B", ts="1700000600.000600"))) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    assert post.body["channel"] == "D0DIRECT"
    assert "thread_ts" not in post.body  # a DM is answered inline, as a person would (issue #10)
    assert post.body["blocks"] == expected_message("fits", "20B", shareable=False).blocks
    await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 1


async def test_a_dm_asked_inside_a_thread_is_answered_in_that_thread(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    event = dm_event("gpus amd", ts="1700000700.000700", thread_ts="1700000650.000650")
    assert await napkin.event(event_envelope(event)) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    assert (post.body["channel"], post.body["thread_ts"]) == ("D0DIRECT", "1700000650.000650")
    assert post.body["blocks"] == expected_message("gpus", "amd", shareable=False).blocks


# --- reply once ------------------------------------------------------------------------------------


async def test_a_timed_out_delivery_retried_is_answered_once(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    envelope = event_envelope(mention_event("gpus"))
    assert await napkin.event(envelope) == 200
    assert await napkin.event(envelope, retry_num=1, retry_reason="http_timeout") == 200
    await standin.wait_calls("chat.postMessage")
    await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 1


async def test_retry_headers_slack_never_sends_are_not_answered(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    """The retry headers are unsigned: a made-up retry number never causes a reply (at most once)."""
    envelope = event_envelope(mention_event("gpus"))
    assert await napkin.event(envelope, retry_num=-1, retry_reason="connection_failed") == 200
    await standin.settle()
    assert standin.calls("chat.postMessage") == []


async def test_a_retry_no_replica_received_is_answered(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    envelope = event_envelope(mention_event("gpus"))
    assert await napkin.event(envelope, retry_num=1, retry_reason="connection_failed") == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    assert post.body["blocks"] == expected_message("gpus", "", shareable=False).blocks


async def test_the_same_event_twice_on_one_replica_is_answered_once(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    envelope = event_envelope(mention_event("gpus"))
    assert await napkin.event(envelope) == 200
    assert await napkin.event(envelope, retry_num=2, retry_reason="http_error") == 200
    await standin.wait_calls("chat.postMessage")
    await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 1
    outcomes = [fields_of(r)["outcome"] for r in caplog.records if r.name == "napkin.request"]
    assert sorted(outcomes) == ["drop_duplicate", "ok"]


async def test_two_replicas_sharing_nothing_answer_once(standin: SlackStandIn) -> None:
    envelope = event_envelope(mention_event("fits 20B"))
    async with NapkinHttp(settings_for(standin)) as replica_a, NapkinHttp(settings_for(standin)) as replica_b:
        assert await replica_a.event(envelope) == 200
        assert await replica_b.event(envelope, retry_num=1, retry_reason="http_timeout") == 200
        assert await replica_b.event(envelope, retry_num=2, retry_reason="http_timeout") == 200
        await standin.wait_calls("chat.postMessage")
        await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 1


async def test_a_drained_replicas_event_is_answered_by_another(standin: SlackStandIn) -> None:
    envelope = event_envelope(mention_event("gpus"))
    async with NapkinHttp(settings_for(standin)) as draining, NapkinHttp(settings_for(standin)) as healthy:
        draining.state.draining = True
        assert await draining.event(envelope) == 503  # before processing
        assert await healthy.event(envelope, retry_num=1, retry_reason="http_error") == 200
        await standin.wait_calls("chat.postMessage")
        await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 1


# --- chat.postMessage failures ------------------------------------------------------------------------


async def test_rate_limits_are_waited_out_and_the_reply_is_posted_once(
    napkin: NapkinHttp, standin: SlackStandIn
) -> None:
    standin.fail("chat.postMessage", 429, retry_after=0)
    assert await napkin.event(event_envelope(mention_event("gpus"))) == 200
    attempts = await standin.wait_calls("chat.postMessage", 2)
    await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 2 == len(attempts)  # one refused, one posted
    assert attempts[0].body == attempts[1].body


async def test_a_server_error_is_retried_once(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", 500)
    assert await napkin.event(event_envelope(mention_event("gpus"))) == 200
    await standin.wait_calls("chat.postMessage", 2)
    await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 2


async def test_a_final_failure_is_one_clear_log_line(
    napkin: NapkinHttp, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    standin.fail("chat.postMessage", 500, times=5)
    assert await napkin.event(event_envelope(mention_event("gpus"))) == 200
    await standin.wait_calls("chat.postMessage", 2)
    await standin.settle()
    assert len(standin.calls("chat.postMessage")) == 2  # the first try and one retry, no more
    failures = [r for r in caplog.records if r.getMessage() == "chat.postMessage failed"]
    assert len(failures) == 1
    assert fields_of(failures[0]) == {"channel": CHANNEL_ID, "error": "http_500"}
    request = [fields_of(r) for r in caplog.records if r.name == "napkin.request"]
    assert request[0]["outcome"] == "post_failed:http_500"
    assert request[0]["user"] == USER_ID
