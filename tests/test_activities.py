"""activity log|list|show|edit|rm: links, dates, notes from stdin, last activity, timelines."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import digest
from tests.seeding import build, copy_to


def last_activity(db: Path, table: str, row_id: int) -> str | None:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT last_activity_at FROM {table} WHERE id = ?", (row_id,)).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build(tmp_path_factory, "people", [
        ["company", "add", "Acme Corp", "--domain", "acme.io"],
        ["company", "add", "Beta GmbH", "--domain", "beta.de"],
        ["contact", "add", "Ana Lima", "--email", "ana@acme.io", "--company", "acme.io"],
        ["contact", "add", "Ben Otto", "--email", "ben@beta.de", "--company", "beta.de"],
    ])


@pytest.fixture
def people(template, db):
    copy_to(template, db)


def test_log_prints_the_id_and_links_the_contacts_company(ok, db, people):
    res = ok("activity", "log", "call", "Pricing questions", "--contact", "ana@acme.io",
             "--outcome", "sends PO friday", "--notes", "enterprise tier")
    assert res.stdout == "1\n"
    assert res.stderr == "logged call 1\n"
    shown = json.loads(ok("activity", "show", "1", "-f", "json").stdout)
    assert shown == {
        "id": 1, "kind": "call", "subject": "Pricing questions", "occurred_at": "2026-11-26", "due_date": None,
        "done_at": None, "status": None, "outcome": "sends PO friday", "notes": "enterprise tier",
        "deal_id": None, "deal": None, "contact_id": 1, "contact": "Ana Lima", "company_id": 1,
        "company": "Acme Corp", "owner": "dana", "automation_id": None, "external_id": None,
        "created_at": "2026-11-26T00:00:00", "updated_at": "2026-11-26T00:00:00",
    }
    assert last_activity(db, "contacts", 1) == "2026-11-26"
    assert last_activity(db, "companies", 1) == "2026-11-26"
    assert last_activity(db, "companies", 2) is None


def test_an_explicit_company_wins_over_the_contacts(ok, people):
    ok("activity", "log", "email", "Intro", "--contact", "ana@acme.io", "--company", "Beta GmbH")
    row = json.loads(ok("activity", "show", "1", "-f", "json").stdout)
    assert (row["contact"], row["company"]) == ("Ana Lima", "Beta GmbH")


def test_a_contact_of_another_company_than_the_deals_is_noted(ok, people):
    ok("deal", "add", "Pilot", "--company", "acme.io")
    res = ok("activity", "log", "call", "Pricing", "--deal", "1", "--contact", "ben@beta.de")
    assert res.stderr == ("note: contact 2 Ben Otto is at Beta GmbH, not at deal 1's company (Acme Corp), under which"
                          " this is filed; --company files it under another\nlogged call 1\n")
    row = json.loads(ok("activity", "show", "1", "-f", "json").stdout)
    assert (row["contact"], row["company"]) == ("Ben Otto", "Acme Corp")
    assert ok("activity", "log", "call", "Again", "--deal", "1", "--contact", "ben@beta.de", "--company",
              "beta.de").stderr == "logged call 2\n"  # (said where it goes: nothing to note)


def test_a_new_deal_replaces_only_the_links_the_old_deal_brought(ok, people):
    ok("deal", "add", "Acme deal", "--contact", "ana@acme.io")  # 1: Ana at Acme
    ok("deal", "add", "Beta deal", "--contact", "ben@beta.de")  # 2: Ben at Beta
    ok("activity", "log", "call", "Chosen", "--deal", "1", "--contact", "ben@beta.de")  # 1: Ben, chosen
    ok("activity", "log", "call", "Brought", "--deal", "1")  # 2: Ana and Acme, brought by deal 1
    for ref in ("1", "2"):
        ok("activity", "edit", ref, "--deal", "2")

    def links(ref):
        row = json.loads(ok("activity", "show", ref, "-f", "json").stdout)
        return row["deal"], row["contact"], row["company"]

    assert links("1") == ("Beta deal", "Ben Otto", "Beta GmbH")  # (Ben stays; Acme, deal 1's, follows)
    assert links("2") == ("Beta deal", "Ben Otto", "Beta GmbH")
    ok("deal", "add", "Bare deal")  # 3: no contact, no company
    ok("activity", "edit", "2", "--deal", "3")  # (Ben and Beta came with deal 2: they go with it)
    assert links("2") == ("Bare deal", None, None)
    ok("activity", "log", "call", "Chosen again", "--deal", "1", "--contact", "ben@beta.de")  # 3
    ok("activity", "edit", "3", "--deal", "3")  # (Ben was chosen: he stays, with his company)
    assert links("3") == ("Bare deal", "Ben Otto", "Beta GmbH")


def test_notes_from_stdin_owner_and_date(ok, people):
    ok("activity", "log", "meeting", "Kick-off", "--company", "acme.io", "--notes", "-", "--date", "2026-11-20",
       "--owner", "sam", input="line one\nline two\n")
    row = json.loads(ok("activity", "show", "1", "-f", "json").stdout)
    assert row["notes"] == "line one\nline two"  # surrounding whitespace trimmed
    assert (row["occurred_at"], row["owner"]) == ("2026-11-20", "sam")


@pytest.mark.parametrize("entity, add, edit", [("deal", ("deal", "add", "Pilot"), ("deal", "edit", "Pilot")),
                                               ("company", ("company", "add", "Gamma"), ("company", "edit", "Gamma")),
                                               ("contact", ("contact", "add", "Cy"), ("contact", "edit", "Cy"))])
def test_notes_dash_reads_stdin_for_deals_companies_and_contacts_too(ok, people, entity, add, edit):
    ok(*add, "--notes", "-", input="from a pipe\n")  # (was stored as "-")
    assert json.loads(ok(entity, "show", add[2], "-f", "json").stdout)["notes"] == "from a pipe"
    ok(*edit, "--notes", "-", input="line one\nline two\n")
    assert json.loads(ok(entity, "show", add[2], "-f", "json").stdout)["notes"] == "line one\nline two"


def test_a_date_without_a_year_or_a_weekday_means_the_last_one(ok, people):
    # today is Thursday 2026-11-26: what happened "Nov 20" or "friday" happened last week
    ok("activity", "log", "meeting", "Demo", "--contact", "ana@acme.io", "--date", "Nov 20")
    ok("activity", "log", "call", "Follow-up", "--contact", "ana@acme.io", "--date", "friday")
    ok("activity", "log", "note", "Old", "--contact", "ana@acme.io", "--date", "2026-11-01")
    rows = json.loads(ok("activity", "list", "--since", "Nov 15", "-f", "json").stdout)
    assert [(r["subject"], r["occurred_at"]) for r in rows] == [("Follow-up", "2026-11-20"), ("Demo", "2026-11-20")]
    rows = json.loads(ok("activity", "list", "--since", "2w", "-f", "json").stdout)  # two weeks back
    assert [r["subject"] for r in rows] == ["Follow-up", "Demo"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["lunch", "x"], 2, 'Error: KIND "lunch" is not one of call, email, meeting, note\n'),
        (["task", "x"], 2, 'Error: KIND "task" is not one of call, email, meeting, note\n'
                           "Hint: plan it as a task: salescli task add SUBJECT --due DATE\n"),
        (["call", ""], 2, 'Error: SUBJECT "" is required\n'),
        (["call", "x", "--date", "2026-02-31"], 2, 'Error: --date "2026-02-31" is not a valid date\n'),
        (["call", "x", "--date", "03/04/2026"], 2,
         'Error: --date "03/04/2026" is ambiguous (day/month); write 2026-04-03 or 2026-03-04, or set day_first\n'),
        (["call", "x", "--contact", "nobody@x.io"], 3,
         'Error: --contact "nobody@x.io" not found\nHint: list contacts with `salescli contact list`\n'),
        (["call", "x", "--company", "Nope"], 3,
         'Error: --company "Nope" not found\nHint: list companies with `salescli company list`\n'),
        (["call", "x", "--date", "+2d"], 1,
         "Error: --date 2026-11-28 is in the future; an activity records what happened\n"
         "Hint: plan it as a task: salescli task add SUBJECT --due DATE\n"),
        (["call", "x", "-f", "xml"], 2,
         'Error: --format "xml" is not one of table, json, jsonl, csv, markdown, html\n'),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(cli, ok, db, people, args, code, message):
    before = digest(db)
    res = cli("activity", "log", *args)
    assert (res.exit_code, res.stdout, res.stderr) == (code, "", message)
    assert digest(db) == before


def test_a_reading_command_on_a_missing_database_is_exit_5(cli, db):
    res = cli("activity", "list")
    assert res.exit_code == 5 and not db.exists()


def test_last_activity_only_moves_forward_and_falls_back_on_rm_and_edit(ok, db, people):
    ok("activity", "log", "call", "first", "--contact", "ana@acme.io", "--date", "2026-11-20")
    ok("activity", "log", "call", "older", "--contact", "ana@acme.io", "--date", "2026-11-10")
    assert last_activity(db, "contacts", 1) == "2026-11-20"
    ok("activity", "rm", "1", "--yes")
    assert last_activity(db, "contacts", 1) == "2026-11-10"
    assert last_activity(db, "companies", 1) == "2026-11-10"
    ok("activity", "edit", "2", "--contact", "ben@beta.de")  # moves to Ben, and so to Beta
    assert last_activity(db, "contacts", 1) is None
    assert last_activity(db, "companies", 1) is None
    assert last_activity(db, "contacts", 2) == "2026-11-10"
    assert last_activity(db, "companies", 2) == "2026-11-10"
    ok("activity", "edit", "2", "--date", "2026-11-25")
    assert last_activity(db, "companies", 2) == "2026-11-25"


def test_list_filters_and_order(ok, people):
    ok("activity", "log", "call", "c1", "--contact", "ana@acme.io", "--date", "2026-10-30")
    ok("activity", "log", "email", "e1", "--contact", "ben@beta.de", "--date", "2026-11-02", "--owner", "sam")
    ok("activity", "log", "note", "n1", "--company", "acme.io", "--date", "2026-11-02")
    ok("task", "add", "open task", "--company", "acme.io")

    def ids(*args):
        return [r["id"] for r in json.loads(ok("activity", "list", *args, "-f", "json").stdout)]

    assert ids() == [3, 2, 1]  # newest first, ties by id desc; open tasks are in `task list`
    assert ids("--company", "Acme Corp") == [3, 1]
    assert ids("--contact", "ben@beta.de") == [2]
    assert ids("--kind", "email") == [2]
    assert ids("--kind", "task") == []  # (an open task, dated when added, is no activity done that day)
    ok("task", "done", "4")
    assert ids("--kind", "task") == [4]
    ok("task", "reopen", "4")
    assert ids("--owner", "SAM") == [2]
    assert ids("--since", "this-month") == [3, 2]
    assert ids("--since", "2026-11-02") == [3, 2]
    assert ids("--since", "-30d") == [3, 2, 1]
    ok("config", "set", "fiscal_year_start_month", "April")  # october is in this fiscal year; december is
    assert ids("--since", "october") == [3, 2, 1]
    assert ids("--since", "december") == [3, 2, 1]  # not next month's: the last December, a year back
    assert ids("--limit", "1") == [3]
    csv_out = ok("activity", "list", "-f", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,occurred_at,kind,subject,outcome,")
    assert len(csv_out) == 4


def test_list_table_fits_and_names_what_it_is_about(ok, people):
    ok("activity", "log", "call", "Pricing questions", "--contact", "ana@acme.io", "--outcome", "sends PO")
    out = ok("activity", "list").stdout
    assert "Pricing questions → sends PO" in out
    assert "Ana Lima" in out
    assert max(len(line) for line in out.splitlines()) <= 120


def test_an_empty_list_beside_open_tasks_says_where_they_are(ok, people):
    assert ok("activity", "list").stderr == "no activities\n"
    ok("task", "add", "Send quote", "--company", "acme.io", "--owner", "sam")
    ok("task", "add", "Call back", "--company", "acme.io")
    assert ok("activity", "list").stderr == "no activities done yet; 2 open tasks in `salescli task list --everyone`\n"
    assert ok("activity", "list", "--kind", "task").stderr.startswith("no activities done yet; 2 open tasks")
    assert ok("activity", "list", "--kind", "call").stderr == "no activities\n"  # (a filter: not the hint's case)
    assert ok("activity", "list", "--company", "acme.io").stderr == "no activities\n"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--since", "someday"], 2, '--since "someday" is not a period or a date'),
        (["--kind", "lunch"], 2, '--kind "lunch" is not one of call, email, meeting, note, task'),
        (["--contact", "nobody"], 3, '--contact "nobody" not found'),
        (["--limit", "0"], 2, "Invalid value for '--limit'"),
    ],
)
def test_list_bad_filters(cli, ok, people, args, code, message):
    res = cli("activity", "list", *args)
    assert res.exit_code == code
    assert message in res.stderr
    assert res.stdout == ""


def test_show_edit_rm_and_history(cli, ok, db, people):
    ok("activity", "log", "call", "Pricing", "--contact", "ana@acme.io", "--notes", "old")
    res = ok("activity", "edit", "1", "--kind", "meeting", "--subject", "Pricing review", "--notes", "",
             "--outcome", "demo booked")
    assert res.stdout == "1\n"
    assert res.stderr == "updated meeting 1: kind, subject, notes cleared, outcome\n"
    row = json.loads(ok("activity", "show", "1", "-f", "json").stdout)
    assert (row["kind"], row["subject"], row["notes"], row["outcome"]) == ("meeting", "Pricing review", None,
                                                                            "demo booked")
    assert ok("activity", "edit", "1").stderr == "meeting 1: nothing changed\n"
    history = json.loads(ok("history", "activity", "1", "-f", "json").stdout)
    assert [h["action"] for h in history] == ["create", "update"]
    before = digest(db)
    refused = cli("activity", "rm", "1")  # no terminal, no --yes
    assert refused.exit_code == 1 and "without --yes (no terminal to ask)" in refused.stderr
    assert digest(db) == before
    assert ok("activity", "rm", "1", "--yes").stderr == "deleted meeting 1\n"
    assert cli("activity", "show", "1").exit_code == 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "abc"], 2, 'Error: ACTIVITY "abc" is not an activity id (a number)\n'),
        (["show", "99"], 3, "Error: activity 99 not found\n"),
        (["edit", "99", "--subject", "x"], 3, "Error: activity 99 not found\n"),
        (["rm", "99", "--yes"], 3, "Error: activity 99 not found\n"),
        (["edit", "1", "--kind", "task"], 2, 'Error: --kind "task" is not one of call, email, meeting, note\n'),
        (["edit", "2", "--kind", "call"], 1, "Error: activity 2 is a task; a task and an activity cannot change"),
        (["edit", "2", "--date", "2026-11-01"], 1, "Error: --date is when an activity happened; a task has --due"),
        (["edit", "1", "--date", "tomorrow"], 1, "Error: --date 2026-11-27 is in the future"),
        (["edit", "1", "--subject", ""], 2, 'Error: --subject "" is required\n'),
    ],
)
def test_show_edit_rm_bad_input(cli, ok, db, people, args, code, message):
    ok("activity", "log", "call", "Pricing", "--contact", "ana@acme.io")
    ok("task", "add", "Follow up")
    before = digest(db)
    res = cli("activity", *args)
    assert res.exit_code == code
    assert res.stderr.startswith(message)
    assert res.stdout == ""
    assert digest(db) == before


def test_contact_and_company_timelines_are_newest_first_ties_by_id(ok, people):
    ok("activity", "log", "call", "first call", "--contact", "ana@acme.io", "--date", "2026-11-01")
    ok("activity", "log", "email", "same day, earlier id", "--contact", "ana@acme.io", "--date", "2026-11-20")
    ok("activity", "log", "note", "same day, later id", "--contact", "ana@acme.io", "--date", "2026-11-20")
    ok("task", "add", "Call back", "--contact", "ana@acme.io", "--due", "+3d")
    ok("activity", "log", "meeting", "latest", "--company", "acme.io", "--date", "2026-11-25")
    contact = json.loads(ok("contact", "show", "ana@acme.io", "-f", "json").stdout)
    assert [(e["date"], e["summary"]) for e in contact["timeline"]] == [
        ("2026-11-26", "Call back (due 2026-11-29)"),
        ("2026-11-20", "same day, later id"),
        ("2026-11-20", "same day, earlier id"),
        ("2026-11-01", "first call"),
    ]
    company = json.loads(ok("company", "show", "acme.io", "-f", "json").stdout)
    assert [e["summary"] for e in company["timeline"]] == [
        "Call back (due 2026-11-29)", "latest", "same day, later id", "same day, earlier id", "first call",
    ]
    assert [e["kind"] for e in company["timeline"]] == ["task (open)", "meeting", "note", "email", "call"]


def test_deal_timeline_has_activities_tasks_and_stage_changes_newest_first(ok):
    ok("deal", "add", "Timeline deal", "--date", "2026-11-01")
    ok("activity", "log", "call", "first call", "--deal", "1", "--date", "2026-11-05")
    ok("deal", "move", "1", "Qualification", "--date", "2026-11-10", "--note", "budget confirmed")
    ok("activity", "log", "email", "recap", "--deal", "1", "--date", "2026-11-12", "--outcome", "agreed")
    ok("activity", "log", "note", "same day a", "--deal", "1", "--date", "2026-11-20")
    ok("activity", "log", "note", "same day b", "--deal", "1", "--date", "2026-11-20")
    ok("deal", "won", "1")  # the won automation adds a task in the same moment
    deal = json.loads(ok("deal", "show", "1", "-f", "json").stdout)
    assert [(e["date"], e["kind"], e["summary"]) for e in deal["timeline"]] == [
        ("2026-11-26", "task (open)", "Post-sale follow-up (due 2026-12-03)"),
        ("2026-11-26", "stage", "Qualification → Won"),
        ("2026-11-20", "note", "same day b"),
        ("2026-11-20", "note", "same day a"),
        ("2026-11-12", "email", "recap → agreed"),
        ("2026-11-10", "stage", "Prospecting → Qualification: budget confirmed"),
        ("2026-11-05", "call", "first call"),
        ("2026-11-01", "stage", "entered Prospecting"),
    ]
    out = ok("deal", "show", "1").stdout
    assert out.index("Post-sale follow-up") < out.index("same day b") < out.index("entered Prospecting")


def test_same_day_events_follow_the_order_they_were_recorded(ok, db):
    """With a real clock, an activity logged before a stage change on the same day is listed after it."""
    ok("deal", "add", "Clocked deal", today=None)
    conn = sqlite3.connect(db)
    with conn:  # recorded a second apart: the call first, then the move
        conn.execute("UPDATE stage_history SET changed_at = '2026-11-26T09:00:00'")
        conn.execute("UPDATE deals SET stage_entered_at = '2026-11-26T09:00:00', created_at = '2026-11-26T09:00:00'")
    conn.close()
    ok("activity", "log", "call", "the call", "--deal", "1", today=None)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE activities SET occurred_at = '2026-11-26', created_at = '2026-11-26T10:00:00'")
        conn.execute("INSERT INTO stage_history (deal_id, from_stage_id, to_stage_id, changed_at, changed_by)"
                     " VALUES (1, 1, 2, '2026-11-26T11:00:00', 'dana')")
    conn.close()
    timeline = json.loads(ok("deal", "show", "1", "-f", "json").stdout)["timeline"]
    assert [e["summary"] for e in timeline] == ["Prospecting → Qualification", "the call", "entered Prospecting"]


def test_long_lists_keep_their_order_across_pages(ok, db, people):
    """The first page is found on the activities table and joined after, 500 ids at a time."""
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO activities (kind, subject, contact_id, company_id, owner, occurred_at, created_at,"
            " updated_at) VALUES ('call', ?, 1, 1, 'dana', ?, '2026-11-26T00:00:00', '2026-11-26T00:00:00')",
            [(f"call {i}", f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}") for i in range(1200)])
    expected = [r[0] for r in conn.execute("SELECT id FROM activities ORDER BY occurred_at DESC, id DESC")]
    conn.close()
    page = json.loads(ok("activity", "list", "--limit", "1100", "-f", "json").stdout)
    assert [r["id"] for r in page] == expected[:1100]
    assert {r["contact"] for r in page} == {"Ana Lima"}
    everything = json.loads(ok("activity", "list", "-f", "json").stdout)
    assert [r["id"] for r in everything] == expected
    table = ok("activity", "list")
    assert table.stderr == "1100 more rows not shown (use --limit N or --all, or -f csv/json)\n"
    assert table.stdout.count("Ana Lima") == 100


def test_kinds_are_read_as_people_type_them(ok, people):
    ok("activity", "log", "e-mail", "Sent the deck", "--contact", "ana@acme.io")
    ok("activity", "log", "Calls", "Chat", "--contact", "ana@acme.io")
    rows = json.loads(ok("activity", "list", "--kind", "emails", "-f", "json").stdout)
    assert [(r["kind"], r["subject"]) for r in rows] == [("email", "Sent the deck")]
    rows = json.loads(ok("activity", "list", "--kind", "call", "-f", "json").stdout)
    assert [(r["kind"], r["subject"]) for r in rows] == [("call", "Chat")]



def test_edit_names_fields_as_the_options_do_with_the_new_value(ok, people):
    """`updated meeting 2: occurred_at` named a column; deal edit says `company Acme Robotics`."""
    ok("activity", "log", "meeting", "Kickoff", "--contact", "ana@acme.io")
    res = ok("activity", "edit", "1", "--date", "2026-11-20", "--company", "", "--owner", "dana")
    assert res.stderr == "updated meeting 1: date 2026-11-20, company cleared\n"
    res = ok("activity", "edit", "1", "--company", "acme.io", "--contact", "", "--subject", "Kick-off")
    assert res.stderr == "updated meeting 1: subject, contact cleared, company Acme Corp\n"
    # a long text is named, not shown; emptied, it is said cleared (it read "outcome" either way)
    assert ok("activity", "edit", "1", "--outcome", "went well").stderr == "updated meeting 1: outcome\n"
    assert ok("activity", "edit", "1", "--outcome", "").stderr == "updated meeting 1: outcome cleared\n"
    assert ok("activity", "edit", "1", "--notes", "agenda sent").stderr == "updated meeting 1: notes\n"
    assert ok("activity", "edit", "1", "--notes", "").stderr == "updated meeting 1: notes cleared\n"
    ok("task", "add", "Call back", "--due", "2026-12-01")
    assert ok("task", "edit", "2", "--notes", "ask about budget").stderr == "updated task 2: notes\n"
    ok("deal", "add", "Renewal", "--next-step", "call Ana", "--amount", "5k")
    res = ok("deal", "edit", "1", "--next-step", "", "--amount", "")
    assert res.stderr == "updated deal 1: next-step cleared, amount cleared\n"
    res = ok("pipeline", "stage-edit", "Default", "Proposal", "--require", "")
    assert res.stderr == "updated stage Proposal of pipeline Default: require cleared\n"


def test_notes_from_a_terminal_say_how_to_end_them(db: Path, ok) -> None:
    """`--notes -` at a terminal waited silently for stdin: it says so first (on stderr), and reads what is
    typed up to Ctrl-D; from a pipe it reads without a word."""
    import os
    import pty
    import select

    from tests.conftest import salescli_exe

    argv = [salescli_exe(), "--db", str(db), "--today", "2026-11-26", "activity", "log", "call", "Pricing",
            "--notes", "-"]
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.execve(argv[0], argv, {**os.environ, "NO_COLOR": "1"})
        finally:
            os._exit(127)
    seen = b""
    while b"Ctrl-D" not in seen:
        ready, _, _ = select.select([fd], [], [], 30)
        assert ready, seen
        seen += os.read(fd, 4096)
    os.write(fd, b"asked for a quote\n\x04")
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        try:
            chunk = os.read(fd, 4096) if ready else b""
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert seen.decode().startswith("reading notes from stdin; end with Ctrl-D\r\n")
    assert json.loads(ok("activity", "show", "1", "-f", "json").stdout)["notes"] == "asked for a quote"
    res = ok("activity", "log", "call", "Again", "--notes", "-", input="from a pipe\n")
    assert res.stderr == "logged call 2\n"
    assert json.loads(ok("activity", "show", "2", "-f", "json").stdout)["notes"] == "from a pipe"
