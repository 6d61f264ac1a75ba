"""Parse command text (``405B 15T a100 gpus=1024``) into typed requests, by kind of each word.

Positionals are recognised by what they are — a count, a GPU, a model, a precision, a mode — so
their order rarely matters. Nothing is evaluated; input length and magnitudes are capped.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from estimator.architecture import ModelArch
from estimator.catalog import Catalog
from estimator.hardware import Accelerator
from estimator.precision import Precision, parse_precision
from estimator.quantities import (
    format_count,
    parse_bytes,
    parse_count,
    parse_days,
    parse_fraction,
    parse_int,
    parse_length,
    parse_money,
)
from estimator.results import Mode
from estimator.vocabulary import COMMANDS, ESTIMATE_COMMANDS, HELP_WORDS, SHARE_WORDS, CommandName, is_command

_T = TypeVar("_T")

MAX_TEXT_CHARS = 500
MAX_WORDS = 24
MAX_PARAMS = 1e15  # a quadrillion parameters
MAX_TOKENS = 1e18
MAX_GPUS = 10_000_000
MAX_REQUEST_TOKENS = 10_000_000  # in= and out=: tokens of one request
MAX_BATCH = 65_536

USAGE: dict[CommandName, str] = {
    "traincost": "traincost <params|model> [tokens] [gpu] [gpus=N | days=D] [mfu=0.4] [price=2.5] "
    "[dtype=bf16|fp16|fp8] [active=37B] [share]   e.g. traincost 405B 15T a100",
    "fits": "fits <params|model> [gpu] [inference|train|lora|qlora] [dtype=bf16|int8|int4] [gpus=N] "
    "[zero=0-3] [offload=none|optimizer|full] [ctx=4096] [batch=1] [optimizer=adamw|adamw-8bit|sgd|adafactor] "
    "[rank=16] [cpu_mem=256GB] [gpu_mem=80GB] [recompute=none|selective|full] [attention=flash|eager] "
    "[prefill_chunk=8192] [share]   e.g. fits 20B",
    "servecost": "servecost <params|model> [gpu|Nxgpu] [dtype] [in=1000] [out=1000] [batch=N] [kv=fp8] [price=2.5] "
    "[mbu=0.7] [mfu=0.4] [util=0.9] [share]   e.g. servecost llama-3.3-70b 2xh100 fp8",
    "gpus": "gpus [80gb | 80gb+ | amd | mi300x | under $2] [page=2]",
    "models": "models [llama | moe | dense] [page=2]",
    "help": f"help [{'|'.join(c for c in COMMANDS if c != 'help')}]",
}

Optimizer = Literal["adamw", "adamw-8bit", "sgd", "adafactor"]
Offload = Literal["none", "optimizer", "full"]
Recompute = Literal["none", "selective", "full"]
Attention = Literal["flash", "eager"]
_MODE_WORDS: dict[str, Mode] = {
    "inference": "inference",
    "infer": "inference",
    "serve": "inference",
    "serving": "inference",
    "train": "train",
    "training": "train",
    "finetune": "train",
    "fine-tune": "train",
    "full": "train",
    "lora": "lora",
    "qlora": "qlora",
}
_FILLER_WORDS = frozenset({"on", "with", "using", "for", "tokens", "params", "parameters", "of", "at", "a", "an"})
_OPTION_SEPARATOR = re.compile(r"\s*[=:]\s*")
_GPU_COUNT_RE = re.compile(r"^(\d{1,8})\s*[x×*]\s*(.+)$", re.IGNORECASE)
# A Hugging Face Hub model id, `org/name` with an optional `@revision` (branch, tag or commit).
HUB_ID_RE = re.compile(
    r"^(?P<repo>[A-Za-z0-9][\w.-]{0,95}/(?=[\w.-]*[A-Za-z])[\w.-]{1,96})(?:@(?P<revision>[\w.][\w./-]{0,199}))?$"
)
_TRAINCOST_KEYS = frozenset({"gpus", "mfu", "price", "dtype", "days", "tokens", "params", "active", "gpu", "model"})
_FITS_KEYS = frozenset(
    {
        "gpus",
        "dtype",
        "mode",
        "zero",
        "offload",
        "ctx",
        "seq",
        "batch",
        "optimizer",
        "rank",
        "cpu_mem",
        "gpu_mem",
        "gpu",
        "model",
        "params",
        "recompute",
        "prefill_chunk",
        "attention",
        "flash",
    }
)
_SERVECOST_KEYS = frozenset(
    {"gpus", "dtype", "batch", "price", "mfu", "mbu", "kv", "kv_dtype", "in", "out", "util", "gpu", "model", "params"}
)
_SERVING_ONLY_KEYS = frozenset({"mbu", "kv", "kv_dtype", "in", "out", "util"})
OPTION_KEYS: dict[CommandName, frozenset[str]] = {
    "traincost": _TRAINCOST_KEYS,
    "fits": _FITS_KEYS,
    "servecost": _SERVECOST_KEYS,
}
"""The ``key=`` options each estimate command takes."""


class GrammarError(ValueError):
    """A word the grammar cannot use; ``suggestion`` is a close known name, if any."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion


@dataclass
class ParsedCommand:
    """What the words of one command said, before defaults are applied."""

    params: float | None = None
    active: float | None = None
    model: ModelArch | None = None
    tokens: float | None = None
    gpu: Accelerator | None = None
    num_gpus: int | None = None
    dtype: Precision | None = None
    modes: list[Mode] = field(default_factory=list)
    share: bool = False
    help: bool = False
    mfu: float | None = None
    price: float | None = None
    days: float | None = None
    zero: int | None = None
    offload: Offload | None = None
    ctx: int | None = None
    batch: int | None = None
    optimizer: Optimizer | None = None
    rank: int | None = None
    cpu_mem: int | None = None
    gpu_mem: int | None = None
    recompute: Recompute | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    kv_dtype: Precision | None = None
    mbu: float | None = None
    util: float | None = None
    prefill_chunk: int | None = None
    attention: Attention | None = None


def _bounded(value: float | None, low: float, high: float, what: str, raw: str) -> float:
    if value is None:
        raise GrammarError(f"couldn't read {what} from `{raw}`")
    if not low <= value <= high:
        raise GrammarError(f"{what} must be between {format_count(low)} and {format_count(high)} (got `{raw}`)")
    return value


def _choice(raw: str, options: tuple[str, ...], what: str) -> str:
    value = raw.strip().lower()
    if value in options:
        return value
    close = difflib.get_close_matches(value, options, n=1)
    raise GrammarError(f"{what} must be one of {', '.join(options)} (got `{raw}`)", close[0] if close else None)


def _set_once(current: _T | None, value: _T, what: str, raw: str) -> _T:
    if current is not None and current != value:
        raise GrammarError(f"{what} given twice (`{raw}`)")
    return value


def _gpus(cmd: ParsedCommand, raw: str) -> None:
    cmd.num_gpus = int(_bounded(parse_int(raw), 1, MAX_GPUS, "gpus", raw))


def _percentage(raw: str, key: str) -> float:
    """``40%`` or ``0.4``; a bare number above 1 could be either reading, so it is refused, naming both."""
    value = parse_fraction(raw)
    if value is not None and value > 1 and not raw.strip().endswith("%"):
        shown = raw.strip()
        return _ambiguous(key, shown, value)
    return _bounded(value, 0.01, 1.0, key, raw)


def _ambiguous(key: str, shown: str, value: float) -> float:
    fraction = f"{value / 100:.6g}"
    raise GrammarError(
        f"`{key}={shown}` is ambiguous: write `{key}={shown}%` (a percentage) or `{key}={fraction}` (a fraction)"
        if value <= 100
        else f"`{key}={shown}` is above 100%: write a percentage like `{key}=40%` or a fraction like `{key}=0.4`"
    )


def _mfu(cmd: ParsedCommand, raw: str) -> None:
    cmd.mfu = _percentage(raw, "mfu")


def _price(cmd: ParsedCommand, raw: str) -> None:
    cmd.price = _bounded(parse_money(raw), 0.0, 10_000.0, "price per GPU-hour", raw)


def _dtype(cmd: ParsedCommand, raw: str) -> None:
    precision = parse_precision(raw)
    if precision is None:
        options = tuple(p.value for p in Precision)
        raise GrammarError(f"dtype must be one of {', '.join(options)} (got `{raw}`)")
    cmd.dtype = precision


