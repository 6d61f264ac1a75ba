"""``make bench``: every benchmark in one run, each figure beside the baseline measured in the same run.

1. HTTP (:mod:`bench.http_bench`): ``napkin serve`` against a bare Bolt AsyncApp on the same stack.
2. Estimator (:mod:`bench.estimator_bench`): parse + estimate (+ Block Kit render) per command.
3. Start-up (:mod:`bench.startup_bench`): the CLI process against ``python -c "import pydantic"``.

Prints each table, then a summary of the ratios; writes everything, with the machine, to
``bench/results/bench.json`` (git-ignored). Takes two to three minutes on two cores.
Run: ``make bench`` or ``.venv/bin/python -m bench [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench import estimator_bench, http_bench, startup_bench


def summary(http: dict[str, Any], estimator: list[dict[str, Any]], startup: dict[str, float]) -> list[str]:
    """The ratios, one line each, as the README and docs/performance.md quote them."""
    lines = []
    for row in http["levels"]:
        vs = row["napkin_vs_baseline"]
        helped = row.get("napkin-help_vs_baseline")
        glue = f"; napkin-help × {helped['throughput']:.2f}" if helped else ""
        lines.append(
            f"HTTP {row['concurrency']:>2} concurrent: napkin / bare Bolt = × {vs['throughput']:.2f} req/s, "
            f"× {vs['p50']:.2f} p50, × {vs['p99']:.2f} p99 (napkin p99 {row['napkin']['p99_ms']:.1f} ms){glue}"
        )
    top = http["levels"][-1]
    throughput_ok = top["napkin_vs_baseline"]["throughput"] >= 0.9
    p99_ok = top["napkin"]["p99_ms"] < 100
    lines.append(
        f"targets at {top['concurrency']} concurrent: throughput ≥ 0.9× bare Bolt "
        f"{'met' if throughput_ok else 'MISSED'}; p99 < 100 ms {'met' if p99_ok else 'MISSED'}"
        " (docs/performance.md says why)"
    )
    lines.append(
        f"server start → ready: napkin / bare Bolt × {http['ready_ratio']:.2f}; "
        f"RSS × {http['rss_ratio']:.2f} ({http['memory_kib']['napkin_loaded']['VmRSS'] / 1024:.0f} MiB)"
    )
    worst = max(estimator, key=lambda row: float(row["with_render_median_us"]))
    lines.append(
        f"estimator: slowest command {worst['command']!r}: {float(worst['with_render_median_us']):.0f} µs median "
        f"with rendering, p99 {float(worst['with_render_p99_us']):.0f} µs"
    )
    serving, fits = (estimator_bench.slowest(estimator, command, "estimate_only") for command in ("servecost", "fits"))
    lines.append(
        f"estimator: servecost's estimate / fits' = × {serving / fits:.2f} (slowest median of each, parsing left out; "
        f"issue #12's target: ≤ 1, {'met' if serving <= fits else 'MISSED'})"
    )
    baseline_ms = next(iter(startup.values()))
    for name, ms in list(startup.items())[1:]:
        lines.append(f"start-up: {name}: × {ms / baseline_ms:.2f} of `import pydantic` ({ms:.0f} ms)")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three benchmarks; print their tables and the summary; write bench/results/bench.json."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer requests and repeats")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print("== HTTP ==")
    http = http_bench.run(quick=args.quick)
    print("\n== estimator ==")
    estimator = estimator_bench.run(repeat=300 if args.quick else 2000)
    print("\n== start-up ==")
    startup = startup_bench.run(runs=5 if args.quick else 15)
    lines = summary(http, estimator, startup)
    print("\n== summary (ratios to the baselines measured above) ==")
    for line in lines:
        print(line)
    elapsed = time.perf_counter() - started
    print(f"({elapsed:.0f} s; machine: {http['machine']['cpus']} CPU(s), {http['machine']['cpu_model']})")
    results = {
        "machine": http["machine"],
        "summary": lines,
        "http": http,
        "estimator": estimator,
        "startup_ms": startup,
        "seconds": elapsed,
    }
    path = http_bench.RESULTS_DIR / "bench.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"results: {path.relative_to(http_bench.REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
