"""salescli sql (read-only queries in every format) and salescli db check (SQLite's checks and
salescli's invariants: exit 1 listing the problems, exit 5 for a corrupt file)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salescli.migrations import SCHEMA_VERSION
from tests.conftest import as_schema, digest

Run = Callable[..., Any]


@pytest.fixture
def crm(ok: Run, tmp_path: Path) -> Run:
    path = tmp_path / "d.csv"
    path.write_text("title,company,amount,stage,close\nA,Acme,100,Qualification,2026-12-01\n"
                    "B,Acme,,Prospecting,\nC,Globex,50,Won,2026-10-01\n", encoding="utf-8")
    ok("import", "deals", str(path))
    return ok


def test_sql_in_every_format(crm: Run) -> None:
    query = "SELECT c.name AS company, count(*) AS deals, sum(d.amount_minor) AS minor FROM deals d" \
            " JOIN companies c ON c.id = d.company_id GROUP BY c.name ORDER BY c.name"
    assert json.loads(crm("sql", query, "-f", "json").stdout) == [
        {"company": "Acme", "deals": 2, "minor": 10000}, {"company": "Globex", "deals": 1, "minor": 5000}]
    assert crm("sql", query, "-f", "csv").stdout == "company,deals,minor\nAcme,2,10000\nGlobex,1,5000\n"
    assert crm("sql", query, "-f", "jsonl").stdout.splitlines()[1] == '{"company": "Globex", "deals": 1, "minor": 5000}'
    assert "| Acme | 2 | 10000 |" in crm("sql", query, "-f", "markdown").stdout
    table = crm("sql", query).stdout
    assert "company" in table and "Globex" in table
    same = crm("sql", "SELECT d.id, c.id FROM deals d JOIN companies c ON c.id = d.company_id LIMIT 1",
               "-f", "json").stdout
    assert json.loads(same) == [{"id": 1, "id_2": 1}]
    # the table's headers are the query's column names, as written (not prettified like a list's)
    header = crm("sql", "SELECT title, amount_minor IS NULL FROM deals ORDER BY id LIMIT 1").stdout.splitlines()[0]
    assert header.split("   ") == ["title", "amount_minor IS NULL"]
    # a BLOB as SQLite writes it, in every format
    assert crm("sql", "SELECT x'00ff' AS b", "-f", "csv").stdout == "b\nx'00ff'\n"
    assert json.loads(crm("sql", "SELECT x'00ff' AS b", "-f", "json").stdout) == [{"b": "x'00ff'"}]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "markdown"])
def test_sql_failing_half_way_prints_nothing(cli: Run, crm: Run, fmt: str) -> None:
    query = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
             " SELECT CASE WHEN i = 4000 THEN abs(-9223372036854775808) ELSE i END AS x FROM n")
    res = cli("sql", query, "-f", fmt)
    assert (res.exit_code, res.stdout, res.stderr) == (2, "", "Error: sql: integer overflow\n")


def test_sql_table_stops_at_100_rows_even_for_a_query_that_never_ends(crm: Run) -> None:
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
    res = crm("sql", endless)  # a table is read whole before it is drawn: it stops, and says so
    assert res.stdout.split()[-1] == "100" and len(res.stdout.splitlines()) == 102
    assert res.stderr == ("over 10,000 more rows not shown: the table stops at 100 (--all, a LIMIT, or -f csv/json"
                          " for every row)\n")
    res = crm("sql", endless + " LIMIT 150")  # a query that ends: the rest counted, as other lists count theirs
    assert res.stderr.startswith("50 more rows not shown: the table stops at 100")
    assert crm("sql", endless + " LIMIT 101").stderr.startswith("1 more row not shown:")
    assert crm("sql", endless + " LIMIT 10100").stderr.startswith("10,000 more rows not shown:")
    assert crm("sql", endless + " LIMIT 10101").stderr.startswith("over 10,000 more rows not shown:")
    res = crm("sql", endless + " LIMIT 150", "--all")
    assert res.stdout.split()[-1] == "150" and res.stderr == ""
    assert len(crm("sql", endless + " LIMIT 150", "-f", "csv").stdout.splitlines()) == 151


def test_sql_refuses_writes_and_attach(cli: Run, crm: Run, db: Path, tmp_path: Path) -> None:
    before = digest(db)
    for statement in ("DELETE FROM deals", "UPDATE deals SET title = 'x'", "CREATE TABLE t (x)",
                      "PRAGMA user_version = 99", "PRAGMA journal_mode = delete", "PRAGMA query_only = off",
                      "PRAGMA wal_checkpoint", "PRAGMA optimize", "VACUUM"):
        res = cli("sql", statement)
        assert res.exit_code == 1, statement
        assert res.stderr.startswith("Error: sql: only reading queries are allowed"), res.stderr
    res = cli("sql", f"ATTACH '{tmp_path / 'new.db'}' AS x")
    assert res.exit_code == 1 and not (tmp_path / "new.db").exists()
    assert digest(db) == before
    # a PRAGMA that reads still runs, with or without its argument
    assert crm("sql", "PRAGMA journal_mode", "-f", "csv").stdout == "journal_mode\nwal\n"
    assert crm("sql", "PRAGMA table_info(users)", "-f", "json").stdout.count('"name"') >= 3


def test_sql_usage_errors_and_missing_database(cli: Run, crm: Run, tmp_path: Path) -> None:
    res = cli("sql", "SELECT nope FROM deals")
    assert (res.exit_code, res.stdout) == (2, "") and res.stderr == "Error: sql: no such column: nope\n"
    res = cli("sql", "SELECT 1; SELECT 2")
    assert (res.exit_code, res.stderr) == (
        2, "Error: sql: one statement at a time (this query has another after a `;`)\n")
    res = cli("sql", "SELECT 1", database=tmp_path / "missing.db")
    assert res.exit_code == 5 and "no database at" in res.stderr
    assert not (tmp_path / "missing.db").exists()


def test_db_check_clean_database(crm: Run, tmp_path: Path) -> None:
    res = crm("db", "check")
    assert res.stdout == ""
    assert res.stderr.startswith("db check: no problems in ")
    assert "integrity_check, foreign_key_check" in res.stderr
    # -o FILE (a cron job's) is replaced with what this run found: nothing, not the problems of an earlier run
    report = tmp_path / "check.txt"
    report.write_text("status differs from stage kind  problem  deal 3\n")
    res = crm("db", "check", "-o", str(report))
    assert res.stderr.startswith("db check: no problems in ") and report.read_text() == ""


def test_db_check_lists_broken_invariants(cli: Run, crm: Run, db: Path) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE deals SET status = 'won' WHERE id = 1")  # stage says open
        conn.execute("UPDATE deals SET stage_id = 4 WHERE id = 2")  # Proposal without amount or close
        conn.execute("DELETE FROM stage_history WHERE deal_id = 3")
    conn.close()
    res = cli("db", "check", "-f", "csv")
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: db check found ")
    rows = res.stdout.splitlines()
    assert rows[0] == "check,level,entity,id,detail"
    assert "status differs from stage kind,problem,deal,1,status won in open stage Qualification" in rows
    assert "closed deal without its date,problem,deal,1,won without won_at" in rows
    assert "forecast category,problem,deal,1,won deal with forecast category pipeline" in rows
    assert "no stage history,problem,deal,3,no stage history" in rows
    assert ("history ends elsewhere,problem,deal,2,\"last history entry is stage Prospecting, the deal is in"
            " Proposal\"") in rows
    assert "missing required field,warning,deal,2,in Proposal without amount" in rows
    assert "missing required field,warning,deal,2,in Proposal without expected_close" in rows
    assert res.stderr.splitlines()[0] == f"Error: db check found 5 problems and 2 warnings in {db}"


def test_db_check_lists_values_written_around_salescli_that_commands_would_trip_on(cli: Run, crm: Run,
                                                                                  db: Path) -> None:
    crm("contact", "add", "Ana", "--email", "ana@acme.io")
    conn = sqlite3.connect(db)
    with conn:  # (by hand in sqlite3, or by another program)
        conn.execute("PRAGMA ignore_check_constraints = 1")
        conn.execute("UPDATE deals SET amount_minor = -500 WHERE id = 1")
        conn.execute("UPDATE deals SET amount_minor = 'abc', probability = 300 WHERE id = 2")
        conn.execute("UPDATE deals SET extra = '{bad', expected_close = '2026-02-31', currency = 'usd' WHERE id = 3")
        conn.execute("UPDATE companies SET tags = 'vip' WHERE id = 1")
        conn.execute("UPDATE contacts SET status = 'bogus', created_at = 'yesterday' WHERE id = 1")
    conn.close()
    res = cli("db", "check", "-f", "csv")
    assert res.exit_code == 1  # a row to fix, not a damaged file (exit 5, "restore a backup")
    assert res.stdout.splitlines()[1:] == [  # (integrity_check's "CHECK constraint failed in deals": these rows)
        "negative amount,problem,deal,1,amount -500 USD",
        "not a whole number,problem,deal,2,amount_minor 'abc' is not a whole number of cents",
        "not a whole number,problem,deal,2,probability 300 is not a whole number from 0 to 100",
        "malformed JSON,problem,company,1,tags 'vip' is not a JSON array",
        "malformed JSON,problem,deal,3,extra '{bad' is not a JSON object",
        "not a date,problem,deal,3,expected_close '2026-02-31' is not a date",
        "not a date,problem,contact,1,created_at 'yesterday' is not a date",
        "unknown value,problem,deal,3,currency 'usd' is not a three-letter code",
        "unknown value,problem,contact,1,\"status 'bogus' is not one of lead, prospect, customer, churned\""]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("PRAGMA ignore_check_constraints = 1")
        conn.execute("UPDATE deals SET amount_minor = 100, probability = 50, extra = NULL, expected_close = NULL,"
                     " currency = 'USD'")
        conn.execute("UPDATE companies SET tags = '[]'")
        conn.execute("UPDATE contacts SET status = 'lead', created_at = '2026-11-26T00:00:00'")
        conn.execute("UPDATE deals SET recurring = 'weekly' WHERE id = 1")
        conn.execute("UPDATE stages SET probability = 120 WHERE id = 2")
        conn.execute("UPDATE targets SET metric = 'calls'")
    conn.close()
    res = cli("db", "check", "-f", "csv")
    assert (res.exit_code, res.stdout.splitlines()[1:]) == (1, [
        "unknown value,problem,deal,1,\"recurring 'weekly' is not one of none, month, year\"",
        "unknown value,problem,stage,2,probability 120 is not a whole number from 0 to 100"])


def test_db_check_lists_a_team_spelt_two_ways(cli: Run, ok: Run, db: Path) -> None:
    ok("user", "add", "dana", "--team", "Enterprise")
    ok("user", "add", "lee")
    conn = sqlite3.connect(db)
    with conn:  # (as a salescli before team spellings were adopted left it)
        conn.execute("UPDATE users SET team = 'enterprise' WHERE name = 'lee'")
    conn.close()
    res = cli("db", "check", "-f", "csv")
    assert res.exit_code == 1
    assert res.stdout.splitlines()[1] == ("team spelt two ways,problem,user,2,team enterprise beside Enterprise"
                                          " (salescli user edit lee --team Enterprise)")
    ok("user", "edit", "lee", "--team", "Enterprise")
    assert cli("db", "check").exit_code == 0


def test_db_check_past_proposal_without_amount(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("pipeline", "stage-edit", "Default", "Negotiation", "--require", "none")
    path = tmp_path / "d.csv"
    path.write_text("title,stage,close\nBig,Negotiation,2026-12-01\n", encoding="utf-8")
    ok("import", "deals", str(path))
    res = cli("db", "check", "-f", "json")
    # a pipeline rule an import (or deal move --force) knowingly breaks: a warning, not a failed check
    assert res.exit_code == 0
    assert json.loads(res.stdout) == [{"check": "open past Proposal without amount", "level": "warning",
                                       "entity": "deal", "id": 1, "detail": "open in Negotiation without an amount"}]
    assert res.stderr.endswith("; 1 warning above (deals short of what their stage requires)\n")


def test_db_check_lists_a_forced_move_as_a_warning(cli: Run, ok: Run, db: Path) -> None:
    ok("deal", "add", "Bare", "--company", "Acme")
    ok("deal", "move", "1", "Negotiation", "--force")
    res = cli("db", "check")
    assert res.exit_code == 0
    assert [line.split()[:4] for line in res.stdout.splitlines()[2:]] == [
        ["missing", "required", "field", "warning"], ["missing", "required", "field", "warning"]]


def test_db_check_reports_foreign_keys(cli: Run, crm: Run, db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    with conn:
        conn.execute("UPDATE deals SET company_id = 999 WHERE id = 1")
    conn.close()
    res = cli("db", "check", "-f", "json")
    assert res.exit_code == 1
    assert {"check": "foreign key", "level": "problem", "entity": "deals", "id": 1,
            "detail": "points at a missing companies row"} in json.loads(res.stdout)


def _fill_companies(db: Path, n: int) -> None:
    """n companies with notes, written straight into the salescli database (so the table spans pages)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stamp = "2026-11-26T00:00:00"
        with conn:
            conn.executemany("INSERT INTO companies (name, notes, created_at, updated_at) VALUES (?, ?, ?, ?)",
                             ((f"Company {i}", "x" * 300, stamp, stamp) for i in range(n)))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file, none in -wal
    finally:
        conn.close()


