"""Read questions as people type them into the command they ask for, in the grammar's own words.

``how much to train a 13B on 1T tokens with 256 H100s?`` reads as ``traincost 13B 1T h100 gpus=256``;
``fits llama 70b on 2 a100s`` as ``fits llama-3.3-70b a100 gpus=2``; ``how fast is llama 70b on 2 h100s
with 2k in 500 out?`` as ``servecost llama-3.3-70b h100 in=2k out=500 gpus=2``. The reader only rewrites words
into the canonical forms :mod:`estimator.grammar` parses; a word it does not know is passed on for
the grammar to judge (and suggest for), or set aside when it is plain English. It raises nothing but
:class:`PhrasingError`.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import NoReturn

from estimator.architecture import ModelArch
from estimator.catalog import Catalog, normalize_name
from estimator.grammar import MAX_BATCH, MAX_REQUEST_TOKENS, MAX_TEXT_CHARS, OPTION_KEYS, GrammarError
from estimator.precision import parse_precision
from estimator.quantities import format_count, parse_bytes, parse_count
from estimator.vocabulary import COMMANDS, ESTIMATE_COMMANDS, HELP_WORDS, SHARE_WORDS, CommandName, is_command

MAX_QUESTION_WORDS = 80
EXAMPLES: dict[CommandName, str] = {
    "traincost": "traincost 13B 1T h100 gpus=256",
    "fits": "fits llama-3.1-70b a100 gpus=2",
    "servecost": "servecost 70B 2xh100 fp8 in=2k out=500",
    "gpus": "gpus",
    "models": "models",
    "help": "help traincost",
}
"""One short, working example of each command, shown with its usage errors."""
INTRO = """\
Hi! I'm napkin: training cost, GPU fit and serving speed.
Ask in plain English, for example:
  how much to train a 13B on 1T tokens with 256 H100s?
  will llama 3.1 70b fit on 2 a100s?
  how fast is llama 3.3 70b on 2 h100s in fp8?
Short forms: traincost 405B 15T a100 · fits 20B h100
servecost 70B 2xh100 · gpus · models · help fits"""

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "hundred": 100, "thousand": 1000,
}  # fmt: skip
_SCALE_WORDS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12,
    "trillions": 1e12,
}  # fmt: skip
_DAY_UNITS = {
    "h": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "hour": 1 / 24, "hours": 1 / 24, "d": 1.0, "day": 1.0, "days": 1.0,
    "w": 7.0, "wk": 7.0, "wks": 7.0, "week": 7.0, "weeks": 7.0, "mo": 30.4375, "month": 30.4375,
    "months": 30.4375, "y": 365.25, "yr": 365.25, "year": 365.25, "years": 365.25,
}  # fmt: skip
_NUM = r"\d+(?:\.\d+)?"
_SCALED_RE = re.compile(rf"^({_NUM})({'|'.join(sorted(_SCALE_WORDS, key=len, reverse=True))})$")
_DURATION_RE = re.compile(rf"^({_NUM})-?({'|'.join(sorted(_DAY_UNITS, key=len, reverse=True))})$")
_TIMES_RE = re.compile(r"^(\d{1,8})[x×*]$|^[x×*](\d{1,8})$")
_COUNT_X_NAME_RE = re.compile(r"^(\d{1,8})[x×*](.+)$")
_PERCENT_RE = re.compile(rf"^({_NUM})%$")
_MONEY_RE = re.compile(rf"^\$({_NUM})(?:/(?:h|hr|hour|gpu-?h(?:ou)?r?))?$")
_JOIN_UNIT_RE = re.compile(r"(\d)\s+(gb|gib|tb|tib)\b", re.IGNORECASE)
_OPTION_RE = re.compile(r"\b([a-z_]+)\s*[=:]\s*(?=\S)", re.IGNORECASE)
_HUB_ID_RE = re.compile(r"^[a-z0-9][\w.-]*/[\w.-]+$")
_STRIP = "`*\"'“”‘’()[]{}<>!?.,;:"
_SEPARATORS = frozenset({"/", "+", "&", "|", "-", "–", "—"})  # `500 in / 200 out`
_NAME_SUFFIXES = ("-instruct", "-chat", "-hf", "-base", "-it", "-pt", "-fp8", "-bf16", "-awq", "-gguf", "-gptq")

_FIT_WORDS = frozenset({"fit", "fits", "fitting", "vram", "memory", "mem", "oom", "load", "ram"})
_INFERENCE_WORDS = frozenset({"serve", "serving", "inference", "infer", "run", "running", "host", "deploy", "load"})
_TRAIN_MODE_WORDS = frozenset({"finetune", "fine-tune", "finetuning", "fine-tuning", "sft"})
_TRAIN_WORDS = frozenset({"train", "training", "trained", "pretrain", "pre-train", "pretraining", "pre-training"})
_COST_WORDS = frozenset({"cost", "costs", "much", "long", "expensive", "budget", "price-tag"})
_GPUS_WORDS = frozenset({"gpus", "gpu", "hardware", "price", "prices", "pricing", "accelerators", "catalog"})
_MODELS_WORDS = frozenset({"models", "presets", "preset"})
_GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "yo", "thanks", "thank", "howdy", "usage"})
_HELP_WORDS = HELP_WORDS | _GREETINGS
_GPU_UNIT_WORDS = frozenset({"gpu", "gpus", "card", "cards", "chips", "chip", "accelerators", "devices", "x"})
_VENDOR_WORDS = frozenset({"nvidia", "amd", "geforce", "intel", "google", "aws", "apple"})
_FILLER = frozenset(
    """\
    a an the on with using use via for in of at to by from into onto and or but about over within under per
    tokens token params parameters parameter param model models llm weights dataset data corpus
    how much many long what whats what's which who would will could can should shall do does did is are be
    been being it its it's i i'm me my we our us you your they them this that these those there here
    if then than so just only also really please pls thx need needs needed want wanted like get got
    take takes taking cost costs much time enough big size sized large small tell show give estimate
    napkin hey hi hello quick question roughly approx approximately about around ~ me? each every total
    train training trained pretrain pre-train pretraining pre-training fit fits fitting vram memory mem ram
    hour hours hr gpu-hour gpu-hours dollars usd budget expensive set up setup cluster node nodes machine
    across some any one's kv cache kv-cache""".split()  # noqa: SIM905 -- a word list reads better as text
)

