"""-q/--quiet: a cron job's stderr stays empty unless something is wrong (errors and questions still show)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from salescli.cli import hoist_global_options
from tests.conftest import as_schema, pty_run, salescli_exe


def test_quiet_writes_say_nothing_and_keep_stdout(cli, ok, db):
    first = ok("-q", "company", "add", "Acme")
    assert (first.stdout, first.stderr) == ("1\n", "")
    ok("--quiet", "deal", "add", "Renewal", "--amount", "5k", "--company", "Acme", "--close", "2026-01-10")
    loud = ok("deal", "add", "Second", "--amount", "5k", "--company", "Acme", "--close", "2026-01-10")
    assert loud.stderr.startswith("added deal 2 Second (")  # without -q the same command speaks
    assert "the deal counts as stale" in loud.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT title FROM deals ORDER BY id").fetchall() == [("Renewal",), ("Second",)]
    conn.close()


def test_quiet_leaves_out_notes_and_wrote_file_but_writes_the_same(cli, ok, tmp_path):
    for n in range(3):
        ok("company", "add", f"Co {n}")
    listed = ok("-q", "company", "list", "--limit", "1")
    assert listed.stderr == ""
    assert listed.stdout == ok("company", "list", "--limit", "1").stdout
    assert "2 more rows not shown" in ok("company", "list", "--limit", "1").stderr
    report = tmp_path / "weekly.md"
    res = ok("-q", "report", "weekly", "-f", "markdown", "-o", str(report))
    assert (res.stdout, res.stderr) == ("", "")
    assert report.read_text().startswith("# ")
    assert ok("report", "weekly", "-f", "markdown", "-o", str(report)).stderr == f"wrote {report}\n"


def test_quiet_still_reports_errors_and_refusals(cli, ok, db):
    ok("company", "add", "Acme")
    ok("company", "add", "Acme")
    res = cli("-q", "deal", "add", "X", "--company", "Acme")
    assert res.exit_code == 1
    assert res.stderr.splitlines()[0] == 'Error: company "Acme" is ambiguous: 2 match (1 Acme; 2 Acme)'
    res = cli("-q", "company", "rm", "1")  # no terminal to ask: refused, and said so
    assert res.exit_code == 1
    assert "without --yes" in res.stderr


def test_quiet_import_summary_is_left_out_but_json_summary_stays(cli, ok, tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text("name,domain\nAcme,acme.io\nGlobex,globex.com\n")
    res = ok("-q", "import", "companies", str(path))
    assert (res.stdout, res.stderr) == ("", "")
    res = ok("-q", "import", "companies", str(path), "-f", "json")
    assert res.stderr == ""
    assert '"unchanged": 2' in res.stdout


def test_quiet_import_still_says_it_rejected_rows(ok, tmp_path):
    """--on-error skip exits 0 with rows left out: a cron job's mail says so, -q or not."""
    path = tmp_path / "companies.csv"
    path.write_text("name,domain\nAcme,acme.io\nBad,not a domain\n")
    rejects = tmp_path / "rejects.csv"
    res = ok("-q", "import", "companies", str(path), "--on-error", "skip", "--rejects", str(rejects))
    assert res.stderr == ("imported companies.csv: 2 rows — 1 created, 0 updated, 0 unchanged, 1 rejected (batch 1)\n"
                          f"rejected rows and their reasons: {rejects}\n")
    res = ok("-q", "import", "companies", str(path), "--on-error", "skip")
    assert res.stderr.splitlines()[1].startswith('  rejected companies.csv:3: domain "not a domain"')


def test_quiet_keeps_the_notice_of_a_migrated_database(ok, db):
    ok("company", "add", "Acme")
    with sqlite3.connect(db) as conn:
        as_schema(conn, 11)
    conn.close()
    res = ok("-q", "company", "list", "-f", "csv")
    assert res.stderr == f"backed up schema 11 database to {db}.v11.bak before migrating\n"


def test_quiet_on_a_terminal_says_nothing_but_the_output(tmp_path: Path) -> None:
    env = {**os.environ, "SALESCLI_USER": "dana", "NO_COLOR": "1"}
    new = tmp_path / "new.db"
    loud = pty_run([salescli_exe(), "--db", str(tmp_path / "other.db"), "company", "add", "Acme"], env)
    assert "note: created database" in loud and "added company 1 Acme" in loud
    assert pty_run([salescli_exe(), "--db", str(new), "company", "add", "Acme", "-q"], env) == "1\r\n"


def test_quiet_after_the_command_moves_before_it(run_exe, tmp_path):
    assert hoist_global_options(["deal", "list", "-q", "--owner", "sam"]) == ["-q", "deal", "list", "--owner", "sam"]
    assert hoist_global_options(["deal", "note", "1", "--notes", "-q"]) == ["deal", "note", "1", "--notes", "-q"]
    # --week is a flag of task list (a week's value of report weekly): the word after it is not its value
    assert hoist_global_options(["task", "list", "--week", "-q"]) == ["-q", "task", "list", "--week"]
    assert hoist_global_options(["report", "weekly", "--week", "-q"]) == ["report", "weekly", "--week", "-q"]
    db = str(tmp_path / "sales.db")
    res = run_exe("company", "add", "Acme", "--db", db, "--quiet", env={"SALESCLI_USER": "dana"})
    assert (res.returncode, res.stdout, res.stderr) == (0, "1\n", "")
    res = run_exe("company", "show", "9", "-q", "--db", db)
    assert (res.returncode, res.stderr) == (3, 'Error: company "9" not found\n'
                                                 "Hint: list companies with `salescli company list`\n")
