"""contact add|list|show|edit|rm: exact output, references, the company link, rules."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from tests.conftest import digest

Run = Callable[..., Any]


def screen(text: str) -> str:
    """A rich table as a person sees it: trailing blanks, the common indent and blank edges dropped."""
    return dedent("\n".join(line.rstrip() for line in text.splitlines())).strip("\n")


def expect(text: str) -> str:
    return dedent(text).strip("\n")


@pytest.fixture
def crm(ok: Run) -> Run:
    ok("company", "add", "Acme Corp", "--domain", "acme.io")
    ok("contact", "add", "Ana Silva", "--email", "Ana@Acme.io", "--company", "acme.io", "--title", "CTO",
       "--phone", "+351 555 0100", "--status", "customer", "--tag", "vip")
    ok("contact", "add", "Bo Chen", "--email", "bo@initech.com", "--company", "Initech", "--source", "webinar",
       "--owner", "lee")
    return ok


def test_add_with_a_new_company_creates_it_and_says_so(cli: Run, db: Path) -> None:
    res = cli("contact", "add", "Bo Chen", "--email", "bo@initech.com", "--company", "Initech")
    assert (res.exit_code, res.stdout) == (0, "1\n")
    assert res.stderr == "created company 1 Initech\nadded contact 1 Bo Chen\n"
    res = cli("contact", "add", "Cy Park", "--company", "initech")  # existing: linked, not created again
    assert res.stderr == "added contact 2 Cy Park\n"
    assert [c["company_id"] for c in json.loads(cli("contact", "list", "-f", "json").stdout)] == [1, 1]
    for typed, meant in (("Intech", "Initech"), ("initech corp", "Initech"), ("Acme", "Acme Robotics")):
        if typed == "Acme":
            cli("company", "add", "Acme Robotics")
        before = digest(db)
        res = cli("contact", "add", "Di Ross", "--company", typed)  # a typo or short form: no near-duplicate
        assert (res.exit_code, res.stdout) == (3, "")
        assert res.stderr == (f'Error: company "{typed}" not found; did you mean {meant}?\n'
                              f"Hint: to create a company named {typed}, add it first: salescli company add"
                              f" {shlex.quote(typed)}\n")
        assert digest(db) == before
    for other in ("Store 12", "Zeta AB"):  # a letter apart, but another number or legal form: another company
        cli("company", "add", other)
    res = cli("contact", "add", "Ed", "--company", "Store 13")
    assert res.stderr == "created company 5 Store 13\nadded contact 3 Ed\n"
    res = cli("contact", "add", "Fa", "--company", "Zeta AG")
    assert res.stderr == "created company 6 Zeta AG\nadded contact 4 Fa\n"
    res = cli("company", "show", "acme")  # a reference that finds nothing suggests too
    assert (res.exit_code, res.stderr) == (3, 'Error: company "acme" not found; did you mean Acme Robotics?\n'
                                              "Hint: list companies with `salescli company list`\n")
    cli("company", "add", "Intech")  # on purpose: then it is linked
    assert cli("contact", "add", "Di Ross", "--company", "Intech").stderr == "added contact 5 Di Ross\n"


def test_a_suggested_name_several_records_bear_says_what_tells_them_apart(ok: Run, cli: Run) -> None:
    ok("contact", "add", "Hans Gruber", "--email", "h1@x.io")
    ok("contact", "add", "Hans Gruber", "--email", "h2@y.io")
    res = cli("contact", "show", "Hans Grubr")  # typing the name suggested would only be ambiguous: the e-mails
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        3, 'Error: contact "Hans Grubr" not found; did you mean Hans Gruber (2: h1@x.io, h2@y.io)?')
    ok("company", "add", "Nakatomi", "--domain", "nakatomi.jp")
    ok("company", "add", "Nakatomi")
    res = cli("company", "show", "Nakatomy")
    assert res.stderr.splitlines()[0] == ('Error: company "Nakatomy" not found; did you mean Nakatomi (2:'
                                          ' nakatomi.jp, id 2)?')


def test_the_same_name_added_twice_at_a_company_is_said_with_the_merge(ok: Run) -> None:
    ok("company", "add", "Acme")
    ok("contact", "add", "Ann Lee", "--company", "Acme")
    res = ok("contact", "add", "ann lee", "--company", "Acme", "--email", "ann@acme.io")
    assert res.stderr == ("note: contact 1 at Acme is also named ann lee: if the same person, salescli contact merge"
                          " 1 2; else refer to each by id or e-mail\nadded contact 2 ann lee\n")
    assert ok("contact", "add", "Ann Lee").stderr == "added contact 3 Ann Lee\n"  # no company: another Ann


def test_add_with_an_unknown_company_id_is_not_found_not_a_company_named_99(ok: Run, cli: Run, db: Path) -> None:
    ok("init")
    before = digest(db)
    res = cli("contact", "add", "Q", "--company", "99")
    assert (res.exit_code, res.stdout) == (3, "")
    assert res.stderr.startswith('Error: company "99" not found\n')
    assert digest(db) == before


def test_list_table_snapshot(crm: Run) -> None:
    assert screen(crm("contact", "list").stdout) == expect("""
        id   name        email            company     status     owner   tags
        ─────────────────────────────────────────────────────────────────────
         1   Ana Silva   ana@acme.io      Acme Corp   customer   dana    vip
         2   Bo Chen     bo@initech.com   Initech     lead       lee
    """)


def test_show_table_snapshot(crm: Run) -> None:
    res = crm("contact", "show", "ANA@ACME.IO")
    assert screen(res.stdout) == expect("""
        Contact 1
        id           1
        name         Ana Silva
        email        ana@acme.io
        phone        +351 555 0100
        title        CTO
        company id   1
        company      Acme Corp
        owner        dana
        status       customer
        tags         vip
        created at   2026-11-26
        updated at   2026-11-26
    """)
    assert res.stderr == ""


def test_list_filters(crm: Run, cli: Run) -> None:
    def names(*args: str) -> list[str]:
        return [r["name"] for r in json.loads(crm("contact", "list", "-f", "json", *args).stdout)]

    assert names("--company", "acme.io") == ["Ana Silva"]
    assert names("--company", "2") == ["Bo Chen"]
    assert names("--status", "CUSTOMER") == ["Ana Silva"]
    assert names("--owner", "lee") == ["Bo Chen"]
    assert names("--tag", "vip") == ["Ana Silva"]
    assert names("--source", "Webinar") == ["Bo Chen"]
    assert names("--sort", "company") == ["Ana Silva", "Bo Chen"]
    assert names("--sort", "email", "--limit", "1") == ["Ana Silva"]
    res = cli("contact", "list", "--company", "nowhere")
    assert (res.exit_code, res.stderr) == (3, 'Error: --company "nowhere" not found\n'
                                              "Hint: list companies with `salescli company list`\n")
    res = cli("contact", "list", "--status", "vip")
    assert (res.exit_code, res.stderr) == (2, 'Error: --status "vip" is not one of lead, prospect, customer,'
                                              " churned\n")
    assert cli("contact", "list", "--sort", "email DESC").exit_code == 2


def test_email_is_unique_case_insensitively(crm: Run, cli: Run, db: Path) -> None:
    before = digest(db)
    res = cli("contact", "add", "Ana Two", "--email", "ANA@acme.IO")
    assert (res.exit_code, res.stdout, res.stderr) == (
        1, "", "Error: e-mail ana@acme.io is already used by contact 1 Ana Silva\n")
    assert cli("contact", "edit", "Bo Chen", "--email", "Ana@Acme.io").exit_code == 1
    assert digest(db) == before


def test_references_by_id_email_and_name(crm: Run, cli: Run) -> None:
    assert json.loads(crm("contact", "show", "2", "-f", "json").stdout)["name"] == "Bo Chen"
    assert json.loads(crm("contact", "show", "mailto:BO@initech.com".removeprefix("mailto:"),
                          "-f", "json").stdout)["id"] == 2
    assert json.loads(crm("contact", "show", "bo chen", "-f", "json").stdout)["id"] == 2
    crm("contact", "add", "Bo Chen", "--email", "bo@globex.com")
    res = cli("contact", "show", "Bo Chen")
    assert (res.exit_code, res.stderr) == (
        1, 'Error: contact "Bo Chen" is ambiguous: 2 match (2 Bo Chen <bo@initech.com> at Initech; 3 Bo Chen '
           "<bo@globex.com>)\nHint: use the contact id\n")
    res = cli("contact", "show", "nobody@nowhere.io")
    assert (res.exit_code, res.stderr) == (3, 'Error: contact "nobody@nowhere.io" not found\n'
                                              "Hint: list contacts with `salescli contact list`\n")


def test_edit_links_unlinks_and_logs(crm: Run) -> None:
    res = crm("contact", "edit", "bo@initech.com", "--status", "Prospect", "--company", "acme.io", "--phone", "12")
    assert res.stderr == "updated contact 2: phone 12, company Acme Corp, status prospect\n"
    bo = json.loads(crm("contact", "show", "2", "-f", "json").stdout)
    assert (bo["company"], bo["status"], bo["phone"]) == ("Acme Corp", "prospect", "12")
    crm("contact", "edit", "2", "--company", "", "--phone", "")
    bo = json.loads(crm("contact", "show", "2", "-f", "json").stdout)
    assert (bo["company_id"], bo["phone"]) == (None, None)
    res = crm("contact", "edit", "2", "--company", "Newco")
    assert res.stderr == "created company 3 Newco\nupdated contact 2: company Newco\n"
    assert crm("contact", "edit", "2", "--status", "prospect").stderr == "contact 2: nothing changed\n"
    changes = json.loads(crm("history", "contact", "2", "-f", "json").stdout)
    assert [c["action"] for c in changes] == ["create", "update", "update", "update"]
    assert changes[1]["before"] == {"phone": None, "company_id": 2, "status": "lead"}
    assert changes[1]["after"] == {"phone": "12", "company_id": 1, "status": "prospect"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("contact", "add", ""), 'Error: NAME "" is required\n'),
        (("contact", "add", "Y", "--email", "bad"), 'Error: --email "bad" is not an e-mail address\n'),
        (("contact", "add", "Y", "--email", "a@b.io\nX-Evil: 1"),
         'Error: --email "a@b.io\\nX-Evil: 1" is not an e-mail address\n'),
        (("contact", "add", "Y", "--status", "weird"),
         "Error: --status \"weird\" is not one of lead, prospect, customer, churned\n"),
        (("contact", "edit", "1", "--status", "gone"),
         "Error: --status \"gone\" is not one of lead, prospect, customer, churned\n"),
        (("contact", "add", "Y", "--phone", "9" * 101),
         'Error: --phone "' + "9" * 79 + '…" is too long (at most 100 characters)\n'),
    ],
)
def test_bad_values_exit_2_and_change_nothing(
    crm: Run, cli: Run, db: Path, args: tuple[str, ...], message: str
) -> None:
    before = digest(db)
    res = cli(*args)
    assert (res.exit_code, res.stdout, res.stderr) == (2, "", message)
    assert digest(db) == before


def test_rm_says_what_it_unlinks(crm: Run, cli: Run) -> None:
    crm("deal", "add", "Seats", "--contact", "Ana Silva")
    crm("activity", "log", "call", "Intro", "--contact", "Ana Silva")
    res = cli("contact", "rm", "Ana Silva")
    assert res.stderr == ("Error: refusing to delete contact 1 Ana Silva (unlinks 1 deal, 1 activity) without --yes"
                          " (no terminal to ask)\n")
    res = crm("contact", "rm", "Ana Silva", "--yes")
    assert res.stderr == "deleted contact 1 Ana Silva; unlinked 1 deal, 1 activity\n"


def test_rm_needs_yes_without_a_terminal_and_unlinks_logged(crm: Run, cli: Run, db: Path) -> None:
    before = digest(db)
    res = cli("contact", "rm", "Ana Silva", input="y\n")  # piped input is not a terminal: never read as yes
    assert (res.exit_code, res.stdout) == (1, "")
    assert res.stderr == "Error: refusing to delete contact 1 Ana Silva without --yes (no terminal to ask)\n"
    assert digest(db) == before
    assert crm("contact", "rm", "Ana Silva", "--yes").stderr == "deleted contact 1 Ana Silva\n"
    assert cli("contact", "show", "1").exit_code == 3
    changes = json.loads(crm("history", "contact", "1", "-f", "json").stdout)
    assert changes[-1]["action"] == "delete" and changes[-1]["before"]["email"] == "ana@acme.io"


def test_merge_keeps_the_furthest_status_and_a_second_email_in_the_notes(ok: Run, cli: Run, db: Path) -> None:
    ok("contact", "add", "Ben", "--status", "prospect", "--company", "Acme")  # no e-mail yet
    ok("contact", "add", "Ben Okafor", "--email", "ben@acme.io", "--phone", "+1 555 0102", "--status", "customer")
    ok("contact", "add", "B. Okafor", "--email", "b.okafor@gmail.com", "--company", "Beta", "--tag", "vip")
    ok("deal", "add", "Renewal", "--contact", "3")
    res = ok("contact", "merge", "1", "ben@acme.io", "--yes")
    assert res.stderr == ("merged contact 2 Ben Okafor into 1 Ben: nothing linked to move; filled email, phone;"
                          " notes keep name Ben Okafor\n")
    res = ok("contact", "merge", "1", "b.okafor@gmail.com", "--yes", "-f", "json")
    ben = json.loads(res.stdout)
    assert (ben["email"], ben["phone"], ben["status"], ben["company"], ben["tags"]) == (
        "ben@acme.io", "+1 555 0102", "customer", "Acme", ["vip"])
    assert ben["notes"] == ("Merged from contact 2: name Ben Okafor\n\n"
                            "Merged from contact 3: name B. Okafor; email b.okafor@gmail.com; company Beta")
    assert json.loads(ok("deal", "show", "1", "-f", "json").stdout)["contact"] == "Ben"
    assert [c["id"] for c in json.loads(ok("contact", "list", "-f", "json").stdout)] == [1]
    found = json.loads(ok("search", "gmail", "-f", "json").stdout)  # the second address is still found
    assert [(r["kind"], r["id"]) for r in found] == [("contact", 1)]
