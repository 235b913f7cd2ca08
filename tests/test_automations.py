"""automation add|list|rm, and the tasks rules create when deals are created, won, lost or change stage."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import digest


def tasks(ok):
    return [(t["subject"], t["deal_id"], t["due_date"], t["owner"], t["automation_id"])
            for t in json.loads(ok("task", "list", "--all", "-f", "json").stdout)]


def test_a_new_database_follows_up_won_deals_after_a_week(ok):
    ok("init")
    rules = json.loads(ok("automation", "list", "-f", "json").stdout)
    assert rules == [{"id": 1, "on": "won", "event": "won", "stage": None, "task": "Post-sale follow-up",
                      "due_days": 7, "due": "+7d", "owner": "deal-owner", "tasks_created": 0,
                      "created_at": "2026-11-26T00:00:00"}]
    lines = ok("automation", "list").stdout.splitlines()
    assert lines[0].split() == ["id", "on", "task", "due", "owner", "tasks", "created"]
    assert lines[2].split() == ["1", "won", "Post-sale", "follow-up", "+7d", "deal-owner", "0"]


def test_the_same_automation_twice_is_refused(cli, ok, db):
    ok("automation", "add", "--on", "stage:proposal", "--task", "Call about it", "--due", "+3d")
    before = digest(db)
    for on in ("won", "Won"):  # (the default rule: on won, "Post-sale follow-up" due +7d for the deal's owner)
        res = cli("automation", "add", "--on", on, "--task", "Post-sale follow-up", "--due", "1w")
        assert (res.exit_code, res.stderr) == (1, "Error: automation 1 does this already\n"
                                                  "Hint: see `salescli automation list`\n")
    res = cli("automation", "add", "--on", "stage:Proposal", "--task", "Call about it", "--due", "3d")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (1, "Error: automation 2 does this already")
    assert digest(db) == before
    ok("automation", "add", "--on", "won", "--task", "Post-sale follow-up", "--due", "+7d", "--owner", "sam")


def test_add_list_rm(cli, ok, db):
    res = ok("automation", "add", "--on", "stage:proposal", "--task", "Call about the proposal", "--due", "+3d")
    assert res.stdout == "2\n"
    assert res.stderr == ('added automation 2: on stage:Proposal -> task "Call about the proposal" due +3d'
                          " for deal-owner\n")
    ok("automation", "add", "--on", "LOST", "--task", "Ask why", "--due", "2w", "--owner", "sam")
    ok("automation", "add", "--on", "created", "--task", "Qualify", "--owner", "deal-owner")
    rules = json.loads(ok("automation", "list", "-f", "json").stdout)
    assert [(r["on"], r["task"], r["due_days"], r["owner"]) for r in rules] == [
        ("won", "Post-sale follow-up", 7, "deal-owner"),
        ("stage:Proposal", "Call about the proposal", 3, "deal-owner"),
        ("lost", "Ask why", 14, "sam"),
        ("created", "Qualify", 0, "deal-owner"),
    ]
    before = digest(db)
    refused = cli("automation", "rm", "3")
    assert refused.exit_code == 1 and "without --yes (no terminal to ask)" in refused.stderr
    assert digest(db) == before
    assert ok("automation", "rm", "3", "--yes").stderr == "deleted automation 3\n"
    assert [r["id"] for r in json.loads(ok("automation", "list", "-f", "json").stdout)] == [1, 2, 4]
    history = json.loads(ok("history", "automation", "3", "-f", "json").stdout)
    assert [h["action"] for h in history] == ["create", "delete"]
    shown = ok("history", "automation", "3").stdout
    assert "created Ask why" in shown and "deleted Ask why" in shown  # (it said "created ∅")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--on", "signed", "--task", "x"], 2,
         'Error: --on "signed" is not one of won, lost, created, stage:NAME\n'),
        (["--on", "stage:", "--task", "x"], 2, 'Error: --on "stage:" names no stage (example: stage:Proposal)\n'),
        (["--on", "stage:Closing", "--task", "x"], 3, 'Error: --on: stage "Closing" not found in any pipeline\n'),
        (["--on", "won", "--task", "x", "--due", "next week"], 2,
         'Error: --due "next week" is not a delay after the event (examples: +7d, +2w, +0d)\n'),
        (["--on", "won", "--task", "x", "--due", "-3d"], 2, 'Error: --due "-3d" is not a delay'),
        (["--on", "won", "--task", "x", "--due", "+99999d"], 2,
         'Error: --due "+99999d" is too far after the event'),
        (["--on", "won", "--task", "  "], 2, 'Error: --task "  " is required\n'),
        (["--on", "won"], 2, "Missing option '--task'"),
    ],
)
def test_add_bad_input(cli, ok, db, args, code, message):
    ok("init")
    before = digest(db)
    res = cli("automation", "add", *args)
    assert res.exit_code == code, res.stderr
    assert message in res.stderr
    assert res.stdout == ""
    assert digest(db) == before


def test_rm_unknown_and_bad_ids(cli, ok):
    ok("init")
    assert cli("automation", "rm", "9", "--yes").stderr == "Error: automation 9 not found\n" \
        "Hint: list them with `salescli automation list`\n"
    assert cli("automation", "rm", "x", "--yes").exit_code == 2


@pytest.fixture
def rules(ok):
    ok("contact", "add", "Ana Lima", "--email", "ana@acme.io", "--company", "Acme")
    ok("automation", "add", "--on", "stage:Qualification", "--task", "Qualify budget", "--due", "+2d")
    ok("automation", "add", "--on", "lost", "--task", "Ask why we lost", "--due", "+1d", "--owner", "sam")
    ok("automation", "add", "--on", "created", "--task", "Say hello", "--due", "+0d")


def test_created_and_stage_entry_fire_once_each_with_the_deal_links(ok, rules):
    res = ok("deal", "add", "Acme renewal", "--contact", "ana@acme.io", "--owner", "lee",
             "--stage", "Qualification")
    assert 'created task 1 "Say hello" due 2026-11-26 (automation 4)' in res.stderr
    assert 'created task 2 "Qualify budget" due 2026-11-28 (automation 2)' in res.stderr
    assert tasks(ok) == [("Say hello", 1, "2026-11-26", "lee", 4), ("Qualify budget", 1, "2026-11-28", "lee", 2)]
    task = json.loads(ok("task", "show", "2", "-f", "json").stdout)
    assert (task["contact"], task["company"]) == ("Ana Lima", "Acme")
    ok("deal", "move", "1", "Needs Analysis")
    assert len(tasks(ok)) == 2  # no rule for Needs Analysis


def test_won_fires_the_default_rule_exactly_once(cli, ok):
    ok("deal", "add", "Acme renewal", "--owner", "lee")
    res = ok("deal", "won", "1")
    assert 'created task 1 "Post-sale follow-up" due 2026-12-03 (automation 1)' in res.stderr
    assert tasks(ok) == [("Post-sale follow-up", 1, "2026-12-03", "lee", 1)]
    assert json.loads(ok("automation", "list", "-f", "json").stdout)[0]["tasks_created"] == 1
    assert ok("task", "list", "--owner", "lee").stdout.count("Post-sale follow-up") == 1
    again = cli("deal", "won", "1")  # refused: already won, and no second task
    assert again.exit_code == 1 and "created task" not in again.stderr
    res = ok("deal", "reopen", "1")
    assert res.stderr == ('note: task 1 "Post-sale follow-up", made when deal 1 was won, is still open'
                          " (salescli task rm 1 if it no longer applies)\nreopened deal 1 in Prospecting\n")
    res = ok("deal", "won", "1")  # won again while its follow-up is still open: no second one
    assert 'task 1 "Post-sale follow-up" from automation 1 is still open for deal 1; no second task' in res.stderr
    assert [t[0] for t in tasks(ok)] == ["Post-sale follow-up"]
    ok("task", "done", "1")
    ok("deal", "reopen", "1")
    res = ok("deal", "won", "1")  # the first one done: a new event, a new follow-up
    assert 'created task 2 "Post-sale follow-up"' in res.stderr
    assert [t[0] for t in tasks(ok)] == ["Post-sale follow-up", "Post-sale follow-up"]


def test_moving_into_the_won_stage_fires_won_too(ok):
    ok("deal", "add", "Acme renewal")
    ok("deal", "move", "1", "Won")
    assert tasks(ok) == [("Post-sale follow-up", 1, "2026-12-03", "dana", 1)]


def test_lost_fires_for_the_rule_owner(ok, rules):
    ok("deal", "add", "Acme renewal", "--owner", "lee")
    res = ok("deal", "lost", "1", "--reason", "price")
    assert 'created task 2 "Ask why we lost" due 2026-11-27 (automation 3)' in res.stderr
    assert tasks(ok)[-1] == ("Ask why we lost", 1, "2026-11-27", "sam", 3)


def test_a_refused_move_creates_no_task(cli, ok, db, rules):
    ok("automation", "add", "--on", "stage:Proposal", "--task", "Chase the proposal")
    ok("deal", "add", "Acme renewal")  # no amount: Proposal refuses it
    before = digest(db)
    res = cli("deal", "move", "1", "Proposal")
    assert res.exit_code == 1
    assert "created task" not in res.stderr
    assert digest(db) == before


def test_a_move_failing_after_a_task_was_created_rolls_the_task_back(cli, ok, db):
    """The won stage's rule creates its task, then the won rule fails: nothing of the move stays."""
    ok("automation", "add", "--on", "stage:Won", "--task", "Send invoice")
    ok("automation", "add", "--on", "won", "--task", "boom")
    ok("deal", "add", "Acme renewal")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("CREATE TRIGGER fail_boom BEFORE INSERT ON activities WHEN new.subject = 'boom'"
                     " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    conn.close()
    before = digest(db)
    res = cli("deal", "won", "1")
    assert res.exit_code == 5
    assert res.stdout == ""
    assert "created task" not in res.stderr
    assert digest(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT status FROM deals WHERE id = 1").fetchone()[0] == "open"
    assert conn.execute("SELECT count(*) FROM activities").fetchone()[0] == 0
    conn.close()


def test_a_backdated_deal_gets_its_follow_up_due_today_not_overdue_from_the_start(ok):
    ok("automation", "add", "--on", "created", "--task", "Qualify", "--due", "+2d")
    res = ok("deal", "add", "Backfilled", "--date", "2026-10-01", "--owner", "dana")  # today: 2026-11-26
    assert 'created task 1 "Qualify" due 2026-11-26 (automation 2; its +2d, 2026-10-03, was already past)' in res.stderr
    ok("deal", "won", "1", "--date", "2026-11-24")  # won two days ago: the week's follow-up is still ahead
    assert tasks(ok) == [("Qualify", 1, "2026-11-26", "dana", 2), ("Post-sale follow-up", 1, "2026-12-01", "dana", 1)]


def test_a_rule_follows_the_rename_of_its_stage_unless_another_pipeline_keeps_the_name(ok):
    ok("automation", "add", "--on", "stage:Negotiation", "--task", "Call about it", "--due", "+3d")
    res = ok("pipeline", "stage-edit", "Default", "Negotiation", "--name", "Negotiate")
    assert res.stderr == ("updated stage Negotiate of pipeline Default: name\n"
                          "automation 2 now runs on stage:Negotiate (was stage:Negotiation)\n")
    ok("deal", "add", "P", "--amount", "10k", "--close", "+20d", "--stage", "Proposal")
    ok("deal", "move", "1", "Negotiate")
    assert [t["subject"] for t in json.loads(ok("task", "list", "-f", "json").stdout)] == ["Call about it"]
    ok("pipeline", "add", "Other", "--stages", "Negotiate:50,Won:100:won,Lost:0:lost")
    res = ok("pipeline", "stage-edit", "Default", "Negotiate", "--name", "Closing")
    assert res.stderr.endswith("note: automation 2 stays on stage:Negotiate (another pipeline has a stage of that"
                               " name); `automation add --on stage:Closing` for this one\n")


def test_a_rule_does_not_follow_a_rename_into_another_pipelines_stage_name(ok):
    ok("pipeline", "add", "Other", "--stages", "Closing:50,Won:100:won,Lost:0:lost")
    ok("automation", "add", "--on", "stage:Negotiation", "--task", "Call about it", "--due", "+3d")
    assert ok("pipeline", "stage-edit", "Default", "Negotiation", "--name", "NEGOTIATION").stderr == (
        "updated stage NEGOTIATION of pipeline Default: name\n")  # (a rule matches a stage name in any case)
    res = ok("pipeline", "stage-edit", "Default", "NEGOTIATION", "--name", "Closing")
    assert res.stderr == ("updated stage Closing of pipeline Default: name\n"
                          "note: automation 2 stays on stage:Negotiation, which no stage has now: on stage:Closing it"
                          " would run in another pipeline's Closing too; `automation add --on stage:Closing` if it"
                          " should\n")
    ok("deal", "add", "O", "--pipeline", "Other")
    ok("deal", "move", "1", "Closing")
    assert json.loads(ok("task", "list", "-f", "json").stdout) == []


def test_removing_the_last_stage_of_a_rules_name_says_the_rule_is_idle(ok):
    ok("pipeline", "add", "Renewals", "--stages", "Due:50,Signed:70,Won:100:won,Lost:0:lost")
    ok("pipeline", "add", "Trial", "--stages", "Due:50,Won:100:won,Lost:0:lost")
    ok("automation", "add", "--on", "stage:Due", "--task", "Renew", "--due", "+3d")
    assert ok("pipeline", "stage-rm", "Renewals", "Due").stderr == "removed stage Due from pipeline Renewals\n"
    assert ok("pipeline", "rm", "Trial", "--yes").stderr == (
        "deleted pipeline Trial\n"
        "note: automation 2 runs on stage:Due, which no stage has now: `salescli automation rm 2` if it is done\n")
