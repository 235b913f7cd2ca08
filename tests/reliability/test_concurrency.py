"""Concurrency: writers racing writers, migrations racing migrations, and prompts with nobody to answer.

Racers (racer.py) import salescli once and start on a shared signal, so the races are tight; each
command still opens its own connection and runs its own transaction, as separate commands do.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from salescli.migrations import SCHEMA_VERSION
from tests.conftest import TODAY
from tests.reliability.harness import (
    Sandbox,
    assert_healthy,
    assert_refused,
    count,
    finished,
    holds_the_write_lock,
    snapshot,
    write_deals_csv,
)

RACER = Path(__file__).with_name("racer.py")
V1_FIXTURE = Path(__file__).parents[1] / "fixtures" / "v1.db"
ROUNDS = 50


def v1_database(target: Path) -> Path:
    """tests/fixtures/v1.db, or (if that fixture is absent) a v1 file built from MIGRATIONS[0]."""
    if V1_FIXTURE.exists():
        shutil.copyfile(V1_FIXTURE, target)
    else:
        from salescli.migrations import APPLICATION_ID, MIGRATIONS, statements

        conn = sqlite3.connect(target, isolation_level=None)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for stmt in statements(MIGRATIONS[0][1]):
            conn.execute(stmt)
        conn.execute("INSERT INTO companies (name, created_at, updated_at) VALUES ('Acme Corp', 'x', 'x')")
        conn.execute("PRAGMA user_version = 1")
        conn.close()
    target.chmod(0o600)
    return target


def start_racers(box: Sandbox, scripts: list[list[dict[str, Any]]]) -> list[subprocess.Popen[str]]:
    racers = [subprocess.Popen([sys.executable, str(RACER), json.dumps(steps)], text=True, cwd=box.root,
                               env=box.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for steps in scripts]
    for racer in racers:
        assert racer.stdout is not None
        assert racer.stdout.readline() == "ready\n", racer.stderr.read() if racer.stderr else ""
    return racers


def racer_results(racers: list[subprocess.Popen[str]], timeout: float = 120) -> list[list[dict[str, Any]]]:
    out = []
    for racer in racers:
        stdout, stderr = racer.communicate(timeout=timeout)
        assert racer.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def cmd(db: Path, *args: str) -> dict[str, Any]:
    return {"run": ["--db", str(db), "--user", "dana", "--today", TODAY, *args]}


def race_rounds(box: Sandbox, dbs: list[Path], commands: list[tuple[str, ...]]) -> list[list[dict[str, Any]]]:
    """One racer per command; in round r, all of them run theirs on dbs[r] at one signal. The results of each
    round, in the order of the commands."""
    scripts = [[step for r, db in enumerate(dbs) for step in ({"wait": str(box.root / f"go{r}")}, cmd(db, *args))]
               for args in commands]
    racers = start_racers(box, scripts)
    for r in range(len(dbs)):
        (box.root / f"go{r}").touch()
    results = racer_results(racers)
    return [[results[i][r] for i in range(len(commands))] for r in range(len(dbs))]


def test_read_then_write_commands_racing_other_writers_never_fail_with_locked(crm: Sandbox) -> None:
    """`deal move`, `company edit` and `deal edit` read and then write; 50 rounds each, at the same time."""
    db, go = crm.db, crm.root / "go"
    stages = ["Needs Analysis", "Qualification"]
    scripts = [
        [{"wait": str(go)}, *(cmd(db, "deal", "move", "1", stages[i % 2]) for i in range(ROUNDS))],
        [{"wait": str(go)}, *(cmd(db, "company", "edit", "1", "--industry", f"robots {i}") for i in range(ROUNDS))],
        [{"wait": str(go)}, *(cmd(db, "deal", "edit", "2", "--amount", f"{5001 + i}") for i in range(ROUNDS))],
    ]
    conn = sqlite3.connect(db)
    history_before = conn.execute("SELECT count(*) FROM stage_history WHERE deal_id = 1").fetchone()[0]
    changes_before = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    conn.close()
    racers = start_racers(crm, scripts)
    go.touch()
    results = [r for rs in racer_results(racers) for r in rs]
    failures = [r for r in results if r["code"] != 0 or r["error"]]
    assert failures == [], failures[:3]
    assert not [r for r in results if "locked" in r["stderr"] or "busy" in r["stderr"]]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM stage_history WHERE deal_id = 1").fetchone()[0] == (
            history_before + ROUNDS)
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] >= changes_before + 3 * ROUNDS
        assert conn.execute("SELECT industry FROM companies WHERE id = 1").fetchone()[0] == f"robots {ROUNDS - 1}"
        assert conn.execute("SELECT amount_minor FROM deals WHERE id = 2").fetchone()[0] == (5000 + ROUNDS) * 100
    finally:
        conn.close()
    assert_healthy(db)


def test_processes_opening_an_old_database_at_once_migrate_it_exactly_once(sandbox: Sandbox) -> None:
    """Three processes open the same schema-1 file on one signal, three times over."""
    n = 3
    dbs = [v1_database(sandbox.root / f"old{r}.db") for r in range(3)]
    commands = [("company", "list", "-f", "json"), ("company", "add", "Zeta"), ("db", "migrate")]
    for r, (db, ran) in enumerate(zip(dbs, race_rounds(sandbox, dbs, commands), strict=True)):
        assert [x["code"] for x in ran] == [0] * n, ran
        notices = [x for x in ran if "backed up schema 1" in x["stderr"]]
        assert len(notices) == 1, f"round {r}: {len(notices)} processes say they backed up: {ran}"
        assert "Acme Corp" in ran[0]["stdout"]
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert conn.execute("SELECT count(*) FROM pipelines").fetchone()[0] == 1
            assert conn.execute("SELECT count(*) FROM stages").fetchone()[0] == 7
            assert conn.execute("SELECT count(*) FROM automations").fetchone()[0] == 1
            assert [r[0] for r in conn.execute("SELECT name FROM companies ORDER BY id")] == ["Acme Corp", "Zeta"]
        finally:
            conn.close()
        backups = sorted(p.name for p in sandbox.root.iterdir() if p.name.startswith(f"{db.name}."))
        assert backups == [f"{db.name}.v1.bak"], backups
        assert_healthy(db)


def test_processes_writing_to_a_new_database_at_once_all_write(sandbox: Sandbox) -> None:
    """Two cron jobs' first runs: four processes add a deal to a file none has made yet, on one signal; the
    ones that lose the create wait for the winner to make it a database (it was "an empty file" or "of
    another application" to them)."""
    dbs = [sandbox.root / f"new{r}.db" for r in range(10)]
    for db, ran in zip(dbs, race_rounds(sandbox, dbs, [("deal", "add", f"R{i}") for i in range(4)]), strict=True):
        assert [x["code"] for x in ran] == [0] * 4, ran
        conn = sqlite3.connect(db)
        try:
            assert sorted(t for (t,) in conn.execute("SELECT title FROM deals")) == ["R0", "R1", "R2", "R3"]
        finally:
            conn.close()
        assert_healthy(db)


@pytest.mark.parametrize("stdin", ["devnull", "closed-pipe"])
def test_a_destructive_command_with_no_terminal_refuses_instead_of_hanging(crm: Sandbox, stdin: str) -> None:
    before = snapshot(crm.db)
    for args in (("company", "rm", "1"), ("contact", "forget", "ana@acme-robotics.io"), ("deal", "rm", "1")):
        start = time.monotonic()
        if stdin == "devnull":
            out = crm.run(*args, stdin=subprocess.DEVNULL, timeout=30)
        else:
            proc = crm.popen(*args, stdin=subprocess.PIPE)
            assert proc.stdin is not None
            proc.stdin.close()
            out = finished(proc, timeout=30)
        assert time.monotonic() - start < 20
        assert_refused(out, 1, before, says=["--yes", "no terminal"])


# -- imports racing imports and reports ------------------------------------------------------
def external_ids(db: Path, prefix: str) -> int:
    return count(db, "SELECT count(*) FROM deals WHERE external_id LIKE ?", (f"{prefix}%",))


@pytest.mark.parametrize("timeout", ["10", "0.1"], ids=["waits", "gives-up"])
def test_two_imports_at_once_are_each_all_or_nothing(crm: Sandbox, timeout: str) -> None:
    """With the default timeout the second import waits and succeeds; with a tiny one it may give up
    with exit 5 "busy, nothing changed". Either way each import is all or nothing."""
    rows = 4000
    files = {p: write_deals_csv(crm.root / f"{p}.csv", rows, prefix=p, seed=i) for i, p in enumerate("AB")}
    first = crm.popen("import", "deals", str(files["A"]), env={"SALESCLI_BUSY_TIMEOUT": timeout})
    deadline = time.monotonic() + 30
    while not holds_the_write_lock(crm.db) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    second = crm.popen("import", "deals", str(files["B"]), env={"SALESCLI_BUSY_TIMEOUT": timeout})
    outs = {"A": finished(first), "B": finished(second)}
    for p, out in outs.items():
        if out.code == 0:
            assert external_ids(crm.db, p) == rows, str(out)
        else:
            assert_refused(out, 5, says=["busy", "nothing changed"])
            assert external_ids(crm.db, p) == 0
    codes = sorted(out.code for out in outs.values())
    assert codes in ([0, 0], [0, 5]), outs
    if timeout == "10":
        assert codes == [0, 0], outs
    assert_healthy(crm.db)


def test_reports_during_an_import_see_the_state_before_or_after_never_a_mix(crm: Sandbox) -> None:
    db, go, stop = crm.db, crm.root / "go", crm.root / "stop"
    csv = write_deals_csv(crm.root / "deals.csv", 5000)
    query = "SELECT count(*) AS n, coalesce(sum(amount_minor), 0) AS total FROM deals"
    watchers = [
        [{"wait": str(go)}, {**cmd(db, "sql", query, "-f", "json"), "until": str(stop)}],
        [{"wait": str(go)}, {**cmd(db, "report", "pipeline", "-f", "json"), "until": str(stop)}],
        [{"wait": str(go)}, {**cmd(db, "deal", "list", "-f", "jsonl"), "until": str(stop)}],
    ]

    def state() -> tuple[int, int, int]:
        conn = sqlite3.connect(db)
        try:
            n, total = conn.execute(query).fetchone()
            open_deals = conn.execute("SELECT count(*) FROM deals WHERE status = 'open'").fetchone()[0]
            return n, total, open_deals
        finally:
            conn.close()

    before = state()
    racers = start_racers(crm, watchers)
    go.touch()
    out = finished(crm.popen("import", "deals", str(csv)))
    stop.touch()
    assert out.code == 0, str(out)
    after = state()
    assert after[0] == before[0] + 5000
    sql_runs, reports, lists = racer_results(racers)
    for run in sql_runs + reports + lists:
        assert run["code"] == 0 and run["error"] is None, run
    seen = {(r["n"], r["total"]) for run in sql_runs for r in json.loads(run["stdout"])}
    assert seen <= {before[:2], after[:2]}, f"a report saw a half-imported state: {seen - {before[:2], after[:2]}}"
    open_seen = {json.loads(run["stdout"])["summary"]["deals"] for run in reports}
    assert open_seen <= {before[2], after[2]}, open_seen
    listed = {len(run["stdout"].splitlines()) for run in lists}
    assert listed <= {before[0], after[0]}, listed
    assert len(sql_runs) >= 3, "too few samples during the import"


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_a_signal_ends_a_wait_for_another_writers_lock_at_once(crm: Sandbox, sig: int, code: int, word: str) -> None:
    """SQLite's busy wait sleeps in C, deaf to Ctrl-C: with SALESCLI_BUSY_TIMEOUT=60 the command sat out the
    other writer. It waits in slices, so the signal ends it within a moment, nothing written."""
    before = snapshot(crm.db)
    holder = sqlite3.connect(crm.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = crm.popen("deal", "add", "Waiting", "--amount", "1k", env={"SALESCLI_BUSY_TIMEOUT": "60"})
        time.sleep(1.5)  # (started, and waiting for the lock)
        sent = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (proc.returncode, err.decode()) == (code, f"Error: {word}; nothing was saved\n")
    assert took < 5, took
    assert snapshot(crm.db) == before


def test_two_backups_to_one_new_file_at_once_keep_one_and_refuse_the_other(crm: Sandbox) -> None:
    """Without --force, the backup is put in place only if the name is still free when it is done (another
    backup run at the same moment wrote it since the start): kept, this one refused, no temporary file left."""
    from salescli.errors import RuleError
    from salescli.repository import Repository

    target = crm.root / "b.db"
    target.write_bytes(b"the other backup")  # (written while this one copied)
    repo = Repository.open(crm.db, create=False)
    try:
        with pytest.raises(RuleError, match="already exists"):
            repo.backup_to(target, replace=False)
        repo.backup_to(crm.root / "c.db", replace=False)
    finally:
        repo.close()
    assert target.read_bytes() == b"the other backup"
    assert sorted(p.name for p in crm.root.iterdir() if p.name.endswith("db")) == ["b.db", "c.db", "sales.db"]
    assert count(crm.root / "c.db", "SELECT count(*) FROM companies") == count(crm.db, "SELECT count(*) FROM companies")
