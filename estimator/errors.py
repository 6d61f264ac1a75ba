"""The error the estimator raises for a request it cannot answer."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError


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
