"""export deals carries every deal's stage history (the stage_history column), and import deals gives a
new deal exactly that history: export -> import into an empty database -> export gives the same files,
the same stage_history rows and the same funnel; a bad cell is refused naming line, column and value."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TODAY, as_schema, digest

Run = Callable[..., Any]
ENTITIES = ("users", "companies", "contacts", "deals", "activities")
FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def history(db: Path) -> list[tuple[Any, ...]]:
    """Every stage_history row as names (ids differ between databases), in the order history lists them."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT d.title, fp.name, f.name, tp.name, t.name, h.changed_at, h.changed_by, h.note, h.forced"
            " FROM stage_history h JOIN deals d ON d.id = h.deal_id"
            " JOIN stages t ON t.id = h.to_stage_id JOIN pipelines tp ON tp.id = t.pipeline_id"
            " LEFT JOIN stages f ON f.id = h.from_stage_id LEFT JOIN pipelines fp ON fp.id = f.pipeline_id"
            " ORDER BY d.id, substr(h.changed_at, 1, 10), h.id").fetchall()
    finally:
        conn.close()


@pytest.fixture
def moved(ok: Run) -> Run:
    """Deals moved forward, back, across pipelines, forced, with notes, by two users; won, lost, open."""
    ok("pipeline", "add", "Renewals", "--stages", "Due:30,Quoted:60,Won:100:won,Lost:0:lost")
    ok("company", "add", "Acme Corp", "--domain", "acme.io")
    ok("deal", "add", "Alpha", "--company", "acme.io", "--amount", "1000", "--close", "2026-12-31",
       "--date", "2026-01-05")
    ok("deal", "move", "1", "Qualification", "--date", "2026-02-10", "--note", "call went well")
    ok("deal", "move", "1", "Proposal", "--date", "2026-03-01")
    ok("deal", "won", "1", "--date", "2026-04-01")
    ok("deal", "add", "Beta", "--date", "2026-02-01")
    ok("deal", "move", "2", "Qualification", "--date", "2026-02-01")  # the day it was created
    ok("deal", "move", "2", "Prospecting", "--date", "2026-02-03")  # back
    ok("--user", "erin", "deal", "move", "2", "Qualification", "--date", "2026-02-05")
    ok("deal", "lost", "2", "--reason", "price", "--category", "price", "--date", "2026-03-15")
    ok("deal", "add", "Gamma", "--date", "2026-05-01")
    ok("deal", "move", "3", "Proposal", "--force", "--date", "2026-05-20")  # no amount: forced
    ok("deal", "move", "3", "Due", "--pipeline", "Renewals", "--date", "2026-06-01", "--note", "renewal")
    ok("deal", "add", "Delta")  # today, timestamps
    ok("deal", "move", "4", "Qualification")
    ok("deal", "add", "Epsilon", "--date", "2026-09-01")  # never moved
    return ok


def exported(run: Run, database: Path, fmt: str = "csv") -> dict[str, str]:
    return {e: run("export", e, "-f", fmt, database=database).stdout for e in ENTITIES}


def import_all(run: Run, exports: dict[str, str], folder: Path, database: Path) -> list[str]:
    messages = []
    for entity in ENTITIES:
        res = run("import", entity, str(write(folder, f"{entity}.csv", exports[entity])), database=database)
        assert res.exit_code == 0, (entity, res.stderr)
        messages.append(res.stderr)
    return messages


def test_export_lists_every_stage_entered_in_order_with_when_and_who(moved: Run) -> None:
    rows = {r["title"]: r for r in csv.DictReader(io.StringIO(moved("export", "deals").stdout))}
    assert list(rows["Alpha"])[-1] == "stage_history"
    assert json.loads(rows["Alpha"]["stage_history"]) == [
        ["Prospecting", "2026-01-05T00:00:00", "dana"],
        ["Qualification", "2026-02-10T00:00:00", "dana", {"note": "call went well"}],
        ["Proposal", "2026-03-01T00:00:00", "dana"], ["Won", "2026-04-01T00:00:00", "dana"]]
    assert rows["Beta"]["stage_history"] == (
        '[["Prospecting","2026-02-01T00:00:00","dana"],["Qualification","2026-02-01T00:00:00","dana"],'
        '["Prospecting","2026-02-03T00:00:00","dana"],["Qualification","2026-02-05T00:00:00","erin"],["Lost","2026-03-15T00:00:00","dana"]]')
    # the stages of another pipeline than the deal's (now Renewals) name theirs; a forced entry says so
    assert json.loads(rows["Gamma"]["stage_history"]) == [
        ["Prospecting", "2026-05-01T00:00:00", "dana", {"pipeline": "Default"}],
        ["Proposal", "2026-05-20T00:00:00", "dana", {"pipeline": "Default", "forced": True}],
        ["Due", "2026-06-01T00:00:00", "dana", {"note": "renewal"}]]
    assert json.loads(rows["Delta"]["stage_history"]) == [
        ["Prospecting", f"{TODAY}T00:00:00", "dana"], ["Qualification", f"{TODAY}T00:00:00", "dana"]]
    deals = json.loads(moved("export", "deals", "-f", "json").stdout)
    assert deals[0]["stage_history"][1] == ["Qualification", "2026-02-10T00:00:00", "dana", {"note": "call went well"}]
    line = json.loads(moved("export", "deals", "-f", "jsonl").stdout.splitlines()[4])
    assert line["stage_history"] == [["Prospecting", "2026-09-01T00:00:00", "dana"]]


