"""salescli today: exact screen and JSON for a seeded database (--today pinned to Thursday 2026-11-26)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import digest
from tests.seeding import build, copy_to

DEALS = [
    # 1: closing in 4 days
    ["Acme renewal", "--amount", "12k", "--currency", "EUR", "--company", "acme.io", "--contact", "ana@acme.io",
     "--close", "2026-11-30", "--next-step", "Send contract", "--next-step-date", "2026-11-28",
     "--stage", "Negotiation"],
    # 2: closing today, a long title and company
    ["Borealis fleet tracking, phase two of the rollout", "--amount", "48,500", "--company", "borealis.no",
     "--close", "today", "--next-step", "Sign"],
    # 3: closes in 8 days: not within 7
    ["Closes in eight days", "--amount", "5000", "--close", "2026-12-04", "--next-step", "Demo"],
    # 4: stale: no activity since it was created 86 days ago (default rot: 30 days)
    ["Idle since September", "--amount", "9000", "--company", "acme.io", "--close", "2027-01-15",
     "--next-step", "Check in", "--date", "2026-09-01"],
    # 5: stale: its close date has passed
    ["Close date passed", "--amount", "3000", "--close", "2026-11-20", "--next-step", "Chase"],
    # 6: idle and without a next step, but parked until 2026-12-15
    ["Parked till mid December", "--amount", "20000", "--close", "2027-02-01", "--date", "2026-09-01"],
    # 7: open, no next step
    ["Needs a next step", "--close", "2026-12-20"],
    # 8: won (its close date is tomorrow): in no section
    ["Won already", "--amount", "1000", "--close", "2026-11-27"],
    # 9: Sam's, closing in 3 days
    ["Sam closing soon", "--amount", "700", "--close", "2026-11-29", "--owner", "sam", "--next-step", "Call"],
    # 10: stale: its next-step date has passed
    ["Next step overdue", "--amount", "2500", "--close", "2027-01-10", "--next-step", "Call",
     "--next-step-date", "2026-11-24"],
    # 11: its next step is due today
    ["Demo booked", "--amount", "1500", "--close", "2026-12-30", "--next-step", "Run the demo",
     "--next-step-date", "today"],
]
STEPS = [
    ["company", "add", "Acme Corp", "--domain", "acme.io"],
    ["contact", "add", "Ana Lima", "--email", "ana@acme.io", "--company", "acme.io"],
    ["company", "add", "Borealis Shipping Company International", "--domain", "borealis.no"],
    *(["deal", "add", *args] for args in DEALS),
    ["deal", "park", "6", "--until", "2026-12-15", "--reason", "budget freeze"],
    ["deal", "won", "8"],  # task 1: the post-sale follow-up, due 2026-12-03
    ["task", "add", "Send proposal", "--due", "2026-11-20", "--deal", "1"],  # 2: overdue
    ["task", "add", "Call Ana back", "--contact", "ana@acme.io"],  # 3: due today
    ["task", "add", "Future thing", "--due", "2026-11-28"],  # 4: neither
    ["task", "add", "Done overdue", "--due", "2026-11-01"],  # 5: done, so in no section
    ["task", "done", "5"],
    ["task", "add", "Sam overdue", "--due", "2026-11-02", "--owner", "sam"],  # 6
    ["activity", "log", "call", "Walked through the contract", "--deal", "1"],
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build(tmp_path_factory, "today", STEPS)


@pytest.fixture
def seeded(template, db):
    copy_to(template, db)


SCREEN = """\
Today 2026-11-26 (Thursday) · dana

Overdue tasks (1)
  #2  6d late  Send proposal  deal 1 Acme renewal

Due today (1)
  #3  Call Ana back  Ana Lima

Next steps due today (1)
  #11  Demo booked  Prospecting  1,500.00 USD  Run the demo

Closing within 7 days (2)
  #2  Borealis fleet tracking, phase…   Prospecting  48,500.00 USD  closes today
  #1  Acme renewal                      Negotiation  12,000.00 EUR  closes in 4d

Stale deals (3)
   #4  Idle since September  9,000.00 USD  idle 86d
   #5  Close date passed     3,000.00 USD  close 6d ago
  #10  Next step overdue     2,500.00 USD  step 2d ago

Open deals without a next step (1)
  #7  Needs a next step  Prospecting  no amount  closes in 24d
