"""Where the database lives and which files salescli refuses: exit 5 with one line, nothing created."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salescli.migrations import APPLICATION_ID, SCHEMA_VERSION
from tests.conftest import digest

Run = Callable[..., Any]
FIXTURE_V1 = Path(__file__).parent / "fixtures" / "v1.db"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_is_private_wal_and_marked(cli: Run, db: Path) -> None:
    res = cli("init")
    assert (res.exit_code, res.stdout) == (0, "")
    assert res.stderr == f"created database: {db} (schema {SCHEMA_VERSION})\n"
    assert mode(db) == 0o600
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    assert cli("init").stderr == f"database already exists: {db} (schema {SCHEMA_VERSION})\n"


def test_wal_and_shm_files_are_private_too(ok: Run, db: Path) -> None:
    from salescli.repository import Repository

    ok("init")
    repo = Repository.open(db, create=False)  # keep a connection open so -wal and -shm exist
    try:
        ok("company", "add", "Acme")
        for suffix in ("-wal", "-shm"):
            assert mode(Path(f"{db}{suffix}")) == 0o600
    finally:
        repo.close()


def test_connection_settings(ok: Run, db: Path) -> None:
    from salescli.repository import Repository

    ok("init")
    repo = Repository.open(db, create=False, busy_timeout=2.5)
    try:
        assert repo.scalar("PRAGMA foreign_keys") == 1
        assert repo.scalar("PRAGMA busy_timeout") == 2500
        assert repo.scalar("PRAGMA secure_delete") == 1
    finally:
        repo.close()


def test_read_command_on_a_missing_file_is_exit_5_and_creates_nothing(cli: Run, tmp_path: Path) -> None:
    typo = tmp_path / "slaes.db"
    for args in (("company", "list"), ("contact", "show", "1"), ("history",), ("db", "info"),
                 ("company", "rm", "1", "--yes"), ("contact", "forget", "1", "--yes")):
        res = cli(*args, database=typo)
        assert (res.exit_code, res.stdout) == (5, ""), args
        assert res.stderr == (f"Error: no database at {typo}\n"
                              "Hint: run `salescli init` to create one, or pass --db / set SALESCLI_DB\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_write_into_a_missing_folder_is_exit_5_and_creates_nothing(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "sales.db"
    res = cli("company", "add", "Acme", database=target)
    assert (res.exit_code, res.stdout) == (5, "")
    assert res.stderr == f"Error: cannot create database {target}: folder {target.parent} does not exist\n"
    assert not (tmp_path / "no").exists()


FAILED_FIRST_WRITES = {
    # name: (command, exit code, the error line)
    "rule broken": (("deal", "add", "Big", "--stage", "Proposal"), 1,
                    "Error: a new deal cannot enter stage Proposal: missing amount, expected_close"),
    "bad value": (("company", "add", ""), 2, 'Error: NAME "" is required'),
    "unknown reference": (("deal", "add", "Renewal", "--contact", "ana@acme.io"), 3,
                          'Error: --contact "ana@acme.io" not found'),
    "import refused": (("import", "deals", "{csv}", "-f", "json"), 4,
                       'Error: d.csv:2: amount "abc" is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)'),
}


@pytest.mark.parametrize("case", list(FAILED_FIRST_WRITES))
def test_a_failed_first_write_leaves_no_database_file(cli: Run, tmp_path: Path, case: str) -> None:
    args, code, error = FAILED_FIRST_WRITES[case]
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("title,amount\nBad,abc\n", encoding="utf-8")
    target = tmp_path / "new.db"
    res = cli(*(a.replace("{csv}", str(csv_file)) for a in args), database=target)
    assert (res.exit_code, res.stdout) == (code, "")
    assert res.stderr.splitlines()[0] == error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "home"]  # no new.db, -wal, -shm


def test_the_first_write_that_succeeds_after_failures_creates_the_file(cli: Run, ok: Run, tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    assert cli("deal", "add", "Big", "--stage", "Proposal", database=target).exit_code == 1
    assert not target.exists()
    res = ok("deal", "add", "Big", "--stage", "Proposal", "--amount", "12k", "--close", "+30d", database=target)
    assert res.stderr == "added deal 1 Big (Proposal)\n"
    assert mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "new.db"]
    listed = json.loads(ok("deal", "list", "-f", "json", database=target).stdout)
    assert [d["title"] for d in listed] == ["Big"]


def test_a_failed_command_never_removes_a_database_that_existed(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    for args in (("deal", "add", "Big", "--stage", "Proposal"), ("company", "add", ""),
                 ("deal", "add", "Renewal", "--contact", "ana@acme.io")):
        assert cli(*args).exit_code in (1, 2, 3)
    assert digest(db) == before and mode(db) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(db.name)) == [db.name]


def test_a_failed_first_write_at_the_default_location_leaves_no_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from salescli.cli import app

    home = tmp_path / "home"
    runner = CliRunner()
    res = runner.invoke(app, ["deal", "add", "Big", "--stage", "Proposal"])
    assert (res.exit_code, res.stdout) == (1, "")
    assert list(home.iterdir()) == []  # neither sales.db nor the .local/share/salescli folders made for it
    assert runner.invoke(app, ["company", "add", "Acme"]).exit_code == 0
    assert mode(Path(os.environ["XDG_DATA_HOME"]) / "salescli" / "sales.db") == 0o600


@pytest.mark.parametrize(("sig", "code", "word"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_ctrl_c_or_sigterm_on_a_first_write_leaves_no_database_file(tmp_path: Path, sig: str, code: int,
                                                                    word: str) -> None:
    import signal

    from tests.conftest import salescli_exe

    target = tmp_path / "new.db"
    # An import from stdin opens (creates) the database, then waits for rows that never come.
    proc = subprocess.Popen([salescli_exe(), "--db", str(target), "import", "deals", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not Path(f"{target}-wal").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the import never opened the database"
            time.sleep(0.02)
        proc.send_signal(getattr(signal, sig))
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, out, err) == (code, "", f"Error: {word}; nothing was saved\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_a_failed_creator_leaves_a_file_another_salescli_wrote_to(db: Path) -> None:
    from salescli.repository import Repository

    creator = Repository.open(db, create=True)
    other = Repository.open(db, create=False)
    try:
        with other.write():
            other.set_setting("base_currency", "EUR")
    finally:
        other.close()
    assert creator.created is not None
    assert creator.discard_created() is False  # someone else's data is in it now
    assert db.exists()
    check = Repository.open(db, create=False)
    try:
        assert check.settings()["base_currency"] == "EUR"
    finally:
        check.close()


def test_a_writer_that_waited_on_a_removed_new_file_refuses_instead_of_losing_its_write(db: Path) -> None:
    from salescli.errors import DatabaseError
    from salescli.repository import Repository

    creator = Repository.open(db, create=True)
    other = Repository.open(db, create=False)  # opened the new file before its creator failed
    try:
        assert creator.discard_created() is True
        assert not db.exists()
        with pytest.raises(DatabaseError, match="was removed or replaced while this command ran; nothing changed"):
            with other.write():
                other.set_setting("base_currency", "EUR")
    finally:
        other.close()
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name)) == []


def test_default_location_is_under_xdg_data_home_and_its_folder_is_created(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from salescli.cli import app

    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert str(data_home).startswith(str(tmp_path))  # conftest isolates it: never the real one
    runner = CliRunner()
    res = runner.invoke(app, ["company", "list"])
    assert res.exit_code == 5 and not (data_home / "salescli").exists()
    res = runner.invoke(app, ["company", "add", "Acme"])
    assert res.exit_code == 0, res.stderr
    assert (data_home / "salescli" / "sales.db").is_file()
    assert mode(data_home / "salescli") == 0o700 and mode(data_home / "salescli" / "sales.db") == 0o600
    res = runner.invoke(app, ["db", "info", "-f", "json"])
    assert json.loads(res.stdout)["path"] == str(data_home / "salescli" / "sales.db")


def test_salescli_db_variable_and_option_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from salescli.cli import app

    env_db, opt_db = tmp_path / "env.db", tmp_path / "opt.db"
    monkeypatch.setenv("SALESCLI_DB", str(env_db))
    runner = CliRunner()
    assert runner.invoke(app, ["company", "add", "ViaEnv"]).exit_code == 0
    assert runner.invoke(app, ["--db", str(opt_db), "company", "add", "ViaOption"]).exit_code == 0
    names = json.loads(runner.invoke(app, ["company", "list", "-f", "json"]).stdout)
    assert [c["name"] for c in names] == ["ViaEnv"]
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "salescli").exists()


def _write_other_app_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('not yours')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("text", "Error: {db} is not a SQLite database\nHint: check the --db path\n"),
        ("empty", "Error: {db} is an empty file, not a salescli database\n"
                  "Hint: `salescli init` makes it a database; or pass another --db path\n"),
        ("other-app", "Error: {db} is a SQLite database of another application, not salescli\n"
                      "Hint: pass the path of a salescli database with --db\n"),
        ("folder", "Error: {db} is a folder, not a database file\n"),
        ("corrupt", "Error: database {db} is corrupt (database disk image is malformed)\n"
                    "Hint: run `salescli db check`, or restore a backup made with `salescli db backup`\n"),
    ],
)
def test_files_that_are_not_salescli_databases_are_refused_untouched(
    cli: Run, ok: Run, db: Path, tmp_path: Path, kind: str, message: str
) -> None:
    if kind == "text":
        db.write_text("name,email\nAna,ana@acme.io\n")
    elif kind == "empty":
        db.touch()
    elif kind == "other-app":
        _write_other_app_db(db)
    elif kind == "folder":
        db.mkdir()
    else:
        good = tmp_path / "good.db"
        ok("company", "add", "Acme", database=good)
        db.write_bytes(good.read_bytes()[:4096])  # the header survives, the pages do not
    before = None if kind == "folder" else db.read_bytes()
    for args in (("company", "list"), ("company", "add", "X"), ("init",), ("db", "info")):
        if kind == "empty" and args == ("init",):
            continue  # (init makes it one: below)
        res = cli(*args)
        assert (res.exit_code, res.stdout, res.stderr) == (5, "", message.format(db=db)), args
    if before is not None:
        assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(db.name)) == [db.name]


def test_a_fifo_or_device_is_refused_without_hanging(cli: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    for target in (fifo, Path(os.devnull)):
        res = cli("company", "list", database=target)
        assert (res.exit_code, res.stdout, res.stderr) == (
            5, "", f"Error: {target} is not a regular file, not a database file\n")


def test_a_newer_schema_is_refused_untouched(ok: Run, cli: Run, db: Path) -> None:
    ok("company", "add", "Acme")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = digest(db)
    for args in (("company", "list"), ("company", "add", "X"), ("db", "migrate")):
        res = cli(*args)
        assert (res.exit_code, res.stdout) == (5, "")
        assert res.stderr == (f"Error: {db} was written by a newer salescli (schema 99, this one knows "
                              f"{SCHEMA_VERSION})\nHint: upgrade salescli (pip install -U salescli)\n")
    assert digest(db) == before


def test_an_older_schema_is_migrated_after_a_private_backup(cli: Run, ok: Run, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    shutil.copyfile(FIXTURE_V1, old)
    old.chmod(0o600)
    v1_bytes = old.read_bytes()
    res = cli("contact", "list", "-f", "json", database=old)  # a read command migrates too, and says so
    assert res.exit_code == 0
    backup = tmp_path / "old.db.v1.bak"
    assert res.stderr == f"backed up schema 1 database to {backup} before migrating\n"
    assert backup.read_bytes()[:16] == b"SQLite format 3\x00" and mode(backup) == 0o600
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT name FROM contacts").fetchall() == [("Ana Silva",)]
    conn.close()
    assert len(v1_bytes) > 0
    [ana] = json.loads(res.stdout)
    assert (ana["name"], ana["email"], ana["phone"], ana["company"]) == (
        "Ana Silva", "ana@acme.io", "+351 555 0100", "Acme Corp")
    info = json.loads(ok("db", "info", "-f", "json", database=old).stdout)
    assert (info["schema_version"], info["journal_mode"]) == (SCHEMA_VERSION, "wal")
    assert (info["companies"], info["contacts"], info["changes"], info["stages"]) == (1, 1, 1, 7)
    company = json.loads(ok("company", "show", "acme.io", "-f", "json", database=old).stdout)
    assert (company["tags"], company["notes"]) == (["key-account"], "first customer")
    res = ok("db", "migrate", database=old)  # nothing left to do: no second backup
    assert res.stderr == f"schema version {SCHEMA_VERSION}: up to date\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("old.db.")) == ["old.db.v1.bak"]
    ok("contact", "add", "Bo", "--company", "Acme Corp", database=old)  # the migrated file takes writes


def test_db_migrate_says_it_migrated(ok: Run, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    shutil.copy(FIXTURE_V1, old)
    res = ok("db", "migrate", database=old)
    assert res.stderr == (f"backed up schema 1 database to {tmp_path / 'old.db.v1.bak'} before migrating\n"
                          f"migrated from schema version 1 to {SCHEMA_VERSION}\n")


def test_the_v1_fixture_is_what_make_v1_builds(tmp_path: Path) -> None:
    from tests.fixtures.make_v1 import build

    rebuilt = build(tmp_path / "v1.db")
    assert digest(rebuilt) == digest(FIXTURE_V1)
    conn = sqlite3.connect(FIXTURE_V1)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        conn.close()


def test_a_restored_backup_is_left_as_it_is_by_reads_and_switched_back_to_wal_by_a_write(ok: Run, db: Path,
                                                                                       tmp_path: Path) -> None:
    ok("company", "add", "Acme")
    backup = tmp_path / "copy.db"
    res = ok("db", "backup", str(backup))
    assert mode(backup) == 0o600
    assert res.stderr.startswith(f"backed up {db} to {backup} (")
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    before = backup.read_bytes()
    info = json.loads(ok("db", "info", "-f", "json", database=backup).stdout)
    assert (info["journal_mode"], info["companies"]) == ("delete", 1)
    ok("report", "pipeline", database=backup)
    assert backup.read_bytes() == before  # reading a backup leaves it as it is, byte for byte
    ok("company", "add", "Globex", database=backup)  # its first write makes it WAL
    info = json.loads(ok("db", "info", "-f", "json", database=backup).stdout)
    assert (info["journal_mode"], info["companies"]) == ("wal", 2)


def test_db_info_snapshot(ok: Run, db: Path) -> None:
    ok("company", "add", "Acme")
    info = json.loads(ok("db", "info", "-f", "json").stdout)
    assert info == {
        "path": str(db), "size_bytes": db.stat().st_size, "schema_version": SCHEMA_VERSION, "journal_mode": "wal",
        "companies": 1, "contacts": 0, "deals": 0, "activities": 0, "pipelines": 1, "stages": 7,
        "stage_history": 0, "targets": 0, "users": 1, "changes": 1, "import_batches": 0,
    }
    table = ok("db", "info").stdout
    assert "schema version   " + str(SCHEMA_VERSION) in table and "companies        1" in table


HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(30)
"""


