"""Per-command cost of parsing, of the estimate alone, of both, and of both plus Block Kit rendering.

Run: `make bench` or `.venv/bin/python -m bench.estimator_bench`.

Every command's figures are sampled in interleaved rounds, so a change in the machine's load touches every
command alike and the ratios between them (servecost / fits, the issue's target) hold within one run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial

from bot.render.blocks import render_reply
from config.catalogs import cached_catalog
from estimator.catalog import Catalog
from estimator.commands import Reply, estimate, execute
from estimator.defaults import Defaults
from estimator.grammar import ParsedCommand, parse_command
from estimator.phrasing import rephrase

COMMANDS = (
    ("traincost", "405B 15T a100"),
    ("traincost", "llama-3.1-70b 2T h100 gpus=1024"),
    ("fits", "20B"),
    ("fits", "mixtral-8x7b 4090 qlora ctx=8k"),
    ("servecost", "llama-3.3-70b 2xh100 fp8 in=1000 out=1000"),
    ("servecost", "mixtral-8x7b h100 batch=32"),
)
# "estimate" is parse + estimate (the name earlier runs and docs/performance.md use); "estimate_only" leaves
# parsing out: the grammar and the plain-English reader cost the same whichever command follows them.
PARTS = ("parse", "estimate_only", "estimate", "with_render")
ROUNDS = 20


def _parse(command: str, text: str, catalog: Catalog) -> ParsedCommand:
    return parse_command(command, rephrase(command, text, catalog).text, catalog)


def _render(execute_it: Callable[[], Reply], text: str) -> object:
    return render_reply(execute_it(), command_text=text)


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def _sample(fn: Callable[[], object], count: int, into: list[float]) -> None:
    for _ in range(count):
        start = time.perf_counter_ns()
        fn()
        into.append((time.perf_counter_ns() - start) / 1000)


def run(repeat: int = 2000) -> list[dict[str, object]]:
    """Median and p99 microseconds per command of each part, sampled in interleaved rounds."""
    catalog, defaults = cached_catalog(None), Defaults()
    work: dict[tuple[int, str], Callable[[], object]] = {}
    for n, (command, text) in enumerate(COMMANDS):
        parsed = _parse(command, text, catalog)
        execute_it = partial(execute, command, text, catalog=catalog, defaults=defaults)
        work[n, "parse"] = partial(_parse, command, text, catalog)
        work[n, "estimate_only"] = partial(estimate, command, parsed, catalog=catalog, defaults=defaults)
        work[n, "estimate"] = execute_it
        work[n, "with_render"] = partial(_render, execute_it, text)
    for fn in work.values():  # warm caches (catalog figures, imports)
        for _ in range(min(200, repeat)):
            fn()
    baseline: list[float] = []
    samples: dict[tuple[int, str], list[float]] = {key: [] for key in work}
    per_round = max(1, repeat // ROUNDS)
    for _ in range(ROUNDS):
        _sample(Defaults, per_round, baseline)
        for key, fn in work.items():
            _sample(fn, per_round, samples[key])
    baseline_med, _ = _summary(baseline)
    rows: list[dict[str, object]] = []
    for n, (command, text) in enumerate(COMMANDS):
        row: dict[str, object] = {"command": f"{command} {text}"}
        for part in PARTS:
            median, p99 = _summary(samples[n, part])
            row[f"{part}_median_us"], row[f"{part}_p99_us"] = median, p99
        row["ratio_to_baseline"] = float(str(row["estimate_median_us"])) / baseline_med
        rows.append(row)
    _print(rows, baseline_med)
    return rows


def _print(rows: list[dict[str, object]], baseline_med: float) -> None:
    print(f"baseline: constructing one pydantic model (Defaults()) = {baseline_med:.1f} µs median")
    print("median (p99) µs: parsing; the estimate alone; both (what a command costs); both + Block Kit render")
    print(f"{'command':52} {'parse':>7} {'estimate':>16} {'parse+estimate':>16} {'+ render':>16} {'× base':>7}")
    for row in rows:
        print(
            f"{row['command']!s:52} {_f(row['parse_median_us'])} {_pair(row, 'estimate_only')} "
            f"{_pair(row, 'estimate')} {_pair(row, 'with_render')} {float(str(row['ratio_to_baseline'])):7.1f}"
        )
    for part, label in (("estimate_only", "the estimate alone"), ("estimate", "parse + estimate")):
        fits = slowest(rows, "fits", part)
        serving = slowest(rows, "servecost", part)
        verdict = "no more than" if serving <= fits else "MORE than"
        print(f"{label}: servecost costs {verdict} fits: {serving:.1f} µs vs {fits:.1f} µs (slowest median of each)")


def _pair(row: dict[str, object], part: str) -> str:
    return f"{_f(row[f'{part}_median_us'])} ({float(str(row[f'{part}_p99_us'])):6.1f})"


def _f(value: object) -> str:
    return f"{float(str(value)):7.1f}"


def slowest(rows: list[dict[str, object]], command: str, part: str) -> float:
    """The slowest median of ``part`` over the rows of ``command``."""
    return max(float(str(row[f"{part}_median_us"])) for row in rows if str(row["command"]).startswith(command))


if __name__ == "__main__":
    run()
