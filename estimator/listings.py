"""Filters for the catalog listings: ``gpus 80gb``, ``gpus amd``, ``gpus under $2``, ``models moe``, ``page=2``.

Every filter narrows the listing (all must hold):

* memory: ``80gb`` (the vendor's 80 GB class), ``80gb+`` / ``>=80gb`` / ``over 80gb`` (at least),
  ``under 48gb`` (at most); ``80 gb`` with a space reads the same;
* price: ``under $2``, ``<$2``, ``below 1.5/h``, ``cheaper than $2`` (USD per GPU-hour, priced only);
* vendor: ``amd``, ``nvidia``, ``google``…;
* name: ``mi300x``, ``h100``, ``rtx``, ``a100-80gb`` — whole words of a key or alias (``l4`` is not
  ``l40s``); a model name may be a family's start (``qwen`` lists qwen2.5 and qwen3);
* models: ``moe`` (mixture-of-experts) or ``dense``.

A word that matches nothing is a one-line :class:`ListingError` with the closest catalog name; polite filler
(``show me gpus with``) is skipped.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from estimator.architecture import ModelArch
from estimator.catalog import Catalog, normalize_name
from estimator.errors import EstimateError
from estimator.hardware import Accelerator
from estimator.vocabulary import SHARE_WORDS

Compare = Literal["class", "at_least", "at_most"]
Entry = TypeVar("Entry", Accelerator, ModelArch)

_FILLER = frozenset(
    {
        "gpu", "gpus", "card", "cards", "accelerator", "accelerators", "chip", "chips", "hardware", "model", "models",
        "preset", "presets", "with", "the", "a", "an", "all", "any", "show", "list", "me", "which", "what", "have",
        "has", "are", "is", "there", "of", "and", "memory", "vram", "per", "hour", "hr", "usd", "dollars", "price",
        "priced", "cost", "costs", "costing", "that", "for", "in", "on", "at",
    }
)  # fmt: skip
_MEMORY = re.compile(r"^(>=|≥|>|at-?least-?)?(\d+(?:\.\d+)?)(gb|g|gib)(\+)?$")
_PRICE = re.compile(r"^\$?(\d+(?:\.\d+)?)\$?(?:/h|/hr|/hour|/gpu-h|/gpu-hour)?$")
_PAGE = re.compile(r"^page[=:]?(\d+)$")
_UNDER_WORDS = frozenset({"under", "below", "<", "<=", "≤", "max", "cheaper", "than", "less", "at-most", "upto"})
_OVER_WORDS = frozenset({"over", "above", "least", "at-least", "min", "minimum", "more", ">", ">="})
_MOE_WORDS = frozenset({"moe", "mixture-of-experts", "experts", "sparse"})
_FIRST_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MEMORY_UNITS = frozenset({"gb", "g", "gib"})


class ListingError(EstimateError):
    """A filter word that matches nothing: the message, and the closest catalog name when there is one."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


@dataclass(frozen=True)
class ListingQuery:
    """What a listing was asked for: the filter words as typed (share words and page dropped) and the page."""

    words: tuple[str, ...]
    page: int

    @property
    def text(self) -> str:
        """The filter as one string, e.g. ``"amd under $2"``."""
        return " ".join(self.words)


def parse_query(text: str) -> ListingQuery:
    """Split ``text`` into filter words and a page number (``page=2`` or ``page 2``; 1 when absent)."""
    words = [w for w in text.replace(",", " ").split() if w.lower() not in SHARE_WORDS]
    page = 1
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index].lower()
        match = _PAGE.match(word)
        if match:
            page = int(match.group(1))
        elif word == "page" and index + 1 < len(words) and words[index + 1].isdigit():
            page = int(words[index + 1])
            index += 1
        elif word in _MEMORY_UNITS | {"gb+"} and kept and _FIRST_NUMBER.fullmatch(kept[-1].lstrip("<>=≥≤$")):
            kept[-1] += words[index]  # `80 gb` is `80gb`
        else:
            kept.append(words[index])
        index += 1
    return ListingQuery(tuple(kept), max(page, 1))


def filter_gpus(catalog: Catalog, query: ListingQuery) -> tuple[Accelerator, ...]:
    """The accelerators matching every word of ``query``; EstimateError for a word that matches nothing."""
    tests: list[Callable[[Accelerator], bool]] = []
    words = [w.lower() for w in query.words]
    vendors = {a.vendor.lower() for a in catalog.accelerators.values()}
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word in _FILLER:
            continue
        if word in _UNDER_WORDS | _OVER_WORDS or word.startswith(("<", "≤", "under$")):
            compare: Compare = "at_most" if word in _UNDER_WORDS or word.startswith(("<", "≤", "under")) else "at_least"
            bound = word.lstrip("<=≤").removeprefix("under")
            if bound in _UNDER_WORDS | _OVER_WORDS:
                bound = ""
            while not bound and index < len(words) and words[index] in _UNDER_WORDS | _OVER_WORDS:
                index += 1
            if not bound:
                bound = words[index] if index < len(words) else ""
                index += 1
            tests.append(_bound_test(word, bound, compare))
            continue
        memory = _MEMORY.match(word)
        if memory:
            at_least = bool(memory.group(1) or memory.group(4))
            size = float(memory.group(2))
            tests.append(functools.partial(_memory_matches, size_gb=size, compare="at_least" if at_least else "class"))
            continue
        if word in vendors:
            tests.append(functools.partial(_vendor_is, vendor=word))
            continue
        tests.append(_name_test(word, catalog.accelerators.values(), _gpu_names, "GPU"))
    return tuple(a for a in catalog.accelerators.values() if all(test(a) for test in tests))