def test_a_second_writer_waits_then_exits_5_changing_nothing(ok: Run, db: Path, run_exe: Run) -> None:
    ok("company", "add", "Acme")
    before = digest(db)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        start = time.monotonic()
        res = run_exe("--db", str(db), "company", "add", "Busy Inc", env={"SALESCLI_BUSY_TIMEOUT": "0.2"})
        assert time.monotonic() - start < 10
        assert (res.returncode, res.stdout) == (5, "")
        assert res.stderr == (f"Error: database {db} is busy (another process is writing to it); nothing changed\n"
                              "Hint: try again, or raise SALESCLI_BUSY_TIMEOUT (seconds)\n")
        reader = run_exe("--db", str(db), "company", "list", "-f", "csv", env={"SALESCLI_BUSY_TIMEOUT": "0.2"})
        assert reader.returncode == 0 and "Acme" in reader.stdout  # WAL: readers are not blocked
    finally:
        holder.kill()
        holder.wait()
    assert digest(db) == before


@pytest.mark.parametrize(("value", "reason"), [
    ("abc", "is not a number of seconds"), ("-1", "must be between 0 and 86400 seconds"),
    ("nan", "must be between 0 and 86400 seconds"), ("1e9", "must be between 0 and 86400 seconds"),
])
def test_bad_busy_timeout_is_a_usage_error(ok: Run, cli: Run, db: Path, monkeypatch: pytest.MonkeyPatch,
                                           value: str, reason: str) -> None:
    ok("company", "add", "Acme")
    before = digest(db)
    monkeypatch.setenv("SALESCLI_BUSY_TIMEOUT", value)
    res = cli("company", "add", "X")
    assert (res.exit_code, res.stdout, res.stderr) == (2, "", f'Error: SALESCLI_BUSY_TIMEOUT "{value}" {reason}\n')
    assert digest(db) == before


