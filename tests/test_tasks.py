"""task add|list|show|done|reopen|edit|rm: due dates, the list's filters and owners, completion as activity."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import as_schema, digest
from tests.seeding import build, copy_to

# --today is pinned to Thursday 2026-11-26; the week (Monday start) is 2026-11-23..2026-11-29.


STEPS = [
    ["company", "add", "Acme Corp", "--domain", "acme.io"],
    ["contact", "add", "Ana Lima", "--email", "ana@acme.io", "--company", "acme.io"],
    ["task", "add", "long overdue", "--due", "2026-11-02", "--contact", "ana@acme.io"],  # 1
    ["task", "add", "due monday", "--due", "2026-11-23"],  # 2: overdue, and this week
    ["task", "add", "due today"],  # 3: --due defaults to today
    ["task", "add", "due saturday", "--due", "saturday"],  # 4: 2026-11-28, this week
    ["task", "add", "next week", "--due", "2026-12-01"],  # 5
    ["task", "add", "sam's", "--due", "2026-11-20", "--owner", "sam"],  # 6
    ["task", "add", "done one", "--due", "2026-11-24"],  # 7
    ["task", "done", "7"],
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build(tmp_path_factory, "tasks", STEPS)


@pytest.fixture
def tasks(template, db):
    copy_to(template, db)


def ids(ok, *args):
    return [r["id"] for r in json.loads(ok("task", "list", *args, "-f", "json").stdout)]


def test_default_is_my_open_tasks_by_due_date(ok, tasks):
    assert ids(ok) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--overdue"], [1, 2]),
        (["--today"], [3]),
        (["--week"], [2, 3, 4]),
        (["--overdue", "--today"], [1, 2, 3]),
        (["--owner", "sam"], [6]),
        (["--owner", "SAM", "--overdue"], [6]),
        (["--all"], [1, 6, 2, 7, 3, 4, 5]),
        (["--all", "--owner", "dana"], [1, 2, 7, 3, 4, 5]),
        (["--all", "--week"], [2, 7, 3, 4]),
        (["--everyone"], [1, 6, 2, 3, 4, 5]),  # every owner's open tasks (not the done 7)
        (["--everyone", "--overdue"], [1, 6, 2]),
    ],
)
def test_filters(ok, tasks, args, expected):
    assert ids(ok, *args) == expected


def test_an_empty_list_of_my_tasks_says_whose_tasks_there_are(ok, cli, tasks):
    """The demo's `task list` as root said "no tasks" while three people had open ones."""
    ok("user", "add", "lee")
    res = cli("task", "list", "--owner", "lee")
    assert (res.exit_code, res.stdout, res.stderr) == (
        0, "", "no tasks of lee\nopen tasks belong to dana (5), sam (1): try `salescli task list --everyone` or"
               " `salescli task list --owner dana`\n")
    res = cli("task", "list", "--owner", "lee", "-f", "json")  # (a script reads [], and no advice)
    assert (res.stdout, res.stderr) == ("[]\n", "")


def test_the_global_today_pins_the_date_the_filter_uses(ok, tasks):
    assert [r["id"] for r in json.loads(ok("task", "list", "--today", "-f", "json", today="2026-12-01").stdout)] == [5]


def test_week_follows_the_week_start_setting(ok, db, tasks):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('week_start', 'sunday')")
    conn.close()
    # Sunday start: 2026-11-22..2026-11-28
    assert ids(ok, "--week") == [2, 3, 4]
    assert [r["id"] for r in json.loads(
        ok("task", "list", "--week", "-f", "json", today="2026-11-29").stdout)] == [5]


def test_table_shows_state_and_what_it_is_about(ok, tasks):
    out = ok("task", "list", "--overdue", "--everyone").stdout
    lines = [line.rstrip() for line in out.splitlines() if line.strip()]
    assert lines[0].split() == ["id", "due", "state", "subject", "about", "owner"]
    assert lines[2].split() == ["1", "2026-11-02", "overdue", "24d", "long", "overdue", "Ana", "Lima", "dana"]
    assert lines[3].split() == ["6", "2026-11-20", "overdue", "6d", "sam's", "sam"]


