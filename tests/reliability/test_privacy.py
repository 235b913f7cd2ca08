"""Privacy: `contact forget` leaves no byte of the person in the database file, its -wal or history,
even when another process had the file open; backups and exports are private (0600)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.reliability.harness import Sandbox, assert_healthy, invoke, mode

NAME, EMAIL, PHONE = "Zebulon Quxworth", "zeb.qux@example.org", "+44 7700 900123"
OLD_EMAIL, OLD_PHONE = "zq.old@example.org", "+44 7700 900999"
NEEDLES = [NAME, "Quxworth", EMAIL, PHONE, OLD_EMAIL, OLD_PHONE]

PERSON = [
    ["company", "add", "Initrode", "--domain", "initrode.example"],
    ["contact", "add", NAME, "--email", OLD_EMAIL, "--phone", OLD_PHONE, "--company", "Initrode",
     "--notes", "met at the fair"],
    ["contact", "edit", OLD_EMAIL, "--email", EMAIL, "--phone", PHONE],
    ["contact", "add", "Other Person", "--email", "other@example.org", "--company", "Initrode"],
    ["deal", "add", "Initrode renewal", "--amount", "12k", "--company", "Initrode", "--contact", EMAIL],
    ["activity", "log", "call", f"Call {NAME}", "--contact", EMAIL, "--notes", f"reached on {PHONE}"],
    ["activity", "log", "note", "Org chart", "--company", "Initrode", "--notes", f"{NAME} reports to the CFO"],
    ["task", "add", f"Send {NAME} the quote", "--due", "2026-12-01", "--contact", EMAIL],
]


def traces(db: Path) -> list[str]:
    """The needles still readable in the database file or its -wal/-shm (case-insensitive)."""
    data = b"".join(Path(f"{db}{s}").read_bytes() for s in ("", "-wal", "-shm") if Path(f"{db}{s}").exists())
    return [n for n in NEEDLES if n.lower().encode() in data.lower()]


def test_forget_erases_every_byte_of_the_person(sandbox: Sandbox) -> None:
    db = sandbox.seed(PERSON)
    assert traces(db) == NEEDLES  # they are there to begin with (else the test proves nothing)
    out = sandbox.ok("contact", "forget", EMAIL, "--yes")
    assert out.stdout == ""
    assert traces(db) == [], f"left in the file: {traces(db)}"
    assert_healthy(db)
    for args in (["history", "-f", "json"], ["export", "contacts"], ["export", "activities"], ["export", "deals"],
                 ["task", "list", "-f", "csv"], ["activity", "list", "-f", "csv"], ["search", "Quxworth"]):
        shown = invoke(db, *args).stdout
        assert [n for n in NEEDLES if n.lower() in shown.lower()] == [], (args, shown)
    assert "Other Person" in invoke(db, "contact", "list", "-f", "csv").stdout  # only that person is gone
    assert "Initrode renewal" in invoke(db, "deal", "list", "-f", "csv").stdout  # deal figures stay
    backup = sandbox.root / "after.db"
    sandbox.ok("db", "backup", str(backup))
    assert traces(backup) == [] and mode(backup) == 0o600


HOLD_SNAPSHOT = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM contacts").fetchone()  # a long report: its snapshot pins the WAL
print("reading", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
conn.close()
"""


def test_forget_while_another_process_reads_says_so_and_erases_once_it_is_gone(sandbox: Sandbox) -> None:
    db = sandbox.seed(PERSON)
    reader = subprocess.Popen([sys.executable, "-c", HOLD_SNAPSHOT, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "reading\n"
        out = sandbox.ok("contact", "forget", EMAIL, "--yes", env={"SALESCLI_BUSY_TIMEOUT": "0.5"})
        assert "another process has" in out.stderr and "-wal" in out.stderr, out.stderr
    finally:
        assert reader.stdin is not None
        reader.stdin.write("\n")
        reader.stdin.close()
        reader.wait(timeout=30)
    sandbox.ok("contact", "list")  # "then run any salescli command"
    assert traces(db) == [], f"left in the file: {traces(db)}"
    assert_healthy(db)