def test_user_option_variable_and_login(ok: Run, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok("company", "add", "A")
    ok("--user", "lee", "company", "add", "B")
    monkeypatch.setenv("SALESCLI_USER", "  ")
    import getpass

    ok("company", "add", "C")
    rows = json.loads(ok("history", "-f", "json").stdout)
    assert [r["changed_by"] for r in rows] == ["dana", "lee", getpass.getuser()]
    owners = [c["owner"] for c in json.loads(ok("company", "list", "-f", "json").stdout)]
    assert owners == ["dana", "lee", getpass.getuser()]


def test_version(run_exe: Run) -> None:
    from salescli import __version__

    res = run_exe("--version")
    assert (res.returncode, res.stdout, res.stderr) == (0, f"salescli {__version__}\n", "")


def test_a_backup_that_fails_leaves_no_file_behind_not_even_its_journal(ok: Run, db: Path, tmp_path: Path) -> None:
    from salescli.errors import DatabaseError
    from salescli.repository import Repository

    ok("company", "add", "Acme")
    target = tmp_path / "b.db"
    tmp = tmp_path / f".b.db.tmp{os.getpid()}"

    class FullDisk:
        def backup(self, dest: sqlite3.Connection) -> None:
            dest.execute("CREATE TABLE t (x)")  # (the copy has begun: its journal exists)
            tmp.with_name(tmp.name + "-journal").write_bytes(b"partial")
            raise sqlite3.OperationalError("database or disk is full")

    repo = Repository.open(db, create=False)
    try:
        with pytest.raises(DatabaseError):
            repo.backup_to(target, FullDisk())  # type: ignore[arg-type]
    finally:
        repo.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".b.db") or p.name == "b.db") == []