_CTX_WORDS = frozenset({"ctx", "context", "seq", "sequence", "seqlen"})
_BATCH_WORDS = frozenset({"batch", "bs", "batch-size"})
_MFU_WORDS = frozenset({"mfu", "utilization", "utilisation"})

# Serving: what only a `servecost` question asks (speed, load, prompt and output lengths).
_SPEED_WORDS = frozenset(
    {"fast", "faster", "fastest", "quickly", "speed", "speeds", "slow", "latency", "latencies", "ttft", "itl", "tpot"}
    | {"throughput", "tps", "tok/s", "toks/s", "tokens/s", "token/s", "tok/sec", "tokens/sec", "t/s", "qps", "rps"}
)
_LOAD_WORDS = frozenset({"users", "user", "concurrency", "concurrent", "simultaneous"})
_LOAD_NOUNS = frozenset(
    {"users", "user", "requests", "request", "sequences", "streams", "clients", "people", "sessions"}
)
_LOAD_ADJECTIVES = frozenset({"concurrent", "simultaneous", "parallel", "single"})
_TOKEN_WORDS = frozenset({"tokens", "token", "toks", "tok"})
_IN_WORDS = frozenset({"input", "inputs", "prompt", "prompts", "in"})
_OUT_WORDS = frozenset({"output", "outputs", "out", "completion", "completions", "response", "responses"})
_OUT_WORDS |= {"answer", "answers", "reply", "replies"}
_NEW_WORDS = frozenset({"new", "generated", "decoded"})  # `500 new tokens`: an output length, with `tokens` only
_GENERATE_WORDS = frozenset({"generate", "generates", "generating", "produce", "producing", "decode", "decoding"})
_KV_WORDS = frozenset({"kv", "kv-cache", "kvcache", "kv_cache"})
# Keywords a phrase (not a word) sets; parenthesised, so no typed word can be one.
_ASKS_SPEED = "(speed or price per token)"
_ASKS_LOAD = "(users or request lengths)"
_PER_SCALES = frozenset({"million", "1m", "m", "mn", "1mn", "mtok", "mtoks", "1mtok", "thousand", "1k", "k"})
_PER_UNIT_RE = re.compile(r"^\$?/(?:(?:1?m|1?mn|million|1?k)(?:toks?|tokens?)?|toks?|tokens?)$")  # $/1m, /mtok


class PhrasingError(GrammarError):
    """A question napkin could not read; the message says what it read, ``suggestion`` what might work."""


@dataclass(frozen=True)
class Reading:
    """What a question asked for: the command, its canonical text, and what was read or set aside."""

    command: CommandName
    text: str
    read: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def canonical(self) -> str:
        """The command as napkin's grammar writes it, e.g. ``traincost 13B 1T h100 gpus=256``."""
        return f"{self.command} {self.text}".strip()


@dataclass
class _Word:
    raw: str
    low: str


