"""HTTP benchmark: ``napkin serve`` against a bare Bolt AsyncApp on the same stack, measured in one run.

Three servers run as real subprocesses on 127.0.0.1:

* ``napkin``: the ``napkin serve`` console script with production defaults (INFO request logs
  included), answering each ``/traincost`` with a real estimate rendered as Block Kit; measured
  twice: ``napkin`` with training-cost texts, and ``napkin-help`` with ``/traincost help``, an
  answer that costs next to nothing, so the row shows what napkin adds to Bolt by itself
  (request parsing and checks, logging, middleware, rendering a small reply);
* ``baseline``: :mod:`bench.baseline_app`, a bare Bolt AsyncApp (Bolt's defaults) that acks an
  echo, served through the same aiohttp route style; the reference for every ratio;
* ``baseline-inline``: the same bare app with ``process_before_response=True``, as napkin is
  built, so what napkin gains from that setting is not mistaken for napkin's own cost.

Their Web API (one ``auth.test`` each) is :class:`bot.console.fake_slack.LoopbackSlack` in this process. One
load generator in this process drives all three: signed ``/traincost`` commands over keep-alive
connections, a warm-up first, then per concurrency level a fixed number of requests per round,
the servers taking turns in an order that rotates each round. Figures are medians over rounds.
Every answer is checked (status 200 and the expected JSON); a failed request is counted, never
timed. Server CPU per request comes from ``/proc/<pid>/stat``; the load generator's own CPU share
is reported to show it was not the bottleneck.

Also measured: spawn → ``GET /readyz`` 200 and resident memory (``VmRSS``, peak ``VmHWM``).
napkin's CPU per request splits into Bolt + aiohttp (``baseline-inline``), napkin's own work
around the answer (``napkin-help`` minus that) and the estimate with its rendering (``napkin``
minus ``napkin-help``).

Run: ``make bench`` (everything) or ``.venv/bin/python -m bench.http_bench [--quick] [--profile]``.
``--profile`` runs napkin and the baseline under cProfile at the top concurrency and prints where
their time goes (figures from that mode are not comparable: cProfile slows Python down).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.console.fake_slack import LoopbackSlack
from bot.routes import EVENTS_PATH

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-0000-1111-benchtoken"

LEVELS = (1, 16, 64)
REQUESTS = {1: 300, 16: 2000, 64: 2000}
QUICK_REQUESTS = {1: 60, 16: 300, 64: 400}
ROUNDS = 3
WARMUP_REQUESTS = 300
STARTS = 3  # spawn → ready measured this many times per server
READY_TIMEOUT_SECONDS = 30.0

# Realistic /traincost texts, taken in turn so napkin computes varied estimates (no answer is
# cached anywhere: each request runs the estimator and the Block Kit renderer).
TEXTS = (
    "405B 15T a100",
    "llama-3.1-70b 2T h100 gpus=1024",
    "70B 2T h100",
    "8B 1T h100 mfu=0.45",
    "mixtral-8x7b 1T a100 gpus=256",
    "13B 300B 4090",
)


@dataclass
class LevelResult:
    """One server at one concurrency in one round."""

    server: str
    concurrency: int
    requests: int
    failures: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_ms_per_request: float
    server_cpu_share: float  # server CPU seconds per wall second (1.0 = one core saturated)
    client_cpu_share: float  # the load generator's, likewise


@dataclass
class ServerProcess:
    """A server subprocess on a loopback port, its log in a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int = 0
    process: asyncio.subprocess.Process | None = None
    ready_ms: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{EVENTS_PATH}"

    async def start(self, session: aiohttp.ClientSession) -> float:
        """Spawn and wait for ``/readyz`` 200; the milliseconds that took."""
        self.port = free_port()
        env = {**self.env, "PORT": str(self.port)}
        log = self.log_path.open("ab")
        started = time.perf_counter()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, env=env, cwd=tempfile.gettempdir(), stdout=log, stderr=log
            )
        finally:
            log.close()
        ready_url = f"http://127.0.0.1:{self.port}/readyz"
        deadline = started + READY_TIMEOUT_SECONDS
        while time.perf_counter() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                async with session.get(ready_url) as response:
                    if response.status == 200:
                        elapsed = (time.perf_counter() - started) * 1000
                        self.ready_ms.append(elapsed)
                        return elapsed
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.005)
        raise RuntimeError(f"{self.name} not ready within {READY_TIMEOUT_SECONDS:.0f} s; see {self.log_path}")

    def memory_kib(self) -> dict[str, int]:
        """``VmRSS`` and ``VmHWM`` (peak) of the server process, in KiB."""
        assert self.process is not None
        values: dict[str, int] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in {"VmRSS", "VmHWM"}:
                values[key] = int(rest.split()[0])
        return values

    async def stop(self) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
        try:
            code = await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        self.exit_codes.append(code)
        return code


