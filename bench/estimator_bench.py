"""Per-command cost of parse + estimate (and + Block Kit render), against a trivial baseline.

Run: `make bench` or `.venv/bin/python -m bench.estimator_bench`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial

from bot.render.blocks import render_reply
from config.catalogs import cached_catalog
from estimator.commands import Reply, execute
from estimator.defaults import Defaults

COMMANDS = (
    ("traincost", "405B 15T a100"),
    ("traincost", "llama-3.1-70b 2T h100 gpus=1024"),
    ("fits", "20B"),
    ("fits", "mixtral-8x7b 4090 qlora ctx=8k"),
    ("servecost", "llama-3.3-70b 2xh100 fp8 in=1000 out=1000"),
    ("servecost", "mixtral-8x7b h100 batch=32"),
)


def _timings(fn: Callable[[], object], repeat: int) -> list[float]:
    for _ in range(min(200, repeat)):  # warm caches (catalog, imports)
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def _render(estimate: Callable[[], Reply], text: str) -> object:
    return render_reply(estimate(), command_text=text)


def run(repeat: int = 2000) -> list[dict[str, object]]:
    """Median and p99 microseconds per command, for estimate alone and estimate + render."""
    catalog, defaults = cached_catalog(None), Defaults()
    baseline_med, _ = _summary(_timings(Defaults, repeat))
    rows: list[dict[str, object]] = []
    for command, text in COMMANDS:
        estimate = partial(execute, command, text, catalog=catalog, defaults=defaults)
        est_med, est_p99 = _summary(_timings(estimate, repeat))
        full_med, full_p99 = _summary(_timings(partial(_render, estimate, text), repeat))
        rows.append(
            {
                "command": f"{command} {text}",
                "estimate_median_us": est_med,
                "estimate_p99_us": est_p99,
                "with_render_median_us": full_med,
                "with_render_p99_us": full_p99,
                "ratio_to_baseline": est_med / baseline_med,
            }
        )
    print(f"baseline: constructing one pydantic model (Defaults()) = {baseline_med:.1f} µs median")
    print(f"{'command':48} {'est med':>8} {'est p99':>8} {'+render':>8} {'p99':>8} {'× base':>7}")
    for row in rows:
        print(
            f"{row['command']!s:48} {row['estimate_median_us']:8.1f} {row['estimate_p99_us']:8.1f} "
            f"{row['with_render_median_us']:8.1f} {row['with_render_p99_us']:8.1f} {row['ratio_to_baseline']:7.1f}"
        )
    fits = [float(str(row["estimate_median_us"])) for row in rows if str(row["command"]).startswith("fits")]
    serving = [float(str(row["estimate_median_us"])) for row in rows if str(row["command"]).startswith("servecost")]
    if fits and serving:
        verdict = "no more than" if max(serving) <= max(fits) else "MORE than"
        print(f"servecost costs {verdict} fits: {max(serving):.1f} µs vs {max(fits):.1f} µs (slowest median of each)")
    return rows


if __name__ == "__main__":
    run()
