"""Look a model up on the Hugging Face Hub with ``huggingface_hub``: its info, config.json and
safetensors headers (ranged reads; no weights are downloaded, nothing is written to disk).

A look-up runs in a worker thread under a wall-clock bound; answers are kept in memory for a TTL,
per repository and revision. Every failure is a :class:`HubError` whose message is one line.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
from huggingface_hub import HfApi, get_session, hf_hub_url, hf_raise_for_status
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    SafetensorsParsingError,
)
from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]  # public, lazily exported

from bot.hub.checkpoint import Checkpoint, CheckpointError, Tensor, summarize
from bot.hub.configs import ConfigError, arch_from_config, model_type
from estimator.architecture import ModelArch

Reason = Literal[
    "not_found", "gated", "revision_not_found", "hub_error", "timeout", "unreachable", "malformed", "not_safetensors"
]
SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
_SHARD_WORKERS = 8
_CACHE_ENTRIES = 256
_MAX_JSON_BYTES = 20_000_000


class HubError(Exception):
    """A look-up that failed; ``message`` is the one line the user sees."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class HubRef:
    """``org/name`` and an optional revision (branch, tag or commit)."""

    repo_id: str
    revision: str | None = None

    def __str__(self) -> str:
        return self.repo_id if self.revision is None else f"{self.repo_id}@{self.revision}"

    @property
    def cache_key(self) -> tuple[str, str]:
        """Repo ids are case-insensitive on the Hub; revisions are not."""
        return self.repo_id.lower(), self.revision or "main"


@dataclass(frozen=True)
class HubModel:
    """What the Hub said about one model at one commit."""

    ref: HubRef
    commit: str | None
    checkpoint: Checkpoint
    arch: ModelArch | None
    model_type: str | None
    architectures: tuple[str, ...]
    read: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


