"""Output formats, -o files, CSV formula guard, colour, closed pipes (render.py through the commands)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import digest, pty_run, salescli_exe

Run = Callable[..., Any]


@pytest.fixture
def crm(ok: Run) -> Run:
    ok("company", "add", "Acme Corp", "--domain", "acme.io", "--segment", "SaaS", "--tag", "key-account,EU",
       "--industry", "Software", "--notes", "first customer")
    ok("company", "add", "Globex", "--domain", "globex.com", "--owner", "lee", "--segment", "enterprise")
    ok("contact", "add", "Ana Silva", "--email", "Ana@Acme.io", "--company", "acme.io", "--title", "CTO",
       "--phone", "+351 555 0100", "--status", "customer", "--tag", "vip")
    return ok


COMPANY_JSON = (
    '[\n'
    '  {"id": 1, "name": "Acme Corp", "domain": "acme.io", "industry": "Software", "segment": "saas",'
    ' "territory": null, "owner": "dana", "tags": ["key-account", "eu"], "contact_count": 1, "open_deals": 0,'
    ' "notes": "first customer", "external_id": null, "extra": null, "created_at": "2026-11-26T00:00:00",'
    ' "updated_at": "2026-11-26T00:00:00", "last_activity_at": null},\n'
    '  {"id": 2, "name": "Globex", "domain": "globex.com", "industry": null, "segment": "enterprise",'
    ' "territory": null, "owner": "lee", "tags": [], "contact_count": 0, "open_deals": 0, "notes": null,'
    ' "external_id": null, "extra": null, "created_at": "2026-11-26T00:00:00",'
    ' "updated_at": "2026-11-26T00:00:00", "last_activity_at": null}\n'
    ']\n'
)
COMPANY_CSV = (
    "id,name,domain,industry,segment,territory,owner,tags,contact_count,open_deals,notes,external_id,extra,"
    "created_at,updated_at,last_activity_at\n"
    '1,Acme Corp,acme.io,Software,saas,,dana,"key-account, eu",1,0,first customer,,,'
    "2026-11-26T00:00:00,2026-11-26T00:00:00,\n"
    "2,Globex,globex.com,,enterprise,,lee,,0,0,,,,2026-11-26T00:00:00,2026-11-26T00:00:00,\n"
)
COMPANY_MARKDOWN = (
    "| id | name | domain | segment | owner | tags | contacts | open deals |\n"
    "|---:|---|---|---|---|---|---:|---:|\n"
    "| 1 | Acme Corp | acme.io | saas | dana | key-account, eu | 1 | 0 |\n"
    "| 2 | Globex | globex.com | enterprise | lee |  | 0 | 0 |\n"
)


def test_company_list_json_csv_markdown_exact(crm: Run) -> None:
    assert crm("company", "list", "-f", "json").stdout == COMPANY_JSON
    assert crm("company", "list", "--format", "CSV").stdout == COMPANY_CSV
    assert crm("company", "list", "-f", "markdown").stdout == COMPANY_MARKDOWN
    jsonl = crm("company", "list", "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in jsonl] == json.loads(COMPANY_JSON)


def test_contact_list_json_csv_markdown_exact(crm: Run) -> None:
    assert crm("contact", "list", "-f", "json").stdout == (
        '[\n  {"id": 1, "name": "Ana Silva", "email": "ana@acme.io", "phone": "+351 555 0100", "title": "CTO",'
        ' "company_id": 1, "company": "Acme Corp", "status": "customer", "owner": "dana", "source": null,'
        ' "tags": ["vip"], "notes": null, "external_id": null, "extra": null,'
        ' "created_at": "2026-11-26T00:00:00", "updated_at": "2026-11-26T00:00:00", "last_activity_at": null}\n]\n'
    )
    assert crm("contact", "list", "-f", "csv").stdout == (
        "id,name,email,phone,title,company_id,company,status,owner,source,tags,notes,external_id,extra,"
        "created_at,updated_at,last_activity_at\n"
        "1,Ana Silva,ana@acme.io,'+351 555 0100,CTO,1,Acme Corp,customer,dana,,vip,,,,"
        "2026-11-26T00:00:00,2026-11-26T00:00:00,\n"
    )
    assert crm("contact", "list", "-f", "markdown").stdout == (
        "| id | name | email | company | status | owner | tags |\n"
        "|---:|---|---|---|---|---|---|\n"
        "| 1 | Ana Silva | ana@acme.io | Acme Corp | customer | dana | vip |\n"
    )


def test_show_json_csv_markdown_exact(crm: Run) -> None:
    assert crm("contact", "show", "1", "-f", "json").stdout == (
        '{"id": 1, "name": "Ana Silva", "email": "ana@acme.io", "phone": "+351 555 0100", "title": "CTO",'
        ' "company_id": 1, "company": "Acme Corp", "owner": "dana", "status": "customer", "source": null,'
        ' "tags": ["vip"], "notes": null, "external_id": null, "extra": null,'
        ' "created_at": "2026-11-26T00:00:00", "updated_at": "2026-11-26T00:00:00", "last_activity_at": null,'
        ' "deals": [], "timeline": []}\n'
    )
    assert crm("company", "show", "2", "-f", "csv").stdout == (
        "id,name,domain,industry,segment,territory,owner,tags,notes,contact_count,open_deals,external_id,extra,"
        "created_at,updated_at,last_activity_at\n"
        "2,Globex,globex.com,,enterprise,,lee,,,0,0,,,2026-11-26T00:00:00,2026-11-26T00:00:00,\n"
    )
    assert crm("company", "show", "1", "-f", "markdown").stdout == (
        "## Company 1\n\n| field | value |\n|---|---|\n| id | 1 |\n| name | Acme Corp |\n| domain | acme.io |\n"
        "| industry | Software |\n| segment | saas |\n| territory |  |\n| owner | dana |\n"
        "| tags | key-account, eu |\n| notes | first customer |\n| contacts | 1 |\n| open_deals | 0 |\n"
        "| external_id |  |\n"
        "| extra |  |\n| created_at | 2026-11-26 |\n| updated_at | 2026-11-26 |\n"
        "| last_activity_at |  |\n\n### contacts\n\n| id | name | email | title | status |\n|---|---|---|---|---|\n"
        "| 1 | Ana Silva | ana@acme.io | CTO | customer |\n\n### deals\n\n(none)\n\n### timeline\n\n(none)\n"
    )


def test_hostile_text_survives_csv_and_markdown(ok: Run) -> None:
    ok("company", "add", '=HYPERLINK("http://x","y")', "--notes", 'line1\nline2 "q" | pipe, comma')
    for name in ("+cmd", "-2+3", "@SUM(A1)", "'quoted"):
        ok("company", "add", "--", name)
    ok("company", "add", "Zoë 日本", "--segment", "b2b")
    rows = list(csv.DictReader(io.StringIO(ok("company", "list", "-f", "csv").stdout)))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd", "'-2+3", "'@SUM(A1)",
                                         "''quoted", "Zoë 日本"]
    assert rows[0]["notes"] == 'line1\nline2 "q" | pipe, comma'  # quoted, newline kept inside the cell
    assert rows[0]["id"] == "1"  # numbers are never prefixed
    markdown = ok("company", "list", "-f", "markdown").stdout.splitlines()
    assert markdown[2] == '| 1 | =HYPERLINK("http://x","y") |  |  | dana |  | 0 | 0 |'
    assert len(markdown) == 2 + 6  # a newline inside a value never breaks a row
    show = ok("company", "show", "1", "-f", "markdown").stdout
    assert '| notes | line1 line2 "q" \\| pipe, comma |' in show
    ok("company", "edit", "1", "--industry", "<script>alert(1)</script> & co")  # text, not HTML, once rendered
    assert "| industry | &lt;script>alert(1)&lt;/script> & co |" in ok("company", "show", "1", "-f", "markdown").stdout
    data = json.loads(ok("company", "list", "-f", "json").stdout)
    assert data[0]["notes"] == 'line1\nline2 "q" | pipe, comma' and data[-1]["name"] == "Zoë 日本"


def test_formula_guard_covers_tab_and_carriage_return_and_round_trips() -> None:
    from salescli.render import neutralise_cell, restore_cell

    for text in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "'x"):
        assert neutralise_cell(text) == "'" + text
        assert restore_cell(neutralise_cell(text)) == text
    for text in ("plain", "a=b", "1-2", ""):
        assert neutralise_cell(text) == text == restore_cell(text)


def test_output_file_picks_format_from_extension_and_is_private(crm: Run, tmp_path: Path) -> None:
    for name, expected in (("c.csv", COMPANY_CSV), ("c.JSON", COMPANY_JSON), ("c.md", COMPANY_MARKDOWN)):
        target = tmp_path / name
        res = crm("company", "list", "-o", str(target))
        assert res.stdout == ""
        assert target.read_text(encoding="utf-8") == expected
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target = tmp_path / "c.txt"
    crm("company", "list", "-o", str(target))
    assert "Acme Corp" in target.read_text() and "\x1b[" not in target.read_text()
    crm("company", "list", "-f", "json", "-o", str(tmp_path / "forced.csv"))  # -f wins over the extension
    assert json.loads((tmp_path / "forced.csv").read_text()) == json.loads(COMPANY_JSON)
    existing = tmp_path / "old.csv"
    existing.write_text("old")
    existing.chmod(0o644)
    crm("company", "list", "-o", str(existing))
    assert existing.read_text() == COMPANY_CSV and stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left


@pytest.mark.parametrize(
    ("output", "code", "message"),
    [
        ("missing/folder/c.csv", 5, "Error: --output {tmp}/missing/folder/c.csv: folder {tmp}/missing/folder does"
                                    " not exist\n"),
        ("c.xlsx", 2, 'Error: --output "{tmp}/c.xlsx": cannot tell the format from ".xlsx"\n'
                      "Hint: use .csv, .json, .jsonl, .md, .html or .txt, or pass -f FORMAT\n"),
        ("sales.db", 2, 'Error: --output "{tmp}/sales.db": cannot tell the format from ".db"\n'
                        "Hint: use .csv, .json, .jsonl, .md, .html or .txt, or pass -f FORMAT\n"),
        ("adir", 2, "Error: --output {tmp}/adir is a folder; give a file name; no file written\n"),
    ],
)
def test_bad_output_is_one_line_and_no_file(
    crm: Run, cli: Run, db: Path, tmp_path: Path, output: str, code: int, message: str
) -> None:
    (tmp_path / "adir").mkdir()
    before = digest(db)
    files = sorted(p.name for p in tmp_path.iterdir())
    res = cli("company", "list", "-o", str(tmp_path / output))
    assert (res.exit_code, res.stdout, res.stderr) == (code, "", message.format(tmp=tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    assert digest(db) == before


def test_an_output_name_for_a_format_the_command_lacks_says_so(cli: Run, tmp_path: Path) -> None:
    res = cli("report", "pipeline", "-o", str(tmp_path / "p.jsonl"))
    assert (res.exit_code, res.stderr) == (2, f'Error: --output "{tmp_path}/p.jsonl": this command has no jsonl output'
                                              " (formats: table, json, csv, markdown, html)\n"
                                              "Hint: use .csv, .json, .md, .html or .txt, or pass -f FORMAT\n")
    assert list(tmp_path.glob("p.*")) == []


def test_output_never_overwrites_a_database(crm: Run, cli: Run, db: Path, tmp_path: Path) -> None:
    before = digest(db)
    size = db.stat().st_size
    res = cli("company", "list", "-f", "csv", "-o", str(db))
    assert (res.exit_code, res.stdout) == (1, "")
    assert res.stderr == f"Error: --output {db} is a SQLite database; refusing to overwrite it; no file written\n"
    assert digest(db) == before and db.stat().st_size == size


def test_unknown_format_is_a_usage_error(crm: Run, cli: Run) -> None:
    res = cli("company", "list", "-f", "xml")
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr == 'Error: --format "xml" is not one of table, json, jsonl, csv, markdown, html\n'
    assert cli("contact", "show", "1", "-f", "yaml").exit_code == 2
    assert cli("history", "-o", "h.pdf").exit_code == 2


def test_add_with_output_writes_the_record(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    res = cli("company", "add", "Acme", "-o", str(target))
    assert (res.exit_code, res.stdout) == (0, "")
    assert json.loads(target.read_text())["name"] == "Acme"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def _bulk(db: Path, n: int) -> None:
    from salescli.context import AppContext
    from salescli.services.crm import add_company

    app = AppContext(db_path=db, user="dana", today=date(2026, 11, 26), today_pinned=True)
    repo = app.repo(create=True)
    with repo.write():
        for i in range(n):
            add_company(repo, {"name": f"Company {i:04d}", "notes": "x" * 200, "tags": ["bulk"]})
    app.close()


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """500 companies (well past a pipe's 64 KB buffer in every format), built once for this module."""
    db = tmp_path_factory.mktemp("big") / "big.db"
    _bulk(db, 500)
    return db


@pytest.mark.parametrize(("command", "fmt"), [
    ("company list", "table"), ("company list", "json"), ("company list", "jsonl"), ("company list", "csv"),
    ("company list", "markdown"), ("history", "table"), ("history", "csv"),
])
def test_closed_pipe_exits_quietly(big_db: Path, tmp_path: Path, command: str, fmt: str) -> None:
    """`salescli company list | head -1` in a real shell: no traceback, no ignored exception, exit 0."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # writes hit the closed pipe at once
    res = subprocess.run(
        ["bash", "-c", f'set -o pipefail; "$0" --db "$1" {command} --all -f {fmt} | head -1', salescli_exe(),
         str(big_db)],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )
    assert (res.returncode, res.stderr) == (0, "")
    assert len(res.stdout.splitlines()) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_messages_that_cannot_be_written_change_nothing_about_the_command(db: Path, tmp_path: Path) -> None:
    """stderr on a full disk (a cron job's log): the work is done and its exit status is the command's."""
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        with open("/dev/full", "w") as full:
            return subprocess.run([salescli_exe(), "--db", str(db), "--today", "2026-11-26", *args], input=stdin,
                                  stdout=subprocess.PIPE, stderr=full, text=True, timeout=60, cwd=tmp_path)

    added = run("deal", "add", "Renewal", "--amount", "5k")
    assert (added.returncode, added.stdout) == (0, "1\n")
    assert run("import", "deals", "-", stdin="title\nPilot\n").returncode == 0
    assert run("report", "weekly", "-o", str(tmp_path / "w.html")).returncode == 0 and (tmp_path / "w.html").exists()
    assert run("deal", "show", "99").returncode == 3  # (an error still exits with its code)
    assert [d["title"] for d in json.loads(run("deal", "list", "-f", "json").stdout)] == ["Renewal", "Pilot"]


def test_piped_tables_are_not_cut_to_80_columns(db: Path, run_exe: Callable[..., Any]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    run_exe("--db", str(db), "contact", "add", "Maximilian Alexander Featherstonehaugh-Cholmondeley",
            "--email", "maximilian.featherstonehaugh@extremely-long-company-domain.example.com",
            "--company", "The Extremely Long Company Name Holdings International", env=env)
    proc = subprocess.run([salescli_exe(), "--db", str(db), "contact", "list"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0
    assert "maximilian.featherstonehaugh@extremely-long-company-domain.example.com" in proc.stdout
    assert "The Extremely Long Company Name Holdings International" in proc.stdout
    assert "…" not in proc.stdout


def test_piped_tables_keep_a_cell_with_line_breaks_and_tabs_on_its_row(ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    query = "SELECT 1 AS id, 'line1' || char(10) || 'line2' || char(9) || 'tab' AS notes, 'end' AS last"
    proc = subprocess.run([salescli_exe(), "--db", str(db), "sql", query], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.stdout.splitlines()[2] == "1    line1\\nline2\\ttab   end"
    ok("sql", query, "-f", "table", "-o", str(tmp_path / "t.txt"))
    assert (tmp_path / "t.txt").read_text().splitlines()[2].rstrip() == "1    line1\\nline2\\ttab   end"
    assert ok("sql", query).stdout.splitlines()[2].rstrip() == "1    line1\\nline2\\ttab   end"  # (COLUMNS set)


def test_colour_only_on_a_terminal_and_never_with_no_color(crm: Run, db: Path, run_exe: Callable[..., Any]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"
    coloured = pty_run([salescli_exe(), "--db", str(db), "company", "show", "1"], env)
    assert "Acme Corp" in coloured and "\x1b[" in coloured
    plain = pty_run([salescli_exe(), "--db", str(db), "company", "show", "1"], {**env, "NO_COLOR": "1"})
    assert "Acme Corp" in plain and "\x1b[" not in plain
    piped = run_exe("--db", str(db), "company", "show", "1", env=env)
    assert "Acme Corp" in piped.stdout and "\x1b[" not in piped.stdout


def test_terminal_control_characters_in_stored_text_are_shown_not_obeyed(ok: Run, cli: Run) -> None:
    evil = "Evil\x1b[31mRED\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07"
    res = ok("company", "add", evil)
    assert "\x1b" not in res.stderr and "Evil\\x1b[31mRED" in res.stderr
    for args in (("company", "list"), ("company", "show", "1"), ("company", "list", "-f", "markdown"),
                 ("history",)):
        out = ok(*args).stdout
        assert "\x1b" not in out and "\x07" not in out, args
        assert "Evil\\x1b[31mRED" in out, args
    res = cli("company", "show", "x\x1b[2J")
    assert res.exit_code == 3 and res.stderr.startswith('Error: company "x\\x1b[2J" not found\n')
    assert json.loads(ok("company", "list", "-f", "json").stdout)[0]["name"] == evil  # data formats keep it exact
    assert ok("company", "list", "-f", "csv").stdout.splitlines()[1].startswith("1," + evil)


def test_piped_tables_are_written_directly_exactly_as_rich_draws_them(
        ok: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped output (no COLUMNS, not a terminal) skips rich; the text must be what rich would print,
    less the trailing blanks: wide characters, markup-like text, right-aligned numbers, multi-line cells."""
    ok("company", "add", "東京 Trading", "--domain", "tokyo.example", "--notes", "first line\nsecond [bold]line[/bold]")
    ok("contact", "add", "Zoë [red]Ng[/red]", "--email", "zoe@tokyo.example", "--company", "tokyo.example")
    ok("deal", "add", "Big 案件", "--company", "tokyo.example", "--amount", "1234567.5", "--contact",
       "zoe@tokyo.example")
    ok("deal", "add", "Small", "--amount", "5")
    for args in (("deal", "list"), ("company", "show", "1"), ("deal", "show", "1"), ("contact", "list"),
                 ("history",)):
        monkeypatch.setenv("COLUMNS", "500")
        drawn = "".join(line.rstrip() + "\n" for line in ok(*args).stdout.splitlines())
        monkeypatch.delenv("COLUMNS")
        direct = ok(*args).stdout
        assert direct == drawn, args
        assert all(line == line.rstrip() for line in direct.splitlines())
    assert "second [bold]line[/bold]" in ok("company", "show", "1").stdout


def test_a_table_too_wide_for_the_terminal_keeps_one_line_a_row(ok: Run, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """80 columns: the columns with a drop rank (days in stage, prob, owner) go, long text is cut with …
    (the title keeps 16 characters, more than the company), and amounts and dates are never cut or wrapped
    (rich alone wrapped each title over 4 lines and cut 2017-03-01 to 2017-0…)."""
    ok("deal", "add", "Warehouse automation for the northern depots", "--company", "Acme Robotics International",
       "--amount", "48000", "--close", "2026-12-09", "--owner", "dana", "--stage", "Negotiation")
    ok("deal", "add", "POS add-on", "--company", "Driftwood Coffee", "--amount", "4800", "--close", "2026-12-27",
       "--owner", "lee")
    monkeypatch.setenv("COLUMNS", "80")
    assert [line.rstrip() for line in ok("deal", "list").stdout.splitlines()] == [
        "id   title              company         stage                amount   close",
        "────────────────────────────────────────────────────────────────────────────────",
        " 1   Warehouse autom…   Acme Robotic…   Negotiation   48,000.00 USD   2026-12-09",
        " 2   POS add-on         Driftwood Co…   Prospecting    4,800.00 USD   2026-12-27",
    ]
    # wider: the columns go one at a time (days in stage first, then prob), not all three at once
    monkeypatch.setenv("COLUMNS", "88")
    assert ok("deal", "list").stdout.splitlines()[0].split() == [
        "id", "title", "company", "stage", "amount", "close", "owner"]
    monkeypatch.setenv("COLUMNS", "96")
    assert ok("deal", "list").stdout.splitlines()[0].split() == [
        "id", "title", "company", "stage", "amount", "prob", "close", "owner"]
    # narrower: the close date goes before the titles are cut below 12, then the company; the stage stays last
    # (without it a won or lost deal in `deal list --all` reads as an open one)
    monkeypatch.setenv("COLUMNS", "70")
    res = ok("deal", "list")
    assert res.stdout.splitlines()[0].split() == ["id", "title", "company", "stage", "amount"]
    assert res.stderr.splitlines()[0] == ("4 columns left out to fit 70 characters: prob, close, owner, days in stage"
                                          " (a wider terminal shows them; -f csv or json has every column)")
    monkeypatch.setenv("COLUMNS", "56")
    assert [line.rstrip() for line in ok("deal", "list").stdout.splitlines()] == [
        "id   title                   stage                amount",
        "────────────────────────────────────────────────────────",
        " 1   Warehouse automation…   Negotiation   48,000.00 USD",
        " 2   POS add-on              Prospecting    4,800.00 USD",
    ]
    # a file has no terminal: nothing cut, whatever COLUMNS says
    ok("deal", "list", "-o", str(tmp_path / "deals.txt"))
    saved = (tmp_path / "deals.txt").read_text(encoding="utf-8")
    assert saved.splitlines()[2].split() == [  # one row a line, as `deal list > FILE` writes it
        "1", "Warehouse", "automation", "for", "the", "northern", "depots", "Acme", "Robotics", "International",
        "Negotiation", "48,000.00", "USD", "80%", "2026-12-09", "dana", "0"]
    # timestamps are not text to cut (history at 70 columns)
    monkeypatch.setenv("COLUMNS", "70")
    assert ok("history").stdout.splitlines()[2].startswith(" 1   2026-11-26   dana")
    monkeypatch.setenv("COLUMNS", "200")  # wide enough: every column, nothing cut
    assert ok("deal", "list").stdout.splitlines()[2].split() == [
        "1", "Warehouse", "automation", "for", "the", "northern", "depots", "Acme", "Robotics", "International",
        "Negotiation", "48,000.00", "USD", "80%", "2026-12-09", "dana", "0"]
    monkeypatch.setenv("COLUMNS", "120")  # room for every column, the title and company cut
    assert [line.rstrip() for line in ok("deal", "list").stdout.splitlines()][4] == (
        " 1   Warehouse automation f…   Acme Robotics Internat…   Negotiation   48,000.00 USD    80%   2026-12-09"
        "   dana        0")

@pytest.mark.parametrize("columns", ["0", "5"])
def test_a_width_too_narrow_for_any_table_draws_it_80_wide(ok: Run, monkeypatch: pytest.MonkeyPatch,
                                                           columns: str) -> None:
    """COLUMNS=0 (or 5) printed a table of blank cells with exit 0: a table is never silently empty."""
    ok("deal", "add", "Warehouse automation for the northern depots", "--company", "Acme Robotics International",
       "--amount", "48000", "--close", "2026-12-09", "--owner", "dana", "--stage", "Negotiation")
    monkeypatch.setenv("COLUMNS", columns)
    assert [line.rstrip() for line in ok("deal", "list").stdout.splitlines()] == [
        "id   title              company         stage                amount   close",
        "────────────────────────────────────────────────────────────────────────────────",
        " 1   Warehouse autom…   Acme Robotic…   Negotiation   48,000.00 USD   2026-12-09",
    ]
    report = ok("report", "pipeline").stdout.splitlines()  # (it printed nothing at all)
    assert (report[0], report[-1].split()) == ("Pipeline by stage — 2026-11-26",
                                               ["Total", "1", "48,000", "38,400", "48,000", "0.0", "0"])


def test_fit_columns_cuts_the_widest_text_first_and_keeps_numbers_whole() -> None:
    from salescli.render import Column, fit_columns

    columns = [Column("id", justify="right"), Column("title"), Column("company"), Column("close"),
               Column("prob", drop=1)]
    cells = [["1", "A rather long deal title", "Acme", "2026-12-09", "80%"]]
    assert fit_columns(columns, cells, 60) == ([0, 1, 2, 3, 4], None)  # fits: rich lays it out as before
    # 2 + 24 + 7 + 10 + 4 + 4 gaps of 3 = 59: at 50, 9 come off the title only (to 15, still comfortable)
    assert fit_columns(columns, cells, 50) == ([0, 1, 2, 3, 4], [2, 15, 7, 10, 4])
    # at 40 the title would be cut to 8: the optional column goes instead, and the title keeps 12
    assert fit_columns(columns, cells, 40) == ([0, 1, 2, 3], [2, 12, 7, 10])
    # narrower: text down to 3 characters, a header broken only when nothing else is left
    assert fit_columns(columns, cells, 30) == ([0, 1, 2, 3], [2, 4, 5, 10])
    # cannot fit even so: the optional columns still go, and rich lays out the rest (wrapping)
    assert fit_columns(columns, cells, 20) == ([0, 1, 2, 3], None)


def test_fit_columns_wraps_headers_before_cutting_and_keeps_timestamps_whole() -> None:
    from salescli.render import Column, fit_columns

    columns = [Column("when"), Column("title"), Column("days_in_stage", "days in stage", justify="right")]
    cells = [["2026-11-27T09:30:00", "Warehouse automation", "9"]]
    # 19 + 20 + 13 + 2 gaps of 3 = 58: rich would wrap the title to keep the whole header; the header
    # wraps between its words instead (13 -> 7 "days in", then 5), and only then is the title cut
    assert fit_columns(columns, cells, 58) == ([0, 1, 2], None)
    assert fit_columns(columns, cells, 52) == ([0, 1, 2], [19, 20, 7])
    assert fit_columns(columns, cells, 45) == ([0, 1, 2], [19, 15, 5])
    # a timestamp is no text to cut: the title goes down to 3 characters, and below that nothing fits
    assert fit_columns(columns, cells, 33) == ([0, 1, 2], [19, 3, 5])
    assert fit_columns(columns, cells, 30) == ([0, 1, 2], None)


def test_fit_columns_leaves_columns_out_one_rank_at_a_time_and_keeps_periods_whole() -> None:
    from salescli.render import Column, fit_columns

    columns = [Column("id", justify="right"), Column("title"), Column("period"), Column("owner", drop=2),
               Column("days", justify="right", drop=1)]
    cells = [["1", "Warehouse automation", "2026-Q4", "dana", "12"]]
    # 2 + 20 + 7 + 5 + 4 + 4 gaps of 3 = 50
    assert fit_columns(columns, cells, 50) == ([0, 1, 2, 3, 4], None)
    # at 39 the title would be cut to 9: `days` (rank 1) goes alone, and the owner stays
    assert fit_columns(columns, cells, 39) == ([0, 1, 2, 3], [2, 16, 7, 5])
    # at 32 the title would still be cut below 12 with the owner: rank 2 goes too
    assert fit_columns(columns, cells, 32) == ([0, 1, 2], [2, 17, 7])
    # a period is no text to cut (2026-Q4 stays whole): the title takes every cut
    assert fit_columns(columns, cells, 20) == ([0, 1, 2], [2, 5, 7])


def test_fit_columns_cuts_lesser_text_first_and_drops_a_column_before_cutting_a_comfortable_one() -> None:
    from salescli.render import Column, fit_columns

    columns = [Column("title", comfortable=16), Column("company"), Column("email", comfortable=40),
               Column("owner", drop=1)]
    cells = [["Warehouse automation", "Acme Robotics International", "ana.silva@acme-robotics.io", "dana"]]
    # 20 + 27 + 26 + 5 + 3 gaps of 3 = 87: at 80 the company gives its characters first (to 20)
    assert fit_columns(columns, cells, 80) == ([0, 1, 2, 3], [20, 20, 26, 5])
    # at 72 the title goes to 16 and the company to 16 as well; the address stays whole
    assert fit_columns(columns, cells, 72) == ([0, 1, 2, 3], [16, 16, 26, 5])
    # at 64 the company would cut the title below 16: the owner goes, and the address is still whole
    assert fit_columns(columns, cells, 64) == ([0, 1, 2], [16, 16, 26])


def test_fit_columns_leaves_out_a_column_empty_in_every_row_first() -> None:
    from salescli.render import Column, fit_columns

    columns = [Column("stage"), Column("note"), Column("owner", drop=1)]
    cells = [["Prospecting", "", "dana"], ["Needs Analysis", "", "lee"]]
    # 14 + 4 + 5 + 2 gaps of 3 = 29: at 25 the stage would be cut to 10; the empty note goes, not the owner
    assert fit_columns(columns, cells, 25) == ([0, 2], None)
    assert fit_columns(columns, cells, 29) == ([0, 1, 2], None)  # (room for it: kept, as the header says)
    # a table of blank and droppable columns keeps one rather than none
    assert fit_columns([Column("note"), Column("tags", drop=1)], [["", "a-long-tag"]], 5)[0] == [1]
    assert fit_columns([Column("tags", drop=1)], [["a-long-tag"]], 5)[0] == [0]


def test_output_to_a_symlink_writes_its_target_and_keeps_the_link(crm: Run, tmp_path: Path) -> None:
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    crm("company", "list", "-o", str(link))
    assert link.is_symlink() and target.read_text().startswith("id,name,domain")


def test_output_to_a_pipe_or_dev_stdout_writes_into_it(crm: Run, db: Path, tmp_path: Path, run_exe: Run) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    # the temporary-file-and-rename of a regular file replaced the FIFO (and /dev/null) with a plain file
    crm("company", "list", "-f", "csv", "-o", str(fifo))
    reader.join(10)
    assert got and got[0].startswith("id,name,domain") and stat.S_ISFIFO(os.stat(fifo).st_mode)
    res = run_exe("--db", str(db), "company", "list", "-f", "csv", "-o", "/dev/stdout", timeout=30)
    assert res.returncode == 0 and res.stdout.startswith("id,name,domain")


def _strict_json(text: str) -> Any:
    """json.loads as other programs read JSON (RFC 8259): Infinity and NaN are not numbers."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_infinity_and_nan_are_null_in_json_and_jsonl(ok: Run) -> None:
    ok("init")
    query = "SELECT 1e400 AS inf, -1e400 AS ninf, 1.5 AS x"
    assert ok("sql", query, "-f", "json").stdout == '[\n  {"inf": null, "ninf": null, "x": 1.5}\n]\n'
    assert ok("sql", query, "-f", "jsonl").stdout == '{"inf": null, "ninf": null, "x": 1.5}\n'
    assert _strict_json(ok("sql", query, "-f", "json").stdout) == [{"inf": None, "ninf": None, "x": 1.5}]
    from decimal import Decimal

    from salescli.render import json_value

    assert json_value([float("nan"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN"),
                       {"a": float("-inf")}, Decimal("1.50")]) == '[null, null, null, null, {"a": null}, 1.50]'


def test_piped_tables_fit_an_explicit_columns(db: Path) -> None:
    """`COLUMNS=80 salescli history | less`: a pipe has no terminal to measure, but COLUMNS given in the
    environment is the width asked for (without it, the rows stay whole for scripts)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}

    def run(*args: str, columns: int | None = None) -> list[str]:
        proc = subprocess.run([salescli_exe(), "--db", str(db), "--today", "2026-11-26", *args], capture_output=True,
                              text=True, env={**env, **({"COLUMNS": str(columns)} if columns else {})}, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()

    run("deal", "add", "Enterprise platform renewal", "--amount", "120k", "--company",
        "The Extremely Long Company Name Holdings International", "--close", "+30d")
    run("deal", "move", "1", "Proposal", "--note", "pricing sent to the whole buying committee")
    wide = run("history")
    assert max(len(line) for line in wide) > 150 and len(wide) == 5
    for width in (80, 60):
        narrow = run("history", columns=width)
        assert max(len(line) for line in narrow) == width and len(narrow) > 5
        assert "pricing sent to the whole buying" in " ".join(line.strip() for line in narrow)
        assert max(len(line) for line in run("deal", "list", columns=width)) <= width


def test_a_count_has_one_name_in_list_and_show(crm: Run) -> None:
    """company list gave "contacts": 1 (a count) and company show "contacts": [...] (the people): one key, two
    types, for a script handling records from both."""
    listed = json.loads(crm("company", "list", "-f", "json").stdout)[0]
    shown = json.loads(crm("company", "show", "1", "-f", "json").stdout)
    assert (listed["contact_count"], shown["contact_count"]) == (1, 1) and "contacts" not in listed
    assert [c["name"] for c in shown["contacts"]] == ["Ana Silva"]