def test_one_persons_tasks_leave_the_owner_column_to_the_subject(ok, tasks, monkeypatch):
    """`task list` shows the acting user's tasks, yet kept an owner column saying so on every row while the
    subject was cut to 17 characters at 80 columns."""
    ok("task", "add", "Send the signed order form and the onboarding plan to Ana", "--due", "2026-11-29",
       "--contact", "ana@acme.io")
    monkeypatch.setenv("COLUMNS", "80")
    lines = [line.rstrip() for line in ok("task", "list", "--week").stdout.splitlines()]
    assert lines == [
        "id   due          state        subject                                  about",
        "────────────────────────────────────────────────────────────────────────────────",
        " 2   2026-11-23   overdue 3d   due monday",
        " 3   2026-11-26   due today    due today",
        " 4   2026-11-28   open         due saturday",
        " 8   2026-11-29   open         Send the signed order form and the on…   Ana Lima",
    ]
    # someone else's (--owner), or everyone's when all are yours: no owner column either
    assert ok("task", "list", "--owner", "sam").stdout.splitlines()[0].split() == ["id", "due", "state", "subject",
                                                                               "about"]
    assert "owner" not in ok("task", "list", "--everyone", "--week").stdout.splitlines()[0]
    assert ok("task", "list", "--everyone").stdout.splitlines()[0].split()[-1] == "owner"
    # json, csv and markdown of one person's tasks still name the owner
    assert json.loads(ok("task", "list", "-f", "json").stdout)[0]["owner"] == "dana"
    assert ok("task", "list", "-f", "csv").stdout.splitlines()[0].split(",")[15] == "owner"


def test_json_keys(ok, tasks):
    first = json.loads(ok("task", "list", "-f", "json").stdout)[0]
    assert list(first) == [
        "id", "due_date", "state", "subject", "days_overdue", "status", "done_at", "outcome", "notes", "deal_id",
        "deal", "contact_id", "contact", "company_id", "company", "owner", "automation_id", "occurred_at",
        "external_id", "created_at", "updated_at",
    ]
    assert (first["days_overdue"], first["state"], first["status"], first["company"]) == (
        24, "overdue 24d", "open", "Acme Corp")


def test_done_counts_as_activity_on_the_links(ok, db, tasks):
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT last_activity_at FROM contacts WHERE id = 1").fetchone()[0] is None
    res = ok("task", "done", "1", "--outcome", "called, all good")
    assert res.stdout == "1\n"
    assert res.stderr == 'done: task 1 "long overdue" (2026-11-26)\n'
    assert conn.execute("SELECT last_activity_at FROM contacts WHERE id = 1").fetchone()[0] == "2026-11-26"
    assert conn.execute("SELECT last_activity_at FROM companies WHERE id = 1").fetchone()[0] == "2026-11-26"
    conn.close()
    task = json.loads(ok("task", "show", "1", "-f", "json").stdout)
    assert (task["done_at"], task["status"], task["outcome"]) == ("2026-11-26", "done", "called, all good")
    assert 1 not in ids(ok)
    # a done task is something that happened: it is in the activity list
    assert [r["id"] for r in json.loads(ok("activity", "list", "-f", "json").stdout)] == [7, 1]
    ok("task", "rm", "1", "--yes")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT last_activity_at FROM contacts WHERE id = 1").fetchone()[0] is None
    conn.close()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["done", "7"], 1, "Error: task 7 is already done (2026-11-26)\nHint: open it again: salescli task reopen 7\n"),
        (["reopen", "1"], 1, "Error: task 1 is not done\nHint: mark it done: salescli task done 1\n"),
        (["reopen", "8"], 3, "Error: task 8 not found (8 is a call)\n"),
        (["done", "99"], 3, "Error: task 99 not found\n"),
        (["done", "x"], 3, 'Error: no open task named "x"\nHint: give its id, or three letters or more of its'
                           " subject (see `salescli task list`)\n"),
        (["done", "1", "--date", "+1d"], 1, "Error: --date 2026-11-27 is in the future"),
        (["show", "8"], 3, "Error: task 8 not found (8 is a call)\n"),
        (["edit", "8", "--due", "+1d"], 3, "Error: task 8 not found (8 is a call)\n"),
        (["rm", "8", "--yes"], 3, "Error: task 8 not found (8 is a call)\n"),
        (["add", "x", "--due", "2026-13-01"], 2, 'Error: --due "2026-13-01" is not a valid date\n'),
        (["add", "x", "--due", "soon"], 2, 'Error: --due "soon" is not a date'),
        (["add", "x", "--deal", "99"], 3, 'Error: --deal "99" not found\n'),
        (["add", "   "], 2, 'Error: SUBJECT "   " is required\n'),
        (["edit", "1", "--due", "31/31/2026"], 2, 'Error: --due "31/31/2026" is not a valid date\n'),
        (["list", "--owner"], 2, "Option '--owner' requires an argument"),
        (["rm", "1"], 1, 'Error: refusing to delete task 1 "long overdue" without --yes (no terminal to ask)\n'),
    ],
)
def test_bad_input(cli, ok, db, tasks, args, code, message):
    ok("activity", "log", "call", "a call")  # 8
    before = digest(db)
    res = cli("task", *args)
    assert res.exit_code == code, res.stderr
    assert message in res.stderr
    assert res.stdout == ""
    assert digest(db) == before


