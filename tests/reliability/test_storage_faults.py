"""Storage faults: disk full, read-only file and folder, missing folder, and files that are not (usable)
salescli databases. Each is refused with exit 5, one line that says what to do, and nothing changed."""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from salescli.migrations import APPLICATION_ID, SCHEMA_VERSION
from tests.reliability.harness import (
    Outcome,
    Sandbox,
    assert_healthy,
    assert_refused,
    count,
    fill,
    folder_files,
    mode,
    permissions_unenforced,
    snapshot,
    tmpfs,
    write_deals_csv,
)


def bulk_companies(db: Path, n: int, notes: int = 200) -> None:
    """n companies with some notes, written straight into a salescli database (fast, for size only)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        stamp = "2026-11-26T00:00:00"
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO companies (name, domain, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            ((f"Company {i:05d}", f"c{i}.example", f"note {i} " + "x" * notes, stamp, stamp) for i in range(n)),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, or a skip when this machine does not allow mounting."""
    try:
        with tmpfs(tmp_path / "small", "2m") as folder:
            yield folder
    except PermissionError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")


# -- missing folder ------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("company", "add", "Acme"), ("company", "list"), ("init",)])
def test_a_missing_folder_is_refused_and_nothing_is_created(sandbox: Sandbox, args: tuple[str, ...]) -> None:
    target = sandbox.root / "no" / "such" / "folder" / "sales.db"
    out = sandbox.run(*args, db=target)
    assert_refused(out, 5, says=str(target.parent) if args[0] != "company" or args[1] == "add" else str(target))
    assert not (sandbox.root / "no").exists()


@pytest.mark.parametrize("args, says", [
    (("deal", "list", "-o", "{out}"), "--output {out}"),
    (("report", "pipeline", "-o", "{out}"), "--output {out}"),
    (("export", "deals", "-o", "{out}"), "--output {out}"),
    (("db", "backup", "{out}"), "cannot write {out}"),
    (("import", "deals", "{csv}", "--on-error", "skip", "--rejects", "{out}"), "--rejects {out}"),
])
def test_an_output_file_in_a_missing_folder_is_exit_5_naming_the_folder(crm: Sandbox, args: tuple[str, ...],
                                                                        says: str) -> None:
    target = crm.root / "no" / "such" / "out.csv"
    csv_file = write_deals_csv(crm.root / "deals.csv", 3)
    before = snapshot(crm.db)
    out = crm.run(*(a.format(out=target, csv=csv_file) for a in args))
    line = assert_refused(out, 5, before)
    assert line == f"Error: {says.format(out=target)}: folder {target.parent} does not exist"
    assert out.stderr == line + "\n"
    assert not (crm.root / "no").exists()