"""


def test_the_screen(ok, seeded):
    out = ok("today").stdout
    assert out == SCREEN
    assert max(len(line) for line in out.splitlines()) <= 80


def test_three_stale_reasons_fit_in_brief(ok, seeded):
    ok("deal", "edit", "10", "--close", "2026-11-23")  # idle 86d, its close and next-step dates passed too
    ok("deal", "edit", "4", "--close", "2026-11-23", "--next-step-date", "2026-11-25")
    lines = ok("today", "--all").stdout.splitlines()
    assert "   #4  Idle since September  9,000.00 USD  idle 86d, close -3d, step -1d  dana" in lines
    assert "  #10  Next step overdue     2,500.00 USD  close 3d ago, step 2d ago      dana" in lines


def test_a_narrow_terminal_cuts_text_not_amounts(ok, seeded, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    lines = ok("today").stdout.splitlines()
    assert max(len(line) for line in lines) <= 50
    closing = lines[lines.index("Closing within 7 days (2)") + 1:][:2]
    assert [line.split("  ")[-2].strip() for line in closing] == ["48,500.00 USD", "12,000.00 EUR"]


def test_the_json(ok, seeded):
    data = json.loads(ok("today", "-f", "json").stdout)
    # the day described leads, under the name every report's JSON gives it
    assert list(data) == ["as_of", "overdue_tasks", "due_today", "next_steps_today", "closing_soon", "stale_deals",
                          "no_next_step"]
    assert data["as_of"] == "2026-11-26"
    assert json.loads(ok("today", "-f", "json", today="2026-12-01").stdout)["as_of"] == "2026-12-01"
    assert [(d["id"], d["next_step"], d["days_to_next_step"]) for d in data["next_steps_today"]] == [
        (11, "Run the demo", 0)]
    assert data["overdue_tasks"] == [
        {"id": 2, "subject": "Send proposal", "due_date": "2026-11-20", "days_overdue": 6, "owner": "dana",
         "deal_id": 1, "deal": "Acme renewal", "contact_id": 1, "contact": "Ana Lima", "company_id": 1,
         "company": "Acme Corp"},
    ]
    assert data["due_today"] == [
        {"id": 3, "subject": "Call Ana back", "due_date": "2026-11-26", "days_overdue": 0, "owner": "dana",
         "deal_id": None, "deal": None, "contact_id": 1, "contact": "Ana Lima", "company_id": 1,
         "company": "Acme Corp"},
    ]
    assert data["closing_soon"] == [
        {"id": 2, "title": "Borealis fleet tracking, phase two of the rollout", "company_id": 2,
         "company": "Borealis Shipping Company International", "stage": "Prospecting", "amount": 48500.00,
         "currency": "USD", "expected_close": "2026-11-26", "days_to_close": 0, "owner": "dana",
         "next_step": "Sign", "next_step_date": None, "days_to_next_step": None, "last_activity_at": None,
         "days_idle": 0},
        {"id": 1, "title": "Acme renewal", "company_id": 1, "company": "Acme Corp", "stage": "Negotiation",
         "amount": 12000.00, "currency": "EUR", "expected_close": "2026-11-30", "days_to_close": 4,
         "owner": "dana", "next_step": "Send contract", "next_step_date": "2026-11-28", "days_to_next_step": 2,
         "last_activity_at": "2026-11-26", "days_idle": 0},
    ]
    assert [(d["id"], d["reasons"], d["days_idle"]) for d in data["stale_deals"]] == [
        (4, ["idle 86d (limit 30d)"], 86),
        (5, ["close date passed 2026-11-20"], 0),
        (10, ["next step due 2026-11-24"], 0),
    ]
    assert [d["id"] for d in data["no_next_step"]] == [7]
    assert set(data["no_next_step"][0]) == set(data["closing_soon"][0])
    assert set(data["stale_deals"][0]) == set(data["closing_soon"][0]) | {"reasons"}


def test_an_open_task_on_a_deal_is_its_next_step_until_it_is_done(ok, seeded):
    def without_step(today: str = "2026-11-26") -> list[int]:
        return [d["id"] for d in json.loads(ok("today", "-f", "json", today=today).stdout)["no_next_step"]]

    task = ok("task", "add", "Call about the December order", "--due", "2026-12-01", "--deal", "7").stdout.strip()
    assert without_step() == []
    assert "Open deals without a next step: none" in ok("today").stdout
    ok("task", "done", task)
    assert without_step() == [7]
    ok("task", "add", "A task of another deal", "--due", "2026-12-01", "--deal", "1")
    assert without_step() == [7]


def test_a_next_step_date_without_words_is_no_next_step(ok, seeded):
    res = ok("deal", "edit", "7", "--next-step-date", "today")  # "Needs a next step": a date, no text
    assert res.stderr == ("note: next-step date 2026-11-26 without a next step: a date alone is no next step"
                          " (--next-step TEXT)\nupdated deal 7: next-step-date 2026-11-26\n")
    data = json.loads(ok("today", "-f", "json").stdout)
    assert ([d["id"] for d in data["next_steps_today"]], [d["id"] for d in data["no_next_step"]]) == ([11], [7])
    ok("task", "add", "Call back", "--deal", "7")  # an open task is the step: no note
    assert ok("deal", "edit", "7", "--next-step-date", "+2d").stderr == "updated deal 7: next-step-date 2026-11-28\n"


def test_a_backdated_call_does_not_make_a_deal_that_moved_since_idle(ok, seeded):
    ok("deal", "add", "New lead", "--amount", "1k", "--close", "2027-01-30", "--next-step", "Call")  # (12)
    ok("activity", "log", "call", "Met at a fair", "--deal", "12", "--date", "2026-10-01")
    before = {d["id"]: (d["days_idle"], d["reasons"]) for d in json.loads(ok("today", "-f", "json").stdout)[
        "stale_deals"]}
    assert (12 in before, before[4]) == (False, (86, ["idle 86d (limit 30d)"]))
    ok("deal", "move", "4", "Proposal", "--date", "2026-11-20")  # idle since September, moved on 6 days ago
    after = json.loads(ok("today", "-f", "json").stdout)["stale_deals"]
    assert 4 not in [d["id"] for d in after]


def test_a_past_day_shows_the_tasks_and_idle_deals_of_that_day(ok, seeded):
    """--today pinned to a past day: a task done since was overdue then, a task added since (Send proposal, due
    that day) did not exist yet, and a deal touched since was idle."""
    ok("task", "add", "Chase the budget", "--due", "2026-11-10", "--deal", "4", today="2026-11-05")  # 8
    ok("task", "done", "8")  # today: deal 4 is touched today
    sections = ok("today", today="2026-11-20").stdout.split("\n\n")
    assert sections[1] == "Overdue tasks (1)\n  #8  10d late  Chase the budget  deal 4 Idle since September"
    assert sections[2] == "Due today: none"
    assert sections[5] == "Stale deals (1)\n  #4  Idle since September  9,000.00 USD  idle 80d"
    assert "Stale deals (2)\n   #5" in ok("today").stdout  # (today deal 4 is not idle)


def test_json_money_is_exact_text(ok, seeded):
    out = ok("today", "-f", "json").stdout
    assert '"amount": 48500.00, "currency": "USD"' in out
    assert '"amount": null, "currency": "USD"' in out


def test_a_parked_deal_comes_back_after_its_date(ok, seeded):
    later = ok("today", "-f", "json", today="2026-12-16").stdout
    stale = json.loads(later)["stale_deals"]
    assert 6 in [d["id"] for d in stale]
    assert 6 in [d["id"] for d in json.loads(later)["no_next_step"]]
    on_the_day = json.loads(ok("today", "-f", "json", today="2026-12-15").stdout)
    assert 6 in [d["id"] for d in on_the_day["stale_deals"]]  # parked *until* the 15th
    before = json.loads(ok("today", "-f", "json", today="2026-12-14").stdout)
    assert 6 not in [d["id"] for d in before["stale_deals"]]


def test_owner_and_everyone(ok, seeded):
    sam = ok("today", "--owner", "SAM").stdout
    assert ok("today", "--owner", " sam ").stdout == sam  # pasted with spaces: the same agenda
    assert sam == """\