class HubClient:
    """Reads models from the Hub (``endpoint`` None: the library's HF_ENDPOINT or huggingface.co)."""

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        token: str | None = None,
        timeout: float = 20.0,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._token = token
        self.timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._cache: OrderedDict[tuple[str, str], tuple[float, HubModel]] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Future[HubModel]] = {}

    @property
    def has_token(self) -> bool:
        """Whether a token is configured (its value is never shown)."""
        return self._token is not None

    def cached(self, ref: HubRef) -> HubModel | None:
        """The cached answer for ``ref`` while its TTL lasts."""
        entry = self._cache.get(ref.cache_key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._cache[ref.cache_key]
            return None
        return entry[1]

    async def lookup(self, ref: HubRef) -> tuple[HubModel, bool]:
        """The model and whether it came from the cache; raises HubError (timeout included)."""
        hit = self.cached(ref)
        if hit is not None:
            return hit, True
        key = ref.cache_key
        future = self._inflight.get(key)
        if future is None:  # concurrent look-ups of one model share one fetch
            future = asyncio.ensure_future(asyncio.to_thread(self.fetch, ref))
            self._inflight[key] = future
            future.add_done_callback(lambda done: self._settle(key, done))
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout), False
        except TimeoutError:
            raise HubError(
                f"the Hub did not answer about `{ref}` within {self.timeout:g} s (timed out; "
                "NAPKIN_HUB_TIMEOUT_SECONDS sets the bound)",
                "timeout",
            ) from None

    def _settle(self, key: tuple[str, str], done: asyncio.Future[HubModel]) -> None:
        self._inflight.pop(key, None)
        if done.cancelled() or done.exception() is not None:  # exception() also marks it retrieved
            return
        self._cache[key] = (self._clock() + self._ttl, done.result())
        self._cache.move_to_end(key)
        while len(self._cache) > _CACHE_ENTRIES:
            self._cache.popitem(last=False)

    # --- the blocking part, run in a worker thread -------------------------------------------------

    def fetch(self, ref: HubRef) -> HubModel:
        """Read ``ref`` from the Hub now (blocking); raises HubError."""
        try:
            return self._fetch(ref)
        except HubError:
            raise
        except GatedRepoError:
            raise self._gated(ref) from None
        except RevisionNotFoundError:
            raise HubError(
                f"`{ref.repo_id}` has no revision `{ref.revision}` on the Hub", "revision_not_found"
            ) from None
        except RepositoryNotFoundError:
            hint = "" if self.has_token else " (a private model needs HF_TOKEN)"
            raise HubError(f"no model `{ref.repo_id}` on the Hub{hint}", "not_found") from None
        except RemoteEntryNotFoundError as err:
            raise HubError(f"`{ref}` lacks a file napkin reads: {_first_line(err)}", "malformed") from None
        except SafetensorsParsingError as err:
            raise HubError(f"`{ref}` has an unreadable safetensors header: {_first_line(err)}", "malformed") from None
        except HfHubHTTPError as err:
            status = err.response.status_code if err.response is not None else "error"
            raise HubError(f"the Hub answered HTTP {status} about `{ref}`; try again later", "hub_error") from None
        except httpx2.TimeoutException:
            raise HubError(f"the Hub did not answer about `{ref}` in time (timed out)", "timeout") from None
        except (httpx2.TransportError, OSError) as err:
            raise HubError(
                f"could not reach the Hub ({type(err).__name__}); check HF_ENDPOINT", "unreachable"
            ) from None

    def _gated(self, ref: HubRef) -> HubError:
        if self.has_token:
            text = f"`{ref.repo_id}` is gated and HF_TOKEN's account has no access: accept its terms on the Hub"
        else:
            text = (
                f"`{ref.repo_id}` is gated: set HF_TOKEN to a token of a Hugging Face account that accepted "
                "its terms (huggingface.co/settings/tokens)"
            )
        return HubError(text, "gated")

    def _fetch(self, ref: HubRef) -> HubModel:
        api = HfApi(endpoint=self._endpoint, token=self._token)
        info = api.model_info(ref.repo_id, revision=ref.revision, timeout=self.timeout)
        commit = info.sha
        files = {sibling.rfilename for sibling in info.siblings or []}
        revision = commit or ref.revision
        read = ["model info"]
        if info.gated and not self.has_token:
            raise self._gated(ref)
        if SINGLE_FILE in files:
            shards: list[str] = [SINGLE_FILE]
        elif INDEX_FILE in files:
            index = self._json(ref.repo_id, INDEX_FILE, revision, api)
            read.append(INDEX_FILE)
            weight_map = index.get("weight_map")
            if not isinstance(weight_map, Mapping) or not weight_map:
                raise HubError(f"`{ref}`: {INDEX_FILE} has no weight_map", "malformed")
            shards = sorted({str(name) for name in weight_map.values()})
        else:
            raise HubError(
                f"`{ref}` has no safetensors weights ({SINGLE_FILE} or {INDEX_FILE}); napkin reads only those",
                "not_safetensors",
            )
        config: Mapping[str, Any] = {}
        if "config.json" in files:
            config = self._json(ref.repo_id, "config.json", revision, api)
            read.append("config.json")
        tensors = self._headers(api, ref.repo_id, revision, shards)
        read.append(f"safetensors headers ({len(shards)} file{'s' if len(shards) != 1 else ''})")
        quant = config.get("quantization_config")
        text_config = config.get("text_config")
        if quant is None and isinstance(text_config, Mapping):
            quant = text_config.get("quantization_config")
        try:
            checkpoint = summarize(tensors, quant if isinstance(quant, Mapping) else None)
        except CheckpointError as err:
            raise HubError(f"`{ref}`: {err}", "malformed") from None
        return self._model(ref, commit, checkpoint, config, tuple(read))

    def _model(
        self, ref: HubRef, commit: str | None, checkpoint: Checkpoint, config: Mapping[str, Any], read: tuple[str, ...]
    ) -> HubModel:
        kind = model_type(config)
        names = config.get("architectures")
        architectures = tuple(str(n) for n in names) if isinstance(names, list) else ()
        short = (commit or ref.revision or "main")[:12]
        source = f"{ref.repo_id}@{short} config.json; {checkpoint.params:,} parameters (safetensors headers)"
        notes: list[str] = []
        try:
            arch = arch_from_config(config, repo_id=ref.repo_id, params=checkpoint.params, source=source)
        except ConfigError as err:
            raise HubError(f"`{ref}`: {err}", "malformed") from None
        if arch is None:
            what = f"model_type `{kind}`" if kind else "no config.json" if not config else "no model_type"
            notes.append(
                f"napkin does not know this architecture ({what}): shape assumed from the checkpoint's parameter count"
            )
        else:
            derived = arch.param_count()
            if abs(derived - checkpoint.params) > 0.01 * checkpoint.params:
                notes.append(
                    f"the architecture accounts for {derived:,} of the checkpoint's {checkpoint.params:,} parameters "
                    "(other tensors, e.g. a vision tower or a multi-token-prediction layer, are not modelled)"
                )
        return HubModel(ref, commit, checkpoint, arch, kind, architectures, read, tuple(notes))

    def _json(self, repo_id: str, filename: str, revision: str | None, api: HfApi) -> Mapping[str, Any]:
        """A small JSON file of the repo, read into memory through the library's session."""
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=api.endpoint)
        response = get_session().get(
            url, headers=build_hf_headers(token=self._token), timeout=self.timeout, follow_redirects=True
        )
        hf_raise_for_status(response)
        if len(response.content) > _MAX_JSON_BYTES:
            raise HubError(f"`{repo_id}`: {filename} is implausibly large", "malformed")
        try:
            value = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise HubError(f"`{repo_id}`: {filename} is not valid JSON", "malformed") from None
        if not isinstance(value, Mapping):
            raise HubError(f"`{repo_id}`: {filename} is not a JSON object", "malformed")
        return value

    def _headers(self, api: HfApi, repo_id: str, revision: str | None, shards: list[str]) -> dict[str, Tensor]:
        """Every tensor's dtype and shape, from each shard's safetensors header (ranged requests)."""

        def parse(filename: str) -> dict[str, Tensor]:
            meta = api.parse_safetensors_file_metadata(
                repo_id, filename, revision=revision, token=self._token, timeout=self.timeout
            )
            return {name: Tensor(info.dtype, tuple(info.shape)) for name, info in meta.tensors.items()}

        tensors: dict[str, Tensor] = {}
        with ThreadPoolExecutor(max_workers=min(_SHARD_WORKERS, len(shards))) as pool:
            for part in pool.map(parse, shards):
                tensors.update(part)
        return tensors


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
