"""A local stand-in for the Hugging Face Hub on loopback, for the real ``huggingface_hub`` client.

It serves what the client asks for (read from huggingface_hub 2.x: ``HfApi.model_info`` →
``GET /api/models/{repo}[/revision/{rev}]``; files → ``HEAD``/``GET /{repo}/resolve/{rev}/{file}``
with ``Range`` for safetensors headers), with the Hub's error conventions (``X-Error-Code``:
RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound). Safetensors files are virtual: a header
followed by zero bytes, so a 70B checkpoint costs only its header. Faults are set per repo.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.hub.checkpoint import DTYPE_BYTES

TensorSpec = tuple[str, tuple[int, ...]]  # dtype, shape


def safetensors_header(tensors: Mapping[str, TensorSpec], metadata: Mapping[str, str] | None = None) -> bytes:
    """The 8-byte length and JSON header of a safetensors file holding ``tensors`` (offsets contiguous)."""
    header: dict[str, Any] = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for size in shape:
            count *= size
        length = int(count * DTYPE_BYTES[dtype])
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + length]}
        offset += length
    body = json.dumps(header).encode()
    body += b" " * (-len(body) % 8)
    return struct.pack("<Q", len(body)) + body


def data_size(tensors: Mapping[str, TensorSpec]) -> int:
    """Bytes of tensor data after the header."""
    total = 0.0
    for dtype, shape in tensors.values():
        count = 1
        for size in shape:
            count *= size
        total += count * DTYPE_BYTES[dtype]
    return int(total)


@dataclass
class VirtualFile:
    """A file's leading bytes, then zeros up to ``size``."""

    head: bytes
    size: int

    @classmethod
    def of(cls, content: bytes) -> VirtualFile:
        """A file that is exactly ``content``."""
        return cls(content, len(content))

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``start``..``end`` inclusive."""
        end = min(end, self.size - 1)
        if start > end:
            return b""
        head = self.head[start : end + 1]
        return head + b"\0" * (end + 1 - start - len(head))


@dataclass
class FakeRepo:
    """One model repository at one commit."""

    repo_id: str
    files: dict[str, VirtualFile]
    sha: str = ""
    gated: bool = False
    revisions: tuple[str, ...] = ("main",)
    status: int | None = None  # answer every request with this status (500: the Hub is down)
    delay: float = 0.0  # seconds before answering any request

    def __post_init__(self) -> None:
        if not self.sha:
            self.sha = hashlib.sha1(self.repo_id.encode()).hexdigest()  # noqa: S324 - a fake commit id


def add_checkpoint(
    files: dict[str, VirtualFile], shards: list[dict[str, TensorSpec]], config: Mapping[str, Any] | None
) -> None:
    """``config.json`` and the safetensors files (one, or several with an index) into ``files``."""
    if config is not None:
        files["config.json"] = VirtualFile.of(json.dumps(config).encode())
    if len(shards) == 1:
        head = safetensors_header(shards[0])
        files["model.safetensors"] = VirtualFile(head, len(head) + data_size(shards[0]))
        return
    weight_map: dict[str, str] = {}
    total = 0
    for number, shard in enumerate(shards, start=1):
        name = f"model-{number:05d}-of-{len(shards):05d}.safetensors"
        head = safetensors_header(shard)
        files[name] = VirtualFile(head, len(head) + data_size(shard))
        total += data_size(shard)
        weight_map.update(dict.fromkeys(shard, name))
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    files["model.safetensors.index.json"] = VirtualFile.of(json.dumps(index).encode())


@dataclass
class FakeHub:
    """The server's state: repos, accepted tokens, and every request seen (method, path)."""

    repos: dict[str, FakeRepo] = field(default_factory=dict)
    tokens: frozenset[str] = frozenset()
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def add(self, repo: FakeRepo) -> FakeRepo:
        """Serve ``repo``."""
        self.repos[repo.repo_id.lower()] = repo
        return repo

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_get("/api/models/{org}/{name}", self._info)
        app.router.add_get("/api/models/{org}/{name}/revision/{revision}", self._info)
        app.router.add_route("*", "/{org}/{name}/resolve/{revision}/{filename:.+}", self._resolve)
        return app

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[len("Bearer ") :] in self.tokens

    async def _repo(self, request: web.Request) -> FakeRepo:
        self.requests.append((request.method, request.path))
        repo = self.repos.get(f"{request.match_info['org']}/{request.match_info['name']}".lower())
        if repo is None:
            raise web.HTTPUnauthorized(  # the Hub answers 401 for a repo it does not show you
                headers={"X-Error-Code": "RepoNotFound"}, text='{"error":"Repository not found"}'
            )
        if repo.delay:
            await asyncio.sleep(repo.delay)
        if repo.status is not None:
            raise _FAULTS[repo.status](text='{"error":"something went wrong"}')
        revision = request.match_info.get("revision", "main")
        if revision not in repo.revisions and revision != repo.sha:
            raise web.HTTPNotFound(headers={"X-Error-Code": "RevisionNotFound"}, text='{"error":"Invalid rev id"}')
        return repo

    async def _info(self, request: web.Request) -> web.Response:
        repo = await self._repo(request)
        body = {
            "_id": repo.sha[:24],
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "sha": repo.sha,
            "private": False,
            "gated": "manual" if repo.gated else False,
            "disabled": False,
            "tags": [],
            "siblings": [{"rfilename": name} for name in sorted(repo.files)],
        }
        return web.json_response(body)

    async def _resolve(self, request: web.Request) -> web.StreamResponse:
        repo = await self._repo(request)
        if repo.gated and not self._authorized(request):
            denied = web.HTTPForbidden if request.headers.get("Authorization") else web.HTTPUnauthorized
            raise denied(headers={"X-Error-Code": "GatedRepo"}, text='{"error":"Access to this model is restricted"}')
        file = repo.files.get(request.match_info["filename"])
        if file is None:
            raise web.HTTPNotFound(headers={"X-Error-Code": "EntryNotFound"}, text='{"error":"Entry not found"}')
        headers = {
            "X-Repo-Commit": repo.sha,
            "ETag": f'"{hashlib.sha1(file.head).hexdigest()}"',  # noqa: S324 - a fake etag
            "Accept-Ranges": "bytes",
        }
        start, end, status = 0, file.size - 1, 200
        if (ranged := request.headers.get("Range")) is not None:
            first, _, last = ranged.removeprefix("bytes=").partition("-")
            start, end, status = int(first), min(int(last), file.size - 1), 206
            headers["Content-Range"] = f"bytes {start}-{end}/{file.size}"
        if request.method == "HEAD":
            headers["Content-Length"] = str(file.size)
            return web.Response(status=200, headers=headers)
        return web.Response(status=status, body=file.read(start, end), headers=headers)


_FAULTS: dict[int, type[web.HTTPException]] = {
    500: web.HTTPInternalServerError,
    502: web.HTTPBadGateway,
    503: web.HTTPServiceUnavailable,
}
