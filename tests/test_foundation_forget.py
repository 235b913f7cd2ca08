"""contact forget: the person's name, e-mail and phone are gone from the file's bytes, history included."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import digest

Run = Callable[..., Any]

NEEDLES = ["Zebulon Quxworth", "Zebulon Q. Quxworth", "zeb.qux@example.org", "zq@example.org", "+44 7700 900123",
           "+44 7700 900999"]

# (a person erased here is still in the files made before: said after every forget)
BACKUPS_NOTE = ("note: backups (db backup, the .bak a migration leaves) and exports made before still hold them:"
                " delete or make them again\n")


def file_bytes(db: Path) -> bytes:
    """The database and whatever WAL/shm files sit beside it."""
    return b"".join(Path(f"{db}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
                    if Path(f"{db}{suffix}").exists())


def traces(db: Path, needles: list[str]) -> list[str]:
    data = file_bytes(db).lower()
    return [n for n in needles if n.lower().encode() in data]


def _link_deal_and_activities(db: Path, contact_id: int, company_id: int) -> None:
    """A deal and activities that point at the person (written the way their stores write them)."""
    conn = sqlite3.connect(db)
    try:
        stage_id, pipeline_id = conn.execute("SELECT id, pipeline_id FROM stages WHERE name = 'Proposal'").fetchone()
        stamp = "2026-11-26T00:00:00"
        conn.execute(
            "INSERT INTO deals (title, company_id, contact_id, pipeline_id, stage_id, amount_minor, currency,"
            " probability, forecast_category, notes, created_at, updated_at, stage_entered_at)"
            " VALUES ('Initech renewal', ?, ?, ?, ?, 1200000, 'EUR', 60, 'best_case',"
            " 'ask zq@example.org for the PO', ?, ?, ?)",
            (company_id, contact_id, pipeline_id, stage_id, stamp, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO activities (kind, subject, body, contact_id, company_id, owner, occurred_at, created_at,"
            " updated_at) VALUES ('call', 'Call Zebulon Q. Quxworth', 'reached him on +44 7700 900999', ?, ?,"
            " 'dana', ?, ?, ?)",
            (contact_id, company_id, stamp, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO activities (kind, subject, body, company_id, owner, occurred_at, created_at, updated_at)"
            " VALUES ('note', 'Org chart', 'Zebulon Quxworth reports to the CFO; Zebulonia office', ?, 'dana',"
            " ?, ?, ?)",
            (company_id, stamp, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO changes (entity, entity_id, action, changed_at, changed_by, before, after)"
            " VALUES ('activity', 99, 'update', ?, 'dana', ?, ?)",
            (stamp, json.dumps({"body": "old"}), json.dumps({"body": "met Zebulon Quxworth"})),  # ensure_ascii
        )
        conn.commit()
    finally:
        conn.close()


def test_forget_leaves_no_trace_in_the_file(ok: Run, cli: Run, db: Path, run_exe: Run) -> None:
    ok("company", "add", "Initech", "--notes", "met Zebulon Quxworth at the fair; a Linux shop")
    ok("contact", "add", "Zebulon Quxworth", "--email", "zeb.qux@example.org", "--phone", "+44 7700 900123",
       "--company", "Initech", "--title", "CTO", "--notes", "likes golf")
    ok("contact", "edit", "zeb.qux@example.org", "--phone", "+44 7700 900999", "--name", "Zebulon Q. Quxworth",
       "--email", "zq@example.org")  # the old values now live only in history
    ok("contact", "add", "Other Person", "--notes", "friend of ZEBULON QUXWORTH, call +44 7700 900999")
    _link_deal_and_activities(db, contact_id=1, company_id=1)
    assert traces(db, NEEDLES) == NEEDLES  # the test can fail: everything is in the file before

    before = digest(db)
    refused = cli("contact", "forget", "zq@example.org")  # no terminal, no --yes
    assert refused.exit_code == 1 and digest(db) == before

    res = run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", "zq@example.org", "--yes")
    assert (res.returncode, res.stdout) == (0, "")
    assert res.stderr == ("forgot contact 1: erased 5 history entries, 1 activity anonymised, "
                          "1 deal unlinked\n" + BACKUPS_NOTE)
    assert traces(db, NEEDLES + ["Quxworth", "900123", "900999", "zeb.qux", "likes golf"]) == []

    assert cli("contact", "show", "1").exit_code == 3
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        deal = conn.execute("SELECT title, contact_id, amount_minor, currency, notes FROM deals").fetchone()
        assert deal == ("Initech renewal", None, 1200000, "EUR", "ask (erased) for the PO")  # figures stay
        activities = conn.execute("SELECT subject, body, contact_id FROM activities ORDER BY id").fetchall()
        assert activities == [("(erased)", None, None),
                              ("Org chart", "(erased) reports to the CFO; Zebulonia office", None)]
        assert conn.execute("SELECT notes FROM companies").fetchone()[0] == "met (erased) at the fair; a Linux shop"
        assert conn.execute("SELECT notes FROM contacts").fetchone()[0] == "friend of (erased), call (erased)"
        assert conn.execute("SELECT count(*) FROM search_index WHERE search_index MATCH 'quxworth'").fetchone() \
            == (0,)
    finally:
        conn.close()
    history = json.loads(ok("history", "-f", "json").stdout)
    assert [(h["entity"], h["action"]) for h in history if h["entity"] == "contact"] == [
        ("contact", "create"), ("contact", "forget")]  # the other person's creation, and the forget itself
    assert history[-1]["entity_id"] == 1 and history[-1]["before"] is None and history[-1]["after"] is None


def test_forget_a_unicode_name_and_a_short_one(ok: Run, db: Path, run_exe: Run) -> None:
    ok("contact", "add", "José Müller-Łukasz", "--email", "jose@example.de", "--phone", "0049 30 1234567")
    ok("contact", "add", "Li", "--email", "li@example.cn")
    ok("company", "add", "Hub", "--notes", "José Müller-Łukasz and Li run Linux; Lisa too")
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO changes (entity, entity_id, action, changed_at, changed_by, after)"
                 " VALUES ('deal', 7, 'update', '2026-11-26T00:00:00', 'dana', ?)",
                 (json.dumps({"next_step": "send José Müller-Łukasz the deck"}),))  # \u-escaped JSON
    conn.commit()
    conn.close()
    escaped = json.dumps("José Müller-Łukasz")[1:-1]
    res = run_exe("--db", str(db), "contact", "forget", "JOSÉ MÜLLER-ŁUKASZ", "--yes")
    assert res.returncode == 0, res.stderr
    res = run_exe("--db", str(db), "contact", "forget", "li@example.cn", "--yes")
    assert res.returncode == 0, res.stderr
    assert traces(db, ["José Müller-Łukasz", escaped, "jose@example.de", "0049 30 1234567", "li@example.cn"]) == []
    notes = json.loads(ok("company", "show", "Hub", "-f", "json").stdout)["notes"]
    assert notes == "(erased) and (erased) run Linux; Lisa too"  # whole words only
    assert json.loads(ok("contact", "list", "-f", "json").stdout) == []


def test_forget_says_when_a_reader_keeps_the_wal_alive(ok: Run, cli: Run, db: Path,
                                                       monkeypatch: Any) -> None:
    ok("contact", "add", "Zebulon Quxworth", "--email", "zeb.qux@example.org")
    reader = sqlite3.connect(db, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM contacts").fetchone()  # holds a snapshot of the WAL
        monkeypatch.setenv("SALESCLI_BUSY_TIMEOUT", "0.2")
        res = cli("contact", "forget", "zeb.qux@example.org", "--yes")
        assert res.exit_code == 0
        assert res.stderr.splitlines()[0] == (
            f"another process has {db} open: the erased text leaves its -wal file only when that process"
            " closes it (then run any salescli command)")
    finally:
        reader.close()
    ok("company", "list")  # the next command's checkpoint finishes the job
    assert traces(db, ["Zebulon Quxworth", "zeb.qux@example.org"]) == []


def test_forget_after_a_merge_erases_the_duplicates_merged_into_them_too(ok: Run, db: Path, run_exe: Run) -> None:
    ok("contact", "add", "Zebulon Quxworth", "--email", "zeb.qux@example.org")
    ok("contact", "add", "Zeb Q.", "--email", "zq@example.org", "--phone", "+44 7700 900123")
    ok("contact", "add", "Z. Quxworth", "--email", "zq2@example.org")
    ok("contact", "merge", "2", "3", "--yes")  # a chain: 3 into 2, then 2 into 1
    ok("contact", "merge", "1", "2", "--yes")
    ok("contact", "add", "Other Person", "--notes", "knows Zeb Q.")
    needles = ["Zebulon Quxworth", "Zeb Q.", "Z. Quxworth", "zeb.qux@example.org", "zq@example.org",
               "zq2@example.org", "+44 7700 900123"]
    assert traces(db, needles) == needles
    res = run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", "1", "--yes")
    assert res.returncode == 0, res.stderr
    assert traces(db, needles) == []
    assert json.loads(ok("contact", "show", "Other Person", "-f", "json").stdout)["notes"] == "knows (erased)"
    # the duplicates' histories say they were forgotten (not "never was")
    for cid in ("2", "3"):
        assert [h["action"] for h in json.loads(ok("history", "contact", cid, "-f", "json").stdout)] == ["forget"]


def test_forget_erases_the_history_of_their_tasks_and_activities_as_it_erases_them(ok: Run, cli: Run,
                                                                                  db: Path) -> None:
    ok("contact", "add", "Quincy Zebulon", "--email", "qz@zz.io")
    ok("task", "add", "Email Quincy", "--due", "+2d", "--contact", "1")
    ok("activity", "log", "call", "Rang Quincy about pricing", "--contact", "1", "--outcome", "wants 10 seats")
    ok("contact", "add", "Other Person")
    ok("task", "add", "Email Quincy's colleague", "--due", "+2d", "--contact", "2")  # not theirs: stays
    assert traces(db, ["Email Quincy", "Rang Quincy", "wants 10 seats"]) == [
        "Email Quincy", "Rang Quincy", "wants 10 seats"]
    res = cli("contact", "forget", "1")  # (no terminal: the question is in the refusal)
    assert res.stderr == ("Error: refusing to erase contact 1 Quincy Zebulon and every trace of them (the subject of"
                          " 1 open task included: kept with their due dates, erased) without --yes (no terminal to"
                          " ask)\n")
    res = ok("contact", "forget", "1", "--yes")
    assert res.stderr == ("forgot contact 1: erased 3 history entries, 2 activities anonymised, 0 deals unlinked\n"
                          'open task 1 now reads "(erased)": reword it with salescli task edit 1 --subject TEXT\n'
                          + BACKUPS_NOTE)
    history = {(h["entity"], h["entity_id"]): h for h in json.loads(ok("history", "-f", "json").stdout)
               if h["entity"] in ("task", "activity")}
    assert (history[("task", 1)]["after"]["subject"], history[("task", 1)]["after"]["contact_id"]) == ("(erased)", None)
    assert (history[("activity", 2)]["after"]["subject"], history[("activity", 2)]["after"]["outcome"]) == (
        "(erased)", None)
    assert history[("task", 3)]["after"]["subject"] == "Email Quincy's colleague"
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    assert traces(db, ["Rang Quincy", "wants 10 seats"]) == []


def test_forget_keeps_the_subject_of_tasks_an_automation_made_as_the_rule_words_it(ok: Run, db: Path) -> None:
    # (with the default rule: on won, "Post-sale follow-up")
    ok("automation", "add", "--on", "won", "--task", "Kick-off call", "--due", "+1d")
    ok("automation", "add", "--on", "won", "--task", "Gift for Quincy Zebulon", "--due", "+2d")
    ok("contact", "add", "Quincy Zebulon", "--email", "qz@zz.io")
    ok("deal", "add", "Seats", "--contact", "qz@zz.io")
    ok("deal", "won", "1")
    ok("task", "edit", "2", "--subject", "Kick-off call (he hates mornings)")  # someone's words: erased
    ok("contact", "forget", "1", "--yes")
    tasks = json.loads(ok("task", "list", "-f", "json").stdout)
    assert [(t["id"], t["subject"]) for t in tasks] == [(2, "(erased)"), (3, "Gift for (erased)"),
                                                        (1, "Post-sale follow-up")]
    history = [h for h in json.loads(ok("history", "-f", "json").stdout) if h["entity"] == "task"]
    quoted = json.dumps(history)
    assert "Post-sale follow-up" in quoted and "mornings" not in quoted and "Zebulon" not in quoted


def test_forget_erases_the_history_of_their_activities_deleted_or_moved_since(ok: Run, db: Path) -> None:
    ok("contact", "add", "Quincy Zebulon", "--email", "qz@zz.io")
    ok("contact", "add", "Other Person")
    ok("activity", "log", "call", "Secret pricing talk", "--contact", "1", "--outcome", "wants 10 seats")
    ok("activity", "log", "meeting", "Lunch with QZ", "--contact", "1")
    ok("activity", "rm", "1", "--yes")
    ok("activity", "edit", "2", "--contact", "2")  # now someone else's: its past still names the person
    ok("contact", "forget", "1", "--yes")
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        quoted = [r[0] for r in conn.execute("SELECT coalesce(before, '') || coalesce(after, '') FROM changes"
                                             " WHERE entity = 'activity'")]
    finally:
        conn.close()
    assert quoted and not any("Secret" in q or "10 seats" in q or "Lunch" in q for q in quoted)
    assert traces(db, ["Secret pricing talk", "wants 10 seats"]) == []


def test_forget_erases_the_first_name_where_the_text_is_about_them(ok: Run, db: Path, run_exe: Run) -> None:
    ok("contact", "add", "Zebulon Quxworth", "--email", "zeb.qux@example.org")
    ok("deal", "add", "Pilot", "--contact", "zeb.qux@example.org", "--next-step", "Call Zebulon back",
       "--notes", "Zebulon wants a discount")
    ok("deal", "add", "Other", "--notes", "Zebulon from the other office")  # another Zebulon, perhaps: kept
    ok("activity", "log", "meeting", "Demo", "--deal", "1", "--notes", "Zebulon liked it")
    ok("deal", "move", "1", "Qualification", "--note", "Zebulon said yes")
    ok("deal", "edit", "1", "--next-step", "Send Zebulon the quote")
    ok("deal", "park", "1", "--until", "2027-01-15", "--reason", "Zebulon is on leave")
    res = run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", "1", "--yes")
    assert res.returncode == 0, res.stderr
    deal = json.loads(ok("deal", "show", "1", "-f", "json").stdout)
    assert (deal["next_step"], deal["notes"], deal["stage_history"][-1]["note"], deal["park_reason"]) == (
        "Send (erased) the quote", "(erased) wants a discount", "(erased) said yes", "(erased) is on leave")
    assert ok("search", "Zebulon", "-f", "json").stdout.count('"id": 1,') == 0
    history = ok("history", "deal", "1", "-f", "json").stdout + ok("activity", "list", "--all", "-f", "json").stdout
    assert "Zebulon" not in history
    assert json.loads(ok("deal", "show", "2", "-f", "json").stdout)["notes"] == "Zebulon from the other office"


def test_forget_spares_what_only_looks_like_the_person(ok: Run, db: Path, run_exe: Run) -> None:
    ok("user", "add", "lee")
    ok("contact", "add", "Lee", "--email", "lee@shop.com", "--phone", "200")  # 1: a one-word name, a short number
    ok("contact", "add", "Ana Silva", "--email", "ana@acme.io")  # 2
    ok("contact", "add", "Ana Silva", "--email", "ana2@other.org")  # 3: her namesake, forgotten below
    ok("contact", "add", "Bill Adams", "--email", "bill@acme.io")  # 4
    ok("deal", "add", "200 licences", "--owner", "lee", "--notes", "Lee asked; lee owns it")  # 1
    ok("deal", "add", "Robots", "--contact", "bill@acme.io", "--next-step", "Send the bill to Bill")  # 2
    ok("activity", "log", "email", "Invoice: bill sent", "--deal", "2", "--contact", "ana@acme.io")
    ok("activity", "log", "call", "Called Ana Silva", "--contact", "ana@acme.io")
    for ref in ("lee@shop.com", "ana2@other.org", "bill@acme.io"):
        res = run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", ref, "--yes")
        assert res.returncode == 0, res.stderr
    deal = json.loads(ok("deal", "show", "1", "-f", "json").stdout)
    assert (deal["title"], deal["owner"], deal["notes"]) == ("200 licences", "lee", "(erased) asked; lee owns it")
    assert all(h["changed_by"] != "(erased)" for h in json.loads(ok("history", "-f", "json").stdout))
    assert json.loads(ok("history", "deal", "1", "-f", "json").stdout)[0]["after"]["owner"] == "lee"
    # the other Ana Silva keeps her name, her history and her activity's words
    assert json.loads(ok("contact", "show", "2", "-f", "json").stdout)["name"] == "Ana Silva"
    assert "Ana Silva" in json.dumps(json.loads(ok("history", "contact", "2", "-f", "json").stdout))
    subjects = [a["subject"] for a in json.loads(ok("activity", "list", "--all", "-f", "json").stdout)]
    assert sorted(subjects) == ["Called Ana Silva", "Invoice: bill sent"]
    assert json.loads(ok("deal", "show", "2", "-f", "json").stdout)["next_step"] == "Send the bill to (erased)"
    # a full name in all small letters elsewhere is everyday words ("mark price changes"), not a quote of Mark Price;
    # in the texts about him, and written with capitals anywhere, it goes
    ok("contact", "add", "Mark Price", "--email", "mp@lumen.tv")  # 5
    ok("deal", "add", "Banking", "--notes", "Please mark price changes in red; ask MARK PRICE")  # 3
    ok("deal", "add", "Lumen", "--contact", "mp@lumen.tv", "--notes", "mark  price is slow to answer")  # 4
    run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", "mp@lumen.tv", "--yes")
    notes = [json.loads(ok("deal", "show", i, "-f", "json").stdout)["notes"] for i in ("3", "4")]
    assert notes == ["Please mark price changes in red; ask (erased)", "(erased) is slow to answer"]


def test_forget_a_name_stored_in_one_case_matches_it_in_any(ok: Run, db: Path, run_exe: Run) -> None:
    ok("contact", "add", "madonna", "--email", "m@x.io")  # 1
    ok("contact", "add", "ANA SILVA", "--email", "a@x.io")  # 2
    ok("contact", "add", "Ana Silva", "--email", "other@y.io")  # 3: a namesake, kept whole
    ok("company", "add", "Acme", "--notes", "Madonna wants a demo; MADONNA called")
    ok("deal", "add", "Madonna tour", "--amount", "1k", "--contact", "m@x.io")
    ok("deal", "add", "Renewal", "--amount", "1k", "--contact", "a@x.io", "--notes", "Call Ana on Monday")
    ok("activity", "log", "note", "Met Ana Silva at expo", "--contact", "other@y.io")
    for ref in ("m@x.io", "a@x.io"):
        res = run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", ref, "--yes")
        assert res.returncode == 0, res.stderr
    # a one-word name outside the texts about them only as spelt ("madonna"); in their deal's title in any case
    assert json.loads(ok("company", "show", "Acme", "-f", "json").stdout)["notes"] == (
        "Madonna wants a demo; MADONNA called")
    shown = [json.loads(ok("deal", "show", n, "-f", "json").stdout)[k] for n, k in (("1", "title"), ("2", "notes"))]
    assert shown == ["(erased) tour", "Call (erased) on Monday"]
    assert json.loads(ok("history", "activity", "1", "-f", "json").stdout)[0]["after"]["subject"] == (
        "Met Ana Silva at expo")  # (the namesake's own activity, and its history)


def test_forget_reaches_a_deleted_contact_and_every_way_their_number_and_name_are_written(
        ok: Run, cli: Run, db: Path, run_exe: Run) -> None:
    ok("contact", "add", "Ana Silva", "--email", "ana@acme.io", "--phone", "+1 415 555 0101", "--company", "Acme")
    ok("deal", "add", "Robots", "--company", "Acme", "--contact", "ana@acme.io")
    ok("company", "edit", "Acme", "--notes", "Ana direct +14155550101; desk 415.555.0101")
    ok("deal", "edit", "1", "--notes", "mobile (415) 555-0101", "--add-tag", "ana@acme.io")
    ok("activity", "log", "note", "Org chart", "--company", "Acme", "--notes", "Silva, Ana is CTO")
    ok("contact", "rm", "1", "--yes")  # deleted first: the history still holds her
    needles = ["Silva", "ana@acme.io", "555 0101", "5550101", "555-0101", "555.0101"]
    assert traces(db, needles)
    res = run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", "ana@acme.io", "--yes")
    assert (res.returncode, res.stderr.splitlines()[0]) == (0, "forgot contact 1: erased 5 history entries, 0"
                                                               " activities anonymised, 0 deals unlinked")
    assert traces(db, needles) == []
    assert json.loads(ok("deal", "show", "1", "-f", "json").stdout)["tags"] == ["(erased)"]
    res = cli("contact", "forget", "1", "--yes")  # (forgotten: nothing left to find)
    assert (res.exit_code, res.stderr.splitlines()[0]) == (3, 'Error: contact "1" not found')


def test_forget_says_on_each_deal_that_it_lost_its_contact(ok: Run) -> None:
    ok("contact", "add", "Bo Chen", "--email", "bo@x.io")
    ok("deal", "add", "Pilot", "--contact", "bo@x.io")
    ok("contact", "forget", "bo@x.io", "--yes")
    last = json.loads(ok("history", "deal", "1", "-f", "json").stdout)[-1]
    assert (last["before"], last["after"]) == ({"contact_id": 1}, {"contact_id": None})


def test_forget_by_e_mail_erases_every_deleted_contact_that_had_it(ok: Run, db: Path, run_exe: Run) -> None:
    ok("contact", "add", "Dr Maria de la Cruz", "--email", "maria@x.io", "--phone", "+49 30 1234567")
    ok("contact", "rm", "1", "--yes")
    ok("contact", "add", "M. Cruz", "--email", "maria@x.io", "--phone", "+49 30 7654321")
    ok("contact", "rm", "2", "--yes")
    ok("company", "add", "Berlin GmbH", "--notes", "de la Cruz, Maria: 030 1234567, else 0049 (0)30 7654321")
    res = run_exe("--db", str(db), "--today", "2026-11-26", "contact", "forget", "maria@x.io", "--yes")
    assert [line.split(":")[0] for line in res.stderr.splitlines()[:2]] == ["forgot contact 1", "forgot contact 2"]
    assert traces(db, ["de la Cruz", "M. Cruz", "1234567", "7654321", "maria@x.io"]) == []
    notes = json.loads(ok("company", "show", "Berlin GmbH", "-f", "json").stdout)["notes"]
    assert notes == "(erased): (erased), else (erased)"


def test_forget_spares_numbers_that_only_end_like_theirs(ok: Run) -> None:
    ok("contact", "add", "David Chen", "--email", "dc@x.io", "--phone", "+49 30 5550 120")
    ok("contact", "add", "Emma Larsen", "--email", "em@y.io", "--notes", "Store line +1 503 555 0120, invoice"
       " 555-0120; Sydney +61 30 5550 120; David: 030 5550 120")
    ok("contact", "forget", "dc@x.io", "--yes")
    assert json.loads(ok("contact", "show", "em@y.io", "-f", "json").stdout)["notes"] == (
        "Store line +1 503 555 0120, invoice 555-0120; Sydney +61 30 5550 120; David: (erased)")