def _overwrite(db: Path, offset: int, length: int) -> None:
    with open(db, "r+b") as fh:
        fh.seek(offset)
        fh.write(bytes((i * 37 + 11) % 256 for i in range(length)))


def _page_size_and_leaf(db: Path, table: str) -> tuple[int, int]:
    """The page size, and the last leaf page of a table's b-tree (followed from its root by hand)."""
    conn = sqlite3.connect(db)
    try:
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        page = int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0])
    finally:
        conn.close()
    data = db.read_bytes()
    while data[(page - 1) * size] == 0x05:  # an interior table page: follow its right-most pointer
        page = int.from_bytes(data[(page - 1) * size + 8:(page - 1) * size + 12], "big")
    assert data[(page - 1) * size] == 0x0D, "not a table leaf page"
    return size, page


def test_db_check_on_a_corrupt_table_is_exit_5_in_one_line(crm: Run, cli: Run, db: Path, tmp_path: Path) -> None:
    _fill_companies(db, 300)
    size, leaf = _page_size_and_leaf(db, "companies")
    _overwrite(db, (leaf - 1) * size + size // 2, size // 2)  # rows in one of the table's pages
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"  # the header still says SQLite
    before = db.read_bytes()
    out_file = tmp_path / "problems.json"
    for args in (("db", "check"), ("db", "check", "-f", "json"), ("db", "check", "-o", str(out_file))):
        res = cli(*args)
        assert (res.exit_code, res.stdout) == (5, ""), (args, res)
        error, hint = res.stderr.splitlines()
        assert error.startswith(f"Error: database {db} is corrupt: SQLite's integrity_check found ")
        assert "problem" in error and error.count("\n") == 0
        assert hint == f"Hint: restore a backup made with `salescli db backup` ({db} was left as it was)"
    assert not out_file.exists()
    assert db.read_bytes() == before  # checking changes nothing
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(db.name)) == [db.name]


