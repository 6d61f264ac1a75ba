"""HTTP benchmark: ``napkin serve`` against a bare Bolt AsyncApp on the same stack, measured in one run.

Both servers run as real subprocesses on 127.0.0.1 (napkin: the ``napkin serve`` console script
with production defaults, INFO request logs included; baseline: :mod:`bench.baseline_app`, which
acks an echo). Their Web API (one ``auth.test`` each at startup or first request) is
:class:`bot.loopback.LoopbackSlack` inside this process. One aiohttp client in this process
drives both: signed ``/traincost`` slash commands over keep-alive connections, a warm-up first,
then for every concurrency level a fixed number of requests per round, the two servers taking
turns (order alternating per round). Each figure is the median over rounds; ratios compare
napkin with the baseline measured in the same run. Every answer is checked (status 200, the
expected JSON shape); a failed request is counted, never timed.

Also measured: spawn → ``GET /readyz`` 200, and resident memory (``VmRSS``, peak ``VmHWM``).

Run: ``make bench`` (everything) or ``.venv/bin/python -m bench.http_bench [--quick] [--profile]``.
``--profile`` runs each server under cProfile at the top concurrency and prints where the
server's time goes (figures from that mode are not comparable: cProfile slows Python down).
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

from bot.loopback import LoopbackSlack

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
EVENTS_PATH = "/slack/events"

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


def signed_requests(count: int) -> list[tuple[bytes, dict[str, str], str]]:
    """``count`` (body, headers, text) triples, signed now (valid for Slack's 5-minute window)."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    timestamp = str(int(time.time()))
    out = []
    for n in range(count):
        text = TEXTS[n % len(TEXTS)]
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


def answer_ok(server: str, text: str, raw: bytes) -> bool:
    """The answer each server must give: napkin an ephemeral Block Kit estimate, the baseline the echo."""
    try:
        answer = json.loads(raw)
    except ValueError:
        return False
    if server == "baseline":
        return bool(answer.get("text") == f"echo: {text}")
    blocks = answer.get("blocks")
    return (
        answer.get("response_type") == "ephemeral"
        and isinstance(blocks, list)
        and len(blocks) > 1
        and bool(answer.get("text"))
        and "Usage" not in str(answer.get("text"))
    )


async def drive(
    session: aiohttp.ClientSession, server: ServerProcess, concurrency: int, count: int
) -> LevelResult:
    """Send ``count`` signed commands with ``concurrency`` in flight; time each answer."""
    requests = signed_requests(count)
    latencies: list[float] = []
    failures = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, failures
        while next_index < len(requests):
            body, headers, text = requests[next_index]
            next_index += 1
            started = time.perf_counter()
            try:
                async with session.post(server.url, data=body, headers=headers) as response:
                    raw = await response.read()
                    ok = response.status == 200 and answer_ok(server.name, text, raw)
            except aiohttp.ClientError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    return LevelResult(
        server=server.name,
        concurrency=concurrency,
        requests=count,
        failures=failures,
        seconds=seconds,
        throughput_rps=len(latencies) / seconds,
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[max(0, int(len(ordered) * 0.99) - 1)],
        max_ms=ordered[-1],
    )


def server_processes(api_url: str, log_dir: Path, *, profile_dir: Path | None) -> list[ServerProcess]:
    """napkin (the ``napkin serve`` console script) and the baseline, same environment otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NAPKIN_")) and k != "PORT"}
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
    napkin_argv = [str(napkin_script), "serve"] if napkin_script.exists() else [sys.executable, "-m", "bot.serve"]
    baseline_argv = [sys.executable, "-m", "bench.baseline_app"]
    if profile_dir is not None:
        napkin_argv = [sys.executable, "-m", "cProfile", "-o", str(profile_dir / "napkin.prof"), "-m", "bot.serve"]
        baseline_argv = [
            sys.executable, "-m", "cProfile", "-o", str(profile_dir / "baseline.prof"), "-m", "bench.baseline_app",
        ]  # fmt: skip
    return [
        ServerProcess("napkin", napkin_argv, env, log_dir / "napkin.log"),
        ServerProcess("baseline", baseline_argv, env, log_dir / "baseline.log"),
    ]


async def measure(*, quick: bool = False, profile: bool = False) -> dict[str, Any]:
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
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        try:
            for server in servers:  # start-to-ready, each server spawned `starts` times; the last one stays
                for attempt in range(starts):
                    await server.start(session)
                    if attempt < starts - 1:
                        await server.stop()
                memory[f"{server.name}_idle"] = server.memory_kib()
            for server in servers:
                await drive(session, server, 16, WARMUP_REQUESTS)
            for round_number in range(rounds):
                for concurrency in levels:
                    order = servers if round_number % 2 == 0 else servers[::-1]
                    for server in order:
                        results.append(await drive(session, server, concurrency, counts[concurrency]))
            for server in servers:
                memory[f"{server.name}_loaded"] = server.memory_kib()
        finally:
            for server in servers:
                if server.process is not None:
                    await server.stop()
    await slack.close()
    report = summarise(results, servers, memory, rounds=rounds, counts=counts, levels=levels)
    report["logs"] = str(log_dir)
    report["log_problems"] = log_problems(servers)
    return report


def log_problems(servers: Sequence[ServerProcess]) -> dict[str, int]:
    """Lines in each server's log that speak of a traceback or an error."""
    problems = {}
    for server in servers:
        text = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
        problems[server.name] = sum(1 for line in text.splitlines() if "Traceback" in line or " ERROR " in line)
    return problems


def _median(rows: Sequence[LevelResult], attr: str) -> float:
    return float(statistics.median(getattr(r, attr) for r in rows))


def summarise(
    results: list[LevelResult],
    servers: Sequence[ServerProcess],
    memory: dict[str, dict[str, int]],
    *,
    rounds: int,
    counts: dict[int, int],
    levels: Sequence[int],
) -> dict[str, Any]:
    """Medians over rounds per server and level, and napkin's ratios to the baseline."""
    table = []
    for concurrency in levels:
        row: dict[str, Any] = {"concurrency": concurrency, "requests_per_round": counts[concurrency]}
        for name in ("napkin", "baseline"):
            rows = [r for r in results if r.server == name and r.concurrency == concurrency]
            row[name] = {
                attr: _median(rows, attr) for attr in ("throughput_rps", "p50_ms", "p99_ms", "max_ms")
            } | {"failures": sum(r.failures for r in rows)}
        row["throughput_ratio"] = row["napkin"]["throughput_rps"] / row["baseline"]["throughput_rps"]
        row["p50_ratio"] = row["napkin"]["p50_ms"] / row["baseline"]["p50_ms"]
        row["p99_ratio"] = row["napkin"]["p99_ms"] / row["baseline"]["p99_ms"]
        table.append(row)
    ready = {s.name: statistics.median(s.ready_ms) for s in servers}
    return {
        "machine": machine_info(),
        "rounds": rounds,
        "levels": table,
        "ready_ms": ready,
        "ready_ratio": ready["napkin"] / ready["baseline"],
        "memory_kib": memory,
        "rss_ratio": memory["napkin_loaded"]["VmRSS"] / memory["baseline_loaded"]["VmRSS"],
        "exit_codes": {s.name: s.exit_codes for s in servers},
        "raw": [asdict(r) for r in results],
    }


def print_report(report: dict[str, Any]) -> None:
    """The table and the ratios, as ``make bench`` prints them."""
    print(f"HTTP: signed /traincost, keep-alive, medians of {report['rounds']} round(s)")
    print(
        f"{'conc':>4} {'server':9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'fail':>5}"
        f"   {'× req/s':>8} {'× p50':>6} {'× p99':>6}"
    )
    for row in report["levels"]:
        for name in ("napkin", "baseline"):
            cell = row[name]
            ratios = (
                f"   {row['throughput_ratio']:8.2f} {row['p50_ratio']:6.2f} {row['p99_ratio']:6.2f}"
                if name == "napkin"
                else ""
            )
            print(
                f"{row['concurrency']:4d} {name:9} {cell['throughput_rps']:8.0f} {cell['p50_ms']:8.1f} "
                f"{cell['p99_ms']:8.1f} {cell['max_ms']:8.1f} {cell['failures']:5d}{ratios}"
            )
    memory = report["memory_kib"]
    print(
        f"start → ready: napkin {report['ready_ms']['napkin']:.0f} ms, baseline {report['ready_ms']['baseline']:.0f} ms"
        f" (× {report['ready_ratio']:.2f})"
    )
    print(
        f"RSS after load: napkin {memory['napkin_loaded']['VmRSS'] / 1024:.1f} MiB, "
        f"baseline {memory['baseline_loaded']['VmRSS'] / 1024:.1f} MiB (× {report['rss_ratio']:.2f}); "
        f"peak napkin {memory['napkin_loaded']['VmHWM'] / 1024:.1f} MiB"
    )
    print(f"exit codes after SIGTERM: {report['exit_codes']}; log lines with errors: {report['log_problems']}")


def print_profile(path: Path, limit: int = 25) -> None:
    """The functions where a profiled server spent its time."""
    import pstats

    print(f"--- {path.name}: top {limit} by own time ---")
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(limit)
    print(f"--- {path.name}: top {limit} by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(limit)


def run(*, quick: bool = False, profile: bool = False) -> dict[str, Any]:
    """Measure, print, and write ``bench/results/http.json``; returns the report."""
    report = asyncio.run(measure(quick=quick, profile=profile))
    print_report(report)
    name = "http-profile.json" if profile else "http.json"
    (RESULTS_DIR / name).write_text(json.dumps(report, indent=2))
    if profile:
        for prof in ("napkin.prof", "baseline.prof"):
            print_profile(RESULTS_DIR / prof)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, one round (a smoke run)")
    parser.add_argument("--profile", action="store_true", help="run the servers under cProfile and print the top")
    args = parser.parse_args(argv)
    run(quick=args.quick, profile=args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
