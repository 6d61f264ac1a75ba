"""The command grammar shared by the CLI and Slack: text in, a typed reply out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from estimator.architecture import ModelArch
from estimator.hardware import Accelerator
from estimator.results import FitsResult, TrainCostResult

CommandName = Literal["traincost", "fits", "gpus", "models", "help"]


class UsageError(ValueError):
    """Bad input: ``message`` says what was wrong, ``usage`` how to write it."""

    def __init__(self, message: str, usage: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.suggestion = suggestion


@dataclass(frozen=True)
class GpuListing:
    """The hardware catalog, as `gpus` shows it."""

    accelerators: tuple[Accelerator, ...]
    default_gpu: str


@dataclass(frozen=True)
class ModelListing:
    """The model presets, as `models` shows them."""

    models: tuple[ModelArch, ...]


@dataclass(frozen=True)
class HelpTopic:
    """Help for one command, or for all of them."""

    command: CommandName | None
    text: str


@dataclass(frozen=True)
class Reply:
    """What one command produced, and whether the user asked to share it in the channel."""

    command: CommandName
    result: TrainCostResult | FitsResult | GpuListing | ModelListing | HelpTopic
    share: bool = False