def test_edit(ok, tasks):
    res = ok("task", "edit", "1", "--due", "+2d", "--subject", "call Ana", "--owner", "sam", "--contact", "")
    assert res.stderr == "updated task 1: subject, owner sam, due 2026-11-28, contact cleared\n"
    task = json.loads(ok("task", "show", "1", "-f", "json").stdout)
    assert (task["due_date"], task["subject"], task["owner"], task["contact"], task["company"]) == (
        "2026-11-28", "call Ana", "sam", None, "Acme Corp")
    assert ids(ok, "--owner", "sam") == [6, 1]


def test_global_today_before_the_command_and_filter_after_it(run_exe, tmp_path):
    db = str(tmp_path / "t.db")
    assert run_exe("--db", db, "--today", "2026-11-26", "task", "add", "x", "--due", "2026-11-27").returncode == 0
    res = run_exe("--db", db, "--today", "2026-11-27", "task", "list", "--today", "-f", "json")
    assert res.returncode == 0
    assert [r["subject"] for r in json.loads(res.stdout)] == ["x"]


def test_list_for_an_unknown_owner_is_not_found(ok, cli):
    ok("task", "add", "Call back")
    res = cli("task", "list", "--owner", "nobdy")
    assert (res.exit_code, res.stderr) == (3, 'Error: no user named "nobdy"\nHint: see `salescli user list`\n')


def test_a_done_task_is_listed_on_the_day_it_was_done(ok, cli, db):
    ok("task", "add", "Call back", "--due", "2026-11-27")  # added Thursday 2026-11-26
    ok("activity", "log", "call", "Intro")
    before = digest(db)
    res = cli("task", "done", "1", "--date", "2025-11-26", today="2026-11-30")  # (a slip of the year)
    assert (res.exit_code, res.stderr) == (1, "Error: --date 2025-11-26 is months before task 1 was added"
                                              " (2026-11-26) and due (2026-11-27): a slip?\nHint: give the day it"
                                              " was done, e.g. --date yesterday\n")
    assert digest(db) == before
    ok("task", "done", "1", today="2026-11-30")  # done the next Monday
    rows = json.loads(ok("activity", "list", "--since", "this-week", "-f", "json", today="2026-11-30").stdout)
    assert [(r["id"], r["occurred_at"], r["done_at"]) for r in rows] == [(1, "2026-11-30", "2026-11-30")]
    rows = json.loads(ok("activity", "list", "-f", "json", today="2026-11-30").stdout)
    assert [(r["id"], r["occurred_at"]) for r in rows] == [(1, "2026-11-30"), (2, "2026-11-26")]