Today 2026-11-26 (Thursday) · sam

Overdue tasks (1)
  #6  24d late  Sam overdue

Due today: none

Next steps due today: none

Closing within 7 days (1)
  #9  Sam closing soon  Prospecting  700.00 USD  closes in 3d

Stale deals: none

Open deals without a next step: none
"""
    everyone = ok("today", "--all").stdout
    assert everyone.splitlines()[0] == "Today 2026-11-26 (Thursday) · everyone"
    assert "Overdue tasks (2)" in everyone
    assert "  #9  Sam closing soon                            700.00 USD  closes in 3d  sam\n" in everyone
    assert max(len(line) for line in everyone.splitlines()) <= 80
    data = json.loads(ok("today", "--all", "-f", "json").stdout)
    assert [t["owner"] for t in data["overdue_tasks"]] == ["sam", "dana"]


def test_limit_says_how_many_more(ok, seeded):
    out = ok("today", "--limit", "1").stdout
    assert "Stale deals (3)\n  #4  Idle since September  9,000.00 USD  idle 86d\n" \
           "  … and 2 more (--limit N, or -f json for all)\n" in out
    data = json.loads(ok("today", "--limit", "1", "-f", "json").stdout)
    assert [len(v) for k, v in data.items() if k != "as_of"] == [1, 1, 1, 1, 1, 1]


def test_an_empty_database(ok):
    ok("init")
    assert ok("today").stdout == """\
Today 2026-11-26 (Thursday) · dana