def filter_models(catalog: Catalog, query: ListingQuery) -> tuple[ModelArch, ...]:
    """The presets matching every word (``moe``, ``dense``, or a name); EstimateError when one matches none."""
    tests: list[Callable[[ModelArch], bool]] = []
    for word in (w.lower() for w in query.words):
        if word in _FILLER:
            continue
        if word in _MOE_WORDS:
            tests.append(_is_moe)
        elif word == "dense":
            tests.append(_is_dense)
        else:
            tests.append(_name_test(word, catalog.models.values(), _model_names, "model preset"))
    return tuple(m for m in catalog.models.values() if all(test(m) for test in tests))


def _bound_test(word: str, bound: str, compare: Compare) -> Callable[[Accelerator], bool]:
    """``under $2`` (price) or ``under 48gb`` / ``over 80gb`` (memory)."""
    memory = _MEMORY.match(bound)
    if memory:
        return functools.partial(_memory_matches, size_gb=float(memory.group(2)), compare=compare)
    price = _PRICE.match(bound)
    if price is None or compare != "at_most":
        shown = f"{word} {bound}".strip()
        raise ListingError(f"`{shown}`: give a price in USD per GPU-hour (`under $2`) or memory (`over 80gb`)")
    return functools.partial(_price_at_most, limit=float(price.group(1)))


def _name_test(
    word: str, entries: Iterable[Entry], names: Callable[[Entry], list[list[str]]], kind: str
) -> Callable[[Entry], bool]:
    needle = normalize_name(word).split("-")
    family = kind != "GPU"  # a model family's start (`qwen`) names its presets; a GPU needs whole words
    every = [name for entry in entries for name in names(entry)]
    if not any(_names_hold(needle, [name], family) for name in every):
        # the closest word or whole name: `llamma` → `llama`, `h10` → `h100`
        candidates = sorted({token for name in every for token in name} | {"-".join(name) for name in every})
        close = difflib.get_close_matches(normalize_name(word), candidates, n=1, cutoff=0.6)
        raise ListingError(f"no {kind} matches `{word}`", close[0] if close else None)
    return lambda entry: _names_hold(needle, names(entry), family)


def _names_hold(needle: list[str], names: list[list[str]], family: bool) -> bool:
    """Whether ``needle``'s words appear, in order and together, in one of ``names``.

    Words match whole (``l4`` is not ``l40s``); with ``family`` each may be a word's start (``qwen`` →
    ``qwen3``); without it only an alphabetic last word may (``gaudi`` → ``gaudi2``).
    """
    for tokens in names:
        for start in range(len(tokens) - len(needle) + 1):
            window = tokens[start : start + len(needle)]
            if all(_word_holds(want, have, family or (i == len(needle) - 1 and want.isalpha()))
                   for i, (want, have) in enumerate(zip(needle, window, strict=True))):  # fmt: skip
                return True
    return False


def _word_holds(want: str, have: str, prefix: bool) -> bool:
    return have == want or (prefix and have.startswith(want) and not have[len(want) :].isalpha())


def _memory_matches(accelerator: Accelerator, *, size_gb: float, compare: Compare) -> bool:
    """``80gb`` is the 80 GB class (the vendor's label); ``80gb+`` at least that much; ``under 48gb`` at most."""
    label = _FIRST_NUMBER.search(accelerator.memory_label)
    labelled = float(label.group()) if label else accelerator.memory_bytes / 1e9
    if compare == "at_least":
        return labelled >= size_gb
    if compare == "at_most":
        return labelled <= size_gb
    return abs(labelled - size_gb) < 0.5


def _price_at_most(accelerator: Accelerator, *, limit: float) -> bool:
    return accelerator.price is not None and accelerator.price.usd_per_hour <= limit


def _vendor_is(accelerator: Accelerator, *, vendor: str) -> bool:
    return accelerator.vendor.lower() == vendor


def _is_moe(model: ModelArch) -> bool:
    return model.official_active_params is not None


def _is_dense(model: ModelArch) -> bool:
    return model.official_active_params is None


def _gpu_names(accelerator: Accelerator) -> list[list[str]]:
    return [normalize_name(n).split("-") for n in (accelerator.key, accelerator.name, *accelerator.aliases)]


def _model_names(model: ModelArch) -> list[list[str]]:
    return [normalize_name(n).split("-") for n in (model.key, model.name, *model.aliases)]
