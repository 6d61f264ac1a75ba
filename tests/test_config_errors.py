"""Configuration errors: ``napkin serve`` refuses to start with one clear line naming the problem.

Malformed catalog files (NAPKIN_CATALOG), malformed settings (environment or ``.env``) and a port
already taken: exit status 2, exactly one line on stderr, starting ``napkin:`` and naming the
variable or file and what is wrong with it, nothing on stdout, no traceback, no secret echoed.
The whole matrix runs through ``bot.server.serve.main`` (what the console script calls); a sample of it
also runs as real ``napkin serve`` processes.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.server import serve
from tests.conftest import subprocess_env
from tests.slack_standin import BOT_TOKEN, SIGNING_SECRET, SlackStandIn, free_port

BASE_ENV = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: every case fails before
    "NAPKIN_MODE": "http",
}
USER_TOKEN = "xoxp-9999-8888-usertokenvalue"
WRONG_APP_TOKEN = "xoxb-7777-6666-notanapptoken"


@dataclass(frozen=True)
class BadConfig:
    """A configuration napkin must refuse, and what its one line must say."""

    name: str
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # relative to the working directory
    catalog: str | None = None  # NAPKIN_CATALOG, relative to the working directory
    says: tuple[str, ...] = ()  # the line starts with the first, and contains every one


ACCELERATOR_FIELDS = b"""
name = "New GPU"
vendor = "Acme"
"""

CATALOGS = [
    BadConfig(
        "TOML syntax error",
        files={"cat.toml": b'[[accelerator]\nkey = "x"\n'},
        catalog="cat.toml",
        says=("napkin: catalog ", "cat.toml: TOML syntax error", "line 1"),
    ),
    BadConfig(
        "unknown table",
        files={"cat.toml": b'[[widget]]\nkey = "x"\n'},
        catalog="cat.toml",
        says=("napkin: catalog ", "unknown top-level 'widget'", "[[accelerator]] or [[model]]"),
    ),
    BadConfig(
        "a price that is not a number",
        files={"cat.toml": b'[[accelerator]]\nkey = "h100-sxm"\n[accelerator.price]\nusd_per_hour = "cheap"\n'},
        catalog="cat.toml",
        says=("napkin: catalog ", "accelerator 'h100-sxm'", "price.usd_per_hour", "'cheap'"),
    ),
    BadConfig(
        "a price of inf",
        files={"cat.toml": b'[[accelerator]]\nkey = "h100-sxm"\n[accelerator.price]\nusd_per_hour = inf\n'},
        catalog="cat.toml",
        says=("napkin: catalog ", "accelerator 'h100-sxm'", "price.usd_per_hour", "inf"),
    ),
    BadConfig(
        "TFLOPS of 1e-300",
        files={"cat.toml": b'[[accelerator]]\nkey = "h100-sxm"\ndense_tflops = { bf16 = 1e-300 }\n'},
        catalog="cat.toml",
        says=("napkin: catalog ", "accelerator 'h100-sxm'", "dense_tflops.bf16"),
    ),
    BadConfig("a device as the catalog", catalog="/dev/zero", says=("napkin: catalog /dev/zero: not a regular file",)),
    BadConfig(
        "a new GPU missing fields",
        files={"cat.toml": b'[[accelerator]]\nkey = "newgpu"' + ACCELERATOR_FIELDS},
        catalog="cat.toml",
        says=("napkin: catalog ", "accelerator 'newgpu'", "memory_bytes: Field required"),
    ),
    BadConfig(
        "the same key twice",
        files={"cat.toml": b'[[accelerator]]\nkey = "h100-sxm"\n[[accelerator]]\nkey = "h100-sxm"\n'},
        catalog="cat.toml",
        says=("napkin: catalog ", "'h100-sxm' is defined twice"),
    ),
    BadConfig(
        "not UTF-8",
        files={"cat.toml": b"\xff\xfe[[model]]\n"},
        catalog="cat.toml",
        says=("napkin: catalog ", "cat.toml: not UTF-8"),
    ),
    BadConfig(
        "a bad file in a catalog directory",
        files={"cats/a.toml": b"", "cats/b.toml": b'[[model]]\nkey = "m"\nlayers = "many"\n'},
        catalog="cats",
        says=("napkin: catalog ", "b.toml", "model 'm'"),
    ),
    BadConfig("a missing file", catalog="nowhere.toml", says=("napkin: catalog ", "nowhere.toml")),
]

SETTINGS = [
    BadConfig("MFU not a number", {"NAPKIN_MFU": "abc"}, says=("napkin: NAPKIN_MFU: must be a number", "'abc'")),
    BadConfig("PORT out of range", {"PORT": "99999"}, says=("napkin: PORT: must be a whole number", "'99999'")),
    BadConfig("PORT a word", {"PORT": "http"}, says=("napkin: PORT: ", "'http'")),
    BadConfig("mode unknown", {"NAPKIN_MODE": "ftp"}, says=("napkin: NAPKIN_MODE: must be one of", "'ftp'")),
    BadConfig("API URL not http", {"SLACK_API_URL": "ftp://x"}, says=("napkin: SLACK_API_URL: ", "'ftp://x'")),
    # Credentials in the URL are never echoed (and could not work: the token rides in a header).
    BadConfig(
        "API URL with credentials and a bad scheme",
        {"SLACK_API_URL": "ftp://ops:hunter2@slack.example/api/"},
        says=("napkin: SLACK_API_URL: ", "'ftp://***@slack.example/api/'"),
    ),
    BadConfig(
        "API URL with credentials",
        {"SLACK_API_URL": "HTTPS://ops:hunter2@slack.example/api/"},
        says=("napkin: SLACK_API_URL: ", "'HTTPS://***@slack.example/api/'"),
    ),
    BadConfig(
        "API URL with an unclosed IPv6 bracket",
        {"SLACK_API_URL": "https://ops:hunter2@[::1/api/"},
        says=("napkin: SLACK_API_URL: ", "'https://***@[::1/api/'"),
    ),
    BadConfig(
        "API URL port not a number", {"SLACK_API_URL": "https://slack.example:abc/"}, says=("napkin: SLACK_API_URL: ",)
    ),
    BadConfig("drain negative", {"NAPKIN_DRAIN_SECONDS": "-1"}, says=("napkin: NAPKIN_DRAIN_SECONDS: ", "'-1'")),
    BadConfig("suffix", {"NAPKIN_COMMAND_SUFFIX": "BAD!"}, says=("napkin: NAPKIN_COMMAND_SUFFIX: ", "'BAD!'")),
    BadConfig("log level", {"NAPKIN_LOG_LEVEL": "LOUD"}, says=("napkin: NAPKIN_LOG_LEVEL: must be one of", "'LOUD'")),
    BadConfig("log format", {"NAPKIN_LOG_FORMAT": "xml"}, says=("napkin: NAPKIN_LOG_FORMAT: ", "'xml'")),
    BadConfig(
        "two bad values",
        {"NAPKIN_MFU": "2", "NAPKIN_PUE": "0.5"},
        says=("napkin: NAPKIN_MFU: ", "NAPKIN_PUE: must be a number between 1 and 3 (got '0.5')"),
    ),
    BadConfig(
        "default GPU not in the catalog",
        {"NAPKIN_DEFAULT_GPU": "h100-sxmm"},
        says=("napkin: NAPKIN_DEFAULT_GPU: 'h100-sxmm' is not in the GPU catalog", "did you mean 'h100-sxm'?"),
    ),
    BadConfig(
        "a user token as the bot token",
        {"SLACK_BOT_TOKEN": USER_TOKEN},
        says=("napkin: SLACK_BOT_TOKEN: must be a bot token starting with xoxb-", "'xoxp'"),
    ),
    BadConfig("no signing secret in HTTP mode", {"SLACK_SIGNING_SECRET": ""}, says=("napkin: SLACK_SIGNING_SECRET: ",)),
    BadConfig(
        "a blank signing secret", {"SLACK_SIGNING_SECRET": "   "}, says=("napkin: SLACK_SIGNING_SECRET: required",)
    ),
    BadConfig("Socket Mode without an app token", {"NAPKIN_MODE": "socket"}, says=("napkin: SLACK_APP_TOKEN: ",)),
    BadConfig(
        "a bot token as the app token",
        {"NAPKIN_MODE": "socket", "SLACK_APP_TOKEN": WRONG_APP_TOKEN},
        says=("napkin: SLACK_APP_TOKEN: must be an app-level token starting with xapp-", "'xoxb'"),
    ),
    BadConfig(".env not UTF-8", files={".env": b"NAPKIN_MFU=0.4\n\xff\xfe\n"}, says=("napkin: .env: not UTF-8",)),
    BadConfig(".env with a bad value", files={".env": b"NAPKIN_MFU=lots\n"}, says=("napkin: NAPKIN_MFU: ", "'lots'")),
]


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def assert_one_clear_line(stderr: str, stdout: str, case: BadConfig, *, after_logging: bool = False) -> None:
    """Exactly one line on stderr; ``after_logging``: napkin's INFO start-up lines may come first."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if after_logging:
        assert all(" INFO " in line for line in lines if not line.startswith("napkin: ")), stderr
        lines = [line for line in lines if line.startswith("napkin: ")]
    assert len(lines) == 1, stderr
    (line,) = lines
    assert line.startswith(case.says[0]), line
    for fragment in case.says[1:]:
        assert fragment in line, line
    assert "Traceback" not in stderr
    assert stdout == ""
    for secret in (BOT_TOKEN, SIGNING_SECRET, USER_TOKEN, WRONG_APP_TOKEN):
        assert secret not in line