def machine_info() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    import platform
    from importlib.metadata import version

    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "slack_bolt": version("slack_bolt"),
        "slack_sdk": version("slack_sdk"),
        "aiohttp": version("aiohttp"),
    }


def free_port() -> int:
    """A port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slash_body(text: str, n: int) -> str:
    """A ``/traincost`` POST body with every field Slack sends."""
    return urllib.parse.urlencode(
        {
            "token": "benchlegacytoken",
            "team_id": "T0BENCH",
            "team_domain": "bench",
            "channel_id": "C0BENCH",
            "channel_name": "bench",
            "user_id": f"U0BENCH{n % 50:03d}",
            "user_name": "bench",
            "command": "/traincost",
            "text": text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": "https://hooks.invalid/commands/T0BENCH/1/x",
            "trigger_id": f"1.2.{n}",
        }
    )


def signed_requests(count: int, texts: Sequence[str] = TEXTS) -> list[tuple[bytes, dict[str, str], str]]:
    """``count`` (body, headers, text) triples, signed now (valid for Slack's 5-minute window)."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    timestamp = str(int(time.time()))
    out = []
    for n in range(count):
        text = texts[n % len(texts)]
        body = slash_body(text, n)
        signature = verifier.generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }
        out.append((body.encode(), headers, text))
    return out


def answer_ok(target: str, text: str, raw: bytes) -> bool:
    """The answer each target must get: an echo from the baselines, an estimate or the help from napkin."""
    try:
        answer = json.loads(raw)
    except ValueError:
        return False
    if target.startswith("baseline"):
        return bool(answer.get("text") == f"echo: {text}")
    blocks = answer.get("blocks")
    if answer.get("response_type") != "ephemeral" or not isinstance(blocks, list) or not blocks:
        return False
    summary = str(answer.get("text") or "")
    return "GPU-hours" in summary if target == "napkin" else "traincost" in json.dumps(blocks)


