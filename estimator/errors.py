"""The error the estimator raises for a request it cannot answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Self, TypeVar

from pydantic import ValidationError

# What a user reads when a job's parameter counts are out of range (``{input}``: the value given).
PARAM_COUNT_MESSAGES = {
    "params": "the parameter count must be positive (got {input})",
    "active_params": "active parameters must be positive and at most the total",
}


class EstimateError(ValueError):
    """An impossible request (fp8 on a GPU without fp8, zero=4, gpus=0…); the message is one
    user-facing line that says what is wrong and, where it helps, what would work."""


def refusal(error: ValidationError, messages: Mapping[str, str]) -> EstimateError:
    """The first problem ``error`` reports, as one line: ``messages[field]`` formatted with the
    rejected ``input``, or the validator's own message."""
    first = error.errors(include_url=False)[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field in messages:
        value = first["input"]
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return EstimateError(messages[field].format(input=shown))
    cause = first.get("ctx", {}).get("error")
    return EstimateError(str(cause) if cause is not None else f"{field}: {first['msg']}")


class _Job(Protocol):
    """A job model with parameter counts (``FitJob``, ``TrainingJob``)."""

    @property
    def params(self) -> int: ...

    @property
    def active_params(self) -> int: ...

    @classmethod
    def model_validate(cls, obj: Any) -> Self: ...


_J = TypeVar("_J", bound=_Job)


def validated_job(model: type[_J], job: _J, messages: Mapping[str, str]) -> _J:
    """``job`` validated again as ``model`` (a ``model_copy(update=...)`` skips validation), with at most
    ``params`` active parameters; EstimateError says what is wrong, worded by ``messages`` per field."""
    try:
        job = model.model_validate(job)
    except ValidationError as err:
        raise refusal(err, messages) from None
    if job.active_params > job.params:
        raise EstimateError(PARAM_COUNT_MESSAGES["active_params"])
    return job