@pytest.mark.parametrize("case", CATALOGS + SETTINGS, ids=lambda case: case.name)
def test_a_bad_configuration_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, case: BadConfig
) -> None:
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, case.files)
    env = {**BASE_ENV, **case.env}
    if case.catalog is not None:
        env["NAPKIN_CATALOG"] = str(tmp_path / case.catalog)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert serve.main([]) == 2
    captured = capsys.readouterr()
    assert_one_clear_line(captured.err, captured.out, case)


def napkin_argv() -> list[str]:
    """The ``napkin`` console script next to this interpreter (or the module it runs)."""
    script = Path(sys.executable).with_name("napkin")
    return [str(script), "serve"] if script.exists() else [sys.executable, "-m", "bot.cli", "serve"]


async def run_napkin_serve(env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *napkin_argv(), cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_real_napkin_serve_processes_refuse_bad_configuration(standin: SlackStandIn, tmp_path: Path) -> None:
    """A sample of the matrix, plus a port already taken, as ``napkin serve`` processes (run together)."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    port_case = BadConfig("port taken", says=(f"napkin: cannot listen on 127.0.0.1:{port}: ",))
    sample = {"TOML syntax error", "a price that is not a number", "MFU not a number", ".env not UTF-8"}
    cases = [case for case in CATALOGS + SETTINGS if case.name in sample] + [port_case]
    runs = []
    for number, case in enumerate(cases):
        cwd = tmp_path / str(number)
        cwd.mkdir()
        write_files(cwd, case.files)
        env = {**BASE_ENV, "SLACK_API_URL": standin.api_url, "PORT": str(free_port()), **case.env}
        if case is port_case:
            env.update({"PORT": str(port), "NAPKIN_HOST": "127.0.0.1"})
        if case.catalog is not None:
            env["NAPKIN_CATALOG"] = str(cwd / case.catalog)
        runs.append(run_napkin_serve(subprocess_env(**env), cwd))
    try:
        results = await asyncio.gather(*runs)
    finally:
        taken.close()
    for case, (code, stdout, stderr) in zip(cases, results, strict=True):
        assert code == 2, (case.name, stderr)
        assert_one_clear_line(stderr, stdout, case, after_logging=case is port_case)  # it got as far as starting