def test_backup_onto_a_folder_asks_for_a_file_name(cli: Run, ok: Run, tmp_path: Path) -> None:
    ok("company", "add", "Acme")
    folder = tmp_path / "backups"
    folder.mkdir()
    for extra in ((), ("--force",)):  # (--force was suggested, then failed with "Is a directory")
        res = cli("db", "backup", str(folder), *extra)
        assert (res.exit_code, res.stderr) == (
            2, f"Error: {folder} is a folder; give the backup a file name (e.g. {folder / 'sales-backup.db'})\n")
    assert list(folder.iterdir()) == []


def test_backup_force_never_replaces_a_pipe_the_database_or_a_link(cli: Run, ok: Run, db: Path,
                                                                    tmp_path: Path) -> None:
    import os

    ok("company", "add", "Acme")
    fifo = tmp_path / "p1"
    os.mkfifo(fifo)
    res = cli("db", "backup", str(fifo), "--force")
    assert (res.exit_code, res.stderr) == (2, f"Error: {fifo} is not a regular file (a device or a pipe); a"
                                              " backup is a file\nHint: give it a file name, e.g. sales-backup.db\n")
    assert fifo.is_fifo()
    assert cli("db", "backup", str(fifo)).stderr.startswith(f"Error: {fifo} is not a regular file")  # not "--force"
    for extra in ((), ("--force",)):
        res = cli("db", "backup", str(db), *extra)
        assert (res.exit_code, res.stderr) == (2, f"Error: {db} is the database itself; give the backup another"
                                                  " file name\n")
    real, link = tmp_path / "real.db", tmp_path / "latest.db"
    real.write_text("old")
    link.symlink_to(real)
    ok("db", "backup", str(link), "--force")  # written through the link, as cp does
    assert link.is_symlink() and real.read_bytes().startswith(b"SQLite format 3")
    dangling, missing = tmp_path / "next.db", tmp_path / "backups-next.db"
    dangling.symlink_to(missing)
    ok("db", "backup", str(dangling))
    assert dangling.is_symlink() and missing.read_bytes().startswith(b"SQLite format 3")