@dataclass
class _Scan:
    """Everything the words said, before they are written back as one command."""

    counts: list[tuple[float, str, str | None]] = field(default_factory=list)  # value, text, "tokens"/"params"
    model: str | None = None
    gpu: str | None = None
    num_gpus: int | None = None
    days: float | None = None
    dtype: str | None = None
    modes: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)  # typed as key=value: the grammar judges them
    settings: list[str] = field(default_factory=list)  # read from phrases like `at 40% mfu`
    passed: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    share: bool = False
    keywords: set[str] = field(default_factory=set)
    read: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def read_question(text: str, catalog: Catalog) -> Reading:
    """Read a mention or DM (``how much to train a 13B on 1T tokens with 256 H100s?``) as a command."""
    words = _words(text)
    start = 0
    while start < len(words) and words[start].low in _GREETINGS | {"napkin"}:
        start += 1
    if start < len(words) and is_command(command := words[start].low.lstrip("/")):
        rest = words[start + 1 :]
        if command != "help" and rest and rest[0].low in HELP_WORDS:  # `servecost help`
            return Reading("help", command, (f"{command} help",))
        if command in ESTIMATE_COMMANDS:
            return _reading(command, _scan(rest, command, catalog))
        if command == "help":
            topic = rest[0].low.lstrip("/") if rest else ""
            return Reading("help", topic if topic in COMMANDS else "intro", (f"help {topic}".strip(),))
        return Reading(command, " ".join(w.raw for w in rest))  # `gpus amd under $2`: the listing's filters
    words = words[start:]
    if not words or all(w.low in _HELP_WORDS or w.low in _FILLER for w in words):
        return Reading("help", "intro", ("a greeting or a call for help",))
    _typo_of_a_command(words[0].low)
    scan = _scan(words, None, catalog, strict=False)
    asked = _command_of(scan)
    if asked is None:
        _unreadable(words)
    if asked in {"gpus", "models"}:
        return Reading(asked, "share" if scan.share else "", (f"asked about {asked}",))
    return _reading(asked, _scan(words, asked, catalog, strict=False))


def rephrase(command: str, text: str, catalog: Catalog) -> Reading:
    """Canonical text for an estimate command typed as people do (``llama 70b on 2 a100s``)."""
    if not is_command(command) or command not in ESTIMATE_COMMANDS:
        raise PhrasingError(f"`{command}` is not one of {', '.join(ESTIMATE_COMMANDS)}")
    return _reading(command, _scan(_words(text), command, catalog))


def explain(reading: Reading, typed: str, message: str) -> str:
    """``message`` prefixed with what napkin read, when the reading differs from what was typed."""
    typed_words = sorted(" ".join(typed.split()).lower().lstrip("/").split())
    if typed_words in (sorted(reading.text.lower().split()), sorted(reading.canonical.lower().split())):
        return message  # the same words, perhaps in another order: nothing was read differently
    ignored = f" (ignoring {', '.join(dict.fromkeys(reading.ignored))})" if reading.ignored else ""
    return f"I read this as `{reading.canonical}`{ignored}; {message}"


# --- words ---------------------------------------------------------------------------------------------


def _words(text: str) -> list[_Word]:
    if len(text) > MAX_TEXT_CHARS:
        raise PhrasingError(f"that's {len(text)} characters; napkin reads at most {MAX_TEXT_CHARS}")
    text = _OPTION_RE.sub(_option_key, text)
    text = _JOIN_UNIT_RE.sub(r"\1\2", text.replace("×", "x"))
    words = []
    for piece in re.split(r"[\s,;]+", text):
        raw = piece if "=" in piece else piece.strip(_STRIP)
        if piece.strip() == "?":
            raw = "?"
        if raw and raw not in _SEPARATORS:
            words.append(_Word(raw, raw.lower()))
    if len(words) > MAX_QUESTION_WORDS:
        raise PhrasingError(f"that's {len(words)} words; napkin reads at most {MAX_QUESTION_WORDS}")
    return words


_OPTION_KEYS = frozenset().union(*OPTION_KEYS.values())
# Option names people write for the grammar's own (`input=2k` is `in=2k`).
_OPTION_ALIASES = {"input": "in", "output": "out", "prompt": "in", "users": "batch", "concurrency": "batch"}
_OPTION_ALIASES |= {"kv_cache": "kv"}


def _option_key(match: re.Match[str]) -> str:
    key = match.group(1)
    if key.lower() in _OPTION_ALIASES:
        return f"{_OPTION_ALIASES[key.lower()]}="
    return f"{key}=" if key.lower() in _OPTION_KEYS else match.group(0)


def _number(word: str) -> float | None:
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    if re.fullmatch(rf"{_NUM}|\d{{1,3}}(?:,\d{{3}})+", word):
        return float(word.replace(",", ""))
    return None


def _count_text(value: float) -> str:
    text = format_count(value)
    return text if parse_count(text) == value else f"{value:.17g}"