@dataclass(frozen=True)
class Target:
    """What one row of the table measures: a server process and the texts sent to it."""

    name: str
    server: ServerProcess
    texts: tuple[str, ...] = TEXTS


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: one connection per worker.

    The default load generator. It costs a few tens of µs per request, so on a small machine the
    server, not the client, is what saturates (an ``aiohttp.ClientSession`` costs several times
    more; ``--aiohttp-client`` measures with one for comparison).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def request_bytes(self, body: bytes, headers: dict[str, str]) -> bytes:
        head = f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        return head.encode() + body

    async def post(self, raw: bytes) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._streams
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            body = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(session: aiohttp.ClientSession | None, target: Target, concurrency: int, count: int) -> LevelResult:
    """Send ``count`` signed commands with ``concurrency`` in flight; time each answer.

    ``session`` None: the raw keep-alive client; else that aiohttp session.
    """
    server = target.server
    assert server.process is not None
    requests = signed_requests(count, target.texts)
    latencies: list[float] = []
    failures = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, failures
        raw_client = RawClient(server.port) if session is None else None
        try:
            while next_index < len(requests):
                body, headers, text = requests[next_index]
                next_index += 1
                raw = raw_client.request_bytes(body, headers) if raw_client is not None else b""
                started = time.perf_counter()
                try:
                    if raw_client is not None:
                        status, answer = await raw_client.post(raw)
                    else:
                        assert session is not None
                        async with session.post(server.url, data=body, headers=headers) as response:
                            status, answer = response.status, await response.read()
                    ok = status == 200 and answer_ok(target.name, text, answer)
                except (OSError, asyncio.IncompleteReadError, ValueError, aiohttp.ClientError):
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    failures += 1
        finally:
            if raw_client is not None:
                raw_client.close()

    server_cpu = cpu_seconds(server.process.pid)
    client_cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    server_cpu = cpu_seconds(server.process.pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    ordered = sorted(latencies) or [float("nan")]
    return LevelResult(
        server=target.name,
        concurrency=concurrency,
        requests=count,
        failures=failures,
        seconds=seconds,
        throughput_rps=len(latencies) / seconds,
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[max(0, int(len(ordered) * 0.99) - 1)],
        max_ms=ordered[-1],
        server_cpu_ms_per_request=server_cpu * 1000 / count,
        server_cpu_share=server_cpu / seconds,
        client_cpu_share=client_cpu / seconds,
    )


def server_processes(api_url: str, log_dir: Path, *, profile_dir: Path | None) -> list[ServerProcess]:
    """napkin (the ``napkin serve`` console script) and the baselines, in the same environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NAPKIN_", "BASELINE_")) and k != "PORT"}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
            "NAPKIN_HOST": "127.0.0.1",
            "NAPKIN_MODE": "http",
        }
    )
    napkin_script = Path(sys.executable).with_name("napkin")
    napkin_argv = (
        [str(napkin_script), "serve"] if napkin_script.exists() else [sys.executable, "-m", "bot.cli", "serve"]
    )
    baseline_argv = [sys.executable, "-m", "bench.baseline_app"]
    if profile_dir is not None:
        profiled = [sys.executable, "-m", "cProfile", "-o"]
        napkin_argv = [*profiled, str(profile_dir / "napkin.prof"), "-m", "bot.server.serve"]
        baseline_argv = [*profiled, str(profile_dir / "baseline.prof"), "-m", "bench.baseline_app"]
        return [
            ServerProcess("napkin", napkin_argv, env, log_dir / "napkin.log"),
            ServerProcess("baseline", baseline_argv, env, log_dir / "baseline.log"),
        ]
    return [
        ServerProcess("napkin", napkin_argv, env, log_dir / "napkin.log"),
        ServerProcess("baseline", baseline_argv, env, log_dir / "baseline.log"),
        ServerProcess("baseline-inline", baseline_argv, {**env, "BASELINE_INLINE": "1"}, log_dir / "inline.log"),
    ]


async def measure(*, quick: bool = False, profile: bool = False, aiohttp_client: bool = False) -> dict[str, Any]:
    """Run the whole HTTP benchmark; the results as a JSON-able dict."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_dir = Path(tempfile.mkdtemp(prefix="napkin-bench-"))
    counts = QUICK_REQUESTS if quick else REQUESTS
    levels = (64,) if profile else LEVELS
    rounds = 1 if (quick or profile) else ROUNDS
    starts = 1 if (quick or profile) else STARTS
    slack = LoopbackSlack()
    api_url = await slack.start()
    servers = server_processes(api_url, log_dir, profile_dir=RESULTS_DIR if profile else None)
    results: list[LevelResult] = []
    memory: dict[str, dict[str, int]] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        try:
            for server in servers:  # start-to-ready, each server spawned `starts` times; the last one stays
                for attempt in range(starts):
                    await server.start(session)
                    if attempt < starts - 1:
                        await server.stop()
                memory[f"{server.name}_idle"] = server.memory_kib()
            load_session = session if aiohttp_client else None
            targets = [Target(server.name, server) for server in servers]
            if not profile:
                targets.insert(1, Target("napkin-help", servers[0], ("help",)))
            for target in targets:
                await drive(load_session, target, 16, WARMUP_REQUESTS)
            for round_number in range(rounds):
                for concurrency in levels:
                    shift = round_number % len(targets)
                    for target in targets[shift:] + targets[:shift]:
                        results.append(await drive(load_session, target, concurrency, counts[concurrency]))
            for server in servers:
                memory[f"{server.name}_loaded"] = server.memory_kib()
        finally:
            for server in servers:
                if server.process is not None:
                    await server.stop()
    await slack.close()
    names = [target.name for target in targets]
    report = summarise(results, servers, names, memory, rounds=rounds, counts=counts, levels=levels)
    report["load_generator"] = "aiohttp.ClientSession" if aiohttp_client else "raw asyncio HTTP/1.1 keep-alive"
    report["logs"] = str(log_dir)
    report["log_problems"] = log_problems(servers)
    return report


def log_problems(servers: Sequence[ServerProcess]) -> dict[str, int]:
    """Lines in each server's log that speak of a traceback, a warning or an error."""
    problems = {}
    for server in servers:
        text = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
        problems[server.name] = sum(
            1 for line in text.splitlines() if any(word in line for word in ("Traceback", " ERROR ", " WARNING "))
        )
    return problems


_ATTRS = (
    "throughput_rps",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "server_cpu_ms_per_request",
    "server_cpu_share",
    "client_cpu_share",
)


def summarise(
    results: list[LevelResult],
    servers: Sequence[ServerProcess],
    names: Sequence[str],
    memory: dict[str, dict[str, int]],
    *,
    rounds: int,
    counts: dict[int, int],
    levels: Sequence[int],
) -> dict[str, Any]:
    """Medians over rounds per target and level, and napkin's ratios to each baseline."""
    baselines = [name for name in names if name.startswith("baseline")]
    napkins = [name for name in names if name.startswith("napkin")]
    table = []
    for concurrency in levels:
        row: dict[str, Any] = {"concurrency": concurrency, "requests_per_round": counts[concurrency]}
        for name in names:
            rows = [r for r in results if r.server == name and r.concurrency == concurrency]
            row[name] = {attr: float(statistics.median(getattr(r, attr) for r in rows)) for attr in _ATTRS}
            row[name]["failures"] = sum(r.failures for r in rows)
        for napkin in napkins:
            for base in baselines:
                row[f"{napkin}_vs_{base}"] = {
                    "throughput": row[napkin]["throughput_rps"] / row[base]["throughput_rps"],
                    "p50": row[napkin]["p50_ms"] / row[base]["p50_ms"],
                    "p99": row[napkin]["p99_ms"] / row[base]["p99_ms"],
                    "cpu_per_request": row[napkin]["server_cpu_ms_per_request"]
                    / row[base]["server_cpu_ms_per_request"],
                }
        table.append(row)
    ready = {s.name: float(statistics.median(s.ready_ms)) for s in servers}
    return {
        "machine": machine_info(),
        "rounds": rounds,
        "targets": list(names),
        "levels": table,
        "ready_ms": ready,
        "ready_ratio": ready["napkin"] / ready["baseline"],
        "memory_kib": memory,
        "rss_ratio": memory["napkin_loaded"]["VmRSS"] / memory["baseline_loaded"]["VmRSS"],
        "exit_codes": {s.name: s.exit_codes for s in servers},
        "raw": [asdict(r) for r in results],
    }


def cpu_breakdown(report: dict[str, Any]) -> dict[str, float] | None:
    """napkin's server CPU per request at the top concurrency: Bolt + aiohttp, napkin's glue, the estimate (ms)."""
    top = report["levels"][-1]
    if "baseline-inline" not in top or "napkin-help" not in top:
        return None
    napkin = top["napkin"]["server_cpu_ms_per_request"]
    help_ = top["napkin-help"]["server_cpu_ms_per_request"]
    bolt = top["baseline-inline"]["server_cpu_ms_per_request"]
    return {"napkin": napkin, "bolt_aiohttp": bolt, "glue": help_ - bolt, "estimate": napkin - help_}


def print_report(report: dict[str, Any]) -> None:
    """The table and the ratios, as ``make bench`` prints them."""
    machine = report["machine"]
    print(
        f"HTTP on {machine['cpus']} CPU(s) ({machine['cpu_model']}), Python {machine['python']}, "
        f"slack_bolt {machine['slack_bolt']}, aiohttp {machine['aiohttp']}"
    )
    print(
        f"signed /traincost, {report['load_generator']} client, medians of {report['rounds']} round(s); "
        "× = napkin row / baseline (bare Bolt, its defaults), [ ] = / baseline-inline"
    )
    print(
        f"{'conc':>4} {'target':15} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu ms':>6}"
        f" {'srv%':>5} {'cli%':>5} {'fail':>4}  {'×req/s':>13} {'×p50':>5} {'×p99':>5} {'×cpu':>12}"
    )
    for row in report["levels"]:
        for name in report["targets"]:
            cell = row[name]
            ratios = ""
            if name.startswith("napkin"):
                vs, inline = row[f"{name}_vs_baseline"], row.get(f"{name}_vs_baseline-inline")
                extra_rps = f" [{inline['throughput']:4.2f}]" if inline else ""
                extra_cpu = f" [{inline['cpu_per_request']:4.2f}]" if inline else ""
                ratios = (
                    f"  {vs['throughput']:6.2f}{extra_rps:>7} {vs['p50']:5.2f} {vs['p99']:5.2f}"
                    f" {vs['cpu_per_request']:5.2f}{extra_cpu:>7}"
                )
            print(
                f"{row['concurrency']:4d} {name:15} {cell['throughput_rps']:7.0f} {cell['p50_ms']:7.1f} "
                f"{cell['p99_ms']:7.1f} {cell['max_ms']:7.1f} {cell['server_cpu_ms_per_request']:6.2f}"
                f" {cell['server_cpu_share']:5.0%} {cell['client_cpu_share']:5.0%} {cell['failures']:4d}{ratios}"
            )
    ready = report["ready_ms"]
    print(
        "start → ready: "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in ready.items())
        + f" (× {report['ready_ratio']:.2f})"
    )
    memory = report["memory_kib"]
    print(
        f"RSS after load: napkin {memory['napkin_loaded']['VmRSS'] / 1024:.1f} MiB, "
        f"baseline {memory['baseline_loaded']['VmRSS'] / 1024:.1f} MiB (× {report['rss_ratio']:.2f}); "
        f"napkin idle {memory['napkin_idle']['VmRSS'] / 1024:.1f} MiB, "
        f"peak {memory['napkin_loaded']['VmHWM'] / 1024:.1f} MiB"
    )
    breakdown = cpu_breakdown(report)
    if breakdown is not None:
        print(
            f"napkin CPU per request at {report['levels'][-1]['concurrency']} concurrent:"
            f" {breakdown['napkin']:.2f} ms ="
            f" Bolt + aiohttp {breakdown['bolt_aiohttp']:.2f} (baseline-inline)"
            f" + napkin's own work {breakdown['glue']:.2f} (napkin-help minus that)"
            f" + estimate and Block Kit {breakdown['estimate']:.2f} (napkin minus napkin-help)"
        )
    print(f"exit codes after SIGTERM: {report['exit_codes']}; log lines with problems: {report['log_problems']}")