def test_backup_force_takes_the_old_files_wal_with_it_and_never_writes_a_databases_own(
        cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("company", "add", "Acme")
    old = tmp_path / "old.db"  # last week's backup, left with a WAL by a program killed while it had it open
    with sqlite3.connect(old, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        shutil.copy(old.with_name("old.db-wal"), tmp_path / "stale-wal")  # (as it was when the program died)
    conn.close()
    shutil.copy(tmp_path / "stale-wal", old.with_name("old.db-wal"))
    ok("db", "backup", str(old), "--force")
    assert not old.with_name("old.db-wal").exists() and not old.with_name("old.db-shm").exists()
    assert ok("--db", str(old), "db", "check").exit_code == 0
    assert ok("--db", str(old), "company", "list", "-f", "csv").stdout.splitlines()[1].startswith("1,Acme,")
    wal = db.with_name(db.name + "-wal")
    for extra in ((), ("--force",)):
        res = cli("db", "backup", str(wal), *extra)
        assert (res.exit_code, res.stderr) == (2, f"Error: {wal} belongs to the database {db} (its journal); give"
                                                  " the backup another file name\n")
    res = cli("export", "deals", "-f", "csv", "-o", str(wal))
    assert (res.exit_code, res.stderr) == (1, f"Error: --output {wal} belongs to the SQLite database {db} (its"
                                              " journal); refusing to overwrite it; no file written\n")


def test_a_damaged_database_is_not_backed_up_over_a_good_backup(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    for n in range(300):
        ok("company", "add", f"Company {n}", "--notes", "x" * 200)
    ok("deal", "add", "A", "--amount", "5")
    with sqlite3.connect(db) as conn:  # a row a CHECK refuses is a row to fix (db check lists it), not damage
        conn.execute("PRAGMA ignore_check_constraints = 1")
        conn.execute("UPDATE deals SET amount_minor = -500")
    conn.close()
    good = tmp_path / "monday.db"
    ok("db", "backup", str(good))
    kept = good.read_bytes()
    with open(db, "r+b") as fh:  # a page in the middle overwritten (a disk fault)
        fh.seek(4096 * 5)
        fh.write(b"\xde\xad" * 2048)
    res = cli("db", "backup", str(good), "--force")
    assert res.exit_code == 5
    assert res.stderr.startswith(f"Error: database {db} is damaged, so its copy would be: no backup written"
                                 " (quick_check: ")
    assert len(res.stderr.splitlines()) == 2
    assert good.read_bytes() == kept and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(("args", "message"), [
    (("db", "backup", "new/"), "Error: cannot write new/: folder new does not exist\n"),
    (("export", "deals", "-o", "new/"), "Error: --output new/: folder new does not exist\n"),
])
def test_a_target_ending_in_a_slash_is_a_missing_folder_not_a_file(
        cli: Run, ok: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
        message: str) -> None:
    ok("company", "add", "Acme")
    monkeypatch.chdir(tmp_path)
    res = cli(*args)
    assert (res.exit_code, res.stderr) == (5, message)
    assert not (tmp_path / "new").exists()


def test_an_empty_output_is_refused_not_read_as_stdout(cli: Run, ok: Run) -> None:
    ok("company", "add", "Acme")
    for args in (("export", "deals", "-o", ""), ("sql", "SELECT 1", "-o", ""), ("company", "list", "-o", "")):
        res = cli(*args)
        assert (res.exit_code, res.stdout, res.stderr) == (
            2, "", 'Error: -o/--output is empty; give a file name, or "-" for stdout\n'), args
    res = cli("db", "backup", "")
    assert (res.exit_code, res.stderr) == (2, "Error: TARGET is empty; give the backup a file name\n")
    res = cli("db", "backup", "-")  # (not a file named "-", and not a binary stream)
    assert (res.exit_code, res.stderr) == (2, "Error: TARGET - : a backup is a database file, not a stream; give it"
                                              " a file name\nHint: compress it after: salescli db backup sales.db"
                                              " && gzip sales.db\n")


def test_an_empty_db_option_is_refused_not_read_as_the_default(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from salescli.cli import app

    res = CliRunner().invoke(app, ["--db", "", "deal", "add", "oops"])  # cron: --db "$DB" with DB unset
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr == 'Error: --db "" is empty (leave --db out for the default database)\n'
    assert not (tmp_path / "home" / ".local" / "share" / "salescli").exists()


def test_an_empty_salescli_db_is_refused_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from salescli.cli import app

    monkeypatch.setenv("SALESCLI_DB", "")
    res = CliRunner().invoke(app, ["deal", "list"])
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr == 'Error: SALESCLI_DB "" is set but empty (unset it for the default database)\n'


def test_db_and_user_work_after_the_command_too(run_exe: Callable[..., Any], tmp_path: Path) -> None:
    """DESIGN: `--db PATH` on any command (a crontab line `salescli report weekly --db /srv/sales.db`)."""
    db = tmp_path / "late.db"
    res = run_exe("--today", "2026-11-26", "deal", "add", "Late", "--db", str(db), "--user=sam")
    assert (res.returncode, res.stderr) == (0, "added deal 1 Late (Prospecting)\n")
    shown = run_exe("deal", "list", "-f", "json", f"--db={db}")
    assert [(d["title"], d["owner"], d["created_at"]) for d in json.loads(shown.stdout)] == [
        ("Late", "sam", "2026-11-26T00:00:00")]


@pytest.mark.parametrize(("argv", "hoisted"), [
    (["deal", "list", "--db", "x.db"], ["--db", "x.db", "deal", "list"]),
    (["--today", "2026-11-26", "task", "list", "--today", "--user", "ana"],
     ["--today", "2026-11-26", "--user", "ana", "task", "list", "--today"]),  # task list's own --today stays
    (["activity", "log", "note", "x", "--", "--db"], ["activity", "log", "note", "x", "--", "--db"]),
    (["demo", "--db", "d.db", "--user", "sam"], ["--user", "sam", "demo", "--db", "d.db"]),  # demo's own --db
    (["deal", "edit", "1", "--notes", "--user=bob asked", "--user", "ana"],  # a note is a note
     ["--user", "ana", "deal", "edit", "1", "--notes", "--user=bob asked"]),
])
def test_global_options_after_the_command_move_before_it(argv: list[str], hoisted: list[str]) -> None:
    from salescli.cli import hoist_global_options

    assert hoist_global_options(argv) == hoisted


def test_init_makes_an_empty_file_made_for_it_the_database_keeping_its_mode(cli: Run, ok: Run, db: Path) -> None:
    db.touch(mode=0o640)  # `install -m 640 /dev/null sales.db`: a file a group may read
    os.chmod(db, 0o640)
    assert ok("init").stderr == f"created database: {db} (schema {SCHEMA_VERSION})\n"
    assert stat.S_IMODE(db.stat().st_mode) == 0o640
    ok("company", "add", "Acme")
    assert ok("init").stderr == f"database already exists: {db} (schema {SCHEMA_VERSION})\n"


def test_db_after_the_command_without_a_value_says_so(run_exe: Callable[..., Any]) -> None:
    res = run_exe("deal", "list", "--db")
    assert (res.returncode, res.stdout, res.stderr) == (2, "", "Error: --db needs a value (a database file)\n")


def test_init_says_when_the_empty_file_it_adopts_is_open_to_everyone(ok: Run, db: Path) -> None:
    db.touch()
    os.chmod(db, 0o644)  # `touch sales.db` under umask 022
    assert ok("init").stderr == (f"created database: {db} (schema {SCHEMA_VERSION})\n"
                                 f"note: {db} is open to every user of this machine (mode 644); chmod 600 keeps it"
                                 " yours\n")


def test_every_option_taking_a_value_is_known_to_the_mover(cli: Run) -> None:
    """hoist_global_options skips the value of an option that takes one: its list must cover every command."""
    import re

    from salescli.cli import FLAGS_OF, VALUE_OPTIONS
    from tests.conftest import every_command_help

    taking = set()
    flags_taking_elsewhere = {}
    for argv, text in every_command_help(cli):
        for line in text.splitlines():
            m = re.match(r"\s+((?:-[\w-]+(?:, )?)+)\s+<", line)
            if m:
                taking.update(o.strip() for o in m.group(1).split(","))
            flag = re.match(r"\s+((?:-[\w-]+(?:, )?)+)\s{2,}[A-Z]", line)  # an option with no <value>: a flag
            if flag:
                named = {o.strip() for o in flag.group(1).split(",")} & VALUE_OPTIONS
                if named:
                    flags_taking_elsewhere[argv] = frozenset(named)
    assert taking - {"--db", "--user", "--today"} == set(VALUE_OPTIONS)
    # a flag here that takes a value in another command is listed, so the mover does not take the next word
    assert flags_taking_elsewhere == {k: v for k, v in FLAGS_OF.items() if k[0] == "task"}


def test_quick_checks_lines_are_one_problem_a_line() -> None:
    """quick_check gives several pages in one row ("*** in database main ***\nPage 601: …\nPage 602: …"): the
    backup's error printed them all, three lines where RELIABILITY.md asks one."""
    from salescli.repository.base import _quick_check

    class Damaged:
        def execute(self, sql: str) -> list[tuple[str]]:
            return [("*** in database main ***\nPage 601: btreeInitPage() returns error code 11\n"
                     "Page 602: btreeInitPage() returns error code 11",), ("CHECK constraint failed in deals",)]

    assert _quick_check(Damaged()) == ["Page 601: btreeInitPage() returns error code 11",  # type: ignore[arg-type]
                                       "Page 602: btreeInitPage() returns error code 11"]