class _Reader:
    """One left-to-right pass over the words, trying each phrase shape at the current word."""

    def __init__(self, words: list[_Word], command: str | None, catalog: Catalog, *, strict: bool) -> None:
        self.words = words
        self.command = command
        self.strict = strict  # a typed command: unknown words go to the grammar, not aside
        self.catalog = catalog
        self.scan = _Scan()
        self.i = 0

    def low(self, offset: int = 0) -> str:
        index = self.i + offset
        return self.words[index].low if 0 <= index < len(self.words) else ""

    def take(self, count: int, meaning: str) -> None:
        phrase = " ".join(w.raw for w in self.words[self.i : self.i + count])
        self.scan.read.append(f"{phrase} → {meaning}")
        self.i += count

    def run(self) -> _Scan:
        steps = (
            self._option,
            self._speed,
            self._per_tokens,
            self._kv,
            self._duration,
            self._io,
            self._users,
            self._gpu_count,
            self._gpu,
            self._money,
            self._model,
            self._percent,
            self._setting,
            self._count,
            self._size,
            self._keyword,
        )
        while self.i < len(self.words):
            if not any(step() for step in steps):
                self._other()
        return self.scan

    # Each step returns True when it consumed words at ``self.i``.

    def _option(self) -> bool:
        word = self.words[self.i]
        if "=" not in word.raw:
            return False
        self.scan.options.append(word.raw)
        self.i += 1
        return True

    def _duration(self) -> bool:
        low = self.low()
        if match := _DURATION_RE.match(low):
            value, unit, used = float(match.group(1)), match.group(2), 1
        elif (value_or_none := _number(low)) is not None and self.low(1) in _DAY_UNITS and len(self.low(1)) > 1:
            value, unit, used = value_or_none, self.low(1), 2
        else:
            return False
        if self.low(-1) in {"for"} and self.command == "fits":
            return False
        days = value * _DAY_UNITS[unit]
        self.scan.days = days
        self.scan.keywords.add("duration")
        self.take(used, f"days={days:g}")
        return True

    def _gpu_name(self, offset: int = 0) -> tuple[str, int] | None:
        """The longest GPU name (up to three words, plural allowed) at ``offset``: (name, words used)."""
        start = self.i + offset
        for length in (3, 2, 1):
            parts = [w.low for w in self.words[start : start + length]]
            if len(parts) < length:
                continue
            for name in ("-".join(parts), "".join(parts)):
                for candidate in (name, name[:-1] if name.endswith("s") else ""):
                    if candidate and self.catalog.gpu(candidate) is not None:
                        return candidate, length
        return None

    def _set_gpu(self, name: str, count: int | None, used: int) -> None:
        gpu = self.catalog.gpu(name)
        if gpu is None:  # callers pass names they looked up
            return
        if self.scan.gpu is not None and self.catalog.gpu(self.scan.gpu) != gpu:
            raise PhrasingError(f"two GPUs named: `{self.scan.gpu}` and `{name}`; ask about one at a time")
        self.scan.gpu = name
        if count is not None:
            self.scan.num_gpus = count
        self.take(used, f"{count} × {gpu.key}" if count is not None else gpu.key)

    def _gpu_count(self) -> bool:
        low = self.low()
        number = _number(low)
        if (match := _COUNT_X_NAME_RE.match(low)) and (gpu := self._lookup_gpu(match.group(2))) is not None:
            self._set_gpu(gpu, int(match.group(1)), 1)
            return True
        times = _TIMES_RE.match(low)
        if times and times.group(1):  # 4x a100
            number = float(times.group(1))
        if number is None or number != int(number) or not 1 <= number <= 10_000_000:
            return False
        count, skip = int(number), 1
        if self.low(1) in {"x", "×", "*"} and not times:  # 4 x a100
            skip = 2
        if (found := self._gpu_name(skip)) is not None:
            name, used = found
            unit_word = 1 if self.low(skip + used) in {"gpus", "gpu", "cards", "card"} else 0
            self._set_gpu(name, count, skip + used + unit_word)
            return True
        if not times and self.low(1) in _GPU_UNIT_WORDS - {"x"}:  # 256 gpus
            self.scan.num_gpus = count
            self.take(2, f"gpus={count}")
            return True
        return False

    def _lookup_gpu(self, word: str) -> str | None:
        for candidate in (word, word[:-1] if word.endswith("s") else ""):
            if candidate and self.catalog.gpu(candidate) is not None:
                return candidate
        return None

    def _gpu(self) -> bool:
        if self.low() in _VENDOR_WORDS and self._gpu_name(1) is not None:
            self.scan.read.append(f"{self.words[self.i].raw} → (vendor)")
            self.i += 1
        found = self._gpu_name()
        if found is None:
            return False
        name, used = found
        times = _TIMES_RE.match(self.low(used))
        count = None
        if times and times.group(2):  # a100 x4
            count, used = int(times.group(2)), used + 1
        elif self.low(used) in {"x", "×"} and (n := _number(self.low(used + 1))) is not None and n == int(n) >= 1:
            count, used = int(n), used + 2
        if self.low(used) in {"gpus", "gpu", "cards", "card"}:
            used += 1
        self._set_gpu(name, count, used)
        return True

    def _model(self) -> bool:
        low = self.low()
        if _HUB_ID_RE.match(low):  # a Hugging Face id: a known preset's id resolves here, others go to the grammar
            name = self._lookup_model(low.rsplit("/", 1)[1])
            self._set_model(name or self.words[self.i].raw, 1, preset=name is not None)
            return True
        if not re.match(r"^[a-z]", low) or low in _FILLER or low in _HELP_WORDS:
            return False
        for length in (5, 4, 3, 2, 1):
            parts = [w.low for w in self.words[self.i : self.i + length]]
            if len(parts) < length or any("=" in p for p in parts):
                continue
            name = self._lookup_model("-".join(parts))
            # `mistral 24b`: a family word that is also an alias, then a size, means that size
            if length <= 3 and self._family_size(length, strict=name is None):
                return True
            if name is not None:
                self._set_model(name, length, preset=True)
                return True
        return False

    def _lookup_model(self, name: str) -> str | None:
        name = normalize_name(name)
        while True:
            if self.catalog.model(name) is not None:
                return name
            for suffix in _NAME_SUFFIXES:
                if name.endswith(suffix):
                    name = name[: -len(suffix)]
                    break
            else:
                return None

    def _family_size(self, length: int, *, strict: bool) -> bool:
        """``llama 70b``: a family prefix then a size; with ``strict``, a size no preset has is an error."""
        prefix = "-".join(w.low for w in self.words[self.i : self.i + length])
        size_word = self.low(length)
        size = parse_count(size_word) if re.search(r"[kmbt]$", size_word) else None
        if size is None or size < 1e6:
            return False  # checked first: the family scan over every preset name is the costly part
        family = _family(self.catalog, prefix)
        if not family:
            return False
        matches = [m for m in family if _same_size(m, size, size_word)]
        if not matches and not strict:
            return False
        if not matches:
            nearest = min(family, key=lambda m: abs(math.log(m.param_count() / size)))
            raise PhrasingError(
                f"no {prefix} preset has {format_count(size)} parameters (try `{format_count(size)}` alone "
                f"for any {format_count(size)} model)",
                nearest.key,
            )
        self._set_model(matches[-1].key, length + 1, preset=True)
        return True

    def _set_model(self, name: str, used: int, *, preset: bool) -> None:
        if self.scan.model is not None and self.scan.model != name:
            raise PhrasingError(f"two models named: `{self.scan.model}` and `{name}`; ask about one at a time")
        self.scan.model = name
        self.take(used, name if preset else f"{name} (not a preset)")

    def _money(self) -> bool:
        match = _MONEY_RE.match(self.low())
        if not match:
            return False
        used = 1
        while self.low(used) in {"per", "an", "a", "hour", "hr", "/h", "/hr", "gpu-hour", "gpu", "h"}:
            used += 1
        self.scan.settings.append(f"price={match.group(1)}")
        self.take(used, f"price={match.group(1)}")
        return True

    def _percent(self) -> bool:
        low = self.low()
        if (match := _PERCENT_RE.match(low)) and self.low(1) in _MFU_WORDS:
            value, used = match.group(1), 2
        elif low in _MFU_WORDS and (match := _PERCENT_RE.match(self.low(1) if self.low(1) != "of" else self.low(2))):
            value, used = match.group(1), 3 if self.low(1) == "of" else 2
        else:
            return False
        self.scan.settings.append(f"mfu={value}%")
        self.take(used, f"mfu={value}%")
        return True

    def _setting(self) -> bool:
        """``8k context``/``ctx 8k``, ``batch 8``/``batch size 8``, ``zero 3``/``zero-3``, ``rank 16``."""
        low = self.low()
        if match := re.fullmatch(r"zero-?([0-3])", low):
            return self._option_from(1, f"zero={match.group(1)}")
        keys = {**dict.fromkeys(_CTX_WORDS, "ctx"), **dict.fromkeys(_BATCH_WORDS, "batch"), "rank": "rank"}
        keys["zero"] = "zero"
        if low in keys:
            skip = 2 if self.low(1) in {"size", "length", "len", "of", "stage"} else 1
            value = self.low(skip)
            if parse_count(value) is not None:
                return self._option_from(skip + 1, f"{keys[low]}={value}")
        if parse_count(low) is not None and self.low(1) in _CTX_WORDS | _BATCH_WORDS:
            key = "ctx" if self.low(1) in _CTX_WORDS else "batch"
            used = 3 if self.low(2) in {"length", "window", "size"} else 2
            return self._option_from(used, f"{key}={low}")
        return False

    def _option_from(self, used: int, option: str) -> bool:
        self.scan.settings.append(option)
        self.take(used, option)
        return True

    def _count_at(self, offset: int, *, number_words: bool = False) -> tuple[float, int, str, bool] | None:
        """The count at ``offset`` (``7B``, ``7 billion``, ``2k-token``): value, words used, its text, and
        whether it carried ``-token``; a bare number word (``two``) only with ``number_words``."""
        low, nxt = self.low(offset), self.low(offset + 1)
        hyphened = re.fullmatch(r"(.+?)-toks?|(.+?)-tokens?", low)
        if hyphened:
            low = hyphened.group(1) or hyphened.group(2)
        value: float | None = None
        used = 1
        if (number := _number(low)) is not None and nxt in _SCALE_WORDS and not hyphened:
            value, used = number * _SCALE_WORDS[nxt], 2
        elif match := _SCALED_RE.match(low):
            value = float(match.group(1)) * _SCALE_WORDS[match.group(2)]
        elif low not in _NUMBER_WORDS and (parsed := parse_count(low)) is not None:
            value = parsed
        elif number_words and number is not None:
            value = number
        if value is None or not math.isfinite(value):
            return None
        raw = low if hyphened else self.words[self.i + offset].raw
        text = raw if used == 1 and parse_count(raw) == value else _count_text(value)
        return value, used, text, hyphened is not None

    def _count(self) -> bool:
        found = self._count_at(0)
        if found is None:
            return False
        value, used, text, hyphened = found
        tag = "tokens" if hyphened else None
        after = self.low(used)
        if after in _TOKEN_WORDS:
            tag, used = "tokens", used + 1
        elif after in {"params", "parameters", "parameter", "param"}:
            tag, used = "params", used + 1
        elif after in {"model", "llm"}:
            tag = "params"
        if used > 1:  # `300b tokens`, `7 billion`: written the grammar's way, 300B
            text = _count_text(value)
        self.scan.counts.append((value, text, tag))
        self.take(used, f"{text}{f' {tag}' if tag else ''}")
        return True

    # --- serving -------------------------------------------------------------------------------------

    def _asks_speed(self, used: int) -> bool:
        self.scan.keywords.add(_ASKS_SPEED)
        self.take(used, _ASKS_SPEED)
        return True

    def _speed(self) -> bool:
        """``how fast``, ``latency``, ``tok/s``, ``tokens per second``, ``time to first token``."""
        low = self.low()
        if low in _SPEED_WORDS:
            return self._asks_speed(1)
        if low in _TOKEN_WORDS and self.low(1) in {"per", "a", "/"} and self.low(2) in {"second", "sec", "s"}:
            return self._asks_speed(3)
        if low == "per" and self.low(1) in {"second", "sec"}:
            return self._asks_speed(2)
        if [low, self.low(1), self.low(2)] == ["time", "to", "first"] and self.low(3) in _TOKEN_WORDS:
            return self._asks_speed(4)
        return False

    def _per_tokens(self) -> bool:
        """A price per tokens: ``$ per million tokens``, ``per 1M output tokens``, ``$/1M``, ``per token``."""
        used = 1 if self.low() in {"$", "usd", "dollars"} else 0
        head = self.low(used)
        scaled = bool(_PER_UNIT_RE.match(head))
        if scaled:
            used += 1
        elif head in {"per", "a", "every"}:
            used += 1
            if self.low(used) == "1" and self.low(used + 1) in {"million", "thousand"}:
                used, scaled = used + 2, head == "per"
            elif self.low(used) in _PER_SCALES:
                used, scaled = used + 1, head == "per"
        else:
            return False
        if self.low(used) in _IN_WORDS | _OUT_WORDS | _NEW_WORDS and self.low(used + 1) in _TOKEN_WORDS:
            used += 1
        if self.low(used) in _TOKEN_WORDS:
            used += 1
        elif not scaled:
            return False
        return self._asks_speed(used)

    def _kv(self) -> bool:
        """``fp8 kv cache``, ``kv cache in fp8``, ``kv fp8``: the KV cache's precision (kv=)."""
        low = self.low()
        if parse_precision(low) is not None and self.low(1) in _KV_WORDS:
            used = 3 if self.low(2) in {"cache", "caches"} else 2
            return self._option_from(used, f"kv={low}")
        if low not in _KV_WORDS:
            return False
        used = 2 if self.low(1) in {"cache", "caches"} else 1
        if self.low(used) in {"in", "at", "as", "of", "="}:
            used += 1
        if parse_precision(self.low(used)) is None:
            return False
        return self._option_from(used + 1, f"kv={self.low(used)}")

    def _io(self) -> bool:
        """Prompt and output lengths (in=, out=): ``1000 input tokens``, ``2k in 500 out``, ``prompt of 2k
        tokens``, ``2k-token prompts``, ``500 new tokens``, ``generating 500 tokens``."""
        low = self.low()
        if low in (_IN_WORDS | _OUT_WORDS | _GENERATE_WORDS) - {"in", "out"}:  # prompt of 2k tokens
            used = 2 if self.low(1) in {"of", "length", "size", "around", "about", "~"} else 1
            found = self._count_at(used)
            if found is None:
                return False
            value, count_used, text, _ = found
            used += count_used
            used += self.low(used) in _TOKEN_WORDS
            return self._length(used, "in" if low in _IN_WORDS else "out", text, value)
        found = self._count_at(0)
        if found is None:
            return False
        value, used, text, hyphened = found
        tokens = hyphened or self.low(used) in _TOKEN_WORDS
        used += self.low(used) in _TOKEN_WORDS
        if tokens and self.low(used) == "of" and self.low(used + 1) in (_IN_WORDS | _OUT_WORDS) - {"in", "out"}:
            used += 1  # 1000 tokens of input
        word = self.low(used)
        if word in _IN_WORDS - {"in"} or (word == "in" and self._in_means_input(used)):
            key = "in"
        elif word in _OUT_WORDS or (word in _NEW_WORDS and self.low(used + 1) in _TOKEN_WORDS):
            key = "out"
        else:
            return False
        used += 1
        used += self.low(used) in _TOKEN_WORDS
        return self._length(used, key, text, value)

    def _in_means_input(self, offset: int) -> bool:
        """``2k in 500 out``: a count then ``in`` is a prompt length when the question gives an output
        length too and ``in`` does not start ``in fp8``, ``in 3 weeks`` or ``in 48gb``."""
        nxt = self.low(offset + 1)
        if parse_precision(nxt) is not None or _DURATION_RE.match(nxt) or parse_bytes(nxt) is not None:
            return False
        if self.low(offset + 2) in _DAY_UNITS or self._gpu_name(offset + 1) is not None:
            return False
        return any(w.low in {"out", "output", "outputs"} | _GENERATE_WORDS for w in self.words)

    def _length(self, used: int, key: str, text: str, value: float) -> bool:
        if not 1 <= value <= MAX_REQUEST_TOKENS:
            return False
        self.scan.keywords.add(_ASKS_LOAD)
        return self._option_from(used, f"{key}={text}")

    def _users(self) -> bool:
        """Concurrency (batch=): ``for 64 users``, ``64 concurrent requests``, ``concurrency of 64``,
        ``a single user``."""
        low = self.low()
        skip = 2 if self.low(1) == "of" else 1
        if low in {"concurrency", "concurrent"} and (found := self._count_at(skip)):
            return self._batch(found[0], skip + found[1])
        if low == "single" and self.low(1) in _LOAD_NOUNS | {"stream", "sequence"}:
            return self._batch(1, 2)
        found = self._count_at(0, number_words=True)
        if found is None:
            return False
        value, used, _, _ = found
        adjective = self.low(used) in _LOAD_ADJECTIVES - {"single"}
        used += adjective
        if self.low(used) in _LOAD_NOUNS:
            used += 1
        elif not adjective or self.low(used) in _GPU_UNIT_WORDS or self._gpu_name(used) is not None:
            return False
        return self._batch(value, used)

    def _batch(self, value: float, used: int) -> bool:
        if value != int(value) or not 1 <= value <= MAX_BATCH:
            return False
        self.scan.keywords.add(_ASKS_LOAD)
        return self._option_from(used, f"batch={int(value)}")

    def _size(self) -> bool:
        size = parse_bytes(self.low())
        if size is None:
            return False
        self.scan.sizes.append(self.words[self.i].raw)
        used = 2 if self.low(1) in {"vram", "gpu", "card", "memory", "of"} else 1
        self.take(used, f"gpu_mem={self.words[self.i].raw}")
        return True

    def _keyword(self) -> bool:
        low, nxt = self.low(), self.low(1)
        if low == "fine" and nxt in {"tune", "tuning", "tuned"}:
            self.words[self.i + 1] = _Word("fine-tune", "fine-tune")
            self.i += 1
            return self._keyword()
        if low in SHARE_WORDS:
            self.scan.share = True
        elif (dtype := parse_precision(low)) is not None:
            self.scan.dtype = low
            self.take(1, dtype.value)
            return True
        elif low in {"lora", "qlora"}:
            self._mode(low)
        elif low in _INFERENCE_WORDS and self.command != "traincost":
            self._mode("inference")
        elif low in _TRAIN_MODE_WORDS | {"full"} or (low in _TRAIN_WORDS and self.command == "fits"):
            self._mode("train")
        else:
            recognised = low in _FIT_WORDS | _INFERENCE_WORDS | _TRAIN_MODE_WORDS | _TRAIN_WORDS | _COST_WORDS
            recognised = recognised or low in _LOAD_WORDS
            if not recognised and low not in _GPUS_WORDS | _MODELS_WORDS | _HELP_WORDS:
                return False
        self.scan.keywords.add(low)
        self.i += 1
        return True

    def _mode(self, mode: str) -> None:
        if mode not in self.scan.modes:
            self.scan.modes.append(mode)

    def _other(self) -> None:
        word = self.words[self.i]
        if word.low in _FILLER:
            self.scan.ignored.append(word.raw)
        elif (
            self.strict
            or any(c.isdigit() for c in word.low)
            or "/" in word.low
            or (
                self.command is not None
                and (self.catalog.suggest_gpu(word.low) or self.catalog.suggest_model(word.low))
            )
        ):
            self.scan.passed.append(word.raw)
        else:
            self.scan.ignored.append(word.raw)
        self.i += 1


