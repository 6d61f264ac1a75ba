"""The estimate form (bot.render.forms): valid Slack views, and submissions read back as the typed command."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.render.forms import (
    FORM_CALLBACK_ID,
    FORM_COMMANDS,
    FormError,
    FormSubmission,
    FormTarget,
    cost_form_fields,
    estimate_form,
    field_for_error,
    read_form,
)
from config.catalogs import cached_catalog
from estimator.commands import UsageError, execute
from estimator.defaults import Defaults
from tests.slack_standin import view_submission_body

CATALOG = cached_catalog(None)
TARGET = FormTarget("C0GENERAL", "https://hooks.slack.com/commands/T0/1/abc")


def form(command: str, **initial: str) -> dict[str, Any]:
    assert command in FORM_COMMANDS
    return estimate_form(command, CATALOG, Defaults(), target=TARGET, initial=initial or None)


def submitted(command: str, values: dict[str, str]) -> dict[str, Any]:
    view: dict[str, Any] = view_submission_body(form(command), values)["view"]
    return view


def assert_valid_view(view: dict[str, Any]) -> None:
    """slack_sdk's view model accepts it (title ≤ 24 chars, block limits) and writes it back unchanged."""
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view


@pytest.mark.parametrize("command", FORM_COMMANDS)
def test_each_form_is_a_valid_modal_that_remembers_where_to_answer(command: str) -> None:
    view = form(command)
    assert_valid_view(view)
    assert view["type"] == "modal"
    assert view["callback_id"] == FORM_CALLBACK_ID
    assert json.loads(view["private_metadata"]) == {"c": command, "ch": TARGET.channel_id, "r": TARGET.response_url}
    inputs = {block["block_id"]: block for block in view["blocks"]}
    gpu = inputs["gpu"]["element"]
    assert [option["value"] for option in gpu["options"]] == list(CATALOG.accelerators)  # every catalog GPU
    assert gpu["initial_option"]["value"] == "h100-sxm"  # the default GPU
    assert inputs["model"]["optional"] is False
    expected = {
        "traincost": {"model", "tokens", "gpu", "gpus", "dtype"},
        "fits": {"model", "gpu", "gpus", "mode"},
        "servecost": {"model", "gpu", "gpus", "dtype", "in", "out"},
    }[command]
    assert set(inputs) == expected


def test_initial_values_fill_the_form() -> None:
    view = form("traincost", model="llama-3.1-70b", gpu="a100-80gb-sxm", gpus="16")
    assert_valid_view(view)
    inputs = {block["block_id"]: block["element"] for block in view["blocks"]}
    assert inputs["model"]["initial_value"] == "llama-3.1-70b"
    assert inputs["gpus"]["initial_value"] == "16"
    assert inputs["gpu"]["initial_option"]["value"] == "a100-80gb-sxm"
    assert "initial_value" not in inputs["tokens"]  # what the fits answer did not know is asked for


@pytest.mark.parametrize(
    ("command", "values", "text"),
    [
        ("traincost", {"model": "405B", "tokens": "15T", "gpu": "a100-80gb-sxm"}, "405B 15T a100-80gb-sxm"),
        (
            "traincost",
            {"model": "llama 3.1 70b", "tokens": "2 T", "gpu": "h100-sxm", "gpus": "1024", "dtype": "fp8"},
            "llama-3.1-70b 2T h100-sxm gpus=1024 dtype=fp8",
        ),
        ("fits", {"model": "70 B", "gpu": "a100-80gb-sxm", "mode": "lora"}, "70B a100-80gb-sxm lora"),
        ("fits", {"model": "20B", "gpu": "h100-sxm", "mode": "all"}, "20B h100-sxm"),
        (
            "servecost",
            {"model": "llama-3.3-70b", "gpu": "h100-sxm", "gpus": "2", "dtype": "fp8", "in": "2000", "out": "500"},
            "llama-3.3-70b h100-sxm gpus=2 dtype=fp8 in=2000 out=500",
        ),
    ],
)
def test_a_submission_reads_back_as_the_command_typed(command: str, values: dict[str, str], text: str) -> None:
    submission = read_form(submitted(command, values))
    assert submission == FormSubmission(TARGET, command, text)  # type: ignore[arg-type]
    execute(submission.command, submission.text, catalog=CATALOG, defaults=Defaults())  # and it is answerable


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"model": "  ", "gpu": "h100-sxm"}, {"model": "Give a model (llama-3.1-70b) or a parameter count (70B)."}),
        ({"model": "7B", "gpu": "h100-sxm", "gpus": "eight"}, {"gpus": "A whole number of GPUs, like 8."}),
        ({"model": "7B", "gpu": "h100-sxm", "gpus": "0"}, {"gpus": "A whole number of GPUs, like 8."}),
        ({"model": "7B", "gpu": "h100-sxm", "tokens": "lots"}, {"tokens": "A number of tokens, like 2T or 500B."}),
    ],
)
def test_bad_fields_are_errors_on_those_fields(values: dict[str, str], errors: dict[str, str]) -> None:
    with pytest.raises(FormError) as raised:
        read_form(submitted("traincost", values))
    assert raised.value.errors == errors


def test_a_form_napkin_did_not_write_is_refused_on_its_first_field() -> None:
    view = submitted("fits", {"model": "20B", "gpu": "h100-sxm"})
    for metadata in ("", "not json", json.dumps({"c": "rm"}), json.dumps(["fits"])):
        with pytest.raises(FormError) as raised:
            read_form({**view, "private_metadata": metadata})
        assert list(raised.value.errors) == ["model"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"model": "llama 9000", "gpu": "h100-sxm"}, "model"),  # didn't recognise `llama-9000`
        ({"model": "7B", "tokens": "1e30", "gpu": "h100-sxm"}, "tokens"),  # tokens must be between … (got `1e30`)
        ({"model": "7B", "tokens": "1T", "gpu": "m2-max"}, "gpu"),  # no published dense peak: memory only
    ],
)
def test_a_usage_error_lands_on_the_field_it_is_about(values: dict[str, str], field: str) -> None:
    view = submitted("traincost", values)
    submission = read_form(view)
    with pytest.raises(UsageError) as raised:
        execute(submission.command, submission.text, catalog=CATALOG, defaults=Defaults())
    assert field_for_error(raised.value.message, view) == field


def test_cost_form_fields_split_the_cost_buttons_command() -> None:
    assert cost_form_fields("llama-3.1-70b h100-sxm gpus=16") == {
        "model": "llama-3.1-70b",
        "gpu": "h100-sxm",
        "gpus": "16",
    }
    assert cost_form_fields("meta-llama/Llama-3.1-8B a100") == {"model": "meta-llama/Llama-3.1-8B", "gpu": "a100"}
    assert cost_form_fields("") == {}
