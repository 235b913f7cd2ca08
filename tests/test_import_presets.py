"""Presets on the real exports' shapes: Maven (committed fixture, and the full data set when
SALESCLI_MAVEN_DIR points at it, or the shared copy is beside the checkout) and Salesforce (BOM,
timestamps, forecast categories, AccountId)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MAVEN_DIR, SALESFORCE_DIR

Run = Callable[..., Any]
FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def sql(ok: Run, query: str) -> list[dict[str, Any]]:
    return json.loads(ok("sql", query, "-f", "json").stdout)  # type: ignore[no-any-return]


def won_by_agent_in_csv(pipeline: Path) -> dict[str, Decimal]:
    """The independent figure: plain Python over the CSV."""
    totals: Counter[str] = Counter()
    with open(pipeline, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["deal_stage"] == "Won":
                totals[row["sales_agent"]] += Decimal(row["close_value"] or "0")  # type: ignore[assignment]
    return dict(totals)


def won_by_agent_in_db(ok: Run) -> dict[str, Decimal]:
    rows = sql(ok, "SELECT owner, sum(amount_minor) AS minor FROM deals WHERE status = 'won' GROUP BY owner")
    return {r["owner"]: Decimal(r["minor"]) / 100 for r in rows}


def import_maven(ok: Run, folder: Path) -> list[str]:
    return [
        ok("import", "companies", str(folder / "accounts.csv"), "--preset", "maven").stderr,
        ok("import", "users", str(folder / "sales_teams.csv"), "--preset", "maven").stderr,
        ok("import", "deals", str(folder / "sales_pipeline.csv"), "--preset", "maven").stderr,
    ]


def test_maven_fixture_imports_with_its_preset_alone(ok: Run) -> None:
    folder = FIXTURES / "maven"
    messages = import_maven(ok, folder)
    assert "imported accounts.csv: 4 rows — 4 created" in messages[0]
    assert "imported sales_teams.csv: 4 rows — 4 created" in messages[1]
    assert "imported sales_pipeline.csv: 13 rows — 13 created, 0 updated, 0 unchanged, 0 rejected" in messages[2]
    assert "also created" not in messages[2]  # every account was imported first
    assert won_by_agent_in_db(ok) == won_by_agent_in_csv(folder / "sales_pipeline.csv") == {
        "Moses Frase": Decimal(1642), "Darcel Schlecht": Decimal(4564), "Zane Levy": Decimal(5686),
        "Anna Snelling": Decimal(57)}
    deal = sql(ok, "SELECT d.title, d.external_id, s.name AS stage, d.created_at, d.won_at, d.extra, c.name AS company"
                   " FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN companies c ON c.id = d.company_id"
                   " WHERE d.external_id IN ('1C1I7A6R', '7GN8Q4LL', 'HAXMC4IX', 'ARCLS4JT') ORDER BY d.id")
    assert deal == [
        {"title": "GTX Plus Basic — Cancity", "external_id": "1C1I7A6R", "stage": "Won",
         "created_at": "2016-10-20T00:00:00", "won_at": "2017-03-01", "extra": '{"product": "GTX Plus Basic"}',
         "company": "Cancity"},
        {"title": "GTX Plus Pro", "external_id": "7GN8Q4LL", "stage": "Won", "created_at": "2016-11-01T00:00:00",
         "won_at": "2017-03-05", "extra": '{"product": "GTX Plus Pro"}', "company": None},
        {"title": "MG Advanced — Cancity", "external_id": "HAXMC4IX", "stage": "Qualification",
         "created_at": "2017-08-17T00:00:00", "won_at": None, "extra": '{"product": "MG Advanced"}',
         "company": "Cancity"},
        {"title": "GTX Basic", "external_id": "ARCLS4JT", "stage": "Prospecting", "created_at": "2026-11-26T00:00:00",
         "won_at": None, "extra": '{"product": "GTX Basic"}', "company": None},
    ]
    assert sql(ok, "SELECT name, team, territory FROM users WHERE name = 'Zane Levy'") == [
        {"name": "Zane Levy", "team": "Summer Sewald", "territory": "West"}]
    company = sql(ok, "SELECT industry, territory, extra FROM companies WHERE name = 'Codehow'")[0]
    assert company == {"industry": "software", "territory": "United States",
                       "extra": '{"year_established": "1998", "revenue": "2714.90", "employees": "2641",'
                                ' "subsidiary_of": "Acme Corporation"}'}
    # every deal starts at the top; won and lost ones went through the entry stage (Qualification, where
    # Maven's "Engaging" deals are) from their engage date to their close date
    paths = Counter(tuple(r.values()) for r in sql(ok, "SELECT group_concat(t.name, '>') AS path FROM ("
                    " SELECT h.deal_id, t.name FROM stage_history h JOIN stages t ON t.id = h.to_stage_id"
                    " ORDER BY h.deal_id, h.id) t GROUP BY t.deal_id"))
    assert paths == {("Prospecting>Qualification>Won",): 7, ("Prospecting>Qualification>Lost",): 2,
                     ("Prospecting>Qualification",): 2, ("Prospecting",): 2}
    ok("db", "check")
    again = import_maven(ok, folder)
    assert "0 created, 0 updated, 13 unchanged" in again[2]


@pytest.mark.skipif(MAVEN_DIR is None, reason="no Maven data set: set SALESCLI_MAVEN_DIR")
def test_maven_dataset_won_amount_per_agent_matches_plain_python(ok: Run) -> None:
    assert MAVEN_DIR is not None
    folder = MAVEN_DIR
    messages = import_maven(ok, folder)
    assert "8800 rows — 8800 created, 0 updated, 0 unchanged, 0 rejected" in messages[2]
    expected = won_by_agent_in_csv(folder / "sales_pipeline.csv")
    assert len(expected) == 30
    assert won_by_agent_in_db(ok) == expected
    counts = {r["status"]: r["n"] for r in sql(ok, "SELECT status, count(*) AS n FROM deals GROUP BY status")}
    assert counts == {"won": 4238, "lost": 2473, "open": 2089}
    ok("db", "check")


def test_salesforce_sample_shape_imports_with_its_preset(ok: Run) -> None:
    folder = FIXTURES / "salesforce"
    res = ok("import", "companies", str(folder / "Account.csv"), "--preset", "salesforce")
    assert "utf-8 with BOM" in res.stderr and "3 created" in res.stderr
    res = ok("import", "deals", str(folder / "Opportunity.csv"), "--preset", "salesforce")
    assert "6 rows — 6 created, 0 updated, 0 unchanged, 0 rejected" in res.stderr
    assert "also created" not in res.stderr  # AccountId found every company by its external id
    assert "note: 2 won/lost deals closed before their created date" in res.stderr
    rows = sql(ok, "SELECT d.external_id, s.name AS stage, d.status, d.amount_minor, d.probability,"
                   " d.probability_set, d.forecast_category, d.forecast_category_set, d.created_at, d.won_at,"
                   " d.lost_at, d.next_step, d.source, c.name AS company FROM deals d"
                   " JOIN stages s ON s.id = d.stage_id JOIN companies c ON c.id = d.company_id ORDER BY d.id")
    assert [(r["external_id"], r["stage"], r["status"], r["company"]) for r in rows] == [
        ("006Ec00000AieKFIAZ", "Qualification", "open", "Patterson-Hansen"),
        ("006Ec00000AieKGIAZ", "Won", "won", "Hill Group"),
        ("006Ec00000AieKHIAZ", "Negotiation", "open", "Walker Henson and Compton"),
        ("006Ec00000AieKIIAZ", "Proposal", "open", "Patterson-Hansen"),
        ("006Ec00000AieKJIAZ", "Lost", "lost", "Hill Group"),
        ("006Ec00000AieKKIAZ", "Needs Analysis", "open", "Walker Henson and Compton"),
    ]
    first, won, negotiation, _proposal, lost, _discovery = rows
    assert (first["amount_minor"], first["probability"], first["probability_set"], first["forecast_category"],
            first["forecast_category_set"], first["created_at"]) == (112474115, 10, 1, "pipeline", 0,
                                                                     "2024-01-22T16:14:25")
    assert (negotiation["probability"], negotiation["probability_set"], negotiation["forecast_category"],
            negotiation["forecast_category_set"], negotiation["next_step"], negotiation["source"]) == (
        0, 1, "best_case", 1, "Send contract", "Web")
    assert (won["won_at"], won["created_at"], won["forecast_category"]) == ("2023-06-17", "2023-06-17T00:00:00",
                                                                           "closed")
    assert (lost["lost_at"], lost["forecast_category"]) == ("2024-01-15", "closed")
    company = sql(ok, "SELECT domain, industry, external_id, created_at, extra FROM companies WHERE id = 1")[0]
    assert company == {"domain": "walkerhensonandcompton.com", "industry": "Finance",
                       "external_id": "001Ec00000GGw3hIAD", "created_at": "2024-01-22T20:32:59",
                       "extra": '{"AnnualRevenue": "6759560", "External_id__c": "crm_account_0"}'}
    ok("db", "check")


def test_presets_are_valid_for_every_entity() -> None:
    from salescli.importers.mapping import ENTITIES, PRESETS, build_spec

    for preset in PRESETS:
        for entity in ENTITIES:
            build_spec(entity, preset=preset)  # raises on an unknown field or key


def test_unknown_preset_is_a_usage_error(cli: Run) -> None:
    res = cli("import", "deals", str(FIXTURES / "maven" / "sales_pipeline.csv"), "--preset", "zoho")
    assert res.exit_code == 2 and res.stderr.startswith('Error: --preset "zoho" is not one of hubspot, pipedrive,')


@pytest.mark.skipif(SALESFORCE_DIR is None, reason="no Salesforce sample: set SALESCLI_SALESFORCE_DIR")
def test_salesforce_dataset_imports_with_its_preset_alone(ok: Run) -> None:
    assert SALESFORCE_DIR is not None
    folder = SALESFORCE_DIR
    for entity, name in (("companies", "Account"), ("contacts", "Contact"), ("contacts", "Lead"),
                         ("deals", "Opportunity"), ("activities", "Task")):
        res = ok("import", entity, str(folder / f"{name}.csv"), "--preset", "salesforce")
        assert " 0 rejected" in res.stderr and "also created" not in res.stderr, res.stderr
    expected: dict[str, tuple[int, Decimal]] = {}
    with open(folder / "Opportunity.csv", newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            status = {"Closed Won": "won", "Closed Lost": "lost"}.get(row["StageName"], "open")
            n, total = expected.get(status, (0, Decimal(0)))
            expected[status] = (n + 1, total + Decimal(row["Amount"]))
    rows = sql(ok, "SELECT status, count(*) AS n, sum(amount_minor) AS minor FROM deals GROUP BY status")
    assert {r["status"]: (r["n"], Decimal(r["minor"]) / 100) for r in rows} == expected
    categories = {r["forecast_category"] for r in sql(ok, "SELECT DISTINCT forecast_category FROM deals")}
    assert categories == {"pipeline", "best_case", "closed"}
    # a Contact.csv row is past the lead stage (prospect); a Lead.csv row's Status says where it is
    with open(folder / "Lead.csv", newline="", encoding="utf-8-sig") as fh:
        lead_status = Counter(row["Status"] for row in csv.DictReader(fh))
    with open(folder / "Contact.csv", newline="", encoding="utf-8-sig") as fh:
        contacts = sum(1 for _ in csv.DictReader(fh))
    statuses = {r["status"]: r["n"] for r in sql(ok, "SELECT status, count(*) AS n FROM contacts GROUP BY status")}
    assert statuses == {"lead": lead_status["New"] + lead_status["Working"],
                        "prospect": contacts + lead_status["Qualified"]}
    ok("db", "check")


def test_hubspot_contacts_take_the_company_name_when_no_company_is_associated(ok, tmp_path) -> None:
    both = tmp_path / "c1.csv"
    both.write_text("Record ID,First Name,Last Name,Email,Associated Company,Company Name\n"
                    "1,Gina,Lopez,g@foo.io,,Foo Ltd\n2,Ann,Bee,a@bar.io,Bar Inc,Other\n", encoding="utf-8")
    only_assoc = tmp_path / "c2.csv"
    only_assoc.write_text("Record ID,First Name,Last Name,Email,Associated Company\n4,Eve,Eff,e@qux.io,Qux\n",
                          encoding="utf-8")
    ok("import", "contacts", str(both), "--preset", "hubspot")
    ok("import", "contacts", str(only_assoc), "--preset", "hubspot")  # (no "Company Name" column: fine)
    neither = tmp_path / "c3.csv"  # a contacts view without either company column
    neither.write_text("Record ID,First Name,Last Name,Email\n5,Jo,Jay,jo@x.io\n", encoding="utf-8")
    ok("import", "contacts", str(neither), "--preset", "hubspot")
    rows = json.loads(ok("contact", "list", "-f", "json").stdout)
    assert [(c["name"], c["company"]) for c in rows] == [("Gina Lopez", "Foo Ltd"), ("Ann Bee", "Bar Inc"),
                                                         ("Eve Eff", "Qux"), ("Jo Jay", None)]


def test_hubspot_activities_of_several_associated_deals_link_the_first(ok, tmp_path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text("title,company\nWebsite Redesign,Acme\nRobot Arms Q4,Acme\nA;B,Acme\n", encoding="utf-8")
    ok("import", "deals", str(deals))
    calls = tmp_path / "a.csv"
    calls.write_text("Record ID,Activity type,Activity date,Call title,Associated Deal\n"
                     "1,Call,2026-11-20,Kickoff,Website Redesign;Robot Arms Q4\n"
                     "2,Call,2026-11-21,Other,A;B\n", encoding="utf-8")  # (a deal of that title: that deal)
    res = ok("import", "activities", str(calls), "--preset", "hubspot")
    assert "note: 1 row names several deals (a;b): the first is linked, the cell is kept in extra" in res.stderr
    rows = json.loads(ok("activity", "list", "-f", "json").stdout)
    assert [(a["subject"], a["deal"]) for a in rows] == [("Other", "A;B"), ("Kickoff", "Website Redesign")]
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "activities", str(calls), "--preset", "hubspot").stderr


def test_hubspot_deals_link_an_associated_contact_written_as_name_and_address(ok, tmp_path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text("Record ID,Deal Name,Amount,Deal Stage,Associated Contact,Associated Company,Deal Description\n"
                     "11,A,100,appointmentscheduled,Jane Doe (jane@x.com),X Inc,Big one\n"
                     "12,B,200,appointmentscheduled,Jane Doe (jane@x.com);Bob Roe (bob@x.com),X Inc,\n",
                     encoding="utf-8")
    res = ok("import", "deals", str(deals), "--preset", "hubspot")
    assert "note: 1 row names several contacts (a;b): the first is linked, the cell is kept in extra" in res.stderr
    assert "also created 1 company (line 2: X Inc), 1 contact (line 2: jane@x.com)" in res.stderr
    rows = json.loads(ok("deal", "list", "-f", "json").stdout)
    assert [(d["contact"], d["notes"], d["extra"]) for d in rows] == [
        ("Jane Doe", "Big one", None), ("Jane Doe", None, {"Associated Contact": "Jane Doe (jane@x.com);Bob Roe"
                                                                               " (bob@x.com)"})]
    assert [(c["name"], c["email"]) for c in json.loads(ok("contact", "list", "-f", "json").stdout)] == [
        ("Jane Doe", "jane@x.com")]
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(deals), "--preset", "hubspot").stderr


def test_hubspot_primary_associations_name_the_company_and_contact(ok, tmp_path) -> None:
    """Newer HubSpot views export "Associated Company (Primary)": the one company, before the joined list."""
    deals = tmp_path / "d.csv"
    deals.write_text("Record ID,Deal Name,Amount,Deal Stage,Associated Company,Associated Company (Primary),"
                     "Associated Contact (Primary)\n"
                     "21,A,100,appointmentscheduled,Acme;Beta,Acme,ann@acme.io\n"
                     "22,B,100,appointmentscheduled,,Gamma,\n"
                     "23,C,100,appointmentscheduled,Delta,,\n", encoding="utf-8")  # (no primary: the associated one)
    res = ok("import", "deals", str(deals), "--preset", "hubspot")
    assert "also created 3 companies (the first, line 2: Acme), 1 contact (line 2: ann@acme.io)" in res.stderr
    rows = json.loads(ok("deal", "list", "-f", "json").stdout)
    assert [(d["company"], d["contact"], d["extra"]) for d in rows] == [
        ("Acme", "Ann", {"Associated Company": "Acme;Beta"}), ("Gamma", None, None),
        ("Delta", None, {"Associated Company": "Delta"})]


def test_a_column_dropped_by_map_is_not_read_by_the_presets_derive(ok: Run, tmp_path: Path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text("Record ID,Deal Name,Deal Stage,Associated Company\n1,A,Closed Won,Acme Corp\n", encoding="utf-8")
    ok("import", "deals", str(deals), "--preset", "hubspot", "--map", "Associated Company=-")
    assert sql(ok, "SELECT company_id FROM deals") == [{"company_id": None}]
    assert sql(ok, "SELECT count(*) AS n FROM companies") == [{"n": 0}]


def test_hubspots_not_forecasted_category_is_omitted(ok: Run, tmp_path: Path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text("Record ID,Deal Name,Deal Stage,Amount,Forecast category\n1,F1,Contract Sent,1000,Commit\n"
                     "2,F2,Qualified To Buy,1000,Not forecasted\n", encoding="utf-8")
    ok("import", "deals", str(deals), "--preset", "hubspot")
    assert sql(ok, "SELECT title, forecast_category FROM deals ORDER BY id") == [
        {"title": "F1", "forecast_category": "commit"}, {"title": "F2", "forecast_category": "omitted"}]


def test_a_salesforce_call_happened_on_its_activity_date_not_its_creation(ok: Run, tmp_path: Path) -> None:
    tasks = tmp_path / "Task.csv"
    tasks.write_text("Id,Subject,ActivityDate,Status,TaskSubtype,CreatedDate\n"
                     "00T1,Call back,2026-11-18,Completed,Call,2024-01-05T10:00:00.000+0000\n"
                     "00T2,Send deck,2026-11-30,Not Started,Task,2024-01-05T10:00:00.000+0000\n", encoding="utf-8")
    ok("import", "activities", str(tasks), "--preset", "salesforce")
    rows = sql(ok, "SELECT kind, occurred_at, due_date FROM activities ORDER BY id")
    assert rows == [{"kind": "call", "occurred_at": "2026-11-18", "due_date": None},  # (a bulk load's date: 2024)
                    {"kind": "task", "occurred_at": "2024-01-05", "due_date": "2026-11-30"}]


def test_an_export_imported_without_its_preset_is_told_which_one(cli: Run, ok: Run, tmp_path: Path) -> None:
    pipeline = tmp_path / "sales_pipeline.csv"
    pipeline.write_text("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
                        "1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n",
                        encoding="utf-8")
    res = cli("import", "deals", str(pipeline))
    assert res.stderr.splitlines()[1].startswith("Hint: these columns are a maven export's: --preset maven reads"
                                                 " them; nothing was imported")
    opps = tmp_path / "Opportunity.csv"
    opps.write_text("Id,Name,StageName,Amount,CloseDate,ForecastCategory,ForecastCategoryName,OwnerId,IsWon,"
                    "Probability,NextStep,LeadSource,Description,CreatedDate\n"
                    "006A,Big,Prospecting,100,2026-12-01,Pipeline,Pipeline,005A,false,10,,Web,,2026-11-01\n",
                    encoding="utf-8")
    res = cli("import", "deals", str(opps))
    assert res.exit_code == 4
    assert res.stderr.splitlines()[1].startswith("Hint: these columns are a salesforce export's: add --preset"
                                                 " salesforce (else: choose one:")
    plain = tmp_path / "deals.csv"
    plain.write_text("title,amount,stage\nX,100,Prospecting\n", encoding="utf-8")
    assert "preset" not in ok("import", "deals", str(plain)).stderr


def test_salesforce_events_are_meetings_held_on_their_day_or_planned(ok: Run, tmp_path: Path) -> None:
    events = tmp_path / "Event.csv"
    events.write_text("Id,Subject,ActivityDateTime,ActivityDate,OwnerId,EventSubtype,CreatedDate\n"
                      "00UA1,Review,2026-11-24T15:00:00.000+0000,2026-11-24,005A,Event,2026-11-20T10:00:00.000+0000\n"
                      "00UA2,Walkthrough,2026-12-10T15:00:00.000+0000,2026-12-10,005A,Event,2026-11-25T10:00:00.000Z\n",
                      encoding="utf-8")
    ok("import", "activities", str(events), "--preset", "salesforce")
    assert sql(ok, "SELECT kind, occurred_at, due_date FROM activities ORDER BY id") == [
        {"kind": "meeting", "occurred_at": "2026-11-24", "due_date": None},  # (not on the day it was entered)
        {"kind": "task", "occurred_at": "2026-11-25", "due_date": "2026-12-10"}]  # ahead: on the agenda
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "activities", str(events), "--preset",
                                                     "salesforce").stderr
    # the same export after the walkthrough was held: that task becomes the meeting
    assert "0 created, 1 updated, 1 unchanged" in ok("import", "activities", str(events), "--preset", "salesforce",
                                                     today="2026-12-11").stderr
    assert sql(ok, "SELECT kind, occurred_at, due_date FROM activities WHERE id = 2") == [
        {"kind": "meeting", "occurred_at": "2026-12-10", "due_date": None}]


def test_a_hubspot_tasks_export_imports_with_the_preset(ok: Run, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.csv"
    tasks.write_text("Record ID,Task Title,Task Type,Due Date,Task Status,Task assigned to,Associated Company\n"
                     "1,Call Ana back,CALL,2026-12-03,NOT_STARTED,dana,Acme\n"
                     "2,Send deck,EMAIL,2026-11-20,COMPLETED,dana,Acme\n"
                     "3,Chase PO,TODO,2026-11-25,NOT_STARTED,sam,Acme\n", encoding="utf-8")
    ok("import", "activities", str(tasks), "--preset", "hubspot")
    assert sql(ok, "SELECT kind, subject, occurred_at, due_date, owner FROM activities ORDER BY id") == [
        {"kind": "task", "subject": "Call Ana back", "occurred_at": "2026-11-26", "due_date": "2026-12-03",
         "owner": "dana"},
        {"kind": "email", "subject": "Send deck", "occurred_at": "2026-11-20", "due_date": None, "owner": "dana"},
        {"kind": "task", "subject": "Chase PO", "occurred_at": "2026-11-26", "due_date": "2026-11-25",
         "owner": "sam"}]


def test_a_planned_call_keeps_its_due_date(ok: Run, tmp_path: Path) -> None:
    planned = tmp_path / "activities.csv"
    planned.write_text("kind,subject,due_date\ncall,Planned call,2026-12-03\n", encoding="utf-8")
    ok("import", "activities", str(planned))  # (no status: a call ahead is planned, a task due that day)
    assert sql(ok, "SELECT kind, occurred_at, due_date, extra FROM activities") == [
        {"kind": "task", "occurred_at": "2026-11-26", "due_date": "2026-12-03", "extra": '{"planned_kind": "call"}'}]
    held = tmp_path / "held.csv"  # ... and one of a day gone by was held then
    held.write_text("kind,subject,due_date\nmeeting,Demo,2026-11-20\n", encoding="utf-8")
    ok("import", "activities", str(held))
    assert sql(ok, "SELECT kind, occurred_at, due_date FROM activities WHERE subject = 'Demo'") == [
        {"kind": "meeting", "occurred_at": "2026-11-20", "due_date": None}]
