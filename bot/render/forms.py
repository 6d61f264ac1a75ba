"""The estimate form: the modal a bare ``/traincost``, ``/fits`` or ``/servecost`` opens (no Slack SDK).

Its fields become the command's text (``70B 2T h100 gpus=8 dtype=bf16``), so a submission is
answered exactly as the typed command would be. Where to answer (the channel and a
``response_url``) travels in ``private_metadata``. The "Cost to train / fine-tune this" button
opens the traincost form with what the fits answer already knows filled in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from estimator.catalog import Catalog
from estimator.defaults import Defaults
from estimator.quantities import parse_count
from estimator.vocabulary import CommandName

FORM_CALLBACK_ID = "napkin_estimate_form"
FORM_COMMANDS: tuple[CommandName, ...] = ("traincost", "fits", "servecost")
# Slack's view limits (docs.slack.dev, reference/views): title 24 chars, 100 options a select,
# 3,000 chars of private_metadata, 75 chars of option text, 150 of placeholder and of an error.
MAX_TITLE_CHARS = 24
MAX_OPTIONS = 100
MAX_METADATA_CHARS = 3000
MAX_ERROR_CHARS = 150
_TITLES: dict[str, str] = {"traincost": "Training cost", "fits": "Will it fit?", "servecost": "Serving cost"}
_MODES = (
    ("all", "every mode"),
    ("inference", "serve (inference)"),
    ("train", "full fine-tune / training"),
    ("lora", "LoRA"),
    ("qlora", "QLoRA"),
)
_PRECISIONS: dict[str, tuple[str, ...]] = {
    "traincost": ("bf16", "fp16", "fp8"),
    "servecost": ("bf16", "fp8", "int8", "int4", "fp4"),
}
_COUNT = re.compile(r"^\d{1,7}$")
_NUMBER_UNIT = re.compile(r"(\d)\s+(?=[kmbt]\b)", re.IGNORECASE)


@dataclass(frozen=True)
class FormTarget:
    """Where a submitted form is answered: the channel it was opened from and a response_url there."""

    channel_id: str
    response_url: str


@dataclass(frozen=True)
class FormSubmission:
    """A submitted form read back: where to answer, the command, and its text as if typed."""

    target: FormTarget
    command: CommandName
    text: str


class FormError(ValueError):
    """Bad input, as Slack's ``response_action: errors`` wants it: block id → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def estimate_form(
    command: CommandName,
    catalog: Catalog,
    defaults: Defaults,
    *,
    target: FormTarget,
    initial: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The modal view for ``command`` (one of :data:`FORM_COMMANDS`); ``initial`` pre-fills fields by block id."""
    given = dict(initial or {})
    gpu = catalog.gpu(given.get("gpu") or defaults.gpu) or catalog.gpu(defaults.gpu)
    options = [_option(a.key, f"{a.key} · {a.memory_label}") for a in catalog.accelerators.values()][:MAX_OPTIONS]
    gpu_select: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    if gpu is not None and any(o["value"] == gpu.key for o in options):
        gpu_select["initial_option"] = _option(gpu.key, f"{gpu.key} · {gpu.memory_label}")
    blocks = [_input("model", "Model or parameter count", _text("llama-3.1-70b or 70B", given.get("model")))]
    if command == "traincost":
        hint = "2T, or 1B for a fine-tune (empty: published or ≈20 per parameter)"
        blocks.append(_input("tokens", "Training tokens", _text(hint, given.get("tokens")), optional=True))
    blocks.append(_input("gpu", "GPU", gpu_select))
    sized = f"sized for a {defaults.default_days:g}-day run" if command == "traincost" else "1"
    count_hint = f"e.g. 8 (empty: {sized})"
    blocks.append(_input("gpus", "GPU count", _text(count_hint, given.get("gpus")), optional=True))
    if command == "fits":
        modes = [_option(key, label) for key, label in _MODES]
        blocks.append(_input("mode", "Mode", _select(modes), optional=True))
    else:
        precisions = [_option(p, p) for p in _PRECISIONS[command]]
        blocks.append(_input("dtype", "Precision", _select(precisions), optional=True))
    if command == "servecost":
        blocks.append(_input("in", "Prompt tokens per request", _text("1000"), optional=True))
        blocks.append(_input("out", "Output tokens per request", _text("1000"), optional=True))
    metadata = json.dumps({"c": command, "ch": target.channel_id, "r": target.response_url}, separators=(",", ":"))
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK_ID,
        "title": _plain(_TITLES[command]),
        "submit": _plain("Estimate"),
        "close": _plain("Cancel"),
        "private_metadata": metadata if len(metadata) <= MAX_METADATA_CHARS else json.dumps({"c": command}),
        "blocks": blocks,
    }


def read_form(view: Mapping[str, Any]) -> FormSubmission:
    """Where to answer, the command and its text from a submitted view; FormError for bad fields."""
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except json.JSONDecodeError:
        meta = {}
    if not isinstance(meta, dict) or meta.get("c") not in FORM_COMMANDS:
        raise FormError({"model": "This form is out of date: close it and type the command again."})
    command: CommandName = meta["c"]
    values = {key: " ".join(value.split()) for key, value in form_values(view).items()}
    errors: dict[str, str] = {}
    if not values.get("model"):
        errors["model"] = "Give a model (llama-3.1-70b) or a parameter count (70B)."
    for block_id, example in (("tokens", "2T or 500B"), ("in", "1000"), ("out", "1000")):
        if values.get(block_id) and parse_count(_count_word(values[block_id])) is None:
            errors[block_id] = f"A number of tokens, like {example}."
    count = values.get("gpus", "")
    if count and (not _COUNT.match(count) or int(count) == 0):
        errors["gpus"] = "A whole number of GPUs, like 8."
    if errors:
        raise FormError(errors)
    words = [_model_word(values["model"])]
    if values.get("tokens"):
        words.append(_count_word(values["tokens"]))
    words.append(values.get("gpu", ""))
    if count:
        words.append(f"gpus={count}")
    if values.get("dtype"):
        words.append(f"dtype={values['dtype']}")
    if values.get("mode") and values["mode"] != "all":
        words.append(values["mode"])
    words.extend(f"{key}={_count_word(values[key])}" for key in ("in", "out") if values.get(key))
    target = FormTarget(str(meta.get("ch") or ""), str(meta.get("r") or ""))
    return FormSubmission(target, command, " ".join(w for w in words if w))


def cost_form_fields(text: str) -> dict[str, str]:
    """The traincost form's fields from a "Cost to train / fine-tune this" command: model, GPU, GPU count."""
    words = text.split()
    fields = {"model": words[0]} if words else {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if sep and key == "gpus":
            fields["gpus"] = value
        elif not sep:
            fields["gpu"] = word
    return fields


def field_for_error(message: str, view: Mapping[str, Any]) -> str:
    """The input block a usage error is about: the field whose value it quotes, else the one it names."""
    lowered = message.lower()
    values = form_values(view)
    for block_id in ("tokens", "gpus", "in", "out", "model"):
        raw = values.get(block_id, "")
        value = (_model_word(raw) if block_id == "model" else _count_word(raw)).lower()
        if value and f"`{value}`" in lowered:
            return block_id
    named = (
        ("dtype", ("fp8", "fp16", "bf16", "int8", "int4", "fp4", "dtype", "precision")),
        ("gpu", ("gpu", "peak", "memory only")),
        ("tokens", ("token",)),
    )
    for block_id, words in named:
        if block_id in values and any(word in lowered for word in words):
            return block_id
    return "model"


def form_values(view: Mapping[str, Any]) -> dict[str, str]:
    """Block id → the value typed or the option chosen, from a submitted view's state."""
    state = (view.get("state") or {}).get("values") or {}
    out: dict[str, str] = {}
    for block_id, actions in state.items():
        element = (actions or {}).get("value") or {}
        selected = element.get("selected_option")
        out[str(block_id)] = str(selected["value"]) if selected else str(element.get("value") or "")
    return out


def _count_word(raw: str) -> str:
    """``2 T`` → ``2T``: a count typed with a space before its unit, as one word."""
    return _NUMBER_UNIT.sub(r"\1", raw).replace(" ", "")


def _model_word(model: str) -> str:
    """One word for the model: ``70 B`` → ``70B``; ``llama 3.1 70b`` → ``llama-3.1-70b``."""
    joined = _NUMBER_UNIT.sub(r"\1", model)
    return joined if " " not in joined else joined.replace(" ", "-")


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:MAX_TITLE_CHARS]}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value[:150]}


def _select(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "value", "options": options}


def _text(placeholder: str, initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": placeholder[:150]},
    }
    if initial:
        element["initial_value"] = initial
    return element


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
