"""A validated catalog of accelerators and model presets, with the lookups users need."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from estimator.architecture import ModelArch
from estimator.hardware import Accelerator

if TYPE_CHECKING:
    from estimator.serving import ServingFleet
    from estimator.training import TrainingFleet

_SEPARATORS = re.compile(r"[\s_]+")


def normalize_name(text: str) -> str:
    """Lower-case a user's spelling of a name and unify separators (``H100_SXM`` → ``h100-sxm``)."""
    return _SEPARATORS.sub("-", text.strip().lower())


def _index(entries: Iterable[Accelerator | ModelArch], kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for entry in entries:
        for name in (entry.key, *entry.aliases):
            norm = normalize_name(name)
            owner = index.get(norm)
            if owner is not None and owner != entry.key:
                raise ValueError(f"{kind} name {name!r} is used by both {owner!r} and {entry.key!r}")
            index[norm] = entry.key
    return index


@dataclass(frozen=True)
class Catalog:
    """Accelerators and model presets by key, with alias lookup and spelling suggestions."""

    accelerators: Mapping[str, Accelerator]
    models: Mapping[str, ModelArch]
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # build the name indexes now: a name two entries share is an error when the catalog loads
        _ = self._gpu_index, self._model_index

    @cached_property
    def _gpu_index(self) -> dict[str, str]:
        return _index(self.accelerators.values(), "GPU")

    @cached_property
    def _model_index(self) -> dict[str, str]:
        return _index(self.models.values(), "model")

    @cached_property
    def fleet(self) -> tuple[Accelerator, ...]:
        """Every accelerator, in catalog order."""
        return tuple(self.accelerators.values())

    @cached_property
    def training_fleet(self) -> TrainingFleet:
        """Every accelerator, with the job-independent figures ``traincost`` compares a run across."""
        from estimator.training import TrainingFleet  # the training formulas load with the first traincost

        return TrainingFleet(self.fleet)

    @cached_property
    def serving_fleet(self) -> ServingFleet:
        """Every accelerator, with the model-independent figures ``servecost`` compares an answer across."""
        from estimator.serving import ServingFleet  # the serving formulas load with the first servecost

        return ServingFleet(self.fleet)

    def gpu(self, name: str) -> Accelerator | None:
        """The accelerator a user means by ``name`` (key or alias, any case), or None."""
        key = self._gpu_index.get(normalize_name(name))
        return None if key is None else self.accelerators[key]

    def model(self, name: str) -> ModelArch | None:
        """The model preset a user means by ``name`` (key or alias, any case), or None."""
        key = self._model_index.get(normalize_name(name))
        return None if key is None else self.models[key]

    def suggest_gpu(self, name: str) -> str | None:
        """The closest accelerator name to a misspelling, or None."""
        return _closest(normalize_name(name), self._gpu_index)

    def suggest_model(self, name: str) -> str | None:
        """The closest model name to a misspelling, or None."""
        return _closest(normalize_name(name), self._model_index)


def _closest(word: str, index: Mapping[str, str]) -> str | None:
    matches = difflib.get_close_matches(word, list(index), n=1, cutoff=0.6)
    return matches[0] if matches else None
