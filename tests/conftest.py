"""Shared fixtures. No test can touch a real database: the data folder and SALESCLI_* point at tmp."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salescli.migrations import _SEARCHED, _search_triggers

TODAY = "2026-11-26"

# A job started in the background (`cmd &`, some CI runners) inherits SIGINT *ignored*, and an
# ignored signal survives exec: the salescli processes that tests interrupt with Ctrl-C would never
# see it. A Python-level handler is reset to the default in children, so they get a real SIGINT.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("SALESCLI_DB", raising=False)
    monkeypatch.delenv("SALESCLI_DEBUG", raising=False)
    monkeypatch.delenv("SALESCLI_BUSY_TIMEOUT", raising=False)
    monkeypatch.setenv("SALESCLI_USER", "dana")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TZ", "UTC")


def _click_command_built_once() -> None:
    """In-process runs reuse salescli's Click command instead of rebuilding it from the Typer app each time
    (Typer converts every signature again: 40 ms a run, most of the suite's time; a process, as a user runs
    salescli, builds it once anyway)."""
    import typer.main
    import typer.testing

    from salescli.cli import app

    build = typer.main.get_command
    root = build(app)
    typer.testing._get_command = lambda typer_app: root if typer_app is app else build(typer_app)


_click_command_built_once()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sales.db"


@pytest.fixture
def cli(db: Path) -> Callable[..., Result]:
    """Run salescli in-process with --db and a pinned --today: cli("deal", "list", input=...)."""
    from salescli.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, today: str | None = TODAY, database: Path | None = None) -> Result:
        argv = ["--db", str(database or db)]
        if today:
            argv += ["--today", today]
        res = runner.invoke(app, [*argv, *args], input=input, catch_exceptions=False)
        # (Click's Result.stdout turns "\r\n" into "\n": a CSV cell's own line break would be lost)
        return Result(res.exit_code, res.stdout_bytes.decode(runner.charset, "replace"), res.stderr)

    return run


@pytest.fixture
def ok(cli: Callable[..., Result]) -> Callable[..., Result]:
    """Like cli, but the command must succeed."""

    def run(*args: str, **kwargs: object) -> Result:
        res = cli(*args, **kwargs)
        assert res.exit_code == 0, f"{args} exited {res.exit_code}: {res.stderr}"
        return res

    return run


def dataset(env: str, name: str) -> Path | None:
    """A real CRM export for the tests that use one: $env, else the workplace's shared copy beside the
    checkout (../shared/datasets/NAME, never copied into the project); None when neither is there."""
    given = os.environ.get(env)
    if given:
        return Path(given)
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets" / name
    return shared if shared.is_dir() else None


MAVEN_DIR = dataset("SALESCLI_MAVEN_DIR", "maven-crm")
SALESFORCE_DIR = dataset("SALESCLI_SALESFORCE_DIR", "salesforce-sample")


def salescli_exe() -> str:
    exe = shutil.which("salescli", path=os.path.dirname(sys.executable))
    return exe or "salescli"


@pytest.fixture
def run_exe(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed salescli in a real subprocess."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run([salescli_exe(), *args], input=input, capture_output=True, text=True,
                              env=full_env, timeout=timeout, cwd=tmp_path)

    return run


# What each later migration created that an older salescli's database lacks (schema version: DDL).
_UNDO_SCHEMA = {
    10: "DROP INDEX activities_deal_open_tasks",
    11: "ALTER TABLE forecast_snapshots DROP COLUMN pipeline; ALTER TABLE forecast_snapshots DROP COLUMN owner;"
        " ALTER TABLE forecast_snapshots DROP COLUMN team",
    # (the deal triggers as m003 made them: park reasons and stage notes were not in a deal's entry)
    12: "DROP TRIGGER stage_history_search_ai; DROP TRIGGER stage_history_search_au;"
        " DROP TRIGGER stage_history_search_ad; DROP INDEX stage_history_deal_notes; DROP TRIGGER deals_search_ai;"
        " DROP TRIGGER deals_search_au; DROP TRIGGER deals_search_ad; " + _search_triggers(*_SEARCHED[2]),
}


def as_schema(conn: sqlite3.Connection, version: int) -> None:
    """Make a current database look as an older salescli left it: schema `version` (data untouched)."""
    for since, ddl in sorted(_UNDO_SCHEMA.items(), reverse=True):
        if since > version:
            conn.executescript(ddl)
    conn.execute(f"PRAGMA user_version = {version}")


def digest(path: Path) -> dict[str, tuple[int, str]]:
    """Per table: row count and a hash of its rows ordered by rowid — 'logically unchanged'."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'search_index_%'")]
        out = {}
        for t in tables:
            h = hashlib.sha256()
            n = 0
            for row in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid'):
                h.update(repr(row).encode())
                n += 1
            out[t] = (n, h.hexdigest())
        return out
    finally:
        conn.close()


def every_command_help(cli: Callable[..., Result], argv: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(argv, --help text) of every command reachable from argv, groups included."""
    text = cli(*argv, "--help").stdout
    out = [(argv, text)]
    if "Commands:" in text:
        for line in text.split("Commands:")[1].splitlines():
            if line.startswith("  ") and not line.startswith("   "):
                out += every_command_help(cli, (*argv, line.split()[0]))
    return out


def pty_run(argv: list[str], env: dict[str, str]) -> str:
    """Run a program under a pseudo-terminal; everything it wrote there."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)  # (never back into pytest)
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode()