# -- files that are not usable salescli databases ------------------------------------------
def _corrupt_page_in_the_middle(db: Path) -> None:
    """Overwrite the middle of the companies-table page nearest the middle of the file with garbage."""
    conn = sqlite3.connect(db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        try:
            candidates = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'companies'"
                                                     " AND pagetype = 'leaf'")]
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no dbstat table to find a page of the companies table")
    finally:
        conn.close()
    assert len(candidates) > 20, "the companies table should fill most of the file"
    page = min(candidates, key=lambda p: abs(p - pages / 2))
    offset = (page - 1) * page_size + page_size // 4
    garbage = random.Random(7).randbytes(page_size // 2)
    with open(db, "r+b") as fh:
        fh.seek(offset)
        fh.write(garbage)


def _corrupt_root_page(db: Path) -> None:
    """Overwrite the companies table's root page (every read of the table starts there)."""
    conn = sqlite3.connect(db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'companies'").fetchone()[0]
    finally:
        conn.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page_size + 8)
        fh.write(random.Random(11).randbytes(page_size - 16))


def _other_application(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('not yours')")
    conn.commit()
    conn.close()


def _newer_salescli(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


BAD_FILES = {
    # name: (how to make it from the seeded CRM, words the error or hint must contain)
    "corrupt-middle": ("middle", ["corrupt", "db check", "backup"]),
    "corrupt-root": ("root", ["corrupt", "db check", "backup"]),
    "zero-length": ("empty", ["empty file", "--db"]),
    "text": ("text", ["not a SQLite database", "--db"]),
    "other-application": ("other", ["another application", "--db"]),
    "newer-salescli": ("newer", [f"schema {SCHEMA_VERSION + 1}", "upgrade salescli"]),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_unusable_database_files_are_refused_untouched(crm: Sandbox, kind: str) -> None:
    how, words = BAD_FILES[kind]
    db = crm.db
    if how == "middle":
        bulk_companies(db, 3000)
        _corrupt_page_in_the_middle(db)
    elif how == "root":
        bulk_companies(db, 300)
        _corrupt_root_page(db)
    elif how == "empty":
        db.write_bytes(b"")
    elif how == "text":
        db.write_text("name,email\nAna Silva,ana@acme-robotics.io\n")
    elif how == "other":
        db.unlink()
        _other_application(db)
    else:
        _newer_salescli(db)
    db.chmod(0o600)
    before = db.read_bytes()
    files = folder_files(crm.root)
    out_file = crm.root / "companies.json"
    # Corruption deep in a table is met while a list streams: the output file is the place to check
    # that nothing half-written is left. Everywhere else the refusal comes before any output.
    reader = ("company", "list", "-o", str(out_file)) if how == "middle" else ("company", "list", "-f", "json")
    writer = ("company", "list", "--sort", "name", "-o", str(out_file)) if how == "middle" else (
        "company", "add", "Zeta")
    query = ("sql", "SELECT * FROM companies", *(("-o", str(out_file)) if how == "middle" else ("-f", "json")))
    for args in (reader, writer, query):  # (`sql` as every other command: a storage fault, not the query's)
        out = crm.run(*args)
        assert_refused(out, 5, says=words, outputs=[out_file])
        assert len(out.stderr.splitlines()) == 2, f"no hint says what to do: {out}"
    assert db.read_bytes() == before, "a refused file was modified"
    assert folder_files(crm.root) == files
    assert not Path(f"{db}-journal").exists()


# -- read-only file and folder (root made to obey permissions: see harness.UNPRIVILEGED) -------
@pytest.fixture
def user_box(crm: Sandbox) -> Iterator[Sandbox]:
    """The small CRM, run by a user who meets the permissions of its files; writable again afterwards."""
    why = permissions_unenforced()
    if why:
        pytest.skip(why)
    yield crm
    for path in (crm.root, *crm.root.rglob("*")):
        path.chmod(0o700 if path.is_dir() else 0o600)


def test_a_read_only_database_file_refuses_writes_and_still_reads(user_box: Sandbox) -> None:
    db = user_box.db
    db.chmod(0o400)
    csv_file = user_box.root / "deals.csv"
    csv_file.write_text("title,amount\nBeta,5\n", encoding="utf-8")
    before = snapshot(db)
    out = user_box.run("company", "add", "Zeta", as_user=True)
    assert_refused(out, 5, before, says=[str(db), "read-only", "nothing changed"])
    assert out.stderr == f"Error: database {db} is read-only; nothing changed\nHint: check the file's permissions" \
                         f" (ls -l {db})\n"
    out = user_box.run("deal", "edit", "1", "--amount", "13k", as_user=True)
    assert_refused(out, 5, before, says=["read-only"])
    out = user_box.run("import", "deals", str(csv_file), as_user=True)
    assert_refused(out, 5, before, says=["read-only", "nothing changed"])
    listed = user_box.run("company", "list", "-f", "csv", as_user=True)
    assert listed.code == 0 and "Acme Robotics" in listed.stdout, str(listed)
    assert user_box.run("sql", "SELECT count(*) AS n FROM companies", "-f", "csv", as_user=True).code == 0
    for side in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert not side.exists() or mode(side) & 0o077 == 0, f"{side} is readable by others"
    # the reads left -wal/-shm as read-only as the file: once the file is writable again, they refuse the write
    stuck = [side for side in (Path(f"{db}-wal"), Path(f"{db}-shm")) if side.exists() and mode(side) & 0o200 == 0]
    if stuck:
        db.chmod(0o600)
        out = user_box.run("company", "add", "Zeta", as_user=True)
        assert_refused(out, 5, before)
        first, hint = out.stderr.splitlines()
        assert first.startswith(f"Error: database {db} cannot be written: ") and first.endswith(
            " read-only; nothing changed") and f"{db}-shm" in first, out.stderr
        assert hint.startswith("Hint: chmod 600 ") and f"{db}-shm" in hint, out.stderr


def test_a_read_only_folder_is_named_in_the_refusal(user_box: Sandbox) -> None:
    db = user_box.db
    for side in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        side.unlink(missing_ok=True)
    user_box.root.chmod(0o555)  # the file is writable, its folder is not: no -wal can be created
    before = snapshot(db)
    # A WAL database needs its -shm beside it even to be read: reads are refused too, saying why.
    for args in (("company", "add", "Zeta"), ("deal", "move", "1", "Needs Analysis"), ("deal", "list")):
        out = user_box.run(*args, as_user=True)
        assert_refused(out, 5, before, says=[str(db.parent), "not writable", "nothing changed"])
    assert sorted(p.name for p in db.parent.iterdir()) == ["home", "sales.db"]


def test_an_old_read_only_database_is_refused_without_leaving_a_backup(user_box: Sandbox) -> None:
    db = user_box.db
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "v1.db", db)
    db.chmod(0o400)
    before = snapshot(db)
    for args in (("company", "add", "Zeta"), ("company", "list")):
        out = user_box.run(*args, as_user=True)
        assert_refused(out, 5, before, says=["read-only", "schema 1"])
    assert sorted(p.name for p in db.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "home", "sales.db"]


@pytest.mark.parametrize(("args", "message"), [
    (("export", "deals", "-o", "{out}/deals.csv"),
     "Error: --output {out}/deals.csv: folder {out} is not writable (Permission denied); no file written\n"),
    (("deal", "list", "-o", "{out}/deals.json"),
     "Error: --output {out}/deals.json: folder {out} is not writable (Permission denied); no file written\n"),
    (("db", "backup", "{out}/copy.db"), "Error: cannot write {out}/copy.db (Permission denied); no backup written\n"),
    (("import", "deals", "{csv}", "--on-error", "skip", "--rejects", "{out}/rejects.csv"),
     "Error: --rejects {out}/rejects.csv: folder {out} is not writable (Permission denied); nothing was imported\n"),
])
def test_an_output_into_a_read_only_folder_writes_nothing(user_box: Sandbox, args: tuple[str, ...],
                                                          message: str) -> None:
    out = user_box.root / "out"
    out.mkdir()
    out.chmod(0o555)
    csv_file = user_box.root / "deals.csv"
    csv_file.write_text("title,amount\nBeta,abc\nGamma,5\n", encoding="utf-8")
    before = snapshot(user_box.db)
    res = user_box.run(*(a.format(out=out, csv=csv_file) for a in args), as_user=True)
    assert_refused(res, 5, before, says=[str(out)])
    assert res.stderr == message.format(out=out)
    assert list(out.iterdir()) == []


# -- disk full -----------------------------------------------------------------------------
@pytest.mark.parametrize("leave", [16 * 1024, 80 * 1024], ids=["full-at-open", "full-mid-write"])
def test_disk_full_during_a_write_changes_nothing_and_the_next_command_works(
        sandbox: Sandbox, crm_template: Path, mount_point: Path, leave: int) -> None:
    db = mount_point / "sales.db"
    shutil.copy(crm_template, db)
    db.chmod(0o600)
    sandbox.ok("company", "add", "Warm-up", db=db)  # the WAL exists and has grown once
    before = snapshot(db)
    filler = fill(mount_point, leave=leave)  # 16 KB: not even the 32 KB -shm fits
    rng = random.Random(3)
    notes = "".join(rng.choice("abcdefghij klmnop") for _ in range(90_000))  # 90 KB: more than is left
    out = sandbox.run("activity", "log", "note", "Too big", "--company", "1", "--notes", notes, db=db)
    assert_refused(out, 5, says=["disk full", str(db), "nothing changed"])
    filler.unlink()
    assert_refused(out, 5, before)
    sandbox.ok("company", "add", "After", db=db)
    assert "After" in sandbox.ok("company", "list", "-f", "csv", db=db).stdout
    assert "Too big" not in sandbox.ok("activity", "list", "-f", "csv", db=db).stdout
    assert_healthy(db)


def _export_args(out_file: Path) -> tuple[str, ...]:
    return ("company", "list", "-f", "csv", "-o", str(out_file))


@pytest.mark.parametrize("how", ["tmpfs", "rlimit"])
def test_disk_full_during_an_export_leaves_no_file(sandbox: Sandbox, crm_template: Path, tmp_path: Path,
                                                   how: str) -> None:
    shutil.copy(crm_template, sandbox.db)
    sandbox.db.chmod(0o600)
    bulk_companies(sandbox.db, 4000, notes=400)  # ~2 MB of CSV
    before = snapshot(sandbox.db)
    if how == "tmpfs":
        try:
            with tmpfs(tmp_path / "small", "2m") as folder:
                fill(folder, leave=256 * 1024)
                target = folder / "companies.csv"
                out = sandbox.run(*_export_args(target))
                assert_refused(out, 5, before, says=["disk full", str(target)], outputs=[target])
                assert sorted(p.name for p in folder.iterdir()) == ["filler"]
        except PermissionError as exc:
            pytest.skip(f"cannot mount a tmpfs here: {exc}")
    else:
        target = sandbox.root / "companies.csv"

        def small_files() -> None:  # `ulimit -f 256`: writing past 256 KB fails with EFBIG
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

        out = sandbox.run(*_export_args(target), preexec_fn=small_files)
        assert_refused(out, 5, before, says=[str(target)], outputs=[target])


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_stdout_redirected_to_a_full_disk_is_exit_5_even_unbuffered(sandbox: Sandbox, crm_template: Path,
                                                                     unbuffered: str) -> None:
    """`salescli export companies > file` past the space left (`ulimit -f 256`), also with PYTHONUNBUFFERED=1
    (a cron or container setting, under which Python took a short write as done: exit 0, output cut)."""
    shutil.copy(crm_template, sandbox.db)
    sandbox.db.chmod(0o600)
    bulk_companies(sandbox.db, 4000, notes=400)  # ~2 MB of CSV, written at the end in one piece
    target = sandbox.root / "companies.csv"

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    with open(target, "wb") as fh:
        proc = subprocess.run(sandbox.argv("export", "companies"), stdout=fh, stderr=subprocess.PIPE,
                              env=sandbox.env({"PYTHONUNBUFFERED": unbuffered}), timeout=60, preexec_fn=small_files)
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.decode() == "Error: disk full (File too large)\n"
    assert target.stat().st_size == 256 * 1024


def test_a_full_disk_under_the_rejects_file_names_it_and_leaves_no_file(crm: Sandbox) -> None:
    """`--on-error skip --rejects FILE` past the space left (`ulimit -f 256`: EFBIG past 256 KB): exit 5 naming
    --rejects, nothing imported, and no half-written temporary file beside it (the error named no file)."""
    bad = crm.root / "bad.csv"
    bad.write_text("title,amount\n" + "".join(f"Deal {i} {'x' * 60},not money\n" for i in range(6000)))
    target = crm.root / "out" / "rejects.csv"
    target.parent.mkdir()
    before = snapshot(crm.db)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    out = crm.run("import", "deals", str(bad), "--on-error", "skip", "--rejects", str(target), preexec_fn=small_files)
    assert_refused(out, 5, before, says=[f"--rejects {target}: disk full", "nothing was imported"])
    assert list(target.parent.iterdir()) == []


def test_disk_full_during_a_backup_names_the_backup_and_leaves_no_file(
        crm: Sandbox, mount_point: Path) -> None:
    bulk_companies(crm.db, 2000)
    before = snapshot(crm.db)
    fill(mount_point, leave=64 * 1024)
    target = mount_point / "backup.db"
    out = crm.run("db", "backup", str(target))
    assert_refused(out, 5, before, says=["disk full", str(target)], outputs=[target])
    assert sorted(p.name for p in mount_point.iterdir()) == ["filler"]


def test_backups_and_exports_are_private_whatever_the_umask(crm: Sandbox) -> None:
    def open_umask() -> None:
        os.umask(0)

    backup = crm.root / "backup.db"
    export = crm.root / "deals.json"
    (crm.root / "deals.json").write_text("old, world-readable\n")
    export.chmod(0o644)
    crm.ok("db", "backup", str(backup), preexec_fn=open_umask)
    crm.ok("deal", "list", "-o", str(export), preexec_fn=open_umask)
    crm.ok("company", "list", "-f", "csv", "-o", str(crm.root / "c.csv"), preexec_fn=open_umask)
    fresh = crm.root / "fresh.db"
    crm.ok("company", "add", "Acme", db=fresh, preexec_fn=open_umask)
    crm.ok("company", "list", db=fresh, preexec_fn=open_umask)
    for path in (backup, export, crm.root / "c.csv", fresh):
        assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"
    conn = sqlite3.connect(backup)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("SELECT count(*) FROM companies").fetchone()[0] == 2
    finally:
        conn.close()


def test_disk_full_during_an_import_changes_nothing(sandbox: Sandbox, crm_template: Path, mount_point: Path) -> None:
    """A 2 MB disk cannot take 20,000 deals: the import fails with exit 5 at some point of its
    transaction, and the database is exactly as before, and usable once there is room again."""
    db = mount_point / "sales.db"
    shutil.copy(crm_template, db)
    db.chmod(0o600)
    csv_file = write_deals_csv(sandbox.root / "deals.csv", 20_000)  # on the big disk
    before = snapshot(db)
    out = sandbox.run("import", "deals", str(csv_file), db=db)
    assert_refused(out, 5, before, says=["disk full", str(db), "nothing changed"])
    small = write_deals_csv(sandbox.root / "small.csv", 10, prefix="S")
    sandbox.ok("import", "deals", str(small), db=db)
    assert count(db, "SELECT count(*) FROM deals") == before.digest["deals"][0] + 10
    assert_healthy(db)


def test_stdout_redirected_to_a_full_disk_is_exit_5(crm: Sandbox, mount_point: Path) -> None:
    """`salescli company list -f csv > /full/disk/out.csv`: disk full is exit 5, said on stderr."""
    import subprocess

    bulk_companies(crm.db, 2000)
    before = snapshot(crm.db)
    fill(mount_point, leave=32 * 1024)
    with open(mount_point / "out.csv", "wb") as sink:
        proc = subprocess.run(crm.argv("company", "list", "-f", "csv"), stdout=sink, stderr=subprocess.PIPE,
                              env=crm.env(), cwd=crm.root, timeout=60)
    out = Outcome(crm.argv("company", "list"), proc.returncode, "", proc.stderr.decode())
    assert_refused(out, 5, before, says="disk full")


@pytest.mark.parametrize("args", [("deal", "list", "-f", "csv"), ("report", "pipeline"), ("company", "add", "Zeta")])
def test_a_closed_stdout_is_exit_5_and_runs_nothing(crm: Sandbox, args: tuple[str, ...]) -> None:
    """`salescli deal list >&-` (a cron line gone wrong): one line on stderr, exit 5, nothing written."""
    import subprocess

    before = snapshot(crm.db)
    proc = subprocess.run(crm.argv(*args), stdin=subprocess.DEVNULL, stdout=None, stderr=subprocess.PIPE,
                          env=crm.env(), cwd=crm.root, timeout=60, close_fds=True,
                          preexec_fn=lambda: os.close(1))
    out = Outcome(crm.argv(*args), proc.returncode, "", proc.stderr.decode())
    assert_refused(out, 5, before, says="standard output is closed")
    assert out.stderr == "Error: standard output is closed; nothing was run\n"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("deal", "rm", "1"), 1, "Error: refusing to delete deal 1 Acme renewal without --yes (no terminal to ask)\n"),
    (("import", "deals", "-"), 4, "Error: stdin: is empty (no header line)\n"),
])
def test_a_closed_stdin_reads_as_empty_not_a_traceback(crm: Sandbox, args: tuple[str, ...], code: int,
                                                      message: str) -> None:
    """`salescli deal rm 1 <&-` (daemons start so): no terminal to ask, nothing to read."""
    import subprocess

    before = snapshot(crm.db)
    proc = subprocess.run(crm.argv(*args), capture_output=True, env=crm.env(), cwd=crm.root, timeout=60,
                          preexec_fn=lambda: os.close(0))
    out = Outcome(crm.argv(*args), proc.returncode, proc.stdout.decode(), proc.stderr.decode())
    assert_refused(out, code, before)
    assert out.stderr == message
