"""The estimate form: the modal ``/traincost`` or ``/fits`` opens when typed without arguments.

Its fields become the command's text (``70B 2T h100 gpus=8 dtype=bf16``), so a submission is
answered exactly as the typed command would be. Where to answer (the channel and the command's
``response_url``) travels in ``private_metadata``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from estimator.catalog import Catalog
from estimator.defaults import Defaults
from estimator.vocabulary import CommandName

FORM_CALLBACK_ID = "napkin_estimate_form"
_MODES = (
    ("all", "every mode"),
    ("inference", "serve"),
    ("train", "full fine-tune"),
    ("lora", "LoRA"),
    ("qlora", "QLoRA"),
)
_PRECISIONS = ("bf16", "fp16", "fp8")
_COUNT = re.compile(r"^\d{1,6}$")


@dataclass(frozen=True)
class FormTarget:
    """Where a submitted form is answered: the channel it was opened from and the command's response_url."""

    channel_id: str
    response_url: str


class FormError(ValueError):
    """Bad input, as Slack's ``response_action: errors`` wants it: block id → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def estimate_form(
    command: CommandName, catalog: Catalog, defaults: Defaults, *, channel_id: str, response_url: str
) -> dict[str, Any]:
    """The modal view for ``command`` (``traincost`` or ``fits``)."""
    default = catalog.gpu(defaults.gpu)
    options = [_option(a.key, f"{a.key} · {a.memory_label}") for a in catalog.accelerators.values()][:100]
    gpu_select: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    if default is not None:
        gpu_select["initial_option"] = _option(default.key, f"{default.key} · {default.memory_label}")
    blocks = [
        _input("model", "Model or parameter count", _text("llama-3.1-70b or 70B")),
    ]
    if command == "traincost":
        blocks.append(_input("tokens", "Training tokens", _text("2T (empty: ≈20 per parameter)"), optional=True))
    blocks.append(_input("gpu", "GPU", gpu_select))
    blocks.append(_input("gpus", "GPU count", _text("e.g. 8 (empty: sized for you)"), optional=True))
    if command == "traincost":
        choice = [_option(p, p) for p in _PRECISIONS]
        blocks.append(
            _input(
                "dtype", "Precision", {"type": "static_select", "action_id": "value", "options": choice}, optional=True
            )
        )
    else:
        choice = [_option(key, label) for key, label in _MODES]
        blocks.append(
            _input("mode", "Mode", {"type": "static_select", "action_id": "value", "options": choice}, optional=True)
        )
    title = "Training cost" if command == "traincost" else "Will it fit?"
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK_ID,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Estimate"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"c": command, "ch": channel_id, "r": response_url}),
        "blocks": blocks,
    }


def read_form(view: Mapping[str, Any]) -> tuple[FormTarget, CommandName, str]:
    """Where to answer, the command and its text from a submitted view; FormError for bad fields."""
    meta = json.loads(str(view.get("private_metadata") or "{}"))
    command: CommandName = "traincost" if meta.get("c") == "traincost" else "fits"
    values = _values(view)
    errors: dict[str, str] = {}
    model = values.get("model", "").strip()
    if not model:
        errors["model"] = "Give a model (llama-3.1-70b) or a parameter count (70B)."
    count = values.get("gpus", "").strip()
    if count and (not _COUNT.match(count) or int(count) == 0):
        errors["gpus"] = "A whole number of GPUs, like 8."
    if errors:
        raise FormError(errors)
    words = [model.replace(" ", "-") if " " in model and not model[0].isdigit() else model]
    if values.get("tokens", "").strip():
        words.append(values["tokens"].strip())
    words.append(values.get("gpu", ""))
    if count:
        words.append(f"gpus={count}")
    if values.get("dtype"):
        words.append(f"dtype={values['dtype']}")
    if values.get("mode") and values["mode"] != "all":
        words.append(values["mode"])
    return FormTarget(str(meta.get("ch") or ""), str(meta.get("r") or "")), command, " ".join(w for w in words if w)


def field_for_error(message: str, view: Mapping[str, Any]) -> str:
    """The field a usage error is about: the one whose value the message quotes (else the model)."""
    lowered = message.lower()
    for block_id, value in _values(view).items():
        if value and value.lower() in lowered and block_id in ("tokens", "gpus", "model"):
            return block_id
    if "token" in lowered and "tokens" in _values(view):
        return "tokens"
    return "model"


def _values(view: Mapping[str, Any]) -> dict[str, str]:
    state = (view.get("state") or {}).get("values") or {}
    out: dict[str, str] = {}
    for block_id, actions in state.items():
        element = (actions or {}).get("value") or {}
        selected = element.get("selected_option")
        out[str(block_id)] = str(selected["value"]) if selected else str(element.get("value") or "")
    return out


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def _text(placeholder: str) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": placeholder},
    }


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