def test_migration_8_dates_tasks_done_before_it_on_their_done_day(ok, cli, db, tmp_path):
    ok("task", "add", "old", "--due", "2026-11-20")
    ok("task", "add", "open", "--due", "2026-11-30")
    ok("task", "done", "1")
    with sqlite3.connect(db) as conn:  # as a salescli before schema 8 recorded it
        conn.execute("UPDATE activities SET occurred_at = '2026-11-10' WHERE id = 1")
        as_schema(conn, 7)
    conn.close()
    res = ok("task", "list", "--all", "-f", "json")
    assert "before migrating" in res.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, occurred_at, done_at FROM activities ORDER BY id").fetchall()
    conn.close()
    assert rows == [(1, "2026-11-26", "2026-11-26"), (2, "2026-11-26", None)]


def test_done_takes_an_open_tasks_subject(ok, cli, db):
    ok("task", "add", "Send the contract", "--due", "+2d")
    ok("task", "add", "Call Ana back", "--due", "+3d")
    ok("task", "add", "Call Bo back", "--due", "+4d")
    assert ok("task", "done", "send the CONTRACT").stderr.startswith('done: task 1 "Send the contract"')
    assert ok("task", "done", "ana").stderr.startswith('done: task 2 "Call Ana back"')  # a part, when only one
    assert ok("task", "done", "back").stderr.startswith('done: task 3 "Call Bo back"')  # the only open one left
    res = cli("task", "done", "call")
    assert (res.exit_code, res.stderr) == (3, 'Error: no open task with "call" in its subject\n'
                                              "Hint: see `salescli task list`\n")
    ok("task", "add", "Call Cy", "--due", "+1d")
    ok("task", "add", "Call Di", "--due", "+2d")
    before = digest(db)
    res = cli("task", "done", "call")
    assert (res.exit_code, res.stderr) == (1, 'Error: task "call" is ambiguous: 2 open tasks match (4 Call Cy (due'
                                              ' 2026-11-27, dana); 5 Call Di (due 2026-11-28, dana))\n'
                                              "Hint: use the task id\n")
    assert digest(db) == before
    conn = sqlite3.connect(db)  # (an imported task may have no due date: it said "due None")
    conn.execute("UPDATE activities SET due_date = NULL WHERE id = 5")
    conn.commit()
    conn.close()
    res = cli("task", "done", "call")
    assert res.stderr.startswith('Error: task "call" is ambiguous: 2 open tasks match (5 Call Di (no due date, dana);'
                                 " 4 Call Cy (due 2026-11-27, dana))\n")
    ok("task", "done", "5")
    assert ok("task", "reopen", "5").stderr == 'reopened: task 5 "Call Di" (no due date)\n'


def test_a_past_today_lists_the_tasks_open_that_day_as_the_agenda_does(ok):
    """`today` on a past day read the tasks as they stood; `task list --overdue --today` read them as they are
    now: a task done since was missing and one added since was listed."""
    ok("task", "add", "Send quote", "--due", "2026-03-05", today="2026-03-01")
    ok("task", "done", "1", today="2026-03-08")
    ok("task", "add", "Late-added task", "--due", "2026-03-03", today="2026-03-10")
    agenda = json.loads(ok("today", "-f", "json", today="2026-03-06").stdout)["overdue_tasks"]
    listed = json.loads(ok("task", "list", "--overdue", "--today", "-f", "json", today="2026-03-06").stdout)
    assert [t["id"] for t in agenda] == [t["id"] for t in listed] == [1]
    assert (listed[0]["state"], listed[0]["status"], listed[0]["done_at"]) == ("overdue 1d", "open", None)
    now = json.loads(ok("task", "list", "--all", "-f", "json", today="2026-03-12").stdout)
    assert [(t["id"], t["state"]) for t in now] == [(2, "overdue 9d"), (1, "done 2026-03-08")]
    every = json.loads(ok("task", "list", "--all", "-f", "json", today="2026-03-06").stdout)  # (--all: as they are)
    assert [(t["id"], t["done_at"]) for t in every] == [(2, None), (1, "2026-03-08")]


