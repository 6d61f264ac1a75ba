"""Questions as people type them: the command each reads as, and the answers they get end to end.

Every row is a phrasing people use in mentions, DMs, ``/napkin`` and the command text of ``/traincost``,
``/fits`` and ``/servecost``; the expected reading is the canonical command it is answered as (what the grammar then
parses into values — some rows below also pin those values).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import cli
from bot.render.blocks import render_reply
from bot.slack.answers import Answerer
from config.catalogs import cached_catalog
from config.settings import load_settings
from estimator.commands import HelpTopic, execute
from estimator.grammar import GrammarError, parse_command
from estimator.phrasing import PhrasingError, read_question, rephrase
from estimator.precision import Precision
from estimator.vocabulary import COMMANDS, ESTIMATE_COMMANDS
from tests.conftest import NapkinHttp, expected_message
from tests.slack_standin import SlackStandIn, dm_event, event_envelope, mention_event

CATALOG = cached_catalog(None)
DEFAULTS = load_settings({}).defaults()

# (what people type, the command napkin reads it as)
PHRASINGS: list[tuple[str, str]] = [
    ("how much to train a 13B on 1T tokens with 256 H100s?", "traincost 13B 1T h100 gpus=256"),
    ("fits llama 70b on 2 a100s", "fits llama-3.3-70b a100 gpus=2"),
    ("traincost 405B 15 trillion a100", "traincost 405B 15T a100"),
    ("how much would it cost to train a 7B on 2T tokens?", "traincost 7B 2T"),
    ("how long to train 7bn on 1tn tokens with two h100s", "traincost 7B 1T h100 gpus=2"),
    ("train a 7 billion param model on 1.5 T tokens in 3 weeks", "traincost 7B 1.5T days=21"),
    ("what does a 350 million model on 1T tokens cost within 60 days on a100s", "traincost 350M 1T a100 days=60"),
    ("cost to train llama 3.1 8b on 15 trillion tokens with 1024 h100s", "traincost llama-3.1-8b 15T h100 gpus=1024"),
    ("how much to pretrain 70B on 2T tokens on 512 h100s", "traincost 70B 2T h100 gpus=512"),
    ("how long would 13b on 300b tokens take on 64 a100s", "traincost 13b 300B a100 gpus=64"),
    ("train 70b on 2T tokens at 45% mfu for $2/hour on 512 h100s", "traincost 70b 2T h100 mfu=45% price=2 gpus=512"),
    ("how much for 1.5T params on 30T tokens on 8192 b200s", "traincost 1.5T 30T b200 gpus=8192"),
    ("how much to train deepseek v3 on 14.8T tokens with 2048 h800s", "traincost deepseek-v3 14.8T h800 gpus=2048"),
    ("what would it cost to train 8b on 15T tokens in 30 days on h100", "traincost 8b 15T h100 days=30"),
    ("training 405b 15.6t tokens 16384 h100s", "traincost 405b 15.6T h100 gpus=16384"),
    ("how much to train a 1tn model on 10 trillion tokens within 90 days", "traincost 1T 10T days=90"),
    ("train qwen 2.5 7b on 18T tokens with 4x a100", "traincost qwen-2.5-7b 18T a100 gpus=4"),
    ("train a 2.7b on 300b tokens using 16 x v100", "traincost 2.7b 300B v100 gpus=16"),
    ("cost of training 175b on 300b tokens on 1024 v100s", "traincost 175b 300B v100 gpus=1024"),
    ("how long to train llama 2 7b on 2T tokens with 8xa100", "traincost llama-2-7b 2T a100 gpus=8"),
    ("how much to train 7b on 1t tokens on mi300x x8", "traincost 7b 1T mi300x gpus=8"),
    ("how much to train 30b on 1t tokens in 2 weeks", "traincost 30b 1T days=14"),
    ("train 13B 1T h100 in 10 days", "traincost 13B 1T h100 days=10"),
    ("how much does training 70b on 2t tokens cost in bf16 on 256 h100s", "traincost 70b 2T h100 bf16 gpus=256"),
    ("how much to train 7B on 1T tokens in fp8 with 128 h100s", "traincost 7B 1T h100 fp8 gpus=128"),
    ("price to train 7b on 1t tokens on tpu v5p", "traincost 7b 1T tpu-v5p"),
    ("how much would 3b on 1t tokens cost at 50% mfu", "traincost 3b 1T mfu=50%"),
    ("estimate training gpt-oss-20b on 10T tokens with 256 h100s", "traincost gpt-oss-20b 10T h100 gpus=256"),
    ("budget for 7b on 2t tokens on 64 h200s", "traincost 7b 2T h200 gpus=64"),
    ("how long does it take to train 1b on 100b tokens on one h100", "traincost 1b 100B h100 gpus=1"),
    ("how much to train 8b on 15 trillion tokens at $2.50/hr", "traincost 8b 15T price=2.50"),
    ("traincost 70b 2t tokens on 8 h100s", "traincost 70b 2T h100 gpus=8"),
    ("traincost 405B 15T 8xh100", "traincost 405B 15T h100 gpus=8"),
    ("traincost llama 3.1 70b 15T a100 x64", "traincost llama-3.1-70b 15T a100 gpus=64"),
    ("traincost 13 billion 1 trillion h100", "traincost 13B 1T h100"),
    ("traincost 7bn 1tn 4 x a100", "traincost 7B 1T a100 gpus=4"),
    ("traincost 1.5 T 30 T b200", "traincost 1.5T 30T b200"),
    ("traincost 350 million 7 billion", "traincost 350M 7B"),
    ("traincost 7B 1T within 60 days", "traincost 7B 1T days=60"),
    ("traincost 70B 2T in 3 weeks on h100", "traincost 70B 2T h100 days=21"),
    ("traincost meta-llama/Llama-3.1-8B 15T h100", "traincost llama-3.1-8b 15T h100"),
    ("traincost Llama-3.1-70B-Instruct 15T two h100s", "traincost llama-3.1-70b-instruct 15T h100 gpus=2"),
    ("traincost 405B 15T a100 gpus=1024", "traincost 405B 15T a100 gpus=1024"),
    ("traincost 7B 2T 16 h100 gpus", "traincost 7B 2T h100 gpus=16"),
    ("fits llama 3.1 70b on 2 a100s", "fits llama-3.1-70b a100 gpus=2"),
    ("will llama 3.1 70b fit on 2 a100s?", "fits llama-3.1-70b a100 gpus=2"),
    ("can I fine-tune mistral 7b with qlora on a 4090?", "fits mistral-7b 4090 qlora"),
    ("does 70b fit on an h100", "fits 70b h100"),
    ("will a 20B model fit on a 4090", "fits 20B 4090"),
    ("can I run llama 8b on a 3090", "fits llama-3.1-8b 3090 inference"),
    ("can we serve llama 70b on 4 h100s", "fits llama-3.3-70b h100 inference gpus=4"),
    ("how much vram to serve llama 8b at 32k context", "fits llama-3.1-8b inference ctx=32k"),
    ("how much memory to fine-tune llama 3.1 8b", "fits llama-3.1-8b train"),
    ("how much vram does qwen3 30b a3b need on a 4090", "fits qwen3-30b-a3b 4090"),
    ("can I load mixtral 8x7b on 2 a100 40gb", "fits mixtral-8x7b a100-40gb inference gpus=2"),
    ("fits 70b a100 40gb", "fits 70b a100-40gb"),
    ("fits llama 70b 4x a100 train", "fits llama-3.3-70b a100 train gpus=4"),
    ("will 405b fit on 8 h100s for inference", "fits 405b h100 inference gpus=8"),
    ("can I lora llama 3.1 70b on 4 a100s", "fits llama-3.1-70b a100 lora gpus=4"),
    ("qlora 70b on one 4090?", "fits 70b 4090 qlora gpus=1"),
    ("does Llama-3.1-70B-Instruct fit on 2x h100", "fits llama-3.1-70b-instruct h100 gpus=2"),
    ("does meta-llama/Llama-3.1-70B fit on 8xh100s", "fits llama-3.1-70b h100 gpus=8"),
    ("fits meta-llama/Llama-3.1-8B-Instruct 4090", "fits llama-3.1-8b-instruct 4090"),
    ("fits gemma 2 9b on l4", "fits gemma-2-9b l4"),
    ("fits 8b in int4 on a 3060", "fits 8b 3060 int4"),
    ("fits 70b int4 on two 4090s", "fits 70b 4090 int4 gpus=2"),
    ("will llama 70b fit in 48gb", "fits llama-3.3-70b gpu_mem=48gb"),
    ("can I serve 7b on 24gb vram", "fits 7b inference gpu_mem=24gb"),
    ("fits 13b 24gb", "fits 13b gpu_mem=24gb"),
    ("fits llama 70b on 8 h100s with zero 3", "fits llama-3.3-70b h100 zero=3 gpus=8"),
    ("fits 70b on 8 h100s train zero-3 batch 8", "fits 70b h100 train zero=3 batch=8 gpus=8"),
    ("fits 8b h100 ctx 128k", "fits 8b h100 ctx=128k"),
    ("fits 8b h100 with 32k context", "fits 8b h100 ctx=32k"),
    ("will a 7 billion param model fit on a t4", "fits 7B t4"),
    ("fits 1.5 billion on rtx 4090", "fits 1.5B rtx-4090"),
    ("run gpt oss 120b on an h100", "fits gpt-oss-120b h100 inference"),
    ("host deepseek r1 on 8 h200s", "fits deepseek-r1 h200 inference gpus=8"),
    ("deploy qwen3 235b a22b on 8 h100s in fp8", "fits qwen3-235b-a22b h100 fp8 inference gpus=8"),
    ("inference 70b on 2 mi300x", "fits 70b mi300x inference gpus=2"),
    ("fine-tune 8b on a100 80gb", "fits 8b a100-80gb train"),
    ("full fine-tune llama 3.1 8b on 8 a100s", "fits llama-3.1-8b a100 train gpus=8"),
    ("will phi 4 fit on a 4090", "fits phi-4 4090"),
    ("fits mistral 7b on a10g", "fits mistral-7b a10g"),
    ("fits llama 3.2 3b on a t4 qlora", "fits llama-3.2-3b t4 qlora"),
    ("fits mixtral-8x7b 4090 qlora", "fits mixtral-8x7b 4090 qlora"),
    ("fits 20B", "fits 20B"),
    ("fits 20B gpu_mem=24GB", "fits 20B gpu_mem=24GB"),
    ("fits nvidia h100 70b", "fits 70b h100"),
    ("will 70b fit on an nvidia a100", "fits 70b a100"),
    ("fits mistral 24b", "fits mistral-small-3"),
    ("can I run kimi k2 on 8 h200s", "fits kimi-k2 h200 inference gpus=8"),
    ("llama 4 scout on an h100 in int4", "fits llama-4-scout h100 int4"),
    ("how much to train qwen3 0.6b on 36T tokens", "traincost qwen3-0.6b 36T"),
    (
        "serve deepseek-ai/DeepSeek-R1-Distill-Llama-70B on 2 h100s",
        "fits deepseek-r1-distill-llama-70b h100 inference gpus=2",
    ),
    ("fits r1 distill qwen 32b on a 4090 qlora", "fits r1-distill-qwen-32b 4090 qlora"),
    ("hi", "help intro"),
    ("hello napkin", "help intro"),
    ("help", "help intro"),
    ("?", "help intro"),
    ("help fits", "help fits"),
    ("help traincost", "help traincost"),
    ("what gpus do you know", "gpus"),
    ("gpu prices", "gpus"),
    ("show me the hardware", "gpus"),
    ("what's the price of an h100", "gpus"),
    ("list models", "models"),
    ("which models do you know", "models"),
    ("gpus", "gpus"),
    ("models", "models"),
    ("thanks!", "help intro"),
    # Serving (issue #12): speed, latency, throughput, $ per million tokens, users → servecost; plain
    # "serve/run/host X on Y" without them stays fits (rows above, issue #10).
    ("how fast is llama 3.3 70b on 2 h100s in fp8?", "servecost llama-3.3-70b h100 fp8 gpus=2"),
    ("what does it cost to serve llama 3.3 70b on 2 h100s in fp8", "servecost llama-3.3-70b h100 fp8 gpus=2"),
    ("how many tokens per second does llama 8b get on a 4090", "servecost llama-3.1-8b 4090"),
    ("llama 3.1 8b tok/s on an l4", "servecost llama-3.1-8b l4"),
    ("how many tok/s will gpt-oss-120b do on an h100", "servecost gpt-oss-120b h100"),
    ("what's the latency of mistral 7b on an a10g", "servecost mistral-7b a10g"),
    ("what is the ttft of llama 70b on mi300x", "servecost llama-3.3-70b mi300x"),
    ("throughput of mixtral 8x7b on 2 h100s", "servecost mixtral-8x7b h100 gpus=2"),
    ("cost to serve qwen3 32b on an h100", "servecost qwen3-32b h100"),
    ("serving cost of llama 70b on 8 a100s", "servecost llama-3.3-70b a100 gpus=8"),
    ("inference cost of gpt-oss-120b on an h100", "servecost gpt-oss-120b h100"),
    ("how much does it cost to run llama 70b on 8 h100s", "servecost llama-3.3-70b h100 gpus=8"),
    ("$ per million tokens for llama 3.3 70b on h200", "servecost llama-3.3-70b h200"),
    ("price per 1M tokens for deepseek v3 on 8 h200s", "servecost deepseek-v3 h200 gpus=8"),
    ("$/1M tokens for qwen3 235b a22b on 8 h200s in fp8", "servecost qwen3-235b-a22b h200 fp8 gpus=8"),
    ("what does gpt-oss-20b cost per token on an l4", "servecost gpt-oss-20b l4"),
    (
        "what would serving llama 3.1 405b in fp8 on 8 h100s cost per 1M output tokens",
        "servecost llama-3.1-405b h100 fp8 gpus=8",
    ),
    ("how many users can llama 70b serve on 2 h100s", "servecost llama-3.3-70b h100 gpus=2"),
    ("how many concurrent users can llama 3.1 8b handle on an h100", "servecost llama-3.1-8b h100"),
    ("what concurrency does llama 8b reach on an l40s", "servecost llama-3.1-8b l40s"),
    ("how fast is 70b on h100 with 1000 input tokens", "servecost 70b h100 in=1000"),
    ("how fast is 8b on h100 with 500 in / 200 out", "servecost 8b h100 in=500 out=200"),
    ("tokens per second for llama 8b with a prompt of 2k tokens", "servecost llama-3.1-8b in=2k"),
    ("how fast is llama 8b at 2k in 500 out on an l40s", "servecost llama-3.1-8b l40s in=2k out=500"),
    ("how fast is 70b on mi300x with a 4k-token prompt and 500-token answers", "servecost 70b mi300x in=4k out=500"),
    ("time to first token for llama 70b on 2 h100s with 8k input tokens", "servecost llama-3.3-70b h100 in=8k gpus=2"),
    ("how fast is llama 70b on 4 h100s for 64 users", "servecost llama-3.3-70b h100 batch=64 gpus=4"),
    ("latency of llama 70b on 4 h100s at batch 32", "servecost llama-3.3-70b h100 batch=32 gpus=4"),
    ("how much to serve 7b on an a10g at 16 users", "servecost 7b a10g batch=16"),
    ("how fast is llama 8b on an h100 for a single user", "servecost llama-3.1-8b h100 batch=1"),
    (
        "serve llama 70b for 32 users on 4 h100s at 8k in 1k out",
        "servecost llama-3.3-70b h100 batch=32 in=8k out=1k gpus=4",
    ),
    ("how fast is llama 70b on 2 h100s with fp8 kv cache", "servecost llama-3.3-70b h100 kv=fp8 gpus=2"),
    (
        "latency of llama 70b on 4 h100s for 64 users with fp8 kv cache",
        "servecost llama-3.3-70b h100 batch=64 kv=fp8 gpus=4",
    ),
    ("speed of llama 8b on a 3090 with int8 kv cache", "servecost llama-3.1-8b 3090 kv=int8"),
    ("tokens per second for mistral 7b on a 4090 in int4", "servecost mistral-7b 4090 int4"),
    ("how fast is llama 3.1 8b on an h100 at 40% mfu", "servecost llama-3.1-8b h100 mfu=40%"),
    ("llama 8b on an h100 in=2k out=500", "servecost llama-3.1-8b h100 in=2k out=500"),
    ("how fast is meta-llama/Llama-3.1-8B-Instruct on an h100", "servecost llama-3.1-8b-instruct h100"),
    ("servecost llama 70b on 2 h100s for 64 users", "servecost llama-3.3-70b h100 batch=64 gpus=2"),
    ("servecost 8b h100 1000 input tokens 200 output tokens", "servecost 8b h100 in=1000 out=200"),
    ("servecost llama 3.3 70b 2xh100 fp8 2k in 500 out", "servecost llama-3.3-70b h100 fp8 in=2k out=500 gpus=2"),
    ("servecost 70b h100 at $2/hr", "servecost 70b h100 price=2"),
    ("does llama 70b fit on 2 h100s for 64 users", "fits llama-3.3-70b h100 batch=64 gpus=2"),
    ("how fast can I train 7b on 1T tokens with 256 h100s", "traincost 7b 1T h100 gpus=256"),
    ("help servecost", "help servecost"),
    ("servecost help", "help servecost"),
]
ESTIMATES = [row for row in PHRASINGS if row[1].split()[0] in ESTIMATE_COMMANDS]
SERVING = [row for row in PHRASINGS if row[1].startswith("servecost")]


def test_at_least_a_hundred_phrasings_of_every_kind() -> None:
    assert len(PHRASINGS) >= 100
    assert len(SERVING) >= 30
    kinds = {expected.split()[0] for _, expected in PHRASINGS}
    assert kinds == set(COMMANDS)  # a command added to the vocabulary needs phrasings here


@pytest.mark.parametrize(("question", "expected"), PHRASINGS)
def test_each_phrasing_reads_as_its_command(question: str, expected: str) -> None:
    assert read_question(question, CATALOG).canonical == expected


@pytest.mark.parametrize(("question", "expected"), [r for r in ESTIMATES if r[0].split()[0] in ESTIMATE_COMMANDS])
def test_command_text_reads_the_same_after_a_slash_command(question: str, expected: str) -> None:
    command, _, rest = question.partition(" ")
    assert rephrase(command, rest, CATALOG).canonical == expected


@pytest.mark.parametrize(("question", "expected"), ESTIMATES)
def test_a_reading_reads_as_itself(question: str, expected: str) -> None:
    command, _, text = expected.partition(" ")
    assert rephrase(command, text, CATALOG).text == text


@pytest.mark.parametrize(("question", "expected"), ESTIMATES)
def test_each_estimate_is_answered_through_the_answerer_as_its_reading(question: str, expected: str) -> None:
    answerer = Answerer(CATALOG, DEFAULTS)
    answer = answerer.mention(question)
    command, _, text = expected.partition(" ")
    assert answer.command == command
    assert answer.outcome == "ok"
    reply = execute(command, text, catalog=CATALOG, defaults=DEFAULTS)
    assert answer.message == render_reply(reply, command_text=text, shareable=False)
    assert answerer.slash("napkin", question).message.blocks[:2] == answer.message.blocks[:2]


# The values the grammar parses from each reading (None: not given, so the defaults apply).
VALUES = [
    ("how much to train a 13B on 1T tokens with 256 H100s?", 13e9, None, 1e12, "h100-sxm", 256, None),
    ("traincost 405B 15 trillion a100", 405e9, None, 15e12, "a100-80gb-sxm", None, None),
    ("fits llama 70b on 2 a100s", None, "llama-3.3-70b", None, "a100-80gb-sxm", 2, None),
    ("how long to train 7bn on 1tn tokens with two h100s", 7e9, None, 1e12, "h100-sxm", 2, None),
    ("train a 7 billion param model on 1.5 T tokens in 3 weeks", 7e9, None, 1.5e12, None, None, 21),
    ("traincost 350 million 7 billion", 350e6, None, 7e9, None, None, None),
    ("traincost 7B 1T within 60 days", 7e9, None, 1e12, None, None, 60),
    ("traincost meta-llama/Llama-3.1-8B 15T h100", None, "llama-3.1-8b", 15e12, "h100-sxm", None, None),
    ("does Llama-3.1-70B-Instruct fit on 2x h100", None, "llama-3.1-70b", None, "h100-sxm", 2, None),
    ("can I load mixtral 8x7b on 2 a100 40gb", None, "mixtral-8x7b", None, "a100-40gb-sxm", 2, None),
    ("traincost llama 3.1 70b 15T a100 x64", None, "llama-3.1-70b", 15e12, "a100-80gb-sxm", 64, None),
    ("traincost 7bn 1tn 4 x a100", 7e9, None, 1e12, "a100-80gb-sxm", 4, None),
    ("how much to train 7b on 1t tokens on mi300x x8", 7e9, None, 1e12, "mi300x", 8, None),
    ("how much to train a 1tn model on 10 trillion tokens within 90 days", 1e12, None, 10e12, None, None, 90),
    ("will a 7 billion param model fit on a t4", 7e9, None, None, "t4", None, None),
]


@pytest.mark.parametrize("row", VALUES, ids=lambda row: row[0])
def test_readings_parse_to_the_values_typed(
    row: tuple[str, float | None, str | None, float | None, str | None, int | None, float | None],
) -> None:
    question, params, model, tokens, gpu, gpus, days = row
    reading = read_question(question, CATALOG)
    parsed = parse_command(reading.command, reading.text, CATALOG)
    assert parsed.params == params
    assert (parsed.model.key if parsed.model else None) == model
    assert parsed.tokens == tokens
    assert (parsed.gpu.key if parsed.gpu else None) == gpu
    assert parsed.num_gpus == gpus
    assert parsed.days == (None if days is None else pytest.approx(days))


# Serving readings: what the grammar parses for prompt and output lengths, concurrency and the KV cache.
# A length in a whole number of k is binary, as context windows are (2k tokens = 2048, 8k = 8192).
SERVING_VALUES = [
    ("how fast is 70b on h100 with 1000 input tokens", 1000, None, None, None, None),
    ("how fast is 8b on h100 with 500 in / 200 out", 500, 200, None, None, None),
    ("tokens per second for llama 8b with a prompt of 2k tokens", 2048, None, None, None, None),
    ("how fast is llama 8b at 2k in 500 out on an l40s", 2048, 500, None, None, None),
    ("how fast is 70b on mi300x with a 4k-token prompt and 500-token answers", 4096, 500, None, None, None),
    ("how fast is llama 70b on 4 h100s for 64 users", None, None, 64, None, 4),
    ("latency of llama 70b on 4 h100s at batch 32", None, None, 32, None, 4),
    ("how fast is llama 8b on an h100 for a single user", None, None, 1, None, None),
    ("serve llama 70b for 32 users on 4 h100s at 8k in 1k out", 8192, 1024, 32, None, 4),
    ("how fast is llama 70b on 2 h100s with fp8 kv cache", None, None, None, Precision.FP8, 2),
    ("speed of llama 8b on a 3090 with int8 kv cache", None, None, None, Precision.INT8, None),
    ("servecost llama 3.3 70b 2xh100 fp8 2k in 500 out", 2048, 500, None, None, 2),
]


@pytest.mark.parametrize("row", SERVING_VALUES, ids=lambda row: row[0])
def test_serving_readings_parse_to_the_lengths_and_load_typed(
    row: tuple[str, int | None, int | None, int | None, Precision | None, int | None],
) -> None:
    question, input_tokens, output_tokens, batch, kv_dtype, gpus = row
    reading = read_question(question, CATALOG)
    assert reading.command == "servecost"
    parsed = parse_command("servecost", reading.text, CATALOG)
    assert (parsed.input_tokens, parsed.output_tokens) == (input_tokens, output_tokens)
    assert parsed.batch == batch
    assert parsed.kv_dtype == kv_dtype
    assert parsed.num_gpus == gpus


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # `in` before a precision, a duration or a GPU size is not a prompt length
        ("how fast is 8b in fp8 on an h100 with 500 out", "servecost 8b h100 fp8 out=500"),
        ("train 7b on 1T tokens in 3 weeks", "traincost 7b 1T days=21"),
        ("will 70b fit in 48gb", "fits 70b gpu_mem=48gb"),
        # options a command does not take are set aside, not passed to its grammar
        ("does 70b fit on h100 with fp8 kv cache", "fits 70b h100"),
        ("how fast is 7b on an h100 in 3 weeks", "traincost 7b h100 days=21"),
    ],
)
def test_serving_words_do_not_steal_other_readings(question: str, expected: str) -> None:
    assert read_question(question, CATALOG).canonical == expected


def test_a_serving_option_a_command_does_not_take_is_set_aside() -> None:
    reading = read_question("does 70b fit on h100 with fp8 kv cache", CATALOG)
    assert "kv=fp8" in reading.ignored


@pytest.mark.parametrize("question", ["hi", "help", "?", "hello napkin", ""])
def test_greetings_get_a_short_intro_with_three_examples(question: str) -> None:
    answer = Answerer(CATALOG, DEFAULTS).mention(question)
    reply = execute("help", "intro", catalog=CATALOG, defaults=DEFAULTS)
    assert isinstance(reply.result, HelpTopic)
    assert answer.message == render_reply(reply, command_text="intro", shareable=False)
    lines = reply.result.text.splitlines()
    assert sum(1 for line in lines if line.startswith("  ")) == 3
    assert max(map(len, lines)) <= 60


def test_the_readme_table_shows_what_napkin_reads() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme[readme.index("| typed | read as |") :].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)`", table, re.MULTILINE)
    assert {expected.split()[0] for _, expected in rows} == set(ESTIMATE_COMMANDS)
    for typed, expected in rows:
        assert read_question(typed, CATALOG).canonical == expected


def test_a_size_typed_is_respected() -> None:
    assert read_question("fits llama 70b", CATALOG).text == "llama-3.3-70b"  # the newest 70B llama, not llama3-8b
    assert read_question("fits llama 8b", CATALOG).text == "llama-3.1-8b"
    assert read_question("fits llama 13b", CATALOG).text == "llama-2-13b"
    with pytest.raises(PhrasingError) as raised:
        read_question("fits llama 20b", CATALOG)
    assert raised.value.suggestion == "llama-2-13b"  # the llama nearest 20B
    with pytest.raises(PhrasingError) as raised:
        read_question("fits llama 500b", CATALOG)
    assert raised.value.suggestion == "llama-3.1-405b"


def test_an_unknown_hub_id_is_left_whole_for_the_grammar() -> None:
    reading = read_question("will some-org/Cool-Model-7B fit on an h100", CATALOG)
    assert reading.text == "some-org/Cool-Model-7B h100"


@pytest.mark.parametrize(
    ("question", "fragment", "suggestion"),
    [
        ("fits llama 70b on an a100z", "I read this as `fits llama-3.3-70b a100z`", "a100"),
        ("how much to train 7b on 1t tokens on h1000s", "I read this as `traincost 7b 1T h1000s`", "h100"),
        ("what's the weather", "I couldn't tell what to estimate", None),
        ("trainkost 70B", "unknown command `trainkost`", "traincost"),
        ("fits llama 20b", "no llama preset has 20B parameters", "llama-2-13b"),
        ("traincost 70b 2t 8xh100 in 3 weeks", "I read this as `traincost 70b 2t h100 gpus=8 days=21`", None),
    ],
)
def test_what_is_not_understood_gets_one_short_line(question: str, fragment: str, suggestion: str | None) -> None:
    answer = Answerer(CATALOG, DEFAULTS).mention(question)
    assert answer.outcome == "usage_error"
    assert fragment in answer.message.text
    assert "\n" not in answer.message.text
    assert len(answer.message.text) <= 300
    assert (f"Did you mean `{suggestion}`?" in answer.message.text) == (suggestion is not None)
    usage = answer.message.blocks[-1]["elements"][0]["elements"][0]["text"]
    assert len(usage) <= 80  # an example, never the 260-column usage line


@pytest.mark.parametrize(
    ("command", "text", "usage"),
    [
        ("traincost", "405B 15T h10O", "Usage: traincost 13B 1T h100 gpus=256   (all options: help traincost)"),
        ("servecost", "70B h10O", "Usage: servecost 70B 2xh100 fp8 in=2k out=500   (all options: help servecost)"),
    ],
)
def test_slash_command_errors_use_the_short_usage_too(command: str, text: str, usage: str) -> None:
    answer = Answerer(CATALOG, DEFAULTS).slash(command, text)
    assert answer.outcome == "usage_error"
    shown = answer.message.blocks[-1]["elements"][0]["elements"][0]["text"]
    assert shown.replace("\n    ", "   ") == usage  # wrapped at the 60-column phone width
    assert all(len(line) <= 60 for line in shown.splitlines())
    assert len(usage) <= 80


def test_a_serving_question_napkin_cannot_read_gets_one_short_line() -> None:
    answer = Answerer(CATALOG, DEFAULTS).mention("how fast is llama 70b on 2 h100s with 500 in / 200 out batch=0")
    assert answer.outcome == "usage_error"
    read = "I read this as `servecost llama-3.3-70b h100 batch=0 in=500 out=200 gpus=2` (ignoring how, is, on, with);"
    assert read in answer.message.text
    assert "\n" not in answer.message.text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_the_reader_raises_only_its_own_error(text: str) -> None:
    with contextlib.suppress(PhrasingError):
        read_question(text, CATALOG)
    with contextlib.suppress(PhrasingError):
        rephrase("fits", text, CATALOG)


_SALAD = """how much to train a fit on with 2 x4 4x a100 a100s h100 8xh100s two 7b 7 billion 1.5 T tokens in 3
weeks llama 3.1 70b meta-llama/llama-3.1-70b qwen3 $2/hr 40% mfu ctx 8k 24gb ? fine tune lora serve = gpus=
how fast tok/s tokens per second latency 2k 500 out input prompt of 64 users concurrency fp8 kv cache $ per million
/ 1M single user batch 32 in="""
WORDS = st.sampled_from(_SALAD.split())


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=14))
def test_word_salad_reads_or_raises_a_grammar_error(words: list[str]) -> None:
    try:
        reading = read_question(" ".join(words), CATALOG)
        if reading.command in ESTIMATE_COMMANDS:
            parse_command(reading.command, reading.text, CATALOG)
    except GrammarError:  # PhrasingError is one; the grammar's own for what it then refuses
        pass


# --- over real signed HTTP with the local Slack stand-in ------------------------------------------------


async def test_a_plain_english_mention_is_answered_in_the_thread(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    question = "how much to train a 13B on 1T tokens with 256 H100s?"
    assert await napkin.event(event_envelope(mention_event(question))) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    assert post.body["blocks"] == expected_message("traincost", "13B 1T h100 gpus=256", shareable=False).blocks


async def test_a_plain_english_dm_is_answered(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    assert await napkin.event(event_envelope(dm_event("fits llama 70b on 2 a100s"))) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    assert post.body["blocks"] == expected_message("fits", "llama-3.3-70b a100 gpus=2", shareable=False).blocks


async def test_a_plain_english_serving_question_is_answered(napkin: NapkinHttp, standin: SlackStandIn) -> None:
    question = "what does it cost to serve llama 3.3 70b on 2 h100s in fp8 with 2k in 500 out?"
    assert await napkin.event(event_envelope(mention_event(question))) == 200
    (post,) = await standin.wait_calls("chat.postMessage")
    expected = expected_message("servecost", "llama-3.3-70b h100 fp8 in=2k out=500 gpus=2", shareable=False)
    assert post.body["blocks"] == expected.blocks


def test_the_cli_reads_questions_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["how", "much", "to", "train", "a", "13B", "on", "1T", "tokens", "with", "256", "H100s?"]) == 0
    assert capsys.readouterr().out.startswith("13B params × 1T tokens on NVIDIA H100")
    assert cli.main(["fits", "llama", "70b", "on", "2", "a100s", "--json"]) == 0
    assert '"model": "llama-3.3-70b"' in capsys.readouterr().out
    assert cli.main(["how", "fast", "is", "llama", "3.3", "70b", "on", "2", "h100s", "in", "fp8?"]) == 0
    assert capsys.readouterr().out.startswith("llama-3.3-70b fp8 on 2× NVIDIA H100")
    assert cli.main(["servecost", "llama", "70b", "on", "2", "h100s", "for", "64", "users", "--json"]) == 0
    assert '"num_gpus": 2' in (out := capsys.readouterr().out)
    assert '"concurrent_sequences": 64' in out