def _days(cmd: ParsedCommand, raw: str) -> None:
    cmd.days = _bounded(parse_days(raw), 1 / 24, 36_525, "days", raw)


def _tokens(cmd: ParsedCommand, raw: str) -> None:
    cmd.tokens = _bounded(parse_count(raw), 1, MAX_TOKENS, "tokens", raw)


def _params(cmd: ParsedCommand, raw: str) -> None:
    cmd.params = _bounded(parse_count(raw), 1e3, MAX_PARAMS, "params", raw)


def _active(cmd: ParsedCommand, raw: str) -> None:
    cmd.active = _bounded(parse_count(raw), 1e3, MAX_PARAMS, "active params", raw)


def _mode(cmd: ParsedCommand, raw: str) -> None:
    mode = _MODE_WORDS.get(raw.lower())
    if mode is None:
        raise GrammarError(f"mode must be one of inference, train, lora, qlora (got `{raw}`)")
    if mode not in cmd.modes:
        cmd.modes.append(mode)


def _zero(cmd: ParsedCommand, raw: str) -> None:
    cmd.zero = int(_bounded(parse_int(raw), 0, 3, "zero (ZeRO stage)", raw))


def _offload(cmd: ParsedCommand, raw: str) -> None:
    cmd.offload = _OFFLOAD_WORDS[_choice(raw, tuple(_OFFLOAD_WORDS), "offload")]


def _ctx(cmd: ParsedCommand, raw: str) -> None:
    cmd.ctx = int(_bounded(parse_length(raw), 1, 10_000_000, "ctx (tokens of context)", raw))


def _batch(cmd: ParsedCommand, raw: str) -> None:
    cmd.batch = int(_bounded(parse_int(raw), 1, MAX_BATCH, "batch", raw))


def _optimizer(cmd: ParsedCommand, raw: str) -> None:
    cmd.optimizer = _OPTIMIZER_WORDS[_choice(raw, tuple(_OPTIMIZER_WORDS), "optimizer")]


def _rank(cmd: ParsedCommand, raw: str) -> None:
    cmd.rank = int(_bounded(parse_int(raw), 1, 65_536, "rank", raw))


def _size(raw: str, key: str) -> int:
    size = parse_bytes(raw)
    if size is None:
        raise GrammarError(f"{key} must be a size like 256GB or 80GiB (got `{raw}`)")
    return int(_bounded(size, 1e9, 1e15, key, raw))


def _cpu_mem(cmd: ParsedCommand, raw: str) -> None:
    cmd.cpu_mem = _size(raw, "cpu_mem")


def _gpu_mem(cmd: ParsedCommand, raw: str) -> None:
    cmd.gpu_mem = _size(raw, "gpu_mem")


def _prefill_chunk(cmd: ParsedCommand, raw: str) -> None:
    cmd.prefill_chunk = int(_bounded(parse_length(raw), 1, 10_000_000, "prefill_chunk (tokens per step)", raw))


def _recompute(cmd: ParsedCommand, raw: str) -> None:
    cmd.recompute = _RECOMPUTE_WORDS[_choice(raw, tuple(_RECOMPUTE_WORDS), "recompute")]


def _attention(cmd: ParsedCommand, raw: str) -> None:
    cmd.attention = _ATTENTION_WORDS[_choice(raw, tuple(_ATTENTION_WORDS), "attention")]


def _flash(cmd: ParsedCommand, raw: str) -> None:
    cmd.attention = _FLASH_WORDS[_choice(raw, tuple(_FLASH_WORDS), "flash")]


