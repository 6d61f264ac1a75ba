"""Filters for the catalog listings: ``gpus 80gb``, ``gpus amd``, ``gpus under $2``, ``models moe``, ``page=2``.

Every word narrows the listing (all must hold); a word that matches nothing is a one-line error
with the closest catalog name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from estimator.architecture import ModelArch
from estimator.catalog import Catalog, normalize_name
from estimator.errors import EstimateError
from estimator.hardware import Accelerator
from estimator.vocabulary import SHARE_WORDS

_FILLER = frozenset({"gpu", "gpus", "model", "models", "with", "the", "a", "all", "show", "list", "me", "per", "hour"})
_MEMORY = re.compile(r"^(>=|>|at-?least-?)?(\d+(?:\.\d+)?)\s*gb(\+)?$")
_PRICE = re.compile(r"^\$?(\d+(?:\.\d+)?)(?:/h|/hr|/hour)?$")
_PAGE = re.compile(r"^page[=:]?(\d+)$")
_UNDER_WORDS = frozenset({"under", "below", "<", "<=", "max", "cheaper", "than", "less"})
_FIRST_NUMBER = re.compile(r"\d+(?:\.\d+)?")


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
        else:
            kept.append(words[index])
        index += 1
    return ListingQuery(tuple(kept), max(page, 1))


def filter_gpus(catalog: Catalog, query: ListingQuery) -> tuple[Accelerator, ...]:
    """The accelerators matching every word of ``query``; EstimateError for a word that matches nothing."""
    tests: list[Callable[[Accelerator], bool]] = []
    words = [w.lower() for w in query.words]
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word in _FILLER:
            continue
        if word in _UNDER_WORDS or word.startswith(("<", "under$")):
            bound = word.lstrip("<=").removeprefix("under")
            if not bound:
                while index < len(words) and words[index] in _UNDER_WORDS:
                    index += 1
                bound = words[index] if index < len(words) else ""
                index += 1
            price = _PRICE.match(bound)
            if price is None:
                raise EstimateError(f"`{word} {bound}`: give a price in USD per GPU-hour, like `under $2`")
            tests.append(functools.partial(_price_at_most, limit=float(price.group(1))))
            continue
        memory = _MEMORY.match(word)
        if memory:
            size, at_least = float(memory.group(2)), bool(memory.group(1) or memory.group(3))
            tests.append(functools.partial(_memory_matches, size_gb=size, at_least=at_least))
            continue
        vendors = {a.vendor.lower() for a in catalog.accelerators.values()}
        if word in vendors:
            tests.append(functools.partial(_vendor_is, vendor=word))
            continue
        needle = normalize_name(word)
        if not any(needle in _gpu_names(a) for a in catalog.accelerators.values()):
            hint = catalog.suggest_gpu(word)
            close = f"; did you mean `{hint}`?" if hint else ""
            raise EstimateError(f"no GPU matches `{word}`{close}")
        tests.append(functools.partial(_gpu_named, needle=needle))
    return tuple(a for a in catalog.accelerators.values() if all(test(a) for test in tests))


def filter_models(catalog: Catalog, query: ListingQuery) -> tuple[ModelArch, ...]:
    """The presets matching every word (``moe``, ``dense``, or part of a name); EstimateError when one matches none."""
    tests: list[Callable[[ModelArch], bool]] = []
    for word in (w.lower() for w in query.words):
        if word in _FILLER:
            continue
        if word in {"moe", "mixture-of-experts", "experts"}:
            tests.append(lambda m: m.official_active_params is not None)
            continue
        if word == "dense":
            tests.append(lambda m: m.official_active_params is None)
            continue
        needle = normalize_name(word)
        if not any(needle in _model_names(m) for m in catalog.models.values()):
            hint = catalog.suggest_model(word)
            close = f"; did you mean `{hint}`?" if hint else ""
            raise EstimateError(f"no model preset matches `{word}`{close}")
        tests.append(functools.partial(_model_named, needle=needle))
    return tuple(m for m in catalog.models.values() if all(test(m) for test in tests))


def _memory_matches(accelerator: Accelerator, *, size_gb: float, at_least: bool) -> bool:
    """``80gb`` is the 80 GB class (the vendor's label); ``80gb+`` or ``>=80gb`` at least that much."""
    label = _FIRST_NUMBER.search(accelerator.memory_label)
    labelled = float(label.group()) if label else accelerator.memory_bytes / 1e9
    return labelled >= size_gb if at_least else abs(labelled - size_gb) < 0.5


def _price_at_most(accelerator: Accelerator, *, limit: float) -> bool:
    return accelerator.price is not None and accelerator.price.usd_per_hour <= limit


def _vendor_is(accelerator: Accelerator, *, vendor: str) -> bool:
    return accelerator.vendor.lower() == vendor


def _gpu_named(accelerator: Accelerator, *, needle: str) -> bool:
    return needle in _gpu_names(accelerator)


def _model_named(model: ModelArch, *, needle: str) -> bool:
    return needle in _model_names(model)


def _gpu_names(accelerator: Accelerator) -> str:
    return " ".join(normalize_name(n) for n in (accelerator.key, accelerator.name, *accelerator.aliases))


def _model_names(model: ModelArch) -> str:
    return " ".join(normalize_name(n) for n in (model.key, model.name, *model.aliases))