def test_done_takes_several_tasks_all_or_none(ok, cli, db):
    for subject in ("Send the contract", "Call Ana back", "Call Bo back"):
        ok("task", "add", subject, "--due", "+2d")
    before = digest(db)
    res = cli("task", "done", "1", "ana", "99")  # one unknown: none is done
    assert (res.exit_code, res.stderr) == (3, "Error: task 99 not found\nHint: list them with `salescli task list"
                                              " --all`\n")
    assert digest(db) == before
    res = ok("task", "done", "1", "ana", "#1", "-f", "json")  # (the same task twice is done once)
    assert res.stderr == ('done: task 1 "Send the contract" (2026-11-26)\n'
                          'done: task 2 "Call Ana back" (2026-11-26)\n')
    assert [(r["id"], r["state"]) for r in json.loads(res.stdout)] == [(1, "done 2026-11-26"), (2, "done 2026-11-26")]
    assert ok("task", "done", "3").stdout == "3\n"  # one: its id, as before


def test_show_edit_reopen_and_rm_take_a_subject_as_done_does(ok, cli, db):
    ok("task", "add", "Send the contract", "--due", "+2d")
    ok("task", "add", "Call Ana back", "--due", "+3d")
    assert ok("task", "show", "contract", "-f", "json").stdout.count('"id": 1') == 1
    assert ok("task", "edit", "ana", "--due", "+5d").stderr == "updated task 2: due 2026-12-01\n"
    ok("task", "done", "contract")
    assert ok("task", "show", "contract", "-f", "json").stdout.count('"id": 1') == 1  # done: still found
    res = cli("task", "reopen", "ana")  # reopen looks among the done ones
    assert (res.exit_code, res.stderr) == (3, 'Error: no done task with "ana" in its subject\n'
                                              "Hint: see `salescli task list --all`\n")
    assert ok("task", "reopen", "contract").stderr == 'reopened: task 1 "Send the contract" (due 2026-11-28)\n'
    assert ok("task", "rm", "Call Ana", "--yes").stderr == "deleted task 2\n"


def test_reopen_takes_back_a_done_task(ok, db):
    ok("deal", "add", "Acme", today="2026-11-20")
    ok("task", "add", "Call back", "--deal", "1", "--due", "2026-11-24", today="2026-11-20")
    ok("task", "done", "1", "--outcome", "no answer", today="2026-11-24")
    assert json.loads(ok("deal", "show", "1", "-f", "json").stdout)["last_activity_at"] == "2026-11-24"
    res = ok("task", "reopen", "1", "-f", "json")
    assert res.stderr == 'reopened: task 1 "Call back" (due 2026-11-24)\n'
    task = json.loads(res.stdout)
    # open again, dated as before it was done, without the outcome it was done with (the history keeps it);
    # no longer the deal's last activity; its next step again
    assert (task["status"], task["done_at"], task["occurred_at"], task["outcome"]) == (
        "open", None, "2026-11-20", None)
    shown = ok("task", "show", "1").stdout
    assert "status        open" in shown and "outcome" not in shown and "no answer" not in shown
    assert json.loads(ok("deal", "show", "1", "-f", "json").stdout)["last_activity_at"] is None
    assert [t["id"] for t in json.loads(ok("task", "list", "-f", "json").stdout)] == [1]
    assert [d["id"] for d in json.loads(ok("today", "-f", "json").stdout)["no_next_step"]] == []
    # its whole history, as a task or as an activity (one table, one id)
    changes = json.loads(ok("history", "activity", "1", "-f", "json").stdout)
    assert [h["action"] for h in changes] == ["create", "done", "reopen"]
    assert (changes[2]["before"]["outcome"], changes[2]["after"]["outcome"]) == ("no answer", None)
    assert "outcome: no answer → ∅" in ok("history", "task", "1").stdout


