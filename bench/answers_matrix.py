"""Dump napkin's answers to a matrix of commands, so a speed-up can be shown to change no byte of them.

For each command, the CLI's exact output (``napkin <command> …`` and ``napkin <command> … --json``: stdout,
stderr and exit status) is written to ``<dir>/<n>.txt`` and ``<dir>/<n>.json``; ``<dir>/index.tsv`` lists
the commands. The CLI runs in process (``bot.cli.main``) against the bundled catalog and default settings.

Run before and after a change, then compare:
    .venv/bin/python -m bench.answers_matrix /tmp/before     # on the old commit
    .venv/bin/python -m bench.answers_matrix /tmp/after      # on the new one
    diff -r /tmp/before /tmp/after && echo identical
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.cli import main

# Presets chosen for coverage: dense and GQA, sliding window, MoE (few and many experts), MLA, huge and tiny.
SERVE_MODELS = (
    "llama-3.3-70b",
    "llama-3.1-8b",
    "llama-3.1-405b",
    "mixtral-8x7b",
    "deepseek-v3",
    "qwen3-30b-a3b",
    "gemma-2-27b",
    "gpt-oss-120b",
    "mistral-7b",
    "qwen2.5-0.5b",
    "kimi-k2",
    "70B",
    "7B",
)
# Every memory size and vendor the catalog spans, a chip without fp8, one without bf16, memory-only entries, and
# devices whose node is not 8 (TPU hosts of 4 or 8 chips, Trainium instances of 16, GB200 trays of 4).
SERVE_GPUS = (
    "",
    "h100",
    "a100-40gb-sxm",
    "4090",
    "t4",
    "h200",
    "mi300x",
    "tpu-v5e",
    "b200",
    "m2-max",
    "2xh100",
    "v4",
    "v6e",
    "trn1",
    "trn2",
    "gb200-nvl72",
    "gaudi-3",
)
SERVE_OPTIONS = (
    "",
    "fp8",
    "int4 kv=fp8",
    "batch=32",
    "in=8000 out=200 price=2.5",
    "mbu=1 mfu=1 util=0.5",
    "gpus=16",
    "fp4 in=1 out=1 batch=300",
)
TRAIN_MODELS = ("405B 15T", "llama-3.1-70b 2T", "deepseek-v3", "7B", "mixtral-8x22b 1T", "1.5B active=1B 30B")
TRAIN_GPUS = (
    "",
    "a100",
    "h100",
    "4090",
    "t4",
    "tpu-v5p",
    "b200",
    "m2-max",
    "mi300x",
    "v4",
    "v6e",
    "trn1",
    "trn2",
    "gb200-nvl72",
    "gaudi-3",
    "tpu-v5e",
)
TRAIN_OPTIONS = ("", "gpus=1024", "days=7", "dtype=fp8", "mfu=0.5 price=3", "dtype=fp4 gpus=16", "dtype=fp16")
FITS_COMMANDS = (
    "20B",
    "mixtral-8x7b 4090 qlora ctx=8k",
    "llama-3.1-405b h100 inference",
    "llama-3.3-70b 2xh100 dtype=fp8",
    "7B t4 train",
    "deepseek-v3 mi300x",
    "gemma-2-27b a100 lora rank=64",
    "70B h200 gpus=4 zero=3",
    "llama-3.1-405b v6e",
    "70B trn2 train",
    "deepseek-v3 gb200-nvl72",
)


def commands() -> Iterator[tuple[str, str]]:
    """Every (command, text) of the matrix, in a fixed order."""
    for model, gpu, option in itertools.product(SERVE_MODELS, SERVE_GPUS, SERVE_OPTIONS):
        yield "servecost", " ".join(word for word in (model, gpu, option) if word)
    for model, gpu, option in itertools.product(TRAIN_MODELS, TRAIN_GPUS, TRAIN_OPTIONS):
        yield "traincost", " ".join(word for word in (model, gpu, option) if word)
    for text in FITS_COMMANDS:
        yield "fits", text


def _cli(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return f"exit {status}\n--- stdout\n{out.getvalue()}--- stderr\n{err.getvalue()}"


def dump(directory: Path) -> int:
    """Write every answer of the matrix under ``directory``; returns how many commands."""
    directory.mkdir(parents=True, exist_ok=True)
    index = []
    for n, (command, text) in enumerate(commands()):
        argv = [command, *text.split()]
        (directory / f"{n:04d}.txt").write_text(_cli(argv), encoding="utf-8")
        (directory / f"{n:04d}.json").write_text(_cli([*argv, "--json"]), encoding="utf-8")
        index.append(f"{n:04d}\t{command} {text}\n")
    (directory / "index.tsv").write_text("".join(index), encoding="utf-8")
    return len(index)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the answers (created if missing)")
    if any(name.upper().startswith("NAPKIN_") for name in os.environ) or os.path.isfile(".env"):
        parser.error("unset NAPKIN_* settings and move ./.env away: the matrix uses the bundled defaults")
    count = dump(parser.parse_args().directory)
    print(f"{count} commands, {2 * count} answers written", file=sys.stderr)