# The words each option accepts, in the order an error message lists them, and what each means.
_OFFLOAD_WORDS: dict[str, Offload] = {
    "none": "none",
    "optimizer": "optimizer",
    "full": "full",
    "cpu": "optimizer",
    "no": "none",
    "yes": "optimizer",
}
_OPTIMIZER_WORDS: dict[str, Optimizer] = {
    "adamw": "adamw",
    "adam": "adamw",
    "adamw-8bit": "adamw-8bit",
    "adam8bit": "adamw-8bit",
    "8bit": "adamw-8bit",
    "sgd": "sgd",
    "adafactor": "adafactor",
}
_RECOMPUTE_WORDS: dict[str, Recompute] = {
    "none": "none",
    "selective": "selective",
    "full": "full",
    "no": "none",
    "yes": "full",
}
_ATTENTION_WORDS: dict[str, Attention] = {"flash": "flash", "eager": "eager", "sdpa": "flash", "naive": "eager"}
_FLASH_WORDS: dict[str, Attention] = {"yes": "flash", "no": "eager", "on": "flash", "off": "eager"}
# ``key=value`` options (but gpu= and model=, which name catalog entries): what each key sets.
_OPTIONS: dict[str, Callable[[ParsedCommand, str], None]] = {
    "gpus": _gpus,
    "mfu": _mfu,
    "price": _price,
    "dtype": _dtype,
    "days": _days,
    "tokens": _tokens,
    "params": _params,
    "active": _active,
    "mode": _mode,
    "zero": _zero,
    "offload": _offload,
    "ctx": _ctx,
    "seq": _ctx,
    "batch": _batch,
    "optimizer": _optimizer,
    "rank": _rank,
    "cpu_mem": _cpu_mem,
    "gpu_mem": _gpu_mem,
    "recompute": _recompute,
    "prefill_chunk": _prefill_chunk,
    "attention": _attention,
    "flash": _flash,
}


def _apply_option(cmd: ParsedCommand, key: str, raw: str, catalog: Catalog) -> None:
    """Apply one ``key=value`` option."""
    if key in {"gpu", "model"}:
        _apply_name(cmd, raw, catalog, only=key)
    else:
        _OPTIONS[key](cmd, raw)


def _apply_serving_option(cmd: ParsedCommand, key: str, raw: str) -> None:
    """Apply one ``servecost``-only option (``in=``, ``out=``, ``kv=``, ``mbu=``, ``util=``)."""
    if key in {"in", "out"}:
        tokens = int(_bounded(parse_length(raw), 1, MAX_REQUEST_TOKENS, f"{key}= (tokens)", raw))
        if key == "in":
            cmd.input_tokens = tokens
        else:
            cmd.output_tokens = tokens
    elif key in {"kv", "kv_dtype"}:
        precision = parse_precision(raw)
        if precision not in (Precision.FP8, Precision.INT8, Precision.BF16, Precision.FP16, Precision.FP32):
            raise GrammarError(f"kv= must be one of fp8, int8, bf16, fp16, fp32 (got `{raw}`)")
        cmd.kv_dtype = precision
    elif key == "mbu":
        cmd.mbu = _bounded(parse_fraction(raw), 0.01, 1.0, "mbu", raw)
    else:
        cmd.util = _bounded(parse_fraction(raw), 0.1, 1.0, "util (engine memory utilisation)", raw)


def _apply_name(cmd: ParsedCommand, raw: str, catalog: Catalog, only: str | None = None) -> bool:
    """Resolve a GPU (``h100``, ``8xh100``) or model name; False if the word is neither."""
    if only != "gpu":
        model = catalog.model(raw)
        if model is not None:
            cmd.model = _set_once(cmd.model, model, "model", raw)
            return True
    if only != "model":
        gpu = catalog.gpu(raw)
        count = None
        if gpu is None and (match := _GPU_COUNT_RE.match(raw)):
            gpu, count = catalog.gpu(match.group(2)), int(match.group(1))
        if gpu is not None:
            cmd.gpu = _set_once(cmd.gpu, gpu, "GPU", raw)
            if count is not None:
                cmd.num_gpus = int(_bounded(count, 1, MAX_GPUS, "gpus", raw))
            return True
    if only is not None:
        suggestion = catalog.suggest_gpu(raw) if only == "gpu" else catalog.suggest_model(raw)
        raise GrammarError(f"unknown {'GPU' if only == 'gpu' else 'model'} `{raw}`", suggestion)
    return False


def _positional(cmd: ParsedCommand, word: str, command: str, catalog: Catalog) -> None:
    lower = word.lower()
    if lower in SHARE_WORDS:
        cmd.share = True
        return
    if lower in HELP_WORDS:
        cmd.help = True
        return
    if lower in _FILLER_WORDS:
        return
    if command == "fits" and lower in _MODE_WORDS:
        if _MODE_WORDS[lower] not in cmd.modes:
            cmd.modes.append(_MODE_WORDS[lower])
        return
    precision = parse_precision(word)
    if precision is not None:
        cmd.dtype = _set_once(cmd.dtype, precision, "precision", word)
        return
    if _apply_name(cmd, word, catalog):
        return
    size = parse_bytes(word)
    if size is not None and command == "fits":
        cmd.gpu_mem = int(_bounded(size, 1e9, 1e15, "GPU memory", word))
        return
    count = parse_count(word)
    if count is not None:
        _positional_count(cmd, count, word, command)
        return
    _unknown_word(word, catalog)