def test_this_weekday_in_a_due_date_is_the_coming_one(ok):
    ok("task", "add", "Plan", "--due", "this monday", today="2026-11-27")  # a Friday
    ok("task", "add", "Today", "--due", "this friday", today="2026-11-27")
    assert [t["due_date"] for t in json.loads(ok("task", "list", "--all", "-f", "json").stdout)] == [
        "2026-11-27", "2026-11-30"]


def test_overdue_with_all_lists_no_done_task(ok, tasks):
    # task 7 was due 11-24 and is done: not overdue; --all --today still shows what was due today, done or not
    assert ids(ok, "--all", "--overdue") == [1, 6, 2]  # (by due date)
    ok("task", "done", "3")
    assert ids(ok, "--all", "--today") == [3]


def test_a_due_date_before_today_is_noted_as_deal_add_notes_a_past_close(ok, cli):
    """`task add … --due -1d` was taken silently, while `deal add --close yesterday` says so."""
    res = ok("task", "add", "Call Ana", "--due", "-1d")
    assert (res.stdout, res.stderr) == ("1\n", (
        "added task 1 due 2026-11-25\n"
        "note: task 1's due date 2026-11-25 is in the past: the task counts as overdue until it is done or given"
        " a later date (salescli task edit 1 --due DATE)\n"))
    assert ok("task", "add", "Call Bo", "--due", "today").stderr == "added task 2 due 2026-11-26\n"
    res = ok("task", "edit", "2", "--due", "2026-11-02")
    assert res.stderr.splitlines()[1] == (
        "note: task 2's due date 2026-11-02 is in the past: the task counts as overdue until it is done or given"
        " a later date (salescli task edit 2 --due DATE)")
    assert len(ok("task", "edit", "2", "--due", "friday").stderr.splitlines()) == 1
    assert len(ok("task", "edit", "1", "--subject", "Call Ana back").stderr.splitlines()) == 1  # (due unchanged)
    ok("task", "done", "1")
    assert len(ok("task", "edit", "1", "--due", "-3d").stderr.splitlines()) == 1  # done: nothing is overdue


def test_a_deal_reference_that_matches_none_suggests_the_deals_it_may_mean(ok, cli):
    """`task add t --deal acme` said only `--deal "acme" not found`, while companies and contacts get a
    "did you mean"."""
    ok("deal", "add", "Acme renewal", "--amount", "12k")
    ok("deal", "add", "Renewal", "--amount", "1k")
    ok("deal", "add", "Renewal", "--amount", "2k")
    hint = "Hint: list deals with `salescli deal list`\n"
    for args, message in [
        (("task", "add", "t", "--deal", "acme"), 'Error: --deal "acme" not found; did you mean Acme renewal?\n'),
        (("task", "add", "t", "--deal", "acme renewl"),
         'Error: --deal "acme renewl" not found; did you mean Acme renewal?\n'),
        (("activity", "log", "call", "c", "--deal", "renewals"),
         'Error: --deal "renewals" not found; did you mean Renewal?\n'),
        (("deal", "show", "Acme"), 'Error: deal "Acme" not found; did you mean Acme renewal?\n'),
        (("task", "add", "t", "--deal", "globex"), 'Error: --deal "globex" not found\n'),
        (("deal", "show", "99"), "Error: deal 99 not found\n"),
    ]:
        res = cli(*args)
        assert (res.exit_code, res.stdout, res.stderr) == (3, "", message + hint), args


def test_a_task_may_be_done_a_little_before_it_was_added_or_due(ok, tmp_path):
    """An imported task is dated its import day (no date column) or, reopened, the day it opened again: done the
    day before its due day, or on its file's day, it is (only months before both reads as a slip)."""
    path = tmp_path / "t.csv"
    path.write_text("kind,subject,owner,due_date\ntask,Chase,dana,2026-11-27\n")
    ok("import", "activities", str(path), today="2026-11-29")
    ok("task", "done", "1", "--date", "2026-11-26", today="2026-11-29")
    ok("task", "reopen", "1", today="2026-11-29")
    ok("task", "done", "1", "--date", "2026-11-10", today="2026-11-29")
    assert json.loads(ok("task", "show", "1", "-f", "json").stdout)["done_at"] == "2026-11-10"