Overdue tasks: none

Due today: none

Next steps due today: none

Closing within 7 days: none

Stale deals: none

Open deals without a next step: none
"""
    assert json.loads(ok("today", "-f", "json").stdout) == {
        "as_of": "2026-11-26", "overdue_tasks": [], "due_today": [], "next_steps_today": [], "closing_soon": [],
        "stale_deals": [], "no_next_step": []}


def test_flat_formats_for_scripts(ok, seeded, tmp_path):
    """csv, jsonl and markdown: one row per item, led by its section, with the same columns every day."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(ok("today", "-f", "csv").stdout)))
    assert [(r["section"], r["id"]) for r in rows][:2] == [("overdue_tasks", "2"), ("due_today", "3")]
    assert rows[0]["subject"] == "Send proposal" and rows[0]["amount"] == ""
    data = json.loads(ok("today", "-f", "json").stdout)
    assert len(rows) == sum(len(items) for key, items in data.items() if key != "as_of")
    lines = [json.loads(line) for line in ok("today", "-f", "jsonl").stdout.splitlines()]
    assert [line["section"] for line in lines] == [r["section"] for r in rows]
    ok("today", "-o", str(tmp_path / "agenda.md"))
    assert (tmp_path / "agenda.md").read_text().startswith("| section | id | subject | title | due date |")
    # nothing on the agenda: the same header, no rows
    header = ok("today", "-f", "csv").stdout.splitlines()[0]
    assert ok("--user", "nobody-at-all", "today", "-f", "csv").stdout == header + "\n"


def test_output_file(ok, seeded, tmp_path):
    target = tmp_path / "agenda.json"
    ok("today", "-o", str(target))
    assert json.loads(target.read_text())["due_today"][0]["id"] == 3
    assert oct(target.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-f", "html"], 2, 'Error: --format "html" is not one of table, json, jsonl, csv, markdown\n'),
        (["--all", "--owner", "sam"], 2, "Error: --all and --owner exclude each other"),
        (["--limit", "0"], 2, "Invalid value for '--limit'"),
    ],
)
def test_bad_input(cli, ok, db, seeded, args, code, message):
    before = digest(db)
    res = cli("today", *args)
    assert (res.exit_code, res.stdout) == (code, "")
    assert message in res.stderr
    assert digest(db) == before


def test_no_database_is_exit_5(cli, db):
    res = cli("today")
    assert res.exit_code == 5
    assert not db.exists()


def test_an_empty_agenda_of_someone_without_deals_says_whose_to_look_at(ok, cli, seeded):
    ok("user", "add", "lee")
    res = ok("today", "--owner", "lee")
    assert "Overdue tasks: none" in res.stdout
    assert res.stderr == ("lee owns no open deal; open deals belong to dana (9), sam (1): try"
                          " `salescli today --all` or `salescli today --owner dana`\n")
    assert ok("today", "--owner", "sam").stderr == ""  # sam has deals: no hint even on a quiet day
    assert ok("today", "--owner", "lee", "-f", "json").stderr == ""  # scripts: no hint
    res = cli("today", "--owner", "nobody", "-f", "json")  # a typo in a cron job: exit 3, as deal list
    assert (res.exit_code, res.stdout, res.stderr) == (3, "", 'Error: no user named "nobody"\n'
                                                              "Hint: see `salescli user list`\n")


def test_wide_characters_keep_the_columns_in_line(ok, monkeypatch):
    """Cells were padded by characters: a title in 日本語 or with an emoji (two columns each on a terminal) pushed
    the rest of its row one column right per such character."""
    ok("deal", "add", "Acme renewal", "--amount", "12k", "--close", "+5d")
    ok("deal", "add", "日本 expansion", "--amount", "50k", "--close", "+3d")
    ok("deal", "add", "🚀 launch", "--amount", "1k", "--close", "+4d")
    section = ok("today").stdout.split("Closing within 7 days (3)\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        "  #2  日本 expansion  Prospecting  50,000.00 USD  closes in 3d",
        "  #3  🚀 launch       Prospecting   1,000.00 USD  closes in 4d",
        "  #1  Acme renewal    Prospecting  12,000.00 USD  closes in 5d",
    ]
    monkeypatch.setenv("COLUMNS", "56")  # cut to fit: by columns too, the "…" in line
    section = ok("today").stdout.split("Closing within 7 days (3)\n")[1].split("\n\n")[0]
    assert section.splitlines() == ["  #2  日本 ex…  Prospecting  50,000.00 USD  closes in 3d",
                                    "  #3  🚀 laun…  Prospecting   1,000.00 USD  closes in 4d",
                                    "  #1  Acme re…  Prospecting  12,000.00 USD  closes in 5d"]
