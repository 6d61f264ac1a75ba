"""The error the estimator raises for a request it cannot answer."""

from __future__ import annotations


class EstimateError(ValueError):
    """An impossible request (fp8 on a GPU without fp8, zero=4, gpus=0…); the message is one
    user-facing line that says what is wrong and, where it helps, what would work."""