def test_roundtrip_gives_the_same_files_history_and_reports(moved: Run, cli: Run, db: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.db"
    exports = exported(moved, db)
    monkeypatch.setenv("SALESCLI_USER", "zed")  # another user imports: who moved each deal stays
    cli("pipeline", "add", "Renewals", "--stages", "Due:30,Quoted:60,Won:100:won,Lost:0:lost", database=copy)
    messages = import_all(cli, exports, tmp_path, copy)
    assert "5 rows — 5 created, 0 updated, 0 unchanged, 0 rejected" in messages[3]
    assert exported(cli, copy) == exports
    assert exported(cli, copy, "json") == exported(cli, db, "json")
    assert history(copy) == history(db)
    assert len(history(db)) == 15
    for report in ("funnel", "velocity", "performance", "lost-reasons"):
        args = ("report", report, "--period", "all", "-f", "json")
        again, first = cli(*args, database=copy), cli(*args, database=db)
        assert again.exit_code == first.exit_code == 0 and again.stdout == first.stdout, report
    for ref in ("1", "2", "3"):
        shown = [json.loads(cli("deal", "show", ref, "-f", "json", database=d).stdout) for d in (db, copy)]
        assert shown[0]["stage_history"] == shown[1]["stage_history"]
    assert cli("db", "check", database=copy).exit_code == 0
    # re-importing the same file changes nothing, into the copy or into the database it came from
    for database in (copy, db):
        before = digest(database)
        res = cli("import", "deals", str(tmp_path / "deals.csv"), database=database)
        assert res.exit_code == 0 and "0 created, 0 updated, 5 unchanged, 0 rejected" in res.stderr
        assert "note:" not in res.stderr and digest(database) == before


def test_roundtrip_of_the_maven_fixture(ok: Run, cli: Run, db: Path, tmp_path: Path) -> None:
    folder = FIXTURES / "maven"
    res = None
    for entity, name in (("companies", "accounts"), ("users", "sales_teams"), ("deals", "sales_pipeline")):
        res = ok("import", entity, str(folder / f"{name}.csv"), "--preset", "maven")
    assert res is not None  # one Prospecting deal has no engage date: created on the import day, said so
    assert f'note: 2 deals have no created date in the file ("engage_date" is empty): created on {TODAY}' \
        in res.stderr
    copy = tmp_path / "copy.db"
    exports = exported(ok, db)
    import_all(cli, exports, tmp_path, copy)
    assert exported(cli, copy) == exports
    assert history(copy) == history(db)
    funnel = ("report", "funnel", "--period", "all", "-f", "json")
    again, first = cli(*funnel, database=copy), cli(*funnel, database=db)
    assert again.exit_code == first.exit_code == 0 and again.stdout == first.stdout


GOOD = '[["Prospecting","2026-01-05"],["Qualification","2026-01-09"]]'


@pytest.mark.parametrize("cell, reason", [
    ('[["Prospecting","2026-01-05"],["Qualification"', "is not valid JSON (Expecting ',' delimiter at character"
     ' 47); expected [["STAGE", "DATE", "BY", {"pipeline": …, "note": …, "forced": true}], …]'),
    ('{"stage": "Qualification"}', 'is not a list of stage entries [["STAGE", "DATE", "BY", {"pipeline": …,'
     ' "note": …, "forced": true}], …]'),
    ('[["Prospecting","2026-01-05"],["Nowhere","2026-01-06"]]',
     'entry 2: "Nowhere" is not a stage of pipeline Default (add it, or pass --create-stages)'),
    ('[["Due","2026-01-05",null,{"pipeline":"Upsell"}],["Qualification","2026-01-06"]]',
     'entry 1: pipeline "Upsell" is not a pipeline (pipelines: Default)'),
    ('[["Prospecting","2026-02-30"],["Qualification","2026-03-01"]]',
     'entry 1: "2026-02-30" is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM:SS)'),
    ('[["Prospecting","2026-03-05"],["Qualification","2026-03-01"]]',
     "entry 2: 2026-03-01 is before entry 1 (2026-03-05); stage history runs forward"),
    ('[["Prospecting","2026-01-05"]]',
     "ends in stage Prospecting, but the deal is in Qualification (the last entry is the deal's own stage)"),
    ('[["Prospecting","2025-12-05"],["Qualification","2026-01-09"]]',
     "entry 1: 2025-12-05 is before the deal was created (2026-01-01)"),
    ('[["Prospecting","2026-01-05","dana",{"who":"x"}],["Qualification","2026-01-09"]]',
     'entry 1: "who" is not one of pipeline, note, forced'),
    ('[["Prospecting","2026-01-05",7],["Qualification","2026-01-09"]]',
     "entry 1: who moved it (7) is not a user name"),
])
def test_a_bad_stage_history_cell_refuses_the_file_naming_line_column_and_value(
        cli: Run, ok: Run, db: Path, tmp_path: Path, cell: str, reason: str) -> None:
    ok("init")
    before = digest(db)
    path = write(tmp_path, "bad.csv", csv_text([
        ["external_id", "title", "stage", "created_at", "stage history"],
        ["E1", "Good one", "Qualification", "2026-01-01", GOOD],
        ["E2", "Bad one", "Qualification", "2026-01-01", cell],
    ]))
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4 and res.stdout == ""
    first = res.stderr.splitlines()[0]
    assert first == f'Error: bad.csv:3: stage history "{cell}" {reason}', first
    assert digest(db) == before


def test_a_cell_ending_elsewhere_than_a_closed_deal_is_refused_for_that_not_for_its_dates(
        cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    cell = '[["Prospecting","2026-03-01"],["Negotiation","2026-03-15"]]'
    path = write(tmp_path, "d.csv", csv_text([["title", "stage", "won_at", "stage_history"],
                                               ["A", "Won", "2026-04-01", cell]]))
    res = cli("import", "deals", str(path))  # no created date: the cell's first entry is when it started
    assert res.exit_code == 4 and res.stderr.splitlines()[0] == (
        f'Error: d.csv:2: stage_history "{cell}" ends in stage Negotiation, but the deal is in Won (the last entry'
        " is the deal's own stage)")
    assert digest(db) == before


def test_a_new_deal_gets_the_cell_as_its_history_and_dates_from_it(ok: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", csv_text([
        ["Deal Name", "Deal Stage", "Stage History"],
        ["Won one", "Won", '[["Prospecting","2026-01-05 09:30","ann"],["Won","2026-02-01","bob",{"note":"signed"}]]'],
        ["Open one", "Qualification", '[["Prospecting","2026-03-01"],["Qualification","2026-03-04T10:00:00"]]'],
    ]))
    plan = json.loads(ok("import", "deals", str(path), "--dry-run", "-f", "json").stdout)
    assert {"column": "Stage History", "field": "stage_history", "how": "alias"} in plan["mapping"]
    res = ok("import", "deals", str(path))
    assert "2 created" in res.stderr and "note:" not in res.stderr
    rows = json.loads(ok("sql", "SELECT title, created_at, won_at, stage_entered_at, extra FROM deals",
                         "-f", "json").stdout)
    # no created, won or entered column: the history's first and last entries say when
    assert rows == [
        {"title": "Won one", "created_at": "2026-01-05T09:30:00", "won_at": "2026-02-01",
         "stage_entered_at": "2026-02-01T00:00:00", "extra": None},
        {"title": "Open one", "created_at": "2026-03-01T00:00:00", "won_at": None,
         "stage_entered_at": "2026-03-04T10:00:00", "extra": None}]
    assert history(db) == [
        ("Won one", None, None, "Default", "Prospecting", "2026-01-05T09:30:00", "ann", None, 0),
        ("Won one", "Default", "Prospecting", "Default", "Won", "2026-02-01T00:00:00", "bob", "signed", 0),
        ("Open one", None, None, "Default", "Prospecting", "2026-03-01T00:00:00", "dana", None, 0),
        ("Open one", "Default", "Prospecting", "Default", "Qualification", "2026-03-04T10:00:00", "dana", None, 0)]
    ok("db", "check")