def _positional_count(cmd: ParsedCommand, count: float, word: str, command: str) -> None:
    if cmd.params is None and cmd.model is None:
        cmd.params = _bounded(count, 1e3, MAX_PARAMS, "params", word)
    elif command == "traincost" and cmd.tokens is None:
        cmd.tokens = _bounded(count, 1, MAX_TOKENS, "tokens", word)
    elif command == "traincost":
        raise GrammarError(f"one number too many: `{word}` (params and tokens are already given)")
    else:
        raise GrammarError(f"one number too many: `{word}` (the parameter count is already given)")


def _unknown_word(word: str, catalog: Catalog) -> None:
    if HUB_ID_RE.match(word):
        raise GrammarError(f"`{word}` looks like a Hugging Face Hub model, and no Hub look-up was made for it here")
    gpu, model = catalog.suggest_gpu(word), catalog.suggest_model(word)
    if gpu or model:
        gpu_score = difflib.SequenceMatcher(None, word.lower(), gpu or "").ratio()
        model_score = difflib.SequenceMatcher(None, word.lower(), model or "").ratio()
        suggestion = gpu if gpu_score >= model_score else model
        raise GrammarError(f"didn't recognise `{word}`", suggestion)
    raise GrammarError(f"didn't recognise `{word}` as a number, GPU, model, precision or option")


def _key_error(key: str, command: CommandName) -> GrammarError:
    allowed = OPTION_KEYS[command]
    for other, keys in OPTION_KEYS.items():
        if other != command and key in keys:
            return GrammarError(f"`{key}=` applies to `{other}`")
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return GrammarError(f"unknown option `{key}=`", f"{close[0]}=" if close else None)


def _split(text: str) -> list[str]:
    if len(text) > MAX_TEXT_CHARS:
        raise GrammarError(f"that's {len(text)} characters; napkin reads at most {MAX_TEXT_CHARS}")
    # `gpus = 8` and `gpus: 8` read as `gpus=8`; commas between words are separators.
    normal = _OPTION_SEPARATOR.sub("=", text) if "=" in text or ":" in text else text
    words = [word for word in (w.strip(",;") for w in normal.split()) if word]
    if len(words) > MAX_WORDS:
        raise GrammarError(f"that's {len(words)} words; napkin reads at most {MAX_WORDS}")
    return words


def parse_command(command: str, text: str, catalog: Catalog) -> ParsedCommand:
    """Read the words after ``traincost``, ``fits`` or ``servecost``; raise GrammarError on anything unusable."""
    if not is_command(command) or command not in OPTION_KEYS:
        raise GrammarError(f"`{command}` takes no model or options")
    cmd = ParsedCommand()
    allowed = OPTION_KEYS[command]
    for word in _split(text):
        if "=" in word:
            key, _, raw = word.partition("=")
            key = key.lower().lstrip("-").replace("-", "_")
            if key not in allowed:
                raise _key_error(key, command)
            if not raw:
                raise GrammarError(f"`{key}=` needs a value")
            if key in _SERVING_ONLY_KEYS:
                _apply_serving_option(cmd, key, raw)
            else:
                _apply_option(cmd, key, raw, catalog)
        else:
            _positional(cmd, word, command, catalog)
    return cmd


def hub_model_words(command: str, text: str) -> list[str]:
    """The words of ``text`` (positional, or ``model=``'s value) shaped like a Hub model id, for a
    caller that resolves them before ``parse_command``; [] for commands that take no model."""
    if command not in ESTIMATE_COMMANDS:
        return []
    try:
        words = _split(text)
    except GrammarError:
        return []
    found = []
    for word in words:
        key, sep, value = word.partition("=")
        candidate = value if sep and key.lower().lstrip("-") == "model" else word
        if not (sep and candidate is word) and HUB_ID_RE.match(candidate):
            found.append(candidate)
    return found