def test_db_check_on_a_file_too_corrupt_to_open_is_exit_5(crm: Run, cli: Run, db: Path) -> None:
    _fill_companies(db, 300)
    size = _page_size_and_leaf(db, "companies")[0]
    length = db.stat().st_size - 2 * size
    _overwrite(db, 2 * size, length)  # page 3 onward: the schema's own pages among them
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"
    before = db.read_bytes()
    res = cli("db", "check")
    assert (res.exit_code, res.stdout) == (5, "")
    assert db.read_bytes() == before
    assert res.stderr == (f"Error: database {db} is corrupt: integrity_check failed (database disk image is"
                          " malformed)\n"
                          f"Hint: restore a backup made with `salescli db backup` ({db} was left as it was)\n")


def test_db_check_on_a_file_that_is_not_sqlite_is_exit_5(cli: Run, db: Path) -> None:
    db.write_text("title,amount\nA,100\n")
    res = cli("db", "check")
    assert (res.exit_code, res.stdout, res.stderr) == (
        5, "", f"Error: {db} is not a SQLite database\nHint: check the --db path\n")
    assert db.read_text() == "title,amount\nA,100\n"


def test_sql_on_an_older_schema_migrates_it_first_as_any_command_does(ok, db) -> None:
    ok("deal", "add", "X")
    with sqlite3.connect(db) as conn:
        as_schema(conn, 7)
    conn.close()
    res = ok("sql", "SELECT count(*) AS n FROM deals", "-f", "csv")
    assert res.stdout == "n\n1\n"
    assert res.stderr == f"backed up schema 7 database to {db}.v7.bak before migrating\n"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


