"""The reliability harness: the installed salescli as a black box, and the contract every failure must keep.

`Sandbox` runs the real executable (the one beside sys.executable, like tests/conftest.py) as a subprocess
in a fresh folder, with a sanitised environment: TZ=UTC, LC_ALL=C.UTF-8, HOME and XDG_DATA_HOME inside the
sandbox, NO_COLOR, and no SALESCLI_* variable except those a case passes. `assert_refused` checks the
contract of RELIABILITY.md after a failing command: the documented exit code, one `Error:` line (plus an
optional `Hint:` line) and no traceback on stderr, nothing on stdout, no half-written output file, the
database logically unchanged (per-table digest), `integrity_check`/`foreign_key_check` clean and 0600 modes.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import TODAY, digest, salescli_exe

EXE = salescli_exe()
#: Run as root, a command still meets the permissions of its files without these capabilities (root
#: owns the test files, so the owner's mode bits apply); a normal user meets them anyway.
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass
class Outcome:
    """What a person sees of one run: exit code, stdout, stderr."""

    args: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    def __str__(self) -> str:
        shown = " ".join(a if len(a) <= 80 else a[:77] + "..." for a in self.args[1:])
        return f"{shown!r} -> {self.code}\nstdout: {self.stdout[:500]!r}\nstderr: {self.stderr[:2000]!r}"


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A sanitised environment: nothing of the caller's SALESCLI_*, locale or timezone leaks in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }
    env.update(extra or {})
    return env


@dataclass
class Sandbox:
    """A fresh folder with a database path in it, and the installed salescli to run against it."""

    root: Path
    db: Path = field(init=False)
    home: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.home = self.root / "home"
        self.home.mkdir(exist_ok=True)
        self.db = self.root / "sales.db"

    # -- running -------------------------------------------------------------------------
    def argv(self, *args: str, db: Path | None | bool = True, today: str | None = TODAY,
             as_user: bool = False, wrap: Sequence[str] = ()) -> list[str]:
        head = [*wrap, EXE]
        if db is True:
            head += ["--db", str(self.db)]
        elif isinstance(db, Path):
            head += ["--db", str(db)]
        head += ["--user", "dana"]
        if today:
            head += ["--today", today]
        if as_user:
            head = [*UNPRIVILEGED, *head]
        return [*head, *args]

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return clean_env(self.home, extra)

    def run(self, *args: str, db: Path | None | bool = True, today: str | None = TODAY,
            env: dict[str, str] | None = None, input: str | bytes | None = None, stdin: Any = subprocess.DEVNULL,
            timeout: float = 60, as_user: bool = False, preexec_fn: Callable[[], None] | None = None,
            cwd: Path | None = None, wrap: Sequence[str] = ()) -> Outcome:
        """Run salescli (wrap: a command to run it under, e.g. prlimit)."""
        argv = self.argv(*args, db=db, today=today, as_user=as_user, wrap=wrap)
        start = time.monotonic()
        data = input.encode() if isinstance(input, str) else input
        proc = subprocess.run(argv, input=data, stdin=stdin if data is None else None, capture_output=True,
                              env=self.env(env), timeout=timeout, cwd=cwd or self.root, preexec_fn=preexec_fn)
        return Outcome(argv, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                       proc.stderr.decode("utf-8", "replace"), time.monotonic() - start)

    def ok(self, *args: str, **kwargs: Any) -> Outcome:
        out = self.run(*args, **kwargs)
        assert out.code == 0, str(out)
        return out

    def popen(self, *args: str, db: Path | None | bool = True, env: dict[str, str] | None = None,
              stdin: Any = subprocess.DEVNULL, **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.argv(*args, db=db), env=self.env(env), cwd=self.root, stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)

    # -- seeding (in-process: ~40 ms a step instead of a process start) ------------------
    def seed(self, steps: Iterable[Sequence[str]], db: Path | None = None) -> Path:
        from typer.testing import CliRunner

        from salescli.cli import app

        path = db or self.db
        runner = CliRunner()
        for step in steps:
            res = runner.invoke(app, ["--db", str(path), "--today", TODAY, "--user", "dana", *step],
                                catch_exceptions=False)
            assert res.exit_code == 0, (step, res.stderr)
        return path


def finished(proc: subprocess.Popen[bytes], timeout: float = 60) -> Outcome:
    """Wait for a Popen'ed salescli and collect what it printed."""
    if proc.stdin is not None and proc.stdin.closed:
        proc.stdin = None  # closed on purpose (no input): communicate() would try to flush it
    out, err = proc.communicate(timeout=timeout)
    args = [str(a) for a in proc.args] if isinstance(proc.args, list) else [str(proc.args)]
    return Outcome(args, proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


# -- the contract --------------------------------------------------------------------------
@dataclass
class Snapshot:
    """The state a failing command must leave as it found: the logical digest and the folder's files."""

    db: Path
    digest: dict[str, tuple[int, str]]
    files: set[str]


def folder_files(folder: Path) -> set[str]:
    """Names in a folder, ignoring SQLite's -wal/-shm/-journal side files (they come and go)."""
    return {p.name for p in folder.iterdir() if not p.name.endswith(SIDE_FILES)}


def snapshot(db: Path) -> Snapshot:
    return Snapshot(db, digest(db), folder_files(db.parent))


def health(db: Path) -> tuple[str, list[Any]]:
    """integrity_check and foreign_key_check of a database file."""
    conn = sqlite3.connect(db)  # not mode=ro: closing must clean up the -wal/-shm it may create
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        return integrity, fk
    finally:
        conn.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def private_modes(db: Path) -> dict[str, str]:
    """The database and side files that others could read or write (0600, or stricter like 0400, is private)."""
    paths = [db, *(Path(f"{db}{s}") for s in SIDE_FILES)]
    return {p.name: oct(mode(p)) for p in paths if p.exists() and mode(p) & 0o077}


def assert_healthy(db: Path) -> None:
    assert health(db) == ("ok", []), f"{db} is not healthy: {health(db)}"
    assert private_modes(db) == {}, f"modes are not 0600: {private_modes(db)}"


def assert_one_error(out: Outcome, says: str | Sequence[str] = ()) -> str:
    """One `Error:` line (an optional `Hint:` after it), no traceback; returns the error line."""
    lines = out.stderr.splitlines()
    assert "Traceback" not in out.stderr, str(out)
    assert 1 <= len(lines) <= 2 and lines[0].startswith("Error: "), str(out)
    if len(lines) == 2:
        assert lines[1].startswith("Hint: "), str(out)
    for text in [says] if isinstance(says, str) else says:
        assert text.lower() in out.stderr.lower(), f"{text!r} not in {out.stderr!r}"
    return lines[0]


def assert_refused(out: Outcome, code: int, before: Snapshot | None = None, *, says: str | Sequence[str] = (),
                   outputs: Sequence[Path] = ()) -> str:
    """The contract of a failing command (RELIABILITY.md): returns the error line."""
    assert out.code == code, str(out)
    assert out.stdout == "", str(out)
    line = assert_one_error(out, says)
    for path in outputs:
        assert not path.exists(), f"{path} was written by a failing command"
        leftovers = [p.name for p in path.parent.iterdir() if path.name in p.name and p != path]
        assert leftovers == [], f"half-written files left behind: {leftovers}"
    if before is not None:
        assert digest(before.db) == before.digest, f"{before.db} changed: {out}"
        assert folder_files(before.db.parent) == before.files, "files appeared or vanished beside the database"
        assert_healthy(before.db)
    return line


# -- helpers for the fault cases -----------------------------------------------------------
def permissions_unenforced() -> str | None:
    """Why file permissions cannot be made to apply to salescli here (None: they can, see UNPRIVILEGED)."""
    if not UNPRIVILEGED:
        return None
    if shutil.which("setpriv") is None:
        return "running as root without setpriv (util-linux): root ignores file permissions"
    proc = subprocess.run([*UNPRIVILEGED, EXE, "--version"], capture_output=True, timeout=60)
    if proc.returncode != 0:
        return f"cannot drop root's file capabilities: {proc.stderr.decode(errors='replace').strip()[:200]}"
    return None


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at folder (the caller skips when mounting is not permitted)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        raise PermissionError("mounting needs root and mount(8)")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
                          capture_output=True, timeout=30)
    if proc.returncode != 0:
        raise PermissionError(proc.stderr.decode(errors="replace").strip() or "mount failed")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def fill(folder: Path, leave: int) -> Path:
    """Fill a file system until only `leave` bytes are free."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    filler = folder / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def interrupt_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], sig: int = signal.SIGINT,
                   timeout: float = 30) -> bool:
    """Send sig once ready() holds (polled); False when the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            proc.send_signal(sig)
            return True
        time.sleep(0.005)
    raise AssertionError("the condition to interrupt never held")


