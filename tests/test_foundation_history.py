"""salescli history: every write leaves who, when, what, before and after."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from tests.conftest import digest

Run = Callable[..., Any]


def screen(text: str) -> str:
    return dedent("\n".join(line.rstrip() for line in text.splitlines())).strip("\n")


def expect(text: str) -> str:
    return dedent(text).strip("\n")


@pytest.fixture
def story(ok: Run) -> Run:
    ok("company", "add", "Acme Corp", "--domain", "acme.io", today="2026-11-20")
    ok("--user", "lee", "contact", "add", "Bo Chen", "--email", "bo@initech.com", "--company", "Initech",
       today="2026-11-21")
    ok("company", "edit", "Initech", "--segment", "b2b", "--add-tag", "partner", today="2026-11-22")
    ok("contact", "edit", "bo@initech.com", "--status", "prospect", "--company", "acme.io", today="2026-11-23")
    ok("contact", "rm", "1", "--yes", today="2026-11-24")
    return ok


def test_history_table_snapshot(story: Run) -> None:
    assert screen(story("history").stdout) == expect("""
        id   when         who    entity    id   action   what
        ────────────────────────────────────────────────────────────────────────────────────────────────────────────────
         1   2026-11-20   dana   company    1   create   created Acme Corp
         2   2026-11-21   lee    company    2   create   created Initech
         3   2026-11-21   lee    contact    1   create   created Bo Chen
         4   2026-11-22   dana   company    2   update   segment: ∅ → b2b; tags: ∅ → partner
         5   2026-11-23   dana   contact    1   update   company: Initech (#2) → Acme Corp (#1); status: lead → prospect
         6   2026-11-24   dana   contact    1   delete   deleted Bo Chen
    """)


def test_history_table_shows_the_latest_changes_oldest_first(story: Run) -> None:
    def ids(text: str) -> list[str]:  # the first cell of each row (a long "what" wraps onto a second line)
        return [line.split()[0] for line in text.splitlines() if re.match(r" *[0-9]+ +[0-9]{4}-", line)]

    assert ids(story("history", "--limit", "2").stdout) == ["5", "6"]
    assert ids(story("history", "contact", "1", "--limit", "2").stdout) == ["5", "6"]
    for _ in range(50):  # 106 changes: the table shows 7..106 and says 6 more (the earliest) are not shown
        story("company", "edit", "Initech", "--add-tag", "x")
        story("company", "edit", "Initech", "--remove-tag", "x")
    res = story("history")
    shown = ids(res.stdout)
    assert (shown[0], shown[-1], len(shown)) == ("7", "106", 100)
    assert res.stderr == "6 more rows not shown (use --limit N or --all, or -f csv/json)\n"
    assert len(json.loads(story("history", "-f", "json").stdout)) == 106  # scripts get the whole log


def test_history_of_one_record_and_of_one_kind(story: Run) -> None:
    def ids(*args: str) -> list[int]:
        return [row["id"] for row in json.loads(story("history", *args, "-f", "json").stdout)]

    assert ids("contact", "1") == [3, 5, 6]
    assert ids("contacts") == [3, 5, 6]
    assert ids("companies") == [1, 2, 4]
    assert ids("company", "2") == [2, 4]
    assert ids("--limit", "2") == [5, 6]  # the latest 2, as a table shows them
    # a record by the name its own commands take, as `history deal 12` takes its id
    assert ids("company", "initech") == [2, 4]
    assert ids("user", "lee") == ids("users")


def test_history_by_name_says_which_names_it_knows(story: Run, cli: Run) -> None:
    res = cli("history", "company", "Initek")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (3, 'Error: company "Initek" not found')
    res = cli("history", "contact", "bo@initech.com")  # removed: found by its id, as the hint says
    assert (res.exit_code, res.stderr) == (3, 'Error: contact "bo@initech.com" not found\nHint: a removed'
                                              " contact's history is under its id: see `salescli history contact`\n")
    res = cli("history", "stage", "Proposal")
    assert (res.exit_code, res.stderr) == (2, 'Error: history: "Proposal" is not a stage id\n')


def test_history_of_an_unknown_kind_or_record(story: Run, cli: Run) -> None:
    res = cli("history", "foo", "1")
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr.startswith('Error: history: "foo" is not a kind of record (one of: company, contact, deal,')
    res = cli("history", "deal", "999", "-f", "json")  # DESIGN: an unknown id is exit 3
    assert (res.exit_code, res.stdout, res.stderr) == (
        3, "", "Error: deal 999 not found (and never was: it has no history)\n")
    assert cli("history", "company", "99").exit_code == 3
    # a deleted contact keeps its history; a record that exists without any change says so
    assert "deleted Bo Chen" in story("history", "contact", "1").stdout
    res = story("history", "pipeline", "1")
    assert (res.stdout, res.stderr) == ("", "no changes\n")


def test_limit_is_the_latest_changes_in_every_format(story: Run, tmp_path: Path) -> None:
    """`history --limit 2` showed the latest 2 in a table but the first 2 ever made in json, jsonl, csv and
    markdown: a script asking for the recent changes got the oldest."""
    assert [r["id"] for r in json.loads(story("history", "--limit", "2", "-f", "json").stdout)] == [5, 6]
    lines = story("history", "-n", "2", "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [5, 6]
    assert [line.split(",")[0] for line in story("history", "-n", "2", "-f", "csv").stdout.splitlines()] == [
        "id", "5", "6"]
    assert [line.split(" | ")[0] for line in story("history", "-n", "2", "-f", "markdown").stdout.splitlines()[2:]
            ] == ["| 5", "| 6"]
    # of one kind, or of one record; more than there are is all of them; -o FILE.json too
    assert [r["id"] for r in json.loads(story("history", "company", "-n", "2", "-f", "json").stdout)] == [2, 4]
    assert [r["id"] for r in json.loads(story("history", "contact", "1", "-n", "9", "-f", "json").stdout)] == [
        3, 5, 6]
    story("history", "-n", "1", "-o", str(tmp_path / "last.json"))
    assert [r["id"] for r in json.loads((tmp_path / "last.json").read_text())] == [6]


def test_history_json_carries_before_and_after(story: Run) -> None:
    rows = json.loads(story("history", "contact", "1", "-f", "json").stdout)
    assert rows[0]["after"]["email"] == "bo@initech.com" and rows[0]["before"] is None
    assert rows[1] == {
        "id": 5, "changed_at": "2026-11-23T00:00:00", "changed_by": "dana", "entity": "contact", "entity_id": 1,
        "action": "update", "batch_id": None,
        "summary": "company: Initech (#2) → Acme Corp (#1); status: lead → prospect",
        "before": {"company_id": 2, "status": "lead"}, "after": {"company_id": 1, "status": "prospect"},
    }
    assert rows[2]["after"] is None and rows[2]["before"]["name"] == "Bo Chen"
    assert rows[2]["before"]["tags"] == []  # JSON columns come back as lists, not quoted JSON text


def test_history_csv_and_markdown(story: Run) -> None:
    csv_text = story("history", "company", "-f", "csv").stdout.splitlines()
    assert csv_text[0] == "id,changed_at,changed_by,entity,entity_id,action,batch_id,summary,before,after"
    assert csv_text[3].startswith('4,2026-11-22T00:00:00,dana,company,2,update,,segment: ∅ → b2b; tags: ∅ → partner,')
    markdown = story("history", "-f", "markdown").stdout.splitlines()
    assert markdown[0] == "| id | when | who | entity | id | action | what |"
    assert markdown[-1] == "| 6 | 2026-11-24 | dana | contact | 1 | delete | deleted Bo Chen |"


def test_failed_writes_leave_no_history(story: Run, cli: Run, db: Path) -> None:
    before = digest(db)
    assert cli("company", "add", "Dup", "--domain", "acme.io").exit_code == 1
    assert cli("contact", "add", "X", "--email", "nope").exit_code == 2
    assert cli("company", "edit", "404", "--segment", "x").exit_code == 3
    assert digest(db) == before


def test_nothing_changed_writes_no_history(story: Run, db: Path) -> None:
    before = digest(db)
    assert story("company", "edit", "1", "--domain", "ACME.IO").stderr == "company 1: nothing changed\n"
    assert digest(db) == before


@pytest.fixture
def deal_story(ok: Run) -> Run:
    ok("company", "add", "Acme Robotics", "--domain", "acme.io", today="2026-03-02")
    ok("deal", "add", "Acme renewal", "--amount", "12k", "--company", "Acme Robotics", "--stage", "Qualification",
       "--close", "+30d", today="2026-03-02")
    ok("deal", "move", "1", "Proposal", "--note", "pricing sent", today="2026-03-10")
    ok("deal", "edit", "1", "--probability", "0", today="2026-03-12")
    return ok


def test_one_records_history_reads_as_a_person_would_say_it(deal_story: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns the `what` of `history deal 1` was squeezed beside entity and id columns that repeat the
    command line, and it spelt bookkeeping flags (probability_set) and raw timestamps (…T00:00:00)."""
    monkeypatch.setenv("COLUMNS", "80")
    assert screen(deal_story("history", "deal", "1").stdout) == expect("""
        id   when         who    action   what
        ────────────────────────────────────────────────────────────────────────────────
         2   2026-03-02   dana   create   created Acme renewal
         3   2026-03-10   dana   move     stage: Qualification → Proposal; stage entered
                                          at: 2026-03-02 → 2026-03-10; probability: 20 →
                                          60; forecast category: pipeline → best_case;
                                          note: ∅ → pricing sent
         4   2026-03-12   dana   update   probability: 60 → 0; forecast category:
                                          best_case → pipeline
    """)
    # one kind: the id stays, the entity goes; every kind, or a batch: both stay
    assert deal_story("history", "deals").stdout.splitlines()[0].split() == ["id", "when", "who", "id", "action",
                                                                             "what"]
    assert deal_story("history").stdout.splitlines()[0].split() == ["id", "when", "who", "entity", "id", "action",
                                                                     "what"]


def test_history_json_and_csv_keep_the_change_as_logged(deal_story: Run) -> None:
    rows = json.loads(deal_story("history", "deal", "1", "-f", "json").stdout)
    assert rows[1]["summary"] == ("stage: Qualification → Proposal; stage_entered_at: 2026-03-02T00:00:00 →"
                                  " 2026-03-10T00:00:00; probability: 20 → 60; forecast_category: pipeline →"
                                  " best_case; note: ∅ → pricing sent")
    assert rows[2]["summary"] == "probability: 60 → 0; probability_set: 0 → 1; forecast_category: best_case → pipeline"
    assert rows[2]["after"] == {"probability": 0, "probability_set": 1, "forecast_category": "pipeline"}
    assert {r["entity"] for r in rows} == {"deal"} and {r["entity_id"] for r in rows} == {1}
    csv_lines = deal_story("history", "deal", "1", "-f", "csv").stdout.splitlines()
    assert csv_lines[0] == "id,changed_at,changed_by,entity,entity_id,action,batch_id,summary,before,after"
    assert csv_lines[3].startswith("4,2026-03-12T00:00:00,dana,deal,1,update,,probability: 60 → 0; probability_set:")


def test_a_removed_company_is_named_in_the_history_that_unlinked_it(deal_story: Run) -> None:
    """`company rm 1` left `company: #1 → ∅` in the deal's history: no one could tell which company it was."""
    deal_story("company", "rm", "1", "--yes", today="2026-03-13")
    assert deal_story("history", "deal", "1").stdout.splitlines()[-1].split(None, 4)[4].rstrip() == (
        "company: Acme Robotics (#1, removed) → ∅")
    rows = json.loads(deal_story("history", "deal", "1", "-f", "json").stdout)
    assert rows[-1]["summary"] == "company: Acme Robotics (#1, removed) → ∅"
    assert (rows[-1]["before"], rows[-1]["after"]) == ({"company_id": 1}, {"company_id": None})
    # a contact too; one merged into another says where it went
    deal_story("contact", "add", "Ana Silva", "--email", "ana@acme.io", today="2026-03-13")
    deal_story("contact", "add", "Ana S.", "--email", "ana.s@acme.io", today="2026-03-13")
    deal_story("deal", "edit", "1", "--contact", "ana.s@acme.io", today="2026-03-13")
    deal_story("contact", "merge", "1", "2", "--yes", today="2026-03-14")
    deal_story("contact", "rm", "1", "--yes", today="2026-03-15")
    whats = [line.split(None, 4)[4].rstrip() for line in deal_story("history", "deal", "1").stdout.splitlines()[-3:]]
    assert whats == ["contact: ∅ → Ana S. (#2, merged into #1)",
                     "contact: Ana S. (#2, merged into #1) → Ana Silva (#1, removed)",
                     "contact: Ana Silva (#1, removed) → ∅"]


def test_the_acting_user_in_another_case_is_recorded_as_the_known_user(story: Run, db: Path) -> None:
    """$SALESCLI_USER=LEE on another machine is user lee: history names lee, not a second spelling."""
    story("--user", "LEE", "company", "edit", "Initech", "--segment", "smb")
    story("--user", "Lee", "deal", "add", "Pilot", "--company", "Initech", "--amount", "1k")
    rows = json.loads(story("history", "--limit", "2", "-f", "json").stdout)
    assert [r["changed_by"] for r in rows] == ["lee", "lee"]
    assert json.loads(story("deal", "show", "1", "-f", "json").stdout)["owner"] == "lee"
    assert [u["name"] for u in json.loads(story("user", "list", "-f", "json").stdout)] == ["dana", "lee"]


def test_an_acting_user_too_long_is_refused_naming_where_it_came_from(
        story: Run, cli: Run, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = digest(db)
    monkeypatch.setenv("SALESCLI_USER", "x" * 201)
    res = cli("company", "add", "Globex")
    assert (res.exit_code, res.stderr) == (
        2, f'Error: $SALESCLI_USER "{"x" * 40}…" is too long (at most 200 characters)\n')
    assert "Usage:" in story("company", "add", "--help").stdout  # (help needs no user)
    res = cli("--user", "y" * 300, "company", "add", "Globex")
    assert (res.exit_code, res.stderr) == (2, f'Error: --user "{"y" * 40}…" is too long (at most 200 characters)\n')
    assert digest(db) == before
    monkeypatch.setenv("SALESCLI_USER", "dana")
    story("--user", "sam\n\n lee", "company", "add", "Globex")  # a name on one line, as every name is
    story("company", "add", "Initech2", "--owner", "sam\n\n lee")
    assert [r["changed_by"] for r in json.loads(story("history", "--limit", "2", "-f", "json").stdout)] == [
        "sam lee", "dana"]
    users = [u["name"] for u in json.loads(story("user", "list", "-f", "json").stdout)]
    assert users.count("sam lee") == 1 and "sam  lee" not in users  # the acting user and the owner: one user


def test_history_json_gives_money_as_a_decimal_beside_its_currency(deal_story: Run) -> None:
    """history -f json gave amounts only as stored ("amount_minor": 1200000) and a won amount target's value in
    minor units (4000000 where `target list` says 40000.00): a script read a hundred times the money."""
    deal_story("deal", "edit", "1", "--amount", "¥5,000", today="2026-03-13")
    deal_story("target", "set", "dana", "2026-Q1", "40k", today="2026-03-13")
    rows = json.loads(deal_story("history", "-f", "json").stdout)
    created = next(r for r in rows if r["entity"] == "deal" and r["action"] == "create")
    assert created["after"]["amount"] == 12000 and created["after"]["amount_minor"] == 1200000
    assert '"amount": 12000.00, "amount_minor": 1200000, "currency": "USD"' in deal_story(
        "history", "deal", "1", "-f", "jsonl").stdout.splitlines()[0]
    edited = rows[-2]
    assert (edited["before"], edited["after"]) == ({"amount": 12000, "amount_minor": 1200000, "currency": "USD"},
                                                   {"amount": 5000, "amount_minor": 5000, "currency": "JPY"})
    target = rows[-1]
    assert target["entity"] == "target" and target["after"]["value"] == 40000 and target["after"]["currency"] == "USD"
    # a table still reads it as money in words
    assert "amount: 12,000.00 USD → 5,000 JPY" in deal_story("history", "deal", "1").stdout


def test_history_money_is_in_the_currency_of_its_day(deal_story: Run) -> None:
    """A sweep's find: an amount change was given the deal's currency of now (JPY after a later currency change,
    100 times the money) and a removed deal's none."""
    deal_story("deal", "edit", "1", "--amount", "13k", today="2026-03-13")
    deal_story("deal", "edit", "1", "--currency", "JPY", today="2026-03-14")
    rows = json.loads(deal_story("history", "deal", "1", "-f", "json").stdout)
    bump = next(r for r in rows if r["after"].get("amount_minor") == 1300000)
    assert (bump["before"], bump["after"]) == ({"amount": 12000, "currency": "USD", "amount_minor": 1200000},
                                               {"amount": 13000, "currency": "USD", "amount_minor": 1300000})
    assert "amount: 12,000.00 USD → 13,000.00 USD" in deal_story("history", "deal", "1").stdout
    deal_story("deal", "add", "Yen deal", "--amount", "¥50,000", today="2026-03-14")
    deal_story("deal", "edit", "2", "--amount", "60000", today="2026-03-14")
    deal_story("deal", "rm", "2", "--yes", today="2026-03-14")
    edit = next(r for r in json.loads(deal_story("history", "deal", "2", "-f", "json").stdout)
                if r["action"] == "update")
    assert edit["after"] == {"amount": 60000, "currency": "JPY", "amount_minor": 60000}