@pytest.mark.parametrize(("sql", "args", "said"), [
    ("UPDATE deals SET amount_minor = '12.5' WHERE id = 2", ("deal", "list", "-f", "json"),
     "deal 2: amount_minor 12.5 is not a whole number of cents"),
    ("UPDATE deals SET amount_minor = '12.5' WHERE id = 2", ("export", "deals"),
     "deal 2: amount_minor 12.5 is not a whole number of cents"),
    ("UPDATE companies SET tags = '{bad' WHERE id = 1", ("company", "list", "-f", "json"),
     "company 1: tags '{bad' is not a JSON array"),
    ("UPDATE deals SET tags = 'notjson' WHERE id = 1", ("deal", "show", "1"),
     "deal 1: tags 'notjson' is not a JSON array"),
])
def test_a_value_no_command_can_read_is_said_not_a_traceback(cli: Run, crm: Run, db: Path, sql: str,
                                                             args: tuple[str, ...], said: str) -> None:
    """Values written around salescli (in sqlite3, by another program) that db check lists: list, show and export
    stopped on them with a traceback and exit 1 (a cron job mailed 40 lines); now one line, exit 5."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql)
    conn.close()
    before = digest(db)
    res = cli(*args)
    assert res.exit_code == 5
    assert res.stderr == (f"Error: database {db} holds a value salescli cannot read: {said}; nothing changed\n"
                          "Hint: run `salescli db check` for the list; fix them in sqlite3, or restore a backup\n")
    assert digest(db) == before


def test_a_bug_is_not_blamed_on_the_database(cli: Run, crm: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every stored value readable, a ValueError is salescli's own: it stays a traceback (exit 1)."""
    import salescli.services.crm as crm_service

    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(crm_service, "company_view", broken)
    with pytest.raises(ValueError, match="a bug"):  # (in-process, a traceback is the exception itself)
        cli("company", "show", "1")
