"""Hub model ids in a command: resolved before the (pure) estimator runs.

:func:`prepare` turns ``fits Qwen/Qwen3-32B h100`` into what :func:`estimator.commands.execute` can
answer: the text with the Hub id replaced by a catalog key (or, for an architecture napkin does not
know, by the checkpoint's parameter count), the catalog with the Hub's architecture added, and a
``source`` record saying where the numbers came from. A preset wins: an id that names a preset's
repository resolves to the preset without any network call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.hub.client import HubClient, HubError, HubModel, HubRef
from estimator.architecture import ModelArch
from estimator.catalog import Catalog
from estimator.grammar import HUB_ID_RE, GrammarError, hub_model_words, parse_command

_REPO_IN_SOURCE = re.compile(r"^([\w.-]+/[\w.-]+)\b")


@dataclass(frozen=True)
class Prepared:
    """A command ready for ``execute``: its text, its catalog, and where a Hub model came from."""

    text: str
    catalog: Catalog
    source: dict[str, Any] | None = None


def hub_ref(command: str, text: str) -> HubRef | None:
    """The Hub model a ``fits``/``traincost`` command names, if any; HubError for two of them."""
    words = hub_model_words(command, text)
    if not words:
        return None
    if len({w.lower() for w in words}) > 1:
        raise HubError("name one Hub model per command", "malformed")
    match = HUB_ID_RE.match(words[0])
    assert match is not None  # noqa: S101 - hub_model_words matched it
    return HubRef(match.group("repo"), match.group("revision"))


def preset_for(ref: HubRef, catalog: Catalog) -> ModelArch | None:
    """The preset that is this repository's model: its source names the repo, or the repo's org is
    the preset's and its name is a preset name (``meta-llama/Llama-3.1-70B-Instruct``). A pinned
    revision other than ``main`` always goes to the Hub."""
    if ref.revision not in {None, "main"}:
        return None
    org, _, name = ref.repo_id.lower().partition("/")
    by_name = catalog.model(name)
    for preset in catalog.models.values():
        match = _REPO_IN_SOURCE.match(preset.source)
        if match is None:
            continue
        repo = match.group(1).lower()
        if repo == ref.repo_id.lower() or (by_name is preset and repo.partition("/")[0] == org):
            return preset
    return None


def _replace(text: str, word: str, replacement: str) -> str:
    """``text`` with the whole word ``word`` (alone or as ``model=``'s value) replaced."""
    pattern = re.compile(rf"(?<![^\s=,;]){re.escape(word)}(?![^\s,;])")
    return pattern.sub(replacement, text)


def _with_model(catalog: Catalog, arch: ModelArch) -> tuple[Catalog, ModelArch]:
    key = arch.key
    while key in catalog.models or catalog.model(key) is not None:
        key = f"hub-{key}"
    if key != arch.key:
        arch = arch.model_copy(update={"key": key})
    models = {**catalog.models, key: arch}
    return Catalog(catalog.accelerators, models, catalog.sources), arch


def _dtype_given(command: str, text: str, catalog: Catalog) -> bool:
    try:
        return parse_command(command, text, catalog).dtype is not None
    except GrammarError:
        return True  # execute will report the problem; add nothing


async def prepare(command: str, text: str, catalog: Catalog, client: HubClient | None) -> Prepared:
    """Resolve the command's Hub model, if it names one; raises HubError (one line) on failure."""
    ref = hub_ref(command, text)
    if ref is None:
        return Prepared(text, catalog)
    word = hub_model_words(command, text)[0]
    preset = preset_for(ref, catalog)
    if preset is not None:
        source: dict[str, Any] = {
            "repo_id": ref.repo_id,
            "revision": ref.revision,
            "commit": None,
            "preset": preset.key,
            "read": [],
            "cached": False,
            "notes": [f"`{ref.repo_id}` is the preset `{preset.key}` (same model): answered from it, no Hub look-up"],
        }
        return Prepared(_replace(text, word, preset.key), catalog, source)
    if client is None:
        raise HubError(f"`{ref}` is a Hugging Face Hub model, and Hub look-ups are off here", "unreachable")
    model, cached = await client.lookup(ref)
    source = source_record(model, cached=cached)
    notes: list[str] = source["notes"]
    if model.arch is None:
        return Prepared(_replace(text, word, str(model.checkpoint.params)), catalog, source)
    ckpt = model.checkpoint
    arch_in = model.arch
    if ckpt.quantization is not None and ckpt.precision is not None:
        # the weights line then uses the checkpoint's real bytes, not an assumed bytes/param
        arch_in = arch_in.model_copy(
            update={"stored_weight_bytes": ckpt.stored_bytes, "stored_precision": ckpt.precision}
        )
    extended, arch = _with_model(catalog, arch_in)
    new_text = _replace(text, word, arch.key)
    precision = model.checkpoint.precision
    quantized = model.checkpoint.quantization is not None and precision is not None
    stored_precision_applies = command in {"fits", "servecost"} and quantized and precision is not None
    if stored_precision_applies and precision is not None and not _dtype_given(command, new_text, extended):
        new_text = f"{new_text} dtype={precision.value}"
        notes.append(f"inference shown at the checkpoint's stored precision ({precision.value})")
    return Prepared(new_text, extended, source)


def source_record(model: HubModel, *, cached: bool) -> dict[str, Any]:
    """The ``source`` field of a JSON answer: repo, revision, commit and what was read."""
    ckpt = model.checkpoint
    arch = model.arch
    if arch is not None:
        architecture = f"{', '.join(model.architectures) or model.model_type} from config.json"
    else:
        architecture = "unknown: assumed from the parameter count"
    return {
        "repo_id": model.ref.repo_id,
        "revision": model.ref.revision,
        "commit": model.commit,
        "preset": None,
        "read": list(model.read),
        "cached": cached,
        "model_type": model.model_type,
        "architecture": architecture,
        "checkpoint_params": ckpt.params,
        "stored_bytes": ckpt.stored_bytes,
        "bytes_per_param": round(ckpt.bytes_per_param, 4),
        "stored_dtypes": dict(sorted(ckpt.dtypes.items())),
        "quantization": ckpt.quantization,
        "notes": list(model.notes),
    }


def source_line(source: dict[str, Any]) -> str:
    """One line naming where a Hub answer came from."""
    repo = source["repo_id"] + (f"@{source['revision']}" if source.get("revision") else "")
    if source.get("preset"):
        return " ".join(source["notes"])
    commit = f" (commit {source['commit'][:12]})" if source.get("commit") else ""
    gb = source["stored_bytes"] / 1e9
    stored = source["quantization"] or "/".join(source["stored_dtypes"])
    line = (
        f"From the Hub: `{repo}`{commit}, read {', '.join(source['read'])}"
        f"{' (cached)' if source.get('cached') else ''}: {source['checkpoint_params']:,} parameters, "
        f"{gb:,.2f} GB stored as {stored} ({source['bytes_per_param']:.3g} bytes/param); "
        f"architecture {source['architecture']}."
    )
    if source["notes"]:
        line += " " + "; ".join(source["notes"]) + "."
    return line