def print_profile(path: Path, limit: int = 20) -> None:
    """Where a profiled server spent its time: own time by package, then the top functions."""
    import pstats
    from collections import Counter

    stats = pstats.Stats(str(path))
    by_package: Counter[str] = Counter()
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename, function)] += own
    total = sum(by_package.values())
    print(f"--- {path.name}: own time by package ({total:.2f} s in all, idle included) ---")
    for package, seconds in by_package.most_common(15):
        print(f"  {package:28} {seconds:6.2f} s {seconds / total:6.1%}")
    print(f"--- {path.name}: top {limit} functions by own time ---")
    stats.sort_stats("tottime").print_stats(limit)


def _package(filename: str, function: str) -> str:
    if "poll" in function and filename == "~":
        return "(idle: waiting in epoll)"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if str(REPO_ROOT) in filename:
        return filename.split(str(REPO_ROOT) + "/", 1)[1].split("/", 1)[0] + " (napkin)"
    if filename == "~":
        return "(C builtins)"
    if "importlib" in filename or "frozen" in filename:
        return "(imports)"
    return "stdlib " + filename.rsplit("/", 1)[-1]


def run(*, quick: bool = False, profile: bool = False, aiohttp_client: bool = False) -> dict[str, Any]:
    """Measure, print, and write ``bench/results/http.json``; returns the report."""
    report = asyncio.run(measure(quick=quick, profile=profile, aiohttp_client=aiohttp_client))
    print_report(report)
    name = "http-profile.json" if profile else "http.json"
    (RESULTS_DIR / name).write_text(json.dumps(report, indent=2))
    if profile:
        for prof in ("napkin.prof", "baseline.prof"):
            print_profile(RESULTS_DIR / prof)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.http_bench [--quick] [--profile] [--aiohttp-client]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.http_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, one round (a smoke run)")
    parser.add_argument("--profile", action="store_true", help="run the servers under cProfile and print the top")
    parser.add_argument("--aiohttp-client", action="store_true", help="drive the load with an aiohttp ClientSession")
    args = parser.parse_args(argv)
    run(quick=args.quick, profile=args.profile, aiohttp_client=args.aiohttp_client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
