"""Whole-process time of the CLI against a bare `python -c "import pydantic"`, measured in one run.

Run: `make bench` or `.venv/bin/python -m bench.startup_bench`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

NAPKIN = str(Path(sys.executable).with_name("napkin"))
CASES = {
    "python -c 'import pydantic' (baseline)": [sys.executable, "-c", "import pydantic"],
    # `import pydantic` is lazy: the first model class pulls in the schema machinery, a floor for any
    # program that validates anything with pydantic.
    "python + one pydantic model": [
        sys.executable,
        "-c",
        "from pydantic import BaseModel\nclass M(BaseModel):\n    a: int\nM(a=1)",
    ],
    "napkin traincost 405B 15T a100": [NAPKIN, "traincost", "405B", "15T", "a100"],
    "napkin fits 20B --json": [NAPKIN, "fits", "20B", "--json"],
}


def _wall_ms(argv: list[str], runs: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NAPKIN_"))}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(runs: int = 15) -> dict[str, float]:
    """Median wall-clock milliseconds per case; prints ratios to the baseline."""
    results = {name: _wall_ms(argv, runs) for name, argv in CASES.items()}
    baseline = next(iter(results.values()))
    for name, ms in results.items():
        print(f"{name:45} {ms:7.1f} ms  ×{ms / baseline:4.2f}")
    return results


if __name__ == "__main__":
    run()
