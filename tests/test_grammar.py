"""The command grammar: words recognised by kind, options, caps, and helpful errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.architecture import ModelArch
from estimator.catalog import Catalog
from estimator.grammar import MAX_TEXT_CHARS, GrammarError, ParsedCommand, parse_command
from estimator.hardware import Accelerator
from estimator.precision import Precision
from estimator.vocabulary import ESTIMATE_COMMANDS


def _gpu(key: str, aliases: tuple[str, ...], bf16: float | None, fp16: float) -> Accelerator:
    tflops = {Precision.FP16: fp16} | ({Precision.BF16: bf16} if bf16 else {})
    return Accelerator(
        key=key,
        name=key.upper(),
        vendor="nvidia",
        memory_bytes=80 * 2**30,
        memory_label="80 GB",
        bandwidth_tbps=2.0,
        dense_tflops=tflops,
        aliases=aliases,
        sources=("test",),
    )


LLAMA_8B = ModelArch(
    key="llama-3.1-8b",
    name="Llama 3.1 8B",
    aliases=("llama3.1-8b",),
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=8,
    head_dim=128,
    ffn=14336,
    vocab=128256,
    max_context=131072,
    official_params=8_030_261_248,
    source="test",
)
MIXTRAL = LLAMA_8B.model_copy(update={"key": "mixtral-8x7b", "name": "Mixtral 8x7B", "aliases": ("mixtral",)})
CATALOG = Catalog(
    accelerators={
        g.key: g
        for g in (
            _gpu("a100-80gb-sxm", ("a100", "a100-80gb"), 312, 312),
            _gpu("h100-sxm", ("h100",), 989.4, 989.4),
            _gpu("t4", (), None, 65),
        )
    },
    models={m.key: m for m in (LLAMA_8B, MIXTRAL)},
)


def test_seed_question_parses() -> None:
    cmd = parse_command("traincost", "405B 15T a100", CATALOG)
    assert cmd.params == 405e9
    assert cmd.tokens == 15e12
    assert cmd.gpu is not None
    assert cmd.gpu.key == "a100-80gb-sxm"


def test_positionals_are_recognised_by_kind_in_any_order() -> None:
    cmd = parse_command("traincost", "A100 gpus=64 405B mfu=45% 15T bf16 share", CATALOG)
    assert (cmd.params, cmd.tokens, cmd.num_gpus) == (405e9, 15e12, 64)
    assert cmd.mfu == pytest.approx(0.45)
    assert cmd.dtype is Precision.BF16
    assert cmd.share


def test_model_names_are_case_insensitive_and_take_the_place_of_params() -> None:
    cmd = parse_command("traincost", "Llama-3.1-8B 2T H100", CATALOG)
    assert cmd.model is LLAMA_8B
    assert cmd.params is None
    assert cmd.tokens == 2e12


def test_model_name_with_an_x_is_not_a_gpu_count() -> None:
    assert parse_command("fits", "mixtral-8x7b", CATALOG).model is MIXTRAL


def test_gpu_count_shorthand() -> None:
    cmd = parse_command("fits", "70B 8xh100 train", CATALOG)
    assert cmd.num_gpus == 8
    assert cmd.gpu is not None
    assert cmd.gpu.key == "h100-sxm"
    assert cmd.modes == ["train"]


def test_fits_options() -> None:
    cmd = parse_command(
        "fits",
        "20B gpus=4 zero=3 offload=optimizer ctx=8k batch=2 optimizer=adam8bit rank=64 cpu_mem=512GB qlora",
        CATALOG,
    )
    assert (cmd.num_gpus, cmd.zero, cmd.offload, cmd.ctx, cmd.batch) == (4, 3, "optimizer", 8192, 2)
    assert (cmd.optimizer, cmd.rank, cmd.cpu_mem, cmd.modes) == ("adamw-8bit", 64, 512_000_000_000, ["qlora"])


@pytest.mark.parametrize(
    ("text", "ctx"),
    [("ctx=8k", 8192), ("ctx=32k", 32768), ("ctx=128K", 131072), ("ctx=8000", 8000), ("ctx=1.5k", 1500)],
)
def test_context_lengths_in_whole_k_are_binary(text: str, ctx: int) -> None:
    """People write 8k for an 8192-token window (Llama 3.1's 128k is 131072 in its config.json)."""
    assert parse_command("fits", f"8B {text}", CATALOG).ctx == ctx


@pytest.mark.parametrize(
    ("text", "attention"),
    [
        ("attention=eager", "eager"),
        ("attention=flash", "flash"),
        ("flash=no", "eager"),
        ("flash=yes", "flash"),
        ("", None),
    ],
)
def test_attention_kernel_option(text: str, attention: str | None) -> None:
    assert parse_command("fits", f"8B train {text}", CATALOG).attention == attention


def test_attention_option_refuses_other_words() -> None:
    with pytest.raises(GrammarError, match="attention"):
        parse_command("fits", "8B attention=sparse", CATALOG)


def test_serving_lengths_read_k_as_1024_and_training_tokens_stay_decimal() -> None:
    serve = parse_command("servecost", "8B h100 in=2k out=512", CATALOG)
    assert (serve.input_tokens, serve.output_tokens) == (2048, 512)
    assert parse_command("fits", "8B prefill_chunk=4k", CATALOG).prefill_chunk == 4096
    train = parse_command("traincost", "8B 15T h100", CATALOG)
    assert train.tokens == 15e12


def test_spaces_around_equals_and_gpu_memory_positional() -> None:
    cmd = parse_command("fits", "20B gpus = 2 24GB int4", CATALOG)
    assert (cmd.num_gpus, cmd.gpu_mem, cmd.dtype) == (2, 24_000_000_000, Precision.INT4)


@pytest.mark.parametrize(
    ("command", "text", "message", "suggestion"),
    [
        ("traincost", "405B 15T h10", "didn't recognise `h10`", "h100"),
        ("traincost", "llama-3.1-8 2T", "didn't recognise `llama-3.1-8`", "llama-3.1-8b"),
        ("traincost", "405B gpus=lots", "couldn't read gpus from `lots`", None),
        ("traincost", "405B mfu=150", "`mfu=150` is above 100%", None),
        ("traincost", "405B mfu=1.5", "`mfu=1.5` is ambiguous: write `mfu=1.5%` (a percentage) or `mfu=0.015`", None),
        ("traincost", "405B mfu=40", "`mfu=40` is ambiguous: write `mfu=40%` (a percentage) or `mfu=0.4`", None),
        ("traincost", "405B 15T 3T", "one number too many", None),
        ("traincost", "405B ctx=4096", "`ctx=` applies to `fits`", None),
        ("fits", "20B zero=4", "zero (ZeRO stage) must be between", None),
        ("fits", "20B optimiser=adam", "unknown option `optimiser=`", "optimizer="),
        ("fits", "20B gpu=h1000", "unknown GPU `h1000`", "h100"),
        ("fits", "20B offload=disk", "offload must be one of", None),
        ("fits", "20B gpus=", "`gpus=` needs a value", None),
        ("traincost", "1e30 15T", "params must be between", None),
        ("traincost", "405B a100 h100", "GPU given twice", None),
    ],
)
def test_bad_input_says_what_was_wrong(command: str, text: str, message: str, suggestion: str | None) -> None:
    with pytest.raises(GrammarError) as caught:
        parse_command(command, text, CATALOG)
    assert message in caught.value.message
    assert caught.value.suggestion == suggestion


def test_input_length_and_word_count_are_capped() -> None:
    with pytest.raises(GrammarError, match="at most 500"):
        parse_command("traincost", "1" * (MAX_TEXT_CHARS + 1), CATALOG)
    with pytest.raises(GrammarError, match="at most 24"):
        parse_command("traincost", " ".join(["share"] * 25), CATALOG)


_WORDS = st.sampled_from(
    [
        "405B",
        "15T",
        "a100",
        "h100",
        "gpus=8",
        "mfu=0.4",
        "share",
        "bf16",
        "fp8",
        "=",
        "x",
        "8x",
        "llama-3.1-8b",
        "in=2k",
        "out=0",
        "kv=fp8",
        "batch=64",
        "mbu=0.7",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ESTIMATE_COMMANDS),
    st.one_of(st.text(max_size=120), st.lists(st.one_of(_WORDS, st.text(max_size=12))).map(" ".join)),
)
def test_parser_raises_nothing_but_its_own_error(command: str, text: str) -> None:
    outcome: object
    try:
        outcome = parse_command(command, text, CATALOG)
    except GrammarError as err:
        outcome = err
    if isinstance(outcome, GrammarError):
        assert outcome.message
        assert "\n" not in outcome.message
    else:
        assert isinstance(outcome, ParsedCommand)
        assert outcome.params is None or 1e3 <= outcome.params <= 1e15
        assert outcome.num_gpus is None or outcome.num_gpus >= 1


@pytest.mark.parametrize("word", ["e5", "e+5", "gpu_mem=e5kb", "mfu=e5", "days=e5"])
def test_exponent_without_mantissa_is_a_usage_error(word: str) -> None:
    with pytest.raises(GrammarError):
        parse_command("fits" if "gpu_mem" in word else "traincost", f"7B {word}", CATALOG)