def _scan(words: list[_Word], command: str | None, catalog: Catalog, *, strict: bool = True) -> _Scan:
    return _Reader(words, command, catalog, strict=strict).run()


def _family(catalog: Catalog, prefix: str) -> list[ModelArch]:
    if len(prefix) < 3 or not prefix[0].isalpha() or catalog.gpu(prefix) is not None:
        return []
    pattern = re.compile(rf"^{re.escape(prefix)}(?:[-.]?\d|-)")
    return [m for m in catalog.models.values() if any(pattern.match(n) for n in (m.key, *m.aliases))]


def _same_size(model: ModelArch, size: float, word: str) -> bool:
    segments = {s for n in (model.key, *model.aliases) for s in n.split("-")}
    return word in segments or abs(model.param_count() / size - 1) < 0.1


_SERVING_ONLY_KEYS = OPTION_KEYS["servecost"] - OPTION_KEYS["fits"] - OPTION_KEYS["traincost"]


def _command_of(scan: _Scan) -> CommandName | None:
    """The command a question's shape asks for, or None.

    Speed, latency or a price per token → servecost; then fit/VRAM/memory → fits; then users,
    concurrency, prompt/output lengths, or serving with a cost word → servecost (training words
    keep all of these traincost); then two counts or train/cost/how much/how long → traincost;
    run/serve/fine-tune/load → fits; gpus/hardware/price → gpus.
    """
    keys = scan.keywords
    has_subject = scan.model is not None or bool(scan.counts) or any("/" in p for p in scan.passed)
    tokens = sum(1 for _, _, tag in scan.counts if tag == "tokens")
    two_counts = len(scan.counts) >= 2 or (scan.model is not None and scan.counts) or tokens > 0
    training = bool(keys & _TRAIN_WORDS or "duration" in keys)
    if _ASKS_SPEED in keys and not training:
        return "servecost"
    if keys & _FIT_WORDS:
        return "fits"
    typed_serving = any(o.partition("=")[0].lower() in _SERVING_ONLY_KEYS for o in scan.options)
    if (keys & (_LOAD_WORDS | {_ASKS_LOAD}) or typed_serving) and not training:
        return "servecost"
    priced = keys & (_COST_WORDS | {"price", "prices", "pricing"})
    if keys & _INFERENCE_WORDS and priced and not training and not keys & _TRAIN_MODE_WORDS:
        return "servecost"
    if keys & (_INFERENCE_WORDS | {"lora", "qlora"}) and not two_counts:
        return "fits"
    if two_counts or "duration" in keys or keys & _TRAIN_WORDS:
        return "traincost"
    if keys & _COST_WORDS:
        return "traincost" if has_subject else "gpus"
    if keys & _TRAIN_MODE_WORDS:
        return "fits"
    if has_subject:
        return "fits"
    if keys & _MODELS_WORDS:
        return "models"
    if keys & _GPUS_WORDS or scan.gpu is not None:
        return "gpus"
    return None