def test_an_existing_deal_keeps_its_history_whatever_the_cell_says(ok: Run, db: Path, tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "a.csv", csv_text([
        ["external_id", "title", "stage", "stage_history"],
        ["E1", "One", "Qualification", '[["Prospecting","2026-01-05"],["Qualification","2026-01-09"]]']]))))
    before = history(db)
    other = write(tmp_path, "b.csv", csv_text([
        ["external_id", "title", "stage", "stage_history"],
        ["E1", "One", "Qualification", '[["Qualification","2026-01-02"]]']]))
    res = ok("import", "deals", str(other))
    assert "0 created, 0 updated, 1 unchanged" in res.stderr
    assert "note: 1 existing deal's stage history differs from its stage_history cell: kept as it is" \
           " (history only grows by stage changes)" in res.stderr
    assert history(db) == before
    # the same history written another way (a space for the T, the importing user left out) is the same
    same = write(tmp_path, "c.csv", csv_text([
        ["external_id", "title", "stage", "stage_history"],
        ["E1", "One", "Qualification", '[ ["Prospecting", "2026-01-05"], ["Qualification", "2026-01-09", "dana"] ]']]))
    res = ok("import", "deals", str(same))
    assert "0 created, 0 updated, 1 unchanged" in res.stderr and "note:" not in res.stderr