def holds_the_write_lock(db: Path) -> bool:
    """Whether another connection holds the database's write lock (e.g. an import's transaction is open)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


# -- CSV files -----------------------------------------------------------------------------
DEAL_HEADER = ["external_id", "title", "company", "amount", "currency", "stage", "expected_close", "owner",
               "lost_reason"]
STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation", "Won", "Lost"]


def deal_rows(n: int, prefix: str = "X", seed: int = 1) -> Iterator[list[str]]:
    """n valid deal rows (seeded): unique external ids, 500 companies, every stage."""
    import random

    rng = random.Random(seed)
    for i in range(n):
        stage = STAGES[rng.randrange(len(STAGES))]
        yield [f"{prefix}{i}", f"{prefix} deal {i}", f"Company {i % 500}", f"{rng.randint(1, 90000)}.{i % 100:02d}",
               "EUR", stage, f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", f"rep{i % 7}",
               "price" if stage == "Lost" else ""]


def write_deals_csv(path: Path, n: int, prefix: str = "X", seed: int = 1) -> Path:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(DEAL_HEADER)
        writer.writerows(deal_rows(n, prefix, seed))
    return path


def count(db: Path, sql: str, params: Sequence[Any] = ()) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


# -- in-process runs (property tests need hundreds of runs: a process start each would take minutes) ---
def invoke(db: Path, *args: str, input: str | None = None) -> Outcome:
    """salescli in-process via CliRunner(catch_exceptions=True): a crash is caught and reported, not raised."""
    from typer.testing import CliRunner

    from salescli.cli import app

    argv = ["--db", str(db), "--user", "dana", "--today", TODAY, *args]
    res = CliRunner().invoke(app, argv, input=input, catch_exceptions=True)
    crash = res.exception is not None and not isinstance(res.exception, SystemExit)
    assert not crash, f"{argv} crashed: {res.exception!r}\n{res.stderr}"
    return Outcome(["salescli", *argv], res.exit_code, res.stdout, res.stderr)