_VOCABULARY = (
    _FILLER | _FIT_WORDS | _INFERENCE_WORDS | _TRAIN_MODE_WORDS | _TRAIN_WORDS | _COST_WORDS | _GPUS_WORDS
) | (_MODELS_WORDS | _HELP_WORDS | SHARE_WORDS | _SPEED_WORDS | _LOAD_WORDS)


def _typo_of_a_command(first: str) -> None:
    """``trainkost 70B``: a first word that is a misspelt command name is answered as one."""
    word = first.lstrip("/")
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.75)
    if close and word not in _VOCABULARY:
        raise PhrasingError(f"unknown command `{word}`", close[0])


def _unreadable(words: list[_Word]) -> NoReturn:
    _typo_of_a_command(words[0].low)
    examples = (
        "`how much to train a 13B on 1T tokens with 256 H100s`, `will llama 3.1 70b fit on 2 a100s` or "
        "`how fast is llama 70b on 2 h100s`"
    )
    if len(words) == 1:
        raise PhrasingError(f"unknown command `{words[0].raw}`; ask e.g. {examples}")
    raise PhrasingError(f"I couldn't tell what to estimate; ask e.g. {examples}")


def _reading(command: CommandName, scan: _Scan) -> Reading:
    """Write what was scanned back as the grammar's words for ``command``."""
    words: list[str] = []
    ignored = list(scan.ignored)
    params = [c for c in scan.counts if c[2] == "params"]
    tokens = [c for c in scan.counts if c[2] == "tokens"]
    loose = [c for c in scan.counts if c[2] is None]
    if scan.model is not None:
        words.append(scan.model)
    elif params:
        words.append(params.pop(0)[1])
    elif loose:
        words.append(loose.pop(0)[1])
    if not tokens and loose and command == "traincost":
        tokens.append(loose.pop(0))
    if command == "traincost":
        words.extend(text for _, text, _ in tokens)
    else:
        ignored.extend(f"{text} tokens" for _, text, _ in tokens)
    words.extend(text for _, text, _ in params + loose)  # the grammar says what is one number too many
    if scan.gpu is not None:
        words.append(scan.gpu)
    if scan.dtype is not None:
        words.append(scan.dtype)
    if command == "fits":  # servecost serves: a mode word says nothing more
        modes = [m for m in scan.modes if not (m == "train" and {"lora", "qlora"} & set(scan.modes))]
        words.extend(modes)
        words.extend(f"gpu_mem={size}" for size in scan.sizes)
    else:
        ignored.extend(scan.sizes)
    words.extend(scan.passed)
    words.extend(_options(command, scan, ignored))
    if scan.share:
        words.append("share")
    return Reading(command, " ".join(words), tuple(scan.read), tuple(ignored))


def _options(command: CommandName, scan: _Scan, ignored: list[str]) -> list[str]:
    """Typed ``key=value`` options as typed; options read from phrases only where ``command`` takes them."""
    takes = OPTION_KEYS.get(command, frozenset())
    keep = list(scan.options)
    for setting in scan.settings:
        (keep if setting.partition("=")[0] in takes else ignored).append(setting)
    if scan.num_gpus is not None and not any(o.lower().startswith("gpus=") for o in keep):
        keep.append(f"gpus={scan.num_gpus}")
    if scan.days is not None:
        (keep if "days" in takes else ignored).append(f"days={scan.days:g}")
    return keep