def test_an_empty_cell_keeps_the_history_an_import_makes(ok: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "external_id,title,stage,created,stage_history\nE1,One,Won,2026-01-05,\n")
    res = ok("import", "deals", str(path))
    notes = [line for line in res.stderr.splitlines() if line.startswith("note:")]
    assert notes == [f"note: 1 won/lost deal has no close date in the file: closed on {TODAY} (the import day; map"
                     ' its closing date column, e.g. --map "Won time=won_at")']  # nothing about its history
    assert [h[4] for h in history(db)] == ["Prospecting", "Won"]


def test_a_created_column_with_an_empty_cell_is_noted(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,stage,created\nOne,Qualification,2026-01-05\nTwo,Qualification,\n")
    res = ok("import", "deals", str(path))
    assert f'note: 1 deal has no created date in the file ("created" is empty): created on {TODAY}\n' in res.stderr
    res = ok("import", "deals", str(write(tmp_path, "e.csv", "title,stage\nThree,Qualification\n")))
    assert "note:" not in res.stderr  # no created column at all: nothing to say about its cells


def test_a_cell_nested_thousands_deep_is_refused_in_one_line(cli, ok, db, tmp_path) -> None:
    ok("init")
    path = tmp_path / "deep.csv"
    path.write_text("title,stage,stage_history\nDeep,Prospecting," + "[" * 5000 + "\n", encoding="utf-8")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4 and "Traceback" not in res.stderr
    assert "is nested too deeply to be a stage history" in res.stderr.splitlines()[0]


def test_a_row_moving_an_existing_deal_on_takes_no_dates_from_its_old_history(ok: Run, db: Path,
                                                                                 tmp_path: Path) -> None:
    ok("deal", "add", "Alpha", "--external-id", "D1", "--date", "2026-10-01")
    ok("deal", "move", "1", "Negotiation", "--date", "2026-11-18", "--force")
    cell = json.loads(ok("export", "deals", "-f", "json").stdout)[0]["stage_history"]
    path = write(tmp_path, "won.csv", csv_text([["external_id", "title", "stage", "stage_history"],
                                                ["D1", "Alpha", "Won", json.dumps(cell)]]))
    ok("import", "deals", str(path))
    won = json.loads(ok("deal", "show", "1", "-f", "json").stdout)
    # the cell ends in Negotiation on 11-18: that is when it entered Negotiation, not when it was won
    assert (won["status"], won["won_at"]) == ("won", TODAY)


def test_migration_9_stores_every_stage_change_as_a_timestamp_and_old_exports_stay_unchanged(
        moved: Run, db: Path, tmp_path: Path) -> None:
    before = moved("export", "deals").stdout
    with sqlite3.connect(db) as conn:  # as a salescli before schema 9 stored days given with --date
        conn.execute("UPDATE deals SET stage_entered_at = substr(stage_entered_at, 1, 10)")
        conn.execute("UPDATE stage_history SET changed_at = substr(changed_at, 1, 10)")
        as_schema(conn, 8)
    conn.close()
    # an export written before the upgrade: its days are days
    old_export = write(tmp_path, "old.csv", before.replace("T00:00:00", ""))
    res = moved("deal", "list")
    assert "before migrating" in res.stderr
    with sqlite3.connect(db) as conn:
        lengths = conn.execute("SELECT DISTINCT length(stage_entered_at) FROM deals UNION"
                               " SELECT DISTINCT length(changed_at) FROM stage_history").fetchall()
    conn.close()
    assert lengths == [(19,)]
    assert moved("export", "deals").stdout == before
    assert "0 created, 0 updated, 5 unchanged" in moved("import", "deals", str(old_export)).stderr
