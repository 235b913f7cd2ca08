"""import deals (and companies, contacts, activities, users): mapping, values, relations, dedupe,
history, safety (dry run, rejects, one transaction), batches and undo."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import digest

Run = Callable[..., Any]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """A CSV of these rows (their keys the header), as a spreadsheet saves an edited export."""
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def sql(ok: Run, query: str) -> list[dict[str, Any]]:
    return json.loads(ok("sql", query, "-f", "json").stdout)  # type: ignore[no-any-return]


HUBSPOTISH = """\
Deal Name,Amount,Close Date,Deal Stage,Deal owner,Company,Email,Region
Acme renewal,"12,000.50",2026-12-15,Qualification,sam,Acme Corp,ana@acme.io,EMEA
Globex pilot,900,2027-01-10,Proposal,lee,globex.com,bo@globex.com,
Initech expansion,$25k,2026-11-30,Negotiation,sam,Initech,,APAC
"""


@pytest.fixture
def deals_csv(tmp_path: Path) -> Path:
    return write(tmp_path, "deals.csv", HUBSPOTISH)


# -- mapping -------------------------------------------------------------------------------------------
def test_dry_run_prints_the_plan_and_mapping_and_writes_nothing(cli: Run, ok: Run, db: Path, deals_csv: Path) -> None:
    ok("init")
    before = digest(db)
    res = ok("import", "deals", str(deals_csv), "--dry-run")
    assert digest(db) == before
    assert res.stdout.startswith("Plan for deals.csv (dry run: nothing was written)\n")
    assert "  create: 3   update: 0   unchanged: 0   skip: 0   error: 0   (rows: 3)" in res.stdout
    assert ("would also create 3 companies (the first, line 2: Acme Corp), 2 contacts (the first, line 2:"
            " ana@acme.io)") in res.stdout
    lines = [line.split() for line in res.stdout.split("Mapping:\n")[1].splitlines()]
    assert ["Deal", "Name", "title", "alias"] in lines
    assert ["Email", "contact", "alias"] in lines
    assert ["Region", "extra.Region", "unmapped"] in lines
    assert "would import deals.csv: 3 rows — 3 created, 0 updated, 0 unchanged, 0 rejected" in res.stderr


def test_dry_run_without_a_database_creates_none(cli: Run, db: Path, deals_csv: Path) -> None:
    res = cli("import", "deals", str(deals_csv), "--dry-run")
    assert res.exit_code == 0 and "create: 3" in res.stdout
    assert not db.exists()


def test_aliases_values_relations_and_extra(ok: Run, deals_csv: Path) -> None:
    res = ok("import", "deals", str(deals_csv))
    assert "imported deals.csv: 3 rows — 3 created, 0 updated, 0 unchanged, 0 rejected (batch 1)" in res.stderr
    assert ("also created 3 companies (the first, line 2: Acme Corp), 2 contacts (the first, line 2: ana@acme.io)"
            in res.stderr)
    deals = sql(ok, "SELECT d.title, d.amount_minor, d.currency, d.expected_close, s.name AS stage, d.status,"
                    " d.probability, d.probability_set, d.forecast_category, d.owner, c.name AS company,"
                    " c.domain, p.email, d.extra FROM deals d JOIN stages s ON s.id = d.stage_id"
                    " LEFT JOIN companies c ON c.id = d.company_id LEFT JOIN contacts p ON p.id = d.contact_id"
                    " ORDER BY d.id")
    assert deals[0] == {"title": "Acme renewal", "amount_minor": 1200050, "currency": "USD",
                        "expected_close": "2026-12-15", "stage": "Qualification", "status": "open",
                        "probability": 20, "probability_set": 0, "forecast_category": "pipeline", "owner": "sam",
                        "company": "Acme Corp", "domain": None, "email": "ana@acme.io",
                        "extra": '{"Region": "EMEA"}'}
    assert (deals[1]["company"], deals[1]["domain"], deals[1]["amount_minor"], deals[1]["extra"]) == (
        "globex.com", "globex.com", 90000, None)
    assert (deals[2]["amount_minor"], deals[2]["extra"], deals[2]["email"]) == (2500000, '{"Region": "APAC"}', None)
    assert deals[2]["forecast_category"] == "commit"  # Negotiation 80
    users = [u["name"] for u in sql(ok, "SELECT name FROM users ORDER BY name")]
    assert users == ["lee", "sam"]


def test_map_option_overrides_and_names_missing_columns(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Opportunity,Worth,Account\nBig one,5k,Umbrella\n")
    ok("import", "deals", str(path), "--map", "Worth=amount")
    row = sql(ok, "SELECT title, amount_minor, extra FROM deals")[0]
    assert row == {"title": "Big one", "amount_minor": 500000, "extra": None}
    before = digest(db)
    res = cli("import", "deals", str(path), "--map", "Value=amount")
    assert res.exit_code == 4 and res.stderr.startswith('Error: d.csv: --map names column "Value"')
    assert digest(db) == before
    res = cli("import", "deals", str(path), "--map", "Worth=price")
    assert res.exit_code == 2 and '"price" is not a field of deals' in res.stderr


def test_two_columns_claiming_one_field_are_refused(cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Deal Name,Amount,Deal Value\nA,1,2\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4
    assert res.stderr.splitlines()[0] == 'Error: d.csv: columns "Amount" and "Deal Value" could each be amount'
    assert cli("import", "deals", str(path), "--map", "Deal Value=extra").exit_code == 0


def test_a_contact_column_beside_an_email_column_is_the_persons_name(ok: Run, cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Deal,Company,Contact,E-mail\nSite,Sunrise Dental,Mike Ross,mike@sunrise.com\n"
                                    "Logo,Sunrise Dental,Rachel Zane,\n")
    res = ok("import", "deals", str(path), "--dry-run")
    assert "  Contact  contact_name  alias (a name beside the e-mail column)\n  E-mail   contact       alias\n" \
        in res.stdout
    ok("import", "deals", str(path))
    assert sql(ok, "SELECT name, email FROM contacts ORDER BY id") == [
        {"name": "Mike Ross", "email": "mike@sunrise.com"}, {"name": "Rachel Zane", "email": None}]
    # two columns that could each hold the contact's e-mail are still refused: which one is not clear
    res = cli("import", "deals", str(write(tmp_path, "e.csv", "title,Email,Contact Email\nA,a@x.io,b@x.io\n")))
    assert res.exit_code == 4 and 'columns "Email" and "Contact Email" could each be contact' in res.stderr


def test_one_column_mapped_twice_by_map_is_refused(cli: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,Org\nA,Acme\n")
    res = cli("import", "deals", str(path), "--map", "Org=company", "--map", "Org=extra")
    assert (res.exit_code, res.stderr) == (2, 'Error: --map "Org=extra": column "Org" is already mapped to company'
                                              " by another --map; give one\n")
    res = cli("import", "deals", str(path), "--map", "Org=company", "--map", "org=extra")  # one column, as matched
    assert (res.exit_code, res.stderr) == (2, 'Error: --map "org=extra": column "Org" is already mapped to company'
                                              " by another --map; give one\n")
    assert not db.exists()


def test_missing_required_column_is_refused(cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Amount,Stage\n5,Qualification\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4
    assert res.stderr.startswith("Error: d.csv: no column gives the title or external_id of the deals")


def test_a_file_of_external_ids_and_amounts_updates_the_deals_it_names(cli: Run, ok: Run, db: Path,
                                                                       tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "d.csv", "id,title,amount,stage\nD1,Alpha,100,Proposal\n")))
    partial = write(tmp_path, "p.csv", "id,amount\nD1,150\nD9,5\n")
    before = digest(db)
    res = cli("import", "deals", str(partial), "--map", "id=external_id")
    assert res.exit_code == 4 and res.stderr.startswith(
        'Error: p.csv:3: title "" is required for a new deal (no deal has external id D9 to update)\n')
    assert digest(db) == before
    partial.write_text("id,amount\nD1,150\n")
    res = ok("import", "deals", str(partial), "--map", "id=external_id")
    assert "1 row — 0 created, 1 updated, 0 unchanged" in res.stderr
    assert sql(ok, "SELECT title, amount_minor, s.name AS stage FROM deals d JOIN stages s ON s.id = d.stage_id") == [
        {"title": "Alpha", "amount_minor": 15000, "stage": "Proposal"}]
    # the history says what the import changed, not when (updated_at is logged for import undo only)
    assert ok("history", "deal", "1", "-f", "csv").stdout.splitlines()[-1].split(",")[7] == (
        "amount: 100.00 USD → 150.00 USD")


def test_map_file_toml_with_value_maps_date_format_and_defaults(ok: Run, tmp_path: Path) -> None:
    mapping = write(tmp_path, "crm.toml", """
        [deals]
        columns = { "Opp" = "title", "Phase" = "stage", "Due" = "expected_close" }
        values = { stage = { "Engaging" = "Qualification", "Closed Won" = "Won" } }
        date_format = "%d.%m.%Y"
        defaults = { currency = "EUR" }
    """.replace("\n        ", "\n"))
    path = write(tmp_path, "d.csv", "Opp,Phase,Due,Amount\nA,Engaging,05.01.2027,100\nB,closed won,03.02.2026,7\n")
    ok("import", "deals", str(path), "--map-file", str(mapping))
    rows = sql(ok, "SELECT d.title, s.name AS stage, d.expected_close, d.won_at, d.currency FROM deals d"
                   " JOIN stages s ON s.id = d.stage_id ORDER BY d.id")
    assert rows == [
        {"title": "A", "stage": "Qualification", "expected_close": "2027-01-05", "won_at": None, "currency": "EUR"},
        {"title": "B", "stage": "Won", "expected_close": "2026-02-03", "won_at": "2026-02-03", "currency": "EUR"},
    ]


def test_map_file_json_and_bad_map_files(cli: Run, ok: Run, tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.json", json.dumps({"columns": {"Who": "owner"}, "day_first": True}))
    path = write(tmp_path, "d.csv", "title,Who,close\nA,kim,03/04/2027\n")
    ok("import", "deals", str(path), "--map-file", str(mapping))
    assert sql(ok, "SELECT owner, expected_close FROM deals") == [{"owner": "kim", "expected_close": "2027-04-03"}]
    bad = write(tmp_path, "bad.json", '{"colums": {}}')
    res = cli("import", "deals", str(path), "--map-file", str(bad))
    assert res.exit_code == 2 and 'unknown key "colums"' in res.stderr
    zoned = write(tmp_path, "zoned.json", json.dumps({"date_format": "%Y-%m-%dT%H:%M:%S.%f%z"}))
    stamped = write(tmp_path, "s.csv", "title,created\nZ,2024-01-22T16:14:00.000+0100\n")
    ok("import", "deals", str(stamped), "--map-file", str(zoned))  # a zone directive is a format too
    assert sql(ok, "SELECT created_at FROM deals WHERE title = 'Z'") == [{"created_at": "2024-01-22T16:14:00"}]
    bad = write(tmp_path, "bad.toml", 'date_format = "%d.%Q.%Y"')
    res = cli("import", "deals", str(path), "--map-file", str(bad))
    assert res.exit_code == 2
    assert res.stderr == ('Error: map file bad.toml: date_format "%d.%Q.%Y" is not a strftime format'
                          ' (example: "%d/%m/%Y")\n')


def test_a_renamed_column_kept_in_extra_is_said_with_the_map_that_reads_it(ok: Run, tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "v1.csv", "Deal Name,Amount,Stage\nA,100,Qualification\n")))
    # the next export calls the column "Amount (EUR)": kept in extra, which is an update, but said
    res = ok("import", "deals", str(write(tmp_path, "v2.csv", "Deal Name,Amount (EUR),Stage\nA,200,Qualification\n")))
    assert res.stderr.splitlines()[1:] == [
        'note: column "Amount (EUR)" is kept in extra, not read as amount: --map "Amount (EUR)=amount" reads it',
        "imported v2.csv: 1 row — 0 created, 1 updated, 0 unchanged, 0 rejected (batch 2)"]
    assert sql(ok, "SELECT amount_minor FROM deals") == [{"amount_minor": 10000}]
    res = ok("import", "deals", str(tmp_path / "v2.csv"), "--map", "Amount (EUR)=amount")
    assert res.stderr.splitlines()[1] == ('note: 1 deal\'s amount is in EUR, as its column "Amount (EUR)" says (a'
                                          " currency column would decide)")
    assert sql(ok, "SELECT amount_minor, currency FROM deals") == [{"amount_minor": 20000, "currency": "EUR"}]


def test_two_columns_kept_as_one_extra_key_are_named(cli: Run, ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,Color,extra.Color\nA,red,blue\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4
    assert res.stderr == ('Error: d.csv: columns "Color" and "extra.Color" would both be kept as extra "Color"\n'
                          'Hint: drop one: --map "extra.Color=-"\n')
    ok("import", "deals", str(path), "--map", "extra.Color=-")
    assert sql(ok, "SELECT extra FROM deals") == [{"extra": '{"Color": "red"}'}]


def test_a_column_saved_in_another_case_fills_the_extra_key_the_records_have(ok: Run, tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "a.csv", "title,company,product\nD1,Acme,GTX\n")))
    # the same file after a spreadsheet capitalised its header: the same key, not a second one beside it
    res = ok("import", "deals", str(write(tmp_path, "b.csv", "Title,Company,Product\nD1,Acme,GTX\n")))
    assert "0 created, 0 updated, 1 unchanged" in res.stderr
    plan = ok("import", "deals", str(write(tmp_path, "c.csv", "Title,Company,Product\nD1,Acme,GTY\n")), "--dry-run")
    assert ["Product", "extra.product", "unmapped,", "as", "stored"] in [
        line.split() for line in plan.stdout.split("Mapping:\n")[1].splitlines()]
    ok("import", "deals", str(tmp_path / "c.csv"))
    assert sql(ok, "SELECT extra FROM deals") == [{"extra": '{"product": "GTY"}'}]
    # a key differing by more than case (Margin %, beside Margin) is another key, and each column its own
    ok("import", "deals", str(write(tmp_path, "d.csv", "Title,Company,Margin,Margin %,product\nD1,Acme,1000,12,GTY\n")))
    ok("import", "deals", str(write(tmp_path, "e.csv", "Title,Company,Margin,Margin %,Product\nD1,Acme,1000,13,GTY\n")))
    assert json.loads(sql(ok, "SELECT extra FROM deals")[0]["extra"]) == {"product": "GTY", "Margin": "1000",
                                                                          "Margin %": "13"}


def test_map_files_layer_in_order(ok: Run, tmp_path: Path) -> None:
    team = write(tmp_path, "team.json", json.dumps({"columns": {"Who": "owner", "Phase": "stage"},
                                                   "values": {"stage": {"Offen": "Qualification"}}}))
    mine = write(tmp_path, "mine.toml", '[values.stage]\nOffen = "Proposal"\nZu = "Won"\n')
    path = write(tmp_path, "d.csv", "title,Who,Phase,Amount,Close\nA,kim,Offen,5,2027-01-05\nB,kim,Zu,7,2026-11-02\n")
    ok("import", "deals", str(path), "--map-file", str(team), "--map-file", str(mine))
    assert sql(ok, "SELECT d.owner, s.name AS stage FROM deals d JOIN stages s ON s.id = d.stage_id ORDER BY d.id") \
        == [{"owner": "kim", "stage": "Proposal"}, {"owner": "kim", "stage": "Won"}]


def test_a_map_file_column_the_file_lacks_is_refused_when_its_field_goes_unread(cli: Run, ok: Run, db: Path,
                                                                                 tmp_path: Path) -> None:
    ok("init")
    path = write(tmp_path, "d.csv", "Opportunity,Phase,Closing\nA,Offen,2027-01-05\nB,Zu,2026-11-02\n")
    typo = write(tmp_path, "typo.toml", '[columns]\n"Opportunity" = "title"\n"Phse" = "stage"\n'
                                        '"Closing" = "expected_close"\n[values.stage]\nZu = "Won"\n')
    before = digest(db)
    res = cli("import", "deals", str(path), "--map-file", str(typo))
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr == ('Error: d.csv: map file typo.toml maps column "Phse" to stage, which the file does not'
                          ' have; its column "Phase" is kept in extra\nHint: a typo? map "Phase" instead\n')
    # a column no other is spelt like is one this export lacks (a map file serves several exports): no error
    optional = write(tmp_path, "opt.toml", '[columns]\n"Opportunity" = "title"\n"Phase" = "stage"\n'
                                           '"Close Date" = "expected_close"\n[values.stage]\nOffen = "Qualification"'
                                           '\nZu = "Won"\n')
    ok("import", "deals", str(write(tmp_path, "o.csv", "Opportunity,Phase\nO1,Offen\n")), "--map-file",
       str(optional))
    # a map file listing the headers of several exports: a column another one fills, or one for extra, may be absent
    both = write(tmp_path, "both.json", json.dumps({"deals": {"columns": {
        "Opportunity": "title", "Deal Name": "title", "Phase": "stage", "Notes": "extra", "Closing": "expected_close"},
        "values": {"stage": {"Offen": "Qualification", "Zu": "Won"}}}}))
    ok("import", "deals", str(path), "--map-file", str(both))
    assert [r["status"] for r in sql(ok, "SELECT status FROM deals ORDER BY id")] == ["open", "open", "won"]
    # the top level of a map file with tables per entity is for every file: a column there may be missing
    shared = write(tmp_path, "shared.json", json.dumps({"columns": {"Rep": "owner"},
                                                        "deals": {"columns": {"Opportunity": "title"}}}))
    ok("import", "deals", str(write(tmp_path, "e.csv", "Opportunity\nC\n")), "--map-file", str(shared))
    ok("import", "companies", str(write(tmp_path, "c.csv", "name\nAcme\n")), "--map-file", str(shared))


def test_map_file_values_must_be_text(cli: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,Rep\nA,Ann Able\n")
    for body, error in [
        ({"defaults": {"source": None}}, "defaults.source must be text, not null"),
        ({"values": {"owner": {"Ann Able": None}}}, "values.owner.Ann Able must be text, not null"),
        ({"defaults": {"lost_reason": False}}, "defaults.lost_reason must be text, not false"),
        ({"columns": {"Rep": None}}, "columns.Rep must be text, not null"),
        ({"entry_stage": ["Proposal"]}, "entry_stage must be text, not list"),
    ]:
        mapping = write(tmp_path, "m.json", json.dumps(body))
        res = cli("import", "deals", str(path), "--map-file", str(mapping))
        assert (res.exit_code, res.stderr) == (2, f"Error: map file m.json: {error}\n")
        assert not db.exists()
    mapping = write(tmp_path, "n.json", json.dumps({"defaults": {"amount": 1200}}))  # a number is its text
    cli("import", "deals", str(path), "--map-file", str(mapping))
    assert sql(cli, "SELECT amount_minor FROM deals") == [{"amount_minor": 120000}]


def test_a_later_map_wins_however_the_column_is_spelt(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,Client\nA,Acme\n")
    first = write(tmp_path, "first.toml", '[columns]\n"Client" = "company"\n')
    later = write(tmp_path, "later.toml", '[columns]\n"CLIENT" = "source"\n')

    def used(*options: str) -> list[str]:
        plan = ok("import", "deals", str(path), "--map-file", str(first), *options, "--dry-run").stdout
        return next(line.split() for line in plan.splitlines() if line.strip().startswith("Client"))

    assert used("--map", "client=source") == ["Client", "source", "--map"]
    assert used("--map-file", str(later)) == ["Client", "source", "map", "file", "later.toml"]


def test_an_import_makes_no_user_of_a_reserved_name_nor_a_pipeline_named_by_a_number(cli: Run, ok: Run, db: Path,
                                                                                      tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    for entity, text, error, *options in [
        ("deals", "title,owner\nX2,deal-owner\n", 'd.csv:2: owner "deal-owner" cannot be a user\'s name: an'
                                                   ' automation\'s owner "deal-owner" means the deal\'s owner'),
        ("users", "name\nteam:East\n", 'd.csv:2: name "team:East" cannot be a user\'s name: "team:" names a team'),
        ("deals", "title,pipeline,stage\nX3,2,Open\n", 'd.csv:2: pipeline "2" is a number, which names the pipeline'
                                                       " of that id: a new pipeline needs a word", "--create-stages"),
    ]:
        res = cli("import", entity, str(write(tmp_path, "d.csv", text)), *options)
        assert res.exit_code == 4 and res.stderr.startswith(f"Error: {error}"), res.stderr
        assert digest(db) == before


def test_an_entry_stage_that_is_no_open_stage_is_refused(cli: Run, ok: Run, tmp_path: Path) -> None:
    ok("init")
    path = write(tmp_path, "d.csv", "title,stage\nA,Won\n")
    for stage, what in [("Nowhere", "no stage of any pipeline"), ("won", "a won stage")]:
        mapping = write(tmp_path, "e.json", json.dumps({"deals": {"entry_stage": stage}}))
        res = cli("import", "deals", str(path), "--map-file", str(mapping))
        assert res.exit_code == 2
        assert res.stderr == (f'Error: map file e.json: entry_stage "{stage}" is {what}\nHint: name an open stage:'
                              " Needs Analysis, Negotiation, Proposal, Prospecting, Qualification\n")
    assert sql(ok, "SELECT count(*) AS n FROM deals") == [{"n": 0}]
    mapping = write(tmp_path, "e.json", json.dumps({"deals": {"entry_stage": "needs analysis"}}))
    ok("import", "deals", str(path), "--map-file", str(mapping))
    assert sql(ok, "SELECT s.name FROM stage_history h JOIN stages s ON s.id = h.to_stage_id ORDER BY h.id") == [
        {"name": "Prospecting"}, {"name": "Needs Analysis"}, {"name": "Won"}]


# -- values -----------------------------------------------------------------------------------------------
def test_ambiguous_dates_name_the_column_and_lines(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    path = write(tmp_path, "d.csv", "title,close\nA,03/04/2027\nB,25/04/2027\nC,05/06/2027\n")
    before = digest(db)
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0].startswith('Error: d.csv:2: close "03/04/2027" is ambiguous (day/month)')
    assert 'column "close" has 2 ambiguous day/month dates (lines 2, 4); pass --day-first or --month-first' \
        in res.stderr
    ok("import", "deals", str(path), "--day-first")
    assert [r["expected_close"] for r in sql(ok, "SELECT expected_close FROM deals ORDER BY id")] == \
        ["2027-04-03", "2027-04-25", "2027-06-05"]


def test_month_first_and_the_day_first_setting(cli: Run, ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,close\nA,03/04/2027\n")
    ok("import", "deals", str(path), "--month-first")
    assert sql(ok, "SELECT expected_close FROM deals") == [{"expected_close": "2027-03-04"}]
    ok("config", "set", "day_first", "true")
    path2 = write(tmp_path, "e.csv", "title,close\nB,03/04/2027\n")
    ok("import", "deals", str(path2))
    assert sql(ok, "SELECT expected_close FROM deals WHERE title = 'B'") == [{"expected_close": "2027-04-03"}]


def test_a_number_the_date_format_reads_is_no_spreadsheet_day_number(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,close\nA,11226\nB,45292\n")
    spec = write(tmp_path, "m.json", '{"date_format": "%d%m%y"}')
    res = ok("import", "deals", str(path), "--map-file", str(spec))
    assert [line for line in res.stderr.splitlines() if "spreadsheet" in line] == [
        'note: 1 date in column "close" was a spreadsheet day number (45292 read as 2024-01-01); if the column'
        " holds no dates, map it elsewhere (--map)"]
    assert [r["expected_close"] for r in sql(ok, "SELECT expected_close FROM deals ORDER BY id")] == [
        "2026-02-11", "2024-01-01"]


def test_relative_excel_and_timestamp_dates(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,close,created\nA,+30d,-30d\nB,46000,2024-01-22T16:14:25.000+0000\n"
                                    "C,Dec 5 2026,2026-11-01 09:30\nD,46000.5,45292.75\n"
                                    "E,2026-12-01,12/15/2025 2:30 PM\nF,2026-12-01,15.12.2025 14:05\n"
                                    "G,2026-12-01,Dec 15 2025 12:10 am\n")
    res = ok("import", "deals", str(path))
    assert [line for line in res.stderr.splitlines() if "spreadsheet" in line] == [
        'note: 2 dates in column "close" were spreadsheet day numbers (the first: 46000 read as 2025-12-09); if the'
        " column holds no dates, map it elsewhere (--map)",
        'note: 1 date in column "created" was a spreadsheet day number (45292.75 read as 2024-01-01); if the column'
        " holds no dates, map it elsewhere (--map)"]
    rows = sql(ok, "SELECT expected_close, created_at FROM deals ORDER BY id")
    assert rows == [
        {"expected_close": "2026-12-26", "created_at": "2026-10-27T00:00:00"},
        {"expected_close": "2025-12-09", "created_at": "2024-01-22T16:14:25"},
        {"expected_close": "2026-12-05", "created_at": "2026-11-01T09:30:00"},
        {"expected_close": "2025-12-09", "created_at": "2024-01-01T18:00:00"},  # a serial's fraction is the time
        # a spreadsheet's own forms keep their time of day too
        {"expected_close": "2026-12-01", "created_at": "2025-12-15T14:30:00"},
        {"expected_close": "2026-12-01", "created_at": "2025-12-15T14:05:00"},
        {"expected_close": "2026-12-01", "created_at": "2025-12-15T00:10:00"},
    ]


@pytest.mark.parametrize(("cell", "message"), [
    ("12,0,0", 'amount "12,0,0" has misplaced thousands separators'),
    ("-5", 'amount "-5" is negative'),
    ("NaN", 'amount "NaN" is not an amount'),
    ("1e5", 'amount "1e5" uses exponent notation'),
    ("99999999999999999", 'amount "99999999999999999" is too large'),
])
def test_bad_amounts_are_refused(cli: Run, tmp_path: Path, cell: str, message: str) -> None:
    path = write(tmp_path, "d.csv", f'title,amount\nA,"{cell}"\n')
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4 and res.stderr.startswith(f"Error: d.csv:2: {message}")


def test_unknown_stages_are_listed_with_counts_or_created(cli: Run, ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,stage\nA,Engaging\nB,Engaging\nC,Demo\nD,Qualification\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4
    assert res.stderr.splitlines()[0] == ('Error: d.csv:2: stage "Engaging" is not a stage of pipeline Default'
                                          " (map it with a value map, or pass --create-stages)")
    assert 'unknown stages: "Engaging" (2 rows), "Demo" (1 row)' in res.stderr
    res = ok("import", "deals", str(path), "--create-stages")
    assert "created stage Engaging (open, 10%) in pipeline Default" in res.stderr  # (not Negotiation's 80%)
    assert ("note: a new open stage takes the lowest probability of its pipeline's open stages and goes after the"
            " stages of that probability; set both with salescli pipeline stage-edit PIPELINE STAGE -p N --after STAGE"
            ) in res.stderr.splitlines()
    # (among the early stages: not past Proposal, whose rules `db check` would hold it to, nor the entry stage)
    names = [r["name"] for r in sql(ok, "SELECT name FROM stages WHERE pipeline_id = 1 ORDER BY position")]
    assert names == ["Prospecting", "Engaging", "Demo", "Qualification", "Needs Analysis", "Proposal", "Negotiation",
                     "Won", "Lost"]
    assert "lacks what" not in res.stderr and ok("db", "check").exit_code == 0


def test_a_stage_written_with_dashes_or_underscores_is_the_stage_that_reads_so(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,stage\nA,needs-analysis\nB,NEEDS_ANALYSIS\n")
    res = ok("import", "deals", str(path), "--create-stages")  # nothing to create: each reads as a stage
    assert "created stage" not in res.stderr
    assert [(r["title"], r["stage"]) for r in sql(ok, "SELECT d.title, s.name AS stage FROM deals d JOIN stages s"
                                                      " ON s.id = d.stage_id ORDER BY d.id")] == [
        ("A", "Needs Analysis"), ("B", "Needs Analysis")]


def test_status_with_the_open_stage_it_closed_from(ok: Run, cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,stage,status,close\nA,Proposal,won,2026-10-01\nB,Won,open,2026-10-01\n")
    res = cli("import", "deals", str(path), "--on-error", "skip")
    assert res.exit_code == 0 and "1 rejected" in res.stderr
    assert "d.csv:3: status \"open\" does not match stage Won (won)" in res.stderr
    # salescli's own export gives a closed deal its won/lost stage: an open stage there is an edit to refuse
    exported = tmp_path / "x.csv"
    ok("export", "deals", "-o", str(exported))
    exported.write_text(exported.read_text(encoding="utf-8").replace(",Won,won,", ",Negotiation,won,"),
                        encoding="utf-8")
    before = sql(ok, "SELECT id, stage_id, status FROM deals")
    res = cli("import", "deals", str(exported))
    assert res.exit_code == 4
    assert res.stderr == ('Error: x.csv:2: status "won" does not match stage Negotiation (open): to reopen the deal'
                          " set status to open; to close it set stage to its won stage\nHint: nothing was imported\n")
    assert sql(ok, "SELECT id, stage_id, status FROM deals") == before
    hist = sql(ok, "SELECT f.name AS from_stage, t.name AS to_stage, h.changed_at FROM stage_history h"
                   " JOIN stages t ON t.id = h.to_stage_id LEFT JOIN stages f ON f.id = h.from_stage_id ORDER BY h.id")
    assert hist == [{"from_stage": None, "to_stage": "Prospecting", "changed_at": "2026-10-01T00:00:00"},
                    {"from_stage": "Prospecting", "to_stage": "Proposal", "changed_at": "2026-10-01T00:00:00"},
                    {"from_stage": "Proposal", "to_stage": "Won", "changed_at": "2026-10-01T00:00:00"}]


# -- history ------------------------------------------------------------------------------------------
def test_history_of_imported_deals_feeds_the_reports(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "external_id,title,stage,created,close,amount\n"
                                    "X1,Won one,Won,2026-01-10,2026-03-01,1000\n"
                                    "X2,Lost one,Lost,2026-02-01,2026-02-20,0\n"
                                    "X3,Open one,Proposal,2026-03-05,2026-12-01,500\n")
    ok("import", "deals", str(path))
    deals = sql(ok, "SELECT external_id, status, won_at, lost_at, stage_entered_at, created_at, probability,"
                    " forecast_category FROM deals ORDER BY id")
    assert deals == [
        {"external_id": "X1", "status": "won", "won_at": "2026-03-01", "lost_at": None,
         "stage_entered_at": "2026-03-01T00:00:00", "created_at": "2026-01-10T00:00:00", "probability": 100,
         "forecast_category": "closed"},
        {"external_id": "X2", "status": "lost", "won_at": None, "lost_at": "2026-02-20",
         "stage_entered_at": "2026-02-20T00:00:00", "created_at": "2026-02-01T00:00:00", "probability": 0,
         "forecast_category": "closed"},
        {"external_id": "X3", "status": "open", "won_at": None, "lost_at": None,
         "stage_entered_at": "2026-03-05T00:00:00", "created_at": "2026-03-05T00:00:00", "probability": 60,
         "forecast_category": "best_case"},
    ]
    hist = sql(ok, "SELECT h.deal_id, f.name AS from_stage, t.name AS to_stage, h.changed_at FROM stage_history h"
                   " JOIN stages t ON t.id = h.to_stage_id LEFT JOIN stages f ON f.id = h.from_stage_id ORDER BY h.id")
    assert hist == [
        {"deal_id": 1, "from_stage": None, "to_stage": "Prospecting", "changed_at": "2026-01-10T00:00:00"},
        {"deal_id": 1, "from_stage": "Prospecting", "to_stage": "Won", "changed_at": "2026-03-01T00:00:00"},
        {"deal_id": 2, "from_stage": None, "to_stage": "Prospecting", "changed_at": "2026-02-01T00:00:00"},
        {"deal_id": 2, "from_stage": "Prospecting", "to_stage": "Lost", "changed_at": "2026-02-20T00:00:00"},
        {"deal_id": 3, "from_stage": None, "to_stage": "Prospecting", "changed_at": "2026-03-05T00:00:00"},
        {"deal_id": 3, "from_stage": "Prospecting", "to_stage": "Proposal", "changed_at": "2026-03-05T00:00:00"},
    ]
    ok("db", "check")


def test_probability_and_forecast_category_from_the_file(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,stage,probability,forecast category\nA,Negotiation,0,Best Case\n"
                                    "B,Qualification,20,Pipeline\nC,Qualification,35,\n")
    ok("import", "deals", str(path))
    rows = sql(ok, "SELECT probability, probability_set, forecast_category, forecast_category_set FROM deals")
    assert rows == [
        {"probability": 0, "probability_set": 1, "forecast_category": "best_case", "forecast_category_set": 1},
        {"probability": 20, "probability_set": 0, "forecast_category": "pipeline", "forecast_category_set": 0},
        {"probability": 35, "probability_set": 1, "forecast_category": "pipeline", "forecast_category_set": 0},
    ]


# -- relations ------------------------------------------------------------------------------------------
def test_relations_by_natural_keys_and_no_create(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("company", "add", "Acme Corp", "--domain", "acme.io")
    ok("contact", "add", "Ana Silva", "--email", "ana@acme.io", "--company", "acme.io")
    path = write(tmp_path, "d.csv", "title,company,contact\nA,ACME CORP,Ana@Acme.io\nB,acme.io,Ana Silva\n")
    res = ok("import", "deals", str(path), "--no-create")
    assert "also created" not in res.stderr
    assert sql(ok, "SELECT company_id, contact_id FROM deals") == [{"company_id": 1, "contact_id": 1}] * 2
    before = digest(db)
    bad = write(tmp_path, "e.csv", "title,company\nC,Nowhere Ltd\n")
    res = cli("import", "deals", str(bad), "--no-create")
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.startswith('Error: e.csv:2: company "Nowhere Ltd" is not a known company (--no-create is set)')


def test_ambiguous_company_lists_the_candidates(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("company", "add", "Acme", "--domain", "acme.io")
    ok("company", "add", "Acme", "--domain", "acme.de")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,company\nA,acme\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: d.csv:2: company "acme" is ambiguous: 2 companies match'
                                          " (1 Acme <acme.io>; 2 Acme <acme.de>); give a domain, e-mail or external"
                                          " id instead")
    ok("import", "deals", write(tmp_path, "e.csv", "title,company\nA,acme.de\n").as_posix())


# -- dedupe and update -----------------------------------------------------------------------------------
def test_reimport_changes_nothing(ok: Run, db: Path, deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    before = digest(db)
    res = ok("import", "deals", str(deals_csv), "-f", "json")
    assert res.stderr.splitlines()[-1] == "imported deals.csv: 3 rows — 0 created, 0 updated, 3 unchanged, 0 rejected"
    assert json.loads(res.stdout)["batch_id"] is None
    assert digest(db) == before  # not even an empty batch


def test_update_writes_only_changed_fields_with_history(ok: Run, tmp_path: Path, deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    changed = write(tmp_path, "deals2.csv", HUBSPOTISH.replace('"12,000.50"', "13000").replace("Proposal", "Won"))
    res = ok("import", "deals", str(changed), "-f", "json")
    summary = json.loads(res.stdout)
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["batch_id"]) == (0, 2, 1, 2)
    history = sql(ok, "SELECT entity_id, action, batch_id, before, after FROM changes WHERE batch_id = 2")
    assert history[0] == {"entity_id": 1, "action": "update", "batch_id": 2,
                          "before": '{"amount_minor": 1200050}', "after": '{"amount_minor": 1300000}'}
    won = sql(ok, "SELECT status, won_at, probability, forecast_category, stage_entered_at FROM deals WHERE id = 2")
    # (its close date, 2027-01-10, is still ahead: won today, as `deal won` dates it)
    assert won == [{"status": "won", "won_at": "2026-11-26", "probability": 100, "forecast_category": "closed",
                    "stage_entered_at": "2026-11-26T00:00:00"}]
    moves = sql(ok, "SELECT from_stage_id, to_stage_id FROM stage_history WHERE deal_id = 2 ORDER BY id")
    assert moves == [{"from_stage_id": None, "to_stage_id": 1}, {"from_stage_id": 1, "to_stage_id": 4},
                     {"from_stage_id": 4, "to_stage_id": 6}]


def test_on_duplicate_skip_and_error(cli: Run, ok: Run, db: Path, tmp_path: Path, deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    changed = write(tmp_path, "deals2.csv", HUBSPOTISH.replace('"12,000.50"', "13000"))
    res = ok("import", "deals", str(changed), "--on-duplicate", "skip")
    assert "0 created, 0 updated, 2 unchanged, 1 skipped, 0 rejected" in res.stderr
    before = digest(db)
    res = cli("import", "deals", str(changed), "--on-duplicate", "error")
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: deals2.csv:2: already exists as deal 1 (title "Acme renewal" and'
                                          ' company "Acme Corp"); --on-duplicate error refuses it')


def test_duplicates_inside_the_file_name_both_lines(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    rows = "".join(f"X{i},Deal {i}\n" for i in range(1, 2500)) + "X7,Again\n"
    path = write(tmp_path, "d.csv", "external_id,title\nA1,First\n" + rows + "A1,Twice\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: d.csv:2502: duplicates line 9 (external id "X7");'
                                          " fix one of the two lines")
    res = cli("import", "deals", str(path), "--dry-run")
    assert 'd.csv:2503: duplicates line 2 (external id "A1"); fix one of the two lines' in res.stdout
    companies = write(tmp_path, "c.csv", "name,domain\nAcme,acme.io\nAcme Inc,ACME.io\n")
    res = cli("import", "companies", str(companies))
    assert res.stderr.splitlines()[0] == ("Error: c.csv:3: duplicates line 2 (domain acme.io);"
                                          " fix one of the two lines")


def test_the_same_deal_twice_with_a_company_the_file_creates_is_a_duplicate(cli: Run, ok: Run, db: Path,
                                                                            tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,company,amount\nD1,Acme,100\nd1,ACME,100\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: d.csv:3: duplicates line 2 (title "d1" and company "ACME");'
                                          " fix one of the two lines")
    two = write(tmp_path, "two.csv", "title,company,amount\nD1,Acme,100\nD2,Acme,100\n")
    assert "2 created" in ok("import", "deals", str(two)).stderr
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(two)).stderr


def test_a_file_writing_dates_both_ways_is_refused_without_a_setting(cli: Run, ok: Run, db: Path,
                                                                    tmp_path: Path) -> None:
    """A UK export and a US one pasted together: 13/04 only reads day first, 04/30 only month first."""
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,Close Date\nA,13/04/2026\nB,14/04/2026\nC,04/30/2026\n")
    res = cli("import", "deals", str(path))
    assert (res.exit_code, res.stdout) == (4, "") and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: d.csv:4: Close Date "04/30/2026" is written month first, but'
                                          " 13/04/2026 in this file is day first; say how the file writes its dates"
                                          " with --day-first or --month-first")
    one_way = write(tmp_path, "e.csv", "title,Close Date\nA,13/04/2026\nB,14/04/2026\n")
    ok("import", "deals", str(one_way))  # (each date reads one way only: no setting needed)
    assert [d["expected_close"] for d in json.loads(ok("deal", "list", "-f", "json").stdout)] == [
        "2026-04-13", "2026-04-14"]


def test_a_date_that_contradicts_the_date_setting_is_refused(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    """03/04/2026 read month first and 13/04/2026 read day first would be one column read two ways."""
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,Close Date\nA,03/04/2026\nC,13/04/2026\n")
    res = cli("import", "deals", str(path), "--month-first")
    assert (res.exit_code, res.stdout) == (4, "") and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: d.csv:3: Close Date "13/04/2026" is written day first, but dates'
                                          " are read month first here; use --day-first if the file writes them so")
    spec = write(tmp_path, "m.json", '{"date_format": "%m/%d/%Y"}')
    res = cli("import", "deals", str(path), "--map-file", str(spec))
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: d.csv:3: Close Date "13/04/2026" does not match the date format'
                                          " %m/%d/%Y")
    ok("import", "deals", str(path), "--day-first")
    closes = [d["expected_close"] for d in json.loads(ok("deal", "list", "-f", "json").stdout)]
    assert closes == ["2026-04-03", "2026-04-13"]


def history_rows(ok: Run) -> list[dict[str, Any]]:
    return sql(ok, "SELECT deal_id, from_stage_id, to_stage_id, changed_at, batch_id FROM stage_history ORDER BY id")


def test_an_update_closing_before_the_last_stage_change_is_refused(cli: Run, ok: Run, db: Path,
                                                                   tmp_path: Path) -> None:
    # the deal entered Qualification on 2026-03-10 (no created date in the file: the import day);
    # a file saying it was won on 2026-03-05 would put Won before that in its history
    ok("import", "deals", str(write(tmp_path, "h1.csv", "id,title,company,stage\nE1,Big deal,Acme,Qualification\n")),
       today="2026-03-10")
    before = digest(db)
    won = write(tmp_path, "h2.csv", "id,title,company,stage,close date\nE1,Big deal,Acme,Won,2026-03-05\n")
    res = cli("import", "deals", str(won), today="2026-03-12")
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == ('Error: h2.csv:2: close date "2026-03-05" is before deal 1 entered'
                                          " Qualification (2026-03-10); stage history runs forward")
    assert "note:" not in res.stderr  # no note claiming the created date moved: an existing deal keeps it
    res = cli("import", "deals", str(won), "--on-error", "skip", "--rejects", str(tmp_path / "r.csv"),
              today="2026-03-12")
    assert res.exit_code == 4 and "created date" not in res.stderr  # no good row: nothing imported, exit 4
    assert res.stderr.splitlines()[1] == f"Hint: its one row was rejected, nothing was imported; every row and its" \
                                         f" reason are in {tmp_path / 'r.csv'}"
    assert "stage history runs forward" in (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert digest(db)["stage_history"] == before["stage_history"]
    ok("db", "check")
    # closed on or after the last stage change: updated, Won dated at the close date, history in order
    later = write(tmp_path, "h3.csv", "id,title,company,stage,close date\nE1,Big deal,Acme,Won,2026-03-11\n")
    res = ok("import", "deals", str(later), today="2026-03-12")
    assert "1 updated" in res.stderr and "note:" not in res.stderr
    assert sql(ok, "SELECT created_at, won_at, stage_entered_at FROM deals") == [
        {"created_at": "2026-03-10T00:00:00", "won_at": "2026-03-11", "stage_entered_at": "2026-03-11T00:00:00"}]
    assert history_rows(ok) == [
        {"deal_id": 1, "from_stage_id": None, "to_stage_id": 1, "changed_at": "2026-03-10T00:00:00", "batch_id": 1},
        {"deal_id": 1, "from_stage_id": 1, "to_stage_id": 2, "changed_at": "2026-03-10T00:00:00", "batch_id": 1},
        {"deal_id": 1, "from_stage_id": 2, "to_stage_id": 6, "changed_at": "2026-03-11T00:00:00", "batch_id": 2},
    ]
    ok("db", "check")


def test_a_new_deal_closed_before_its_created_date_still_moves_it(ok: Run, tmp_path: Path) -> None:
    res = ok("import", "deals", str(write(tmp_path, "n.csv", "id,title,company,stage,close date\n"
                                                              "E9,New,Acme,Won,2026-03-05\n")), today="2026-03-12")
    assert "note: 1 won/lost deal closed before its created date (created date set to the close date)\n" \
        in res.stderr
    assert sql(ok, "SELECT created_at, won_at FROM deals") == [{"created_at": "2026-03-05T00:00:00",
                                                                "won_at": "2026-03-05"}]
    ok("db", "check")


def test_a_status_change_clears_what_the_old_status_left(ok: Run, db: Path, tmp_path: Path) -> None:
    """Lost -> Won -> open by re-import: no lost date or reason left on a won deal, as `deal reopen` clears
    them; undo restores them."""
    ok("import", "deals", str(write(tmp_path, "a.csv", "id,title,stage,close date,lost reason,loss category\n"
                                                      "X1,Alpha,Lost,2026-02-01,too dear,price\n")))
    ok("import", "deals", str(write(tmp_path, "b.csv", "id,title,stage,close date\nX1,Alpha,Won,2026-02-20\n")))
    fields = "SELECT status, won_at, lost_at, lost_reason, lost_category FROM deals"
    assert sql(ok, fields) == [{"status": "won", "won_at": "2026-02-20", "lost_at": None, "lost_reason": None,
                                "lost_category": None}]
    summary = json.loads(ok("history", "deal", "1", "-f", "json").stdout)[-1]["summary"]
    assert summary.endswith("lost_at: 2026-02-01 → ∅; lost_reason: too dear → ∅; lost_category: price → ∅")
    ok("import", "undo", "2", "--yes")
    assert sql(ok, fields) == [{"status": "lost", "won_at": None, "lost_at": "2026-02-01", "lost_reason": "too dear",
                                "lost_category": "price"}]
    ok("import", "deals", str(write(tmp_path, "c.csv", "id,title,stage,close date,amount\n"
                                                      "X1,Alpha,Proposal,2026-04-20,500\n")), today="2026-03-01")
    assert sql(ok, fields) == [{"status": "open", "won_at": None, "lost_at": None, "lost_reason": None,
                                "lost_category": None}]
    ok("db", "check")


def test_deals_that_break_their_stage_rules_are_imported_with_a_note(cli: Run, ok: Run, tmp_path: Path) -> None:
    """DESIGN: an import records deals as they were; `db check` lists those that break their stage's rules,
    and the import says how many it wrote."""
    path = write(tmp_path, "d.csv", "title,stage,amount,close\nNo amount,Proposal,,2026-05-01\n"
                                    "Complete,Negotiation,5,2026-05-01\nEarly,Prospecting,,\n")
    res = ok("import", "deals", str(path), "-f", "json")
    assert "note: 1 open deal lacks what its stage requires (`salescli db check` lists it)\n" in res.stderr
    assert json.loads(res.stdout)["row_notes"] == [
        "1 open deal lacks what its stage requires (`salescli db check` lists it)"]
    res = cli("db", "check", "-f", "json")  # listed as a warning: the check itself passes
    assert res.exit_code == 0 and json.loads(res.stdout) == [
        {"check": "missing required field", "level": "warning", "entity": "deal", "id": 1,
         "detail": "in Proposal without amount"}]
    res = ok("import", "deals", str(path))  # nothing written this time: no note
    assert "0 created, 0 updated, 3 unchanged" in res.stderr and "note:" not in res.stderr
    res = ok("import", "deals", str(write(tmp_path, "e.csv", "title,stage,amount,close\n"
                                                            "Early,Proposal,,\nFresh,Negotiation,,\n")))
    assert "note: 2 open deals lack what their stage requires (`salescli db check` lists them)\n" in res.stderr
    assert "1 created, 1 updated, 0 unchanged" in res.stderr  # (an empty cell leaves a field as it is)


def test_an_update_into_a_stage_on_the_day_it_entered_the_last(ok: Run, tmp_path: Path) -> None:
    # lost on 2026-03-05, then the file says won on 2026-03-05: stage_entered_at does not change
    ok("import", "deals", str(write(tmp_path, "l1.csv", "id,title,company,stage,close date\n"
                                                        "E1,Big deal,Acme,Lost,2026-03-05\n")), today="2026-03-10")
    res = ok("import", "deals", str(write(tmp_path, "l2.csv", "id,title,company,stage,close date\n"
                                                              "E1,Big deal,Acme,Won,2026-03-05\n")), today="2026-03-12")
    assert "1 updated" in res.stderr
    assert [(h["from_stage_id"], h["to_stage_id"], h["changed_at"]) for h in history_rows(ok)][-1] == (
        7, 6, "2026-03-05T00:00:00")
    ok("db", "check")


# -- safety ---------------------------------------------------------------------------------------------
def test_on_error_skip_with_no_good_row_fails_and_keeps_the_rejects(cli: Run, ok: Run, db: Path,
                                                                    tmp_path: Path) -> None:
    """A cron job must not read 'every row rejected' as success: exit 4, nothing on stdout."""
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,amount\nA,abc\nB,-5\n")
    rejects = tmp_path / "rejects.csv"
    res = cli("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects), "-f", "json")
    assert (res.exit_code, res.stdout) == (4, "") and digest(db) == before
    assert res.stderr == (
        'Error: d.csv:2: amount "abc" is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)\n'
        f"Hint: all 2 rows were rejected, nothing was imported; every row and its reason are in {rejects}\n")
    assert rejects.read_text().splitlines()[0] == "title,amount,import_error"
    assert len(rejects.read_text().splitlines()) == 3


def test_on_error_skip_with_no_good_row_leaves_no_stage_behind(cli: Run, ok: Run, db: Path,
                                                               tmp_path: Path) -> None:
    """--create-stages adds a stage before the rows fail: exit 4 means nothing written, so it goes too; and
    the dry run predicts the exit code."""
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,amount,stage\nA,abc,Demo\nB,-1,Demo\n")
    res = cli("import", "deals", str(path), "--on-error", "skip", "--create-stages", "--dry-run")
    assert res.exit_code == 4 and "Errors:" in res.stdout
    assert res.stderr.splitlines()[1] == "Hint: all 2 rows would be rejected, nothing would be imported"
    res = cli("import", "deals", str(path), "--on-error", "skip", "--create-stages")
    assert res.exit_code == 4 and res.stderr.splitlines()[1] == "Hint: all 2 rows were rejected, nothing was imported"
    assert digest(db) == before  # no stage Demo, no batch, no change log


def test_an_import_failing_at_its_commit_keeps_the_old_rejects_file(cli: Run, ok: Run, db: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills as the import commits: the database unchanged, and the --rejects path keeps what it held
    (the new rejects file was put in its place before the commit)."""
    from contextlib import contextmanager

    from salescli.repository.base import RepositoryBase as Repository

    ok("deal", "add", "Old")
    before = digest(db)
    rejects = write(tmp_path, "rej.csv", "last week's rejects\n")
    path = write(tmp_path, "d.csv", "title,amount\nGood,5\nBad,lots\n")
    plain_write = Repository.write

    @contextmanager
    def full_at_commit(self: Repository) -> Any:
        with plain_write(self):
            yield
            if self._depth == 1:  # (the import's own transaction, about to commit)
                raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Repository, "write", full_at_commit)
    res = cli("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects))
    assert res.exit_code == 5 and "disk full" in res.stderr
    assert digest(db) == before
    assert rejects.read_text() == "last week's rejects\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "rej" in p.name) == ["rej.csv"]  # no temporary file left
    monkeypatch.setattr(Repository, "write", plain_write)
    ok("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects))
    assert rejects.read_text().splitlines()[1].startswith("Bad,lots,")


def test_rejects_never_overwrite_a_database(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,amount\nA,100\nB,abc\n")
    res = cli("import", "deals", str(path), "--on-error", "skip", "--rejects", str(db))
    assert (res.exit_code, res.stdout) == (1, "")
    assert res.stderr == f"Error: --rejects {db} is a SQLite database; refusing to overwrite it; nothing was imported\n"
    assert digest(db) == before


def test_rejects_never_overwrite_the_file_being_imported(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,amount\nA,100\nB,abc\n")
    res = cli("import", "deals", str(path), "--on-error", "skip", "--rejects", str(tmp_path / "." / "d.csv"))
    assert (res.exit_code, res.stdout) == (2, "")  # options that cannot go together: a usage error
    assert res.stderr.startswith(f"Error: --rejects {tmp_path / '.' / 'd.csv'} is the file being imported;"
                                 " refusing to overwrite it; nothing was imported\n")
    assert path.read_text() == "title,amount\nA,100\nB,abc\n" and digest(db) == before


def test_a_fixed_rejects_file_imports_without_its_reasons(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,amount\nA,100\nB,abc\n")
    rejects = tmp_path / "rj.csv"
    ok("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects))
    rejects.write_text(rejects.read_text().replace(",abc,", ",150,"))  # the amount fixed
    ok("import", "deals", str(rejects))
    assert sql(ok, "SELECT title, amount_minor, extra FROM deals ORDER BY id") == [
        {"title": "A", "amount_minor": 10000, "extra": None}, {"title": "B", "amount_minor": 15000, "extra": None}]


def test_rejects_are_safe_to_open_in_a_spreadsheet_and_import_as_they_were(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", 'title,amount,notes\nGood,1,\n"=HYPERLINK(""http://x"")",abc,@SUM(A1)\n'
                                    "'=kept,-5,+1 555\n")
    rejects = tmp_path / "rj.csv"
    ok("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects))
    assert rejects.read_text().splitlines()[1:] == [
        '"\'=HYPERLINK(""http://x"")",abc,\'@SUM(A1),"d.csv:3: amount ""abc"" is not an amount (examples: 12000,'
        ' 12,000.50, 12k, $1.2M)"',
        '\'=kept,\'-5,\'+1 555,"d.csv:4: amount ""-5"" is negative: amounts must be 0 or more"',
    ]
    rejects.write_text(rejects.read_text().replace(",abc,", ",150,").replace(",'-5,", ",5,"))  # fixed
    ok("import", "deals", str(rejects))
    assert sql(ok, "SELECT title, notes FROM deals ORDER BY id") == [
        {"title": "Good", "notes": None}, {"title": '=HYPERLINK("http://x")', "notes": "@SUM(A1)"},
        {"title": "=kept", "notes": "+1 555"}]


def test_rejects_of_ragged_rows_are_as_wide_as_the_header(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "title,amount\nA,1\nB\nC,3,x,\"y, z\"\n")
    rejects = tmp_path / "rj.csv"
    ok("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects))
    ragged = "(ragged row: a delimiter inside an unquoted field, or a missing cell?)"
    assert rejects.read_text() == (
        "title,amount,import_error\n"
        f'B,,"r.csv:3: has 1 cell but the header has 2 {ragged}"\n'
        'C,3,"r.csv:4: has a value in column 3 (""x"") but the header names 2 columns (ragged row: a delimiter'
        ' inside an unquoted field?); cells past the header: ""x"", ""y, z"""\n')


def test_on_error_skip_writes_good_rows_and_rejects(cli: Run, ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,amount,close\nGood,100,2027-01-01\nBad,abc,2027-01-01\n"
                                    'Also good,200,2027-02-01\n"Bad, too",5,2027-02-30\n')
    rejects = tmp_path / "rejects.csv"
    res = ok("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects))
    assert "4 rows — 2 created, 0 updated, 0 unchanged, 2 rejected (batch 1)" in res.stderr
    assert f"rejected rows and their reasons: {rejects}" in res.stderr
    assert rejects.read_text() == (
        "title,amount,close,import_error\n"
        'Bad,abc,2027-01-01,"d.csv:3: amount ""abc"" is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"\n'
        '"Bad, too",5,2027-02-30,"d.csv:5: close ""2027-02-30"" is not a valid date"\n')
    assert oct(rejects.stat().st_mode & 0o777) == "0o600"
    assert [r["title"] for r in sql(ok, "SELECT title FROM deals ORDER BY id")] == ["Good", "Also good"]
    res = cli("import", "deals", str(path), "--rejects", str(rejects))
    assert res.exit_code == 2 and "--rejects needs --on-error skip" in res.stderr


def test_refused_import_leaves_no_rejects_file_and_no_batch(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    path = write(tmp_path, "d.csv", "title,amount\nBad,abc\n")
    res = cli("import", "deals", str(path), "-f", "json")
    assert (res.exit_code, res.stdout) == (4, "")  # a failing command prints nothing on stdout
    assert sql(ok, "SELECT count(*) AS n FROM import_batches") == [{"n": 0}]


def test_refused_import_with_json_prints_nothing_on_stdout(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.csv", "title,amount\nGood,5\nBad,abc\n")
    res = cli("import", "deals", str(path), "-f", "json")
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr == ('Error: d.csv:3: amount "abc" is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)\n'
                          "Hint: nothing was imported\n")
    assert digest(db) == before
    # A dry run is a check whose output is the plan: its JSON is printed even when the plan has errors.
    res = cli("import", "deals", str(path), "-f", "json", "--dry-run")
    assert res.exit_code == 4
    plan = json.loads(res.stdout)
    assert {k: plan[k] for k in ("dry_run", "rows", "created", "rejected", "batch_id")} == {
        "dry_run": True, "rows": 2, "created": 1, "rejected": 1, "batch_id": None}
    assert plan["errors"] == [{"line": 3, "column": "amount", "value": "abc",
                               "reason": "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"}]
    assert res.stderr.splitlines()[0].startswith('Error: d.csv:3: amount "abc"')
    assert digest(db) == before
    # --on-error skip wrote the good row: a success, with its summary on stdout.
    res = ok("import", "deals", str(path), "-f", "json", "--on-error", "skip")
    summary = json.loads(res.stdout)
    assert {k: summary[k] for k in ("dry_run", "created", "rejected", "batch_id")} == {
        "dry_run": False, "created": 1, "rejected": 1, "batch_id": 1}
    assert sql(ok, "SELECT title FROM deals") == [{"title": "Good"}]


def test_owners_an_import_makes_users_are_named_and_a_slip_is_noted(ok: Run, tmp_path: Path) -> None:
    ok("user", "add", "sam")
    path = write(tmp_path, "d.csv", "title,owner\nA,samm\nB,newbie\nC,sam\n")
    res = ok("import", "deals", str(path))  # imported as the file has them (the source's record), but said
    assert ('note: 1 owner "samm" is a new user, one slip from user sam: check the file, or map the value'
            ' (--map-file values: {"owner": {"samm": "sam"}})') in res.stderr
    assert res.stderr.endswith("added users (first mention): samm, newbie\n")
    summary = json.loads(ok("import", "deals", str(path), "--dry-run", "-f", "json").stdout)
    assert summary["users_created"] == []  # known now


def test_a_slip_a_value_map_gave_is_fixed_by_mapping_the_files_value(ok: Run, tmp_path: Path) -> None:
    ok("user", "add", "Lee Park")
    path = write(tmp_path, "d.csv", "title,OwnerId\nA,005000000000009AAA\n")
    first = write(tmp_path, "m1.toml", '[values.owner]\n"005000000000009AAA" = "Lee Parc"\n')
    res = ok("import", "deals", str(path), "--map", "OwnerId=owner", "--map-file", str(first), "--dry-run")
    assert ('owner "Lee Parc" is a new user, one slip from user Lee Park: check the file, or map the value (--map-file'
            ' values: {"owner": {"005000000000009AAA": "Lee Park"}})') in res.stderr
    second = write(tmp_path, "m2.toml", '[values.owner]\n"005000000000009AAA" = "Lee Park"\n')  # as the note says
    ok("import", "deals", str(path), "--map", "OwnerId=owner", "--map-file", str(first), "--map-file", str(second))
    assert sql(ok, "SELECT owner FROM deals") == [{"owner": "Lee Park"}]


def test_value_maps_apply_once(ok: Run, tmp_path: Path) -> None:
    for name in ("lee", "ana", "kim"):
        ok("user", "add", name)
    maps = write(tmp_path, "m.toml", '[values.owner]\n"lee" = "ana"\n"ana" = "kim"\n'
                                     '[values.stage]\n"Prospecting" = "Qualification"\n"Qualification" = "Proposal"\n')
    path = write(tmp_path, "d.csv", "title,owner,stage\nV1,lee,Prospecting\nV2,ana,Qualification\n")
    ok("import", "deals", str(path), "--map-file", str(maps))
    assert sql(ok, "SELECT d.title, d.owner, s.name AS stage FROM deals d JOIN stages s ON s.id = d.stage_id") == [
        {"title": "V1", "owner": "ana", "stage": "Qualification"}, {"title": "V2", "owner": "kim", "stage": "Proposal"}]


def test_an_owner_given_by_a_users_email_is_that_user(ok: Run, cli: Run, tmp_path: Path) -> None:
    ok("user", "add", "Dana Kim", "--email", "dana@acme.io", "--team", "East")
    path = write(tmp_path, "d.csv", "title,owner\nD1,DANA@acme.io\nD2,Dana Kim\nD3,lee@acme.io\n")
    res = ok("import", "deals", str(path))
    assert res.stderr.endswith("added user (first mention): lee@acme.io\n")  # (no user has that e-mail)
    assert sql(ok, "SELECT title, owner FROM deals ORDER BY id") == [
        {"title": "D1", "owner": "Dana Kim"}, {"title": "D2", "owner": "Dana Kim"},
        {"title": "D3", "owner": "lee@acme.io"}]
    # and on the command line: an owner, a filter, a target
    ok("deal", "add", "M1", "--owner", "dana@acme.io")
    assert [d["title"] for d in json.loads(ok("deal", "list", "--owner", "Dana@Acme.io", "-f", "json").stdout)] \
        == ["D1", "D2", "M1"]
    ok("target", "set", "dana@acme.io", "2026-Q4", "1k")
    assert sql(ok, "SELECT name FROM targets") == [{"name": "Dana Kim"}]
    assert [u["name"] for u in sql(ok, "SELECT name FROM users ORDER BY id")] == ["Dana Kim", "lee@acme.io"]


def test_a_reimport_after_a_user_left_gives_their_rows_to_the_heir(ok: Run, tmp_path: Path) -> None:
    ok("user", "add", "ana")
    path = write(tmp_path, "d.csv", "title,owner\nA,lee\nB,Lee\nC,ana\n")
    ok("import", "deals", str(path))
    ok("user", "rm", "lee", "--to", "ana", "--yes")
    res = ok("import", "deals", str(path))  # (an old export again: lee does not come back, nor take the deals)
    assert res.stderr.splitlines()[1:] == [
        "note: 1 owner lee was removed, their records handed to ana (user rm --to): the rows naming lee are ana's",
        "imported d.csv: 3 rows — 0 created, 0 updated, 3 unchanged, 0 rejected"]
    ok("user", "add", "kim")
    ok("user", "rm", "ana", "--to", "kim", "--yes")  # handed on again: to the one who has them now
    assert "0 created, 0 updated, 3 unchanged" in ok("import", "deals", str(path)).stderr
    assert [u["name"] for u in sql(ok, "SELECT name FROM users WHERE name != 'dana'")] == ["kim"]
    ok("user", "add", "lee")  # back: their rows are theirs again
    assert "0 created, 2 updated, 1 unchanged" in ok("import", "deals", str(path)).stderr


def test_a_leaver_named_by_email_or_other_spacing_goes_to_the_heir_and_no_users_file_brings_them_back(
        ok: Run, cli: Run, tmp_path: Path) -> None:
    ok("user", "add", "Lee Park", "--email", "lee@acme.io")
    ok("user", "add", "ana")
    ok("user", "rm", "Lee Park", "--to", "ana", "--yes")
    deals = write(tmp_path, "d.csv", "title,owner\nL1,LEE@acme.io\nL2,lee  park\n")
    ok("import", "deals", str(deals))
    assert sql(ok, "SELECT owner FROM deals") == [{"owner": "ana"}, {"owner": "ana"}]
    users = write(tmp_path, "u.csv", "name,email\nLee Park,lee@acme.io\nana,\n")
    res = ok("import", "users", str(users))
    assert ("note: 1 user Lee Park was removed, their records handed to ana (user rm --to): not made again (user"
            " add brings them back)" in res.stderr)
    assert [u["name"] for u in sql(ok, "SELECT name FROM users WHERE name != 'dana'")] == ["ana"]
    # one e-mail a user: an owner given by it is that user
    ok("user", "edit", "ana", "--email", "ana@acme.io")
    res = cli("user", "add", "Kim", "--email", "ANA@acme.io")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (1, "Error: user ana has the e-mail ana@acme.io")
    res = cli("import", "users", str(write(tmp_path, "v.csv", "name,email\nKim,ana@acme.io\n")))
    assert res.exit_code == 4 and 'v.csv:2: email "ana@acme.io" is the e-mail of user ana' in res.stderr
    ok("import", "users", str(write(tmp_path, "w.csv", "name,team\nana@acme.io,East\n")))  # her e-mail: her
    assert sql(ok, "SELECT name, team FROM users WHERE name != 'dana'") == [{"name": "ana", "team": "East"}]


def test_users_files_keep_one_email_a_user_without_refusing_what_changes_nothing(ok: Run, tmp_path: Path,
                                                                                 db: Path) -> None:
    ok("user", "add", "Ann", "--email", "ann@x.io")
    ok("user", "add", "Bob")
    # an e-mail moving from one user to another within the file
    ok("import", "users", str(write(tmp_path, "u.csv", "name,email\nAnn,new@x.io\nBob,ann@x.io\n")))
    assert sql(ok, "SELECT name, email FROM users WHERE name != 'dana'") == [
        {"name": "Ann", "email": "new@x.io"}, {"name": "Bob", "email": "ann@x.io"}]
    with sqlite3.connect(db) as conn:  # two users of one e-mail, from before e-mails were kept apart
        conn.execute("UPDATE users SET email = 'ann@x.io' WHERE name = 'Ann'")
    exported = write(tmp_path, "users.csv", ok("export", "users").stdout)
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "users", str(exported)).stderr
    assert ok("user", "edit", "Ann", "--email", "ann@x.io").stderr == "user Ann: nothing changed\n"


def test_a_user_added_again_is_no_longer_handed_over(ok: Run, cli: Run, tmp_path: Path) -> None:
    ok("user", "add", "Lee Park", "--email", "lee@x.io")
    ok("user", "add", "ana")
    ok("user", "rm", "Lee Park", "--to", "ana", "--yes")
    res = cli("deal", "add", "X", "--owner", "LEE@x.io")  # by hand: refused, naming the heir and the leaver
    assert (res.exit_code, res.stderr.splitlines()) == (1, [
        "Error: user Lee Park was removed, their records handed to ana (user rm --to)",
        "Hint: give ana, or bring Lee Park back: salescli user add 'Lee Park'"])
    res = cli("target", "import", str(write(tmp_path, "t.csv", "owner,period,value\nana,2026-Q4,100\n"
                                                                 "lee@x.io,2026-Q4,50\n")))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        4, "Error: t.csv:3: user Lee Park was removed, their records handed to ana (user rm --to)")
    ok("user", "add", "Lee Park")  # back (without the e-mail): their former e-mail is theirs again
    ok("import", "deals", str(write(tmp_path, "d.csv", "title,owner\nD1,lee@x.io\nD2,lee  park\n")))
    ok("deal", "add", "D3", "--owner", "LEE@x.io")
    assert sql(ok, "SELECT title, owner FROM deals ORDER BY title") == [{"title": "D1", "owner": "Lee Park"},
                                                                        {"title": "D2", "owner": "Lee Park"},
                                                                        {"title": "D3", "owner": "Lee Park"}]


def test_a_deals_contact_merged_away_without_an_email_is_the_one_kept(ok: Run, tmp_path: Path) -> None:
    ok("import", "contacts", str(write(tmp_path, "c.csv", "name,company\nAnn Lee,Acme\nAnn Leigh,Acme\n"
                                                           "Ann Leigh,Beta\n")))
    ok("contact", "merge", "1", "2", "--yes")
    res = ok("import", "deals", str(write(tmp_path, "d.csv", "title,Organization,Person - Name\nBig,Acme,Ann Leigh\n"
                                                             "Small,Beta,Ann Leigh\n")))
    assert "also created" not in res.stderr
    assert sql(ok, "SELECT title, contact_id FROM deals ORDER BY id") == [{"title": "Big", "contact_id": 1},
                                                                          {"title": "Small", "contact_id": 3}]
    ok("contact", "add", "Ann Leigh", "--company", "Delta")  # two namesakes elsewhere: still the one kept
    again = write(tmp_path, "f.csv", "title,company,contact\nBig,Acme,Ann Leigh\nSmall,Beta,Ann Leigh\n")
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(again)).stderr  # (not "ambiguous")
    # an Ann Leigh elsewhere made first does not take the row of the one merged away at Acme, then or after
    rows = write(tmp_path, "e.csv", "title,Organization,Person - Name\nOther,Gamma,Ann Leigh\nBig2,Acme,Ann Leigh\n")
    ok("import", "deals", str(rows))
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(rows)).stderr
    assert sql(ok, "SELECT contact_id FROM deals WHERE title = 'Big2'") == [{"contact_id": 1}]


def test_a_contact_column_holding_an_email_beside_an_empty_email_column(ok: Run, tmp_path: Path) -> None:
    ok("contact", "add", "Bo Berg", "--email", "bo@x.io")
    ok("import", "deals", str(write(tmp_path, "d.csv", "Title,Contact,Email\nE2,bo@x.io,\nE3,cy@x.io,cy@x.io\n")))
    assert sql(ok, "SELECT d.title, p.name, p.email FROM deals d JOIN contacts p ON p.id = d.contact_id") == [
        {"title": "E2", "name": "Bo Berg", "email": "bo@x.io"}, {"title": "E3", "name": "Cy", "email": "cy@x.io"}]


def test_a_reimport_after_merging_contacts_without_emails_finds_the_one_kept(ok: Run, tmp_path: Path) -> None:
    first = write(tmp_path, "k1.csv", "Name,Email,Company,Notes\nCarla Nguyen,,Initech,Call only\n")
    second = write(tmp_path, "k2.csv", 'Name,Email,Company,Phone\n"Nguyen, Carla",,Initech,0151 999\n'
                                       "Hiro Tanaka,,Hooli,\n")
    ok("import", "contacts", str(first))
    ok("import", "contacts", str(second))
    ok("contact", "merge", "1", "2", "--yes")
    res = ok("import", "contacts", str(second))  # (a LinkedIn-like export: names, no e-mails)
    assert "0 created, 0 updated, 1 unchanged, 1 skipped" in res.stderr
    assert [c["name"] for c in json.loads(ok("contact", "list", "-f", "json").stdout)] == ["Carla Nguyen",
                                                                                          "Hiro Tanaka"]


def test_a_company_renamed_since_is_found_by_its_former_name(ok: Run, tmp_path: Path) -> None:
    ok("import", "companies", str(write(tmp_path, "a.csv", "Company,Website\nAcme GmbH,https://www.acme.io/\n")))
    contacts = write(tmp_path, "c.csv", "First Name,Last Name,E-mail Address,Company\n"
                                        "Ana,Silva,ana@acme.io,Acme GmbH\n")
    ok("import", "contacts", str(contacts))
    ok("import", "companies", str(write(tmp_path, "b.csv", "Account Name,Domain\nACME Inc.,ACME.IO\n")))  # renames it
    res = ok("import", "contacts", str(contacts))  # the same file again: Ana stays at her company, none is made
    assert res.stderr.splitlines()[1:] == [
        'note: 1 row names company 1 by its former name "Acme GmbH": linked to it (now "ACME Inc.")',
        "imported c.csv: 1 row — 0 created, 0 updated, 1 unchanged, 0 rejected"]
    deals = write(tmp_path, "d.csv", "title,company\nPilot,Acme GmbH\n")
    assert "also created" not in ok("import", "deals", str(deals)).stderr
    assert sql(ok, "SELECT id, name FROM companies") == [{"id": 1, "name": "ACME Inc."}]
    ok("company", "add", "Acme GmbH")  # a company of that name again: the name is its own now
    assert "0 created, 1 updated" in ok("import", "contacts", str(contacts)).stderr
    assert sql(ok, "SELECT company_id FROM contacts") == [{"company_id": 2}]


def test_a_reimport_after_a_merge_finds_the_record_kept(ok: Run, tmp_path: Path) -> None:
    companies = write(tmp_path, "c.csv", "external_id,name,domain\nC-1,Acme Robotics,acme.io\nC-2,ACME Robotics Ltd,\n")
    contacts = write(tmp_path, "p.csv", "external_id,name,email,company\nP-1,Ana Silva,ana@acme.io,Acme Robotics\n"
                                        "P-2,Ana S.,ana.silva@acme.co.uk,ACME Robotics Ltd\n")
    ok("import", "companies", str(companies))
    ok("import", "contacts", str(contacts))
    ok("company", "merge", "1", "2", "--yes")
    ok("contact", "merge", "1", "2", "--yes")
    # the CRM's next export still has both: the duplicates are not made again, nor the kept records overwritten
    for entity, path in (("companies", companies), ("contacts", contacts)):
        res = ok("import", entity, str(path))
        assert ("note: 1 row describes a record merged into another since (company merge / contact merge): left as"
                " it is") in res.stderr
        assert "1 skipped" in res.stderr and "0 created" in res.stderr
    deals = write(tmp_path, "d.csv", "Deal Name,Company,Contact email,Account ID\nBig,ACME Robotics Ltd,"
                                     "ana.silva@acme.co.uk,\nSmall,,,C-2\n")
    res = ok("import", "deals", str(deals), "--map", "Account ID=company_external_id")
    assert "also created" not in res.stderr  # the duplicate's name, e-mail and external id find the kept ones
    assert sql(ok, "SELECT title, company_id, contact_id FROM deals ORDER BY id") == [
        {"title": "Big", "company_id": 1, "contact_id": 1}, {"title": "Small", "company_id": 1, "contact_id": None}]
    assert [c["id"] for c in json.loads(ok("company", "list", "-f", "json").stdout)] == [1]


def test_a_deals_file_imported_again_after_a_company_merge_finds_its_deals(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Deal Name,Company,Amount\nR1,Acme Corp,10\nR2,Acme Corporation,20\n")
    ok("import", "deals", str(path))
    ok("company", "merge", "1", "2", "--yes")
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(path)).stderr  # R2 is not made again
    assert sql(ok, "SELECT title, company_id FROM deals ORDER BY id") == [
        {"title": "R1", "company_id": 1}, {"title": "R2", "company_id": 1}]
    # a company named by its domain, merged away since: the deal is found at the kept company too
    ok("company", "add", "Beta", "--domain", "beta.io")
    ok("company", "add", "Beta GmbH", "--domain", "beta.de")
    domain_file = write(tmp_path, "b.csv", "Deal Name,Company\nB1,beta.de\n")
    ok("import", "deals", str(domain_file))
    ok("company", "merge", "Beta", "Beta GmbH", "--yes")
    assert "0 created, 0 updated, 1 unchanged" in ok("import", "deals", str(domain_file)).stderr


def test_company_names_match_in_any_case_of_any_script_and_spacing(ok: Run, tmp_path: Path) -> None:
    ok("company", "add", "Société Générale")
    path = write(tmp_path, "d.csv", "Deal Name,Company\nU1,SOCIÉTÉ GÉNÉRALE\nU2,société  générale\nU3,Ökotech\n"
                                    "U4,ÖKOTECH\nU5,\"ökotech\t\"\n")
    res = ok("import", "deals", str(path))
    assert "also created 1 company" in res.stderr
    assert sql(ok, "SELECT c.name, count(*) AS deals FROM deals d JOIN companies c ON c.id = d.company_id"
                   " GROUP BY c.id ORDER BY c.id") == [{"name": "Société Générale", "deals": 2},
                                                      {"name": "Ökotech", "deals": 3}]
    res = ok("import", "companies", str(write(tmp_path, "c.csv", "name\nökotech\nSOCIÉTÉ  GÉNÉRALE\n")))
    assert "0 created" in res.stderr  # found again by a later file, whatever its case


def test_deals_the_file_makes_won_make_their_contacts_customers_and_undo_takes_it_back(
        ok: Run, tmp_path: Path) -> None:
    ok("contact", "add", "Ed", "--email", "ed@x.io", "--status", "prospect")
    ok("contact", "add", "Fay", "--email", "fay@x.io", "--status", "churned")
    ok("deal", "add", "Old win", "--contact", "fay@x.io")
    ok("deal", "won", "1")
    ok("contact", "edit", "fay@x.io", "--status", "churned")  # set by hand since: a re-import leaves it
    ok("contact", "add", "Gus", "--email", "gus@x.io", "--status", "churned")
    path = write(tmp_path, "d.csv", "title,stage,contact,won_at\nW,Won,ed@x.io,2026-11-01\nN,Won,new@x.io,2026-11-02\n"
                                    "O,Proposal,open@x.io,\nOld win,Won,fay@x.io,2026-11-26\n"
                                    "G,Won,gus@x.io,2026-03-01\n")
    res = ok("import", "deals", str(path))
    assert "note: 2 contacts become customers (deals of theirs are won)" in res.stderr  # as `deal won` does
    # a win the file makes for a churned contact may be one from before the churn: the status stays
    assert ("note: 1 churned contact of a won deal stays churned (the file does not say whether the win came before"
            " the churn: `salescli contact edit ID --status customer` if they bought again)") in res.stderr
    status = "SELECT email, status FROM contacts ORDER BY id"
    assert sql(ok, status) == [{"email": "ed@x.io", "status": "customer"}, {"email": "fay@x.io", "status": "churned"},
                               {"email": "gus@x.io", "status": "churned"}, {"email": "new@x.io", "status": "customer"},
                               {"email": "open@x.io", "status": "lead"}]
    assert "0 created, 0 updated, 5 unchanged" in ok("import", "deals", str(path)).stderr
    ok("import", "undo", "1", "--yes")
    assert sql(ok, status) == [{"email": "ed@x.io", "status": "prospect"}, {"email": "fay@x.io", "status": "churned"},
                               {"email": "gus@x.io", "status": "churned"}]


def test_a_contacts_file_imported_again_keeps_a_customer_with_a_won_deal(ok: Run, tmp_path: Path) -> None:
    contacts = write(tmp_path, "c.csv", "name,email,company,status\nBernd Schmidt,bernd@globex.de,Globex,prospect\n")
    ok("import", "contacts", str(contacts))
    ok("import", "deals", str(write(tmp_path, "d.csv", "title,company,contact,stage,amount,close date\n"
                                                       "Renewal,Globex,bernd@globex.de,Won,1000,2026-10-15\n")))
    res = ok("import", "contacts", str(contacts))  # (the whole export set imported again: contacts first)
    assert res.stderr.splitlines()[1:] == [
        "note: 1 contact with a won deal stays a customer, not prospect as the file says (contact edit --status sets"
        " it)", "imported c.csv: 1 row — 0 created, 0 updated, 1 unchanged, 0 rejected"]
    assert sql(ok, "SELECT status FROM contacts") == [{"status": "customer"}]


def test_json_summary_for_scripts(ok: Run, deals_csv: Path) -> None:
    res = ok("import", "deals", str(deals_csv), "-f", "json")
    summary = json.loads(res.stdout)
    assert {k: summary[k] for k in ("file", "entity", "rows", "created", "updated", "unchanged", "rejected",
                                    "batch_id", "dry_run", "related_created", "delimiter")} == {
        "file": "deals.csv", "entity": "deals", "rows": 3, "created": 3, "updated": 0, "unchanged": 0,
        "rejected": 0, "batch_id": 1, "dry_run": False, "related_created": {"companies": 3, "contacts": 2},
        "delimiter": ",",
    }
    assert summary["mapping"][0] == {"column": "Deal Name", "field": "title", "how": "alias"}


def test_history_records_the_batch(ok: Run, deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    hist = json.loads(ok("history", "deal", "1", "-f", "json").stdout)
    assert hist[0]["action"] == "create" and hist[0]["batch_id"] == 1
    assert hist[0]["after"]["title"] == "Acme renewal"
    batches = json.loads(ok("import", "batches", "-f", "json").stdout)
    # 3 deals, 3 companies, 2 contacts, 2 owners
    assert batches[0]["source"] == "deals.csv" and batches[0]["creates"] == 10


def test_search_finds_imported_records(ok: Run, deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    res = ok("search", "Initech", "-f", "json")
    kinds = sorted(r["kind"] for r in json.loads(res.stdout))
    assert kinds == ["company", "deal"]
    triggers = sql(ok, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_search_ai'"
                       " ORDER BY name")
    assert [t["name"] for t in triggers] == ["activities_search_ai", "companies_search_ai", "contacts_search_ai",
                                             "deals_search_ai", "stage_history_search_ai"]


# -- undo ------------------------------------------------------------------------------------------------
def test_undo_reverts_creates_and_updates(ok: Run, db: Path, tmp_path: Path, deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    after_first = digest(db)
    changed = write(tmp_path, "deals2.csv", HUBSPOTISH.replace('"12,000.50"', "13000")
                    + "New one,5,2027-05-05,Prospecting,sam,Umbrella,,\n")
    ok("import", "deals", str(changed))
    res = ok("import", "undo", "2", "--yes")
    assert res.stderr == ("undid import batch 2 (deals from deals2.csv): deleted 1 deal, 1 company;"
                          " restored 1 updated record\n")
    assert sql(ok, "SELECT amount_minor FROM deals WHERE id = 1") == [{"amount_minor": 1200050}]
    now = digest(db)
    for table in ("deals", "companies", "contacts", "stage_history", "search_index"):
        assert now[table] == after_first[table], table
    res = ok("import", "undo", "1", "--yes")
    assert sql(ok, "SELECT (SELECT count(*) FROM deals) + (SELECT count(*) FROM companies)"
                   " + (SELECT count(*) FROM contacts) AS n") == [{"n": 0}]
    assert sql(ok, "SELECT count(*) AS n FROM search_index") == [{"n": 0}]
    ok("db", "check")


def test_undo_refuses_after_later_changes_unless_forced(cli: Run, ok: Run, db: Path, deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    ok("company", "edit", "Acme Corp", "--industry", "Robots")
    before = digest(db)
    for args in (("--yes",), ()):  # (without --yes: refused before any question, not after it is answered)
        res = cli("import", "undo", "1", *args, input="y\n")
        assert res.exit_code == 1 and digest(db) == before
        assert res.stderr.splitlines()[0] == ("Error: import batch 1: records changed since the import: company 1"
                                              " (update)")
    ok("activity", "log", "call", "Pricing", "--deal", "1")  # on a deal the import made
    res = ok("import", "undo", "1", "--yes", "--force")
    assert res.stderr.splitlines()[1] == ("unlinked 1 activity logged since on what it created (it stays, without"
                                          " that link)")
    assert sql(ok, "SELECT count(*) AS n FROM deals") == [{"n": 0}]
    assert sql(ok, "SELECT subject, deal_id FROM activities") == [{"subject": "Pricing", "deal_id": None}]
    res = cli("import", "undo", "1", "--yes")
    assert res.exit_code == 1 and "was already undone" in res.stderr
    res = cli("import", "undo", "99", "--yes")
    assert res.exit_code == 3 and res.stderr.startswith("Error: import batch 99 not found")


def test_undo_takes_back_the_owners_the_file_added_unless_they_own_something_since(ok: Run, tmp_path: Path) -> None:
    ok("user", "add", "kim")
    path = write(tmp_path, "o.csv", "title,owner\nA,zed\nB,yolanda\nC,kim\n")
    assert ok("import", "deals", str(path)).stderr.endswith("added users (first mention): zed, yolanda\n")
    ok("deal", "add", "Later", "--owner", "yolanda")
    res = ok("import", "undo", "1", "--yes")
    assert res.stderr == ("undid import batch 1 (deals from o.csv): deleted 3 deals, 1 user; restored 0 updated"
                          " records\nkept 1 user it added: one is named since, as an owner or in the history\n")
    assert [u["name"] for u in json.loads(ok("user", "list", "-f", "json").stdout)] == ["kim", "yolanda"]


def test_undo_keeps_an_added_user_named_since_in_any_case_or_who_acted_since(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "title,owner\nA,Bob\nB,Cy\nC,Di\nD,Ed\n")
    ok("import", "deals", str(path))
    ok("company", "add", "Zeta", "--owner", "bob")  # (stored as typed)
    ok("contact", "add", "Zed", "--owner", "CY")
    ok("--user", "di", "company", "add", "Omega")  # Di acted since: the history names them
    res = ok("import", "undo", "1", "--yes")
    assert "deleted 4 deals, 1 user;" in res.stderr and "kept 3 users it added" in res.stderr
    assert sorted(u["name"] for u in json.loads(ok("user", "list", "-f", "json").stdout)) == ["Bob", "Cy", "Di"]


def test_undo_asks_first_and_refuses_without_yes_when_there_is_no_terminal(cli: Run, ok: Run, db: Path,
                                                                          deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    before = digest(db)
    res = cli("import", "undo", "1")  # a mistyped batch number must not silently delete another import
    assert (res.exit_code, res.stdout) == (1, "")
    assert res.stderr == ("Error: refusing to undo import batch 1 (deals from deals.csv): delete the 3 companies,"
                          " 3 deals, 2 contacts and 2 users it created without --yes (no terminal to ask)\n")
    assert digest(db) == before


STAGE_1 = "id,title,company,stage,close date\nE1,A,Acme,Qualification,2026-12-01\n"


def test_undo_of_a_stage_change_removes_its_history(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "s1.csv", STAGE_1)), today="2026-11-01")
    after_first = digest(db)
    ok("import", "deals", str(write(tmp_path, "s2.csv", STAGE_1.replace("Qualification", "Won"))),
       today="2026-12-02")
    assert [(h["from_stage_id"], h["to_stage_id"], h["changed_at"], h["batch_id"]) for h in history_rows(ok)][-1] == (
        2, 6, "2026-12-01T00:00:00", 2)
    funnel = ok("report", "funnel", "-p", "all", "-f", "json", today="2026-12-02").stdout  # (won on 12-01)
    assert json.loads(funnel)["summary"]["won"] == 1
    res = ok("import", "undo", "2", "--yes", "-f", "json")
    assert res.stderr == "undid import batch 2 (deals from s2.csv): deleted nothing; restored 1 updated record\n"
    assert json.loads(res.stdout)["stage_history_removed"] == 1
    now = digest(db)
    for table in ("deals", "stage_history", "companies"):  # updated_at and stage_entered_at included
        assert now[table] == after_first[table], table
    assert sql(ok, "SELECT s.name AS stage, d.updated_at FROM deals d JOIN stages s ON s.id = d.stage_id") == [
        {"stage": "Qualification", "updated_at": "2026-11-01T00:00:00"}]
    assert cli("db", "check").exit_code == 0
    assert json.loads(ok("report", "funnel", "-p", "all", "-f", "json").stdout)["summary"]["won"] == 0


def test_undo_refuses_when_a_record_was_linked_by_hand_to_what_it_made(cli: Run, ok: Run, db: Path,
                                                                         tmp_path: Path) -> None:
    ok("contact", "add", "Hand Person", "--email", "hp@x.com")
    ok("deal", "add", "Hand deal", "--amount", "50k", "--contact", "1")
    ok("import", "companies", str(write(tmp_path, "c.csv", "name,domain\nGlobex,globex.com\n")))
    ok("deal", "edit", "1", "--company", "globex.com")
    ok("contact", "edit", "1", "--company", "Globex")
    ok("activity", "log", "call", "Gone since", "--company", "globex.com")
    ok("activity", "rm", "1", "--yes")  # (a record deleted since is no reason to refuse)
    before = digest(db)
    res = cli("import", "undo", "1", "--yes")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (1, "Error: import batch 1: records changed since the"
                                                               " import: contact 1 (points at a record it made),"
                                                               " deal 1 (points at a record it made)")
    assert digest(db) == before
    batch = json.loads(ok("import", "batches", "-f", "json").stdout)[0]
    res = ok("import", "undo", "1", "--yes", "--force")
    assert res.stderr.splitlines()[1] == ("unlinked 1 contact, 1 deal linked since to what it created (they stay,"
                                          " without that link; the history says so)")
    last = json.loads(ok("history", "deal", "1", "-f", "json").stdout)[-1]
    assert (last["action"], last["after"]) == ("undo import", {"company_id": None})
    # what the batch did is still what `import batches` says (the undo's unlinks are not its updates)
    after = json.loads(ok("import", "batches", "-f", "json").stdout)[0]
    assert (after["creates"], after["updates"]) == (batch["creates"], batch["updates"])


def test_undo_keeps_a_company_another_was_merged_into(ok: Run, tmp_path: Path) -> None:
    ok("company", "add", "Globex Ltd", "--domain", "globexltd.com", "--notes", "hand-entered, key facts")
    ok("import", "companies", str(write(tmp_path, "c.csv", "name,domain\nGlobex,globex.com\n")))
    ok("company", "merge", "globex.com", "globexltd.com", "--yes")
    res = ok("import", "undo", "1", "--yes", "--force")
    assert res.stderr.splitlines()[1] == ("kept company 2 (holds company 1, merged into it since): delete it yourself"
                                          " if it should go")
    assert "hand-entered, key facts" in json.loads(ok("company", "show", "2", "-f", "json").stdout)["notes"]


def test_a_forced_undo_keeps_the_stage_of_a_deal_moved_since(ok: Run, cli: Run, tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "s1.csv", STAGE_1)), today="2026-11-01")
    ok("import", "deals", str(write(tmp_path, "s2.csv", STAGE_1.replace("Qualification", "Needs Analysis"))),
       today="2026-11-10")
    ok("deal", "move", "1", "Proposal", "--force", today="2026-11-20")
    res = ok("import", "undo", "2", "--yes", "--force")
    assert res.stderr.splitlines()[1] == ("kept the stage of deal 1: moved again since the import (their later"
                                          " moves start from it)")
    assert [(h["from_stage_id"], h["to_stage_id"]) for h in history_rows(ok)] == [(None, 1), (1, 2), (2, 3), (3, 4)]
    assert json.loads(ok("deal", "show", "1", "-f", "json").stdout)["stage"] == "Proposal"
    assert cli("db", "check").exit_code == 0


def test_undo_of_a_batch_written_before_history_carried_batch_ids(ok: Run, db: Path, tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "s1.csv", STAGE_1)), today="2026-11-01")
    ok("deal", "move", "1", "Needs Analysis", today="2026-11-05")  # a move by hand: the same stages later
    ok("deal", "move", "1", "Qualification", today="2026-11-06")
    ok("import", "deals", str(write(tmp_path, "s2.csv", STAGE_1.replace("Qualification", "Won"))),
       today="2026-12-02")
    with sqlite3.connect(db) as conn:  # as a salescli before schema 7 wrote them
        conn.execute("UPDATE stage_history SET batch_id = NULL")
    conn.close()
    kept = history_rows(ok)[:-1]
    ok("import", "undo", "2", "--yes")
    assert history_rows(ok) == kept
    ok("db", "check")


# -- other entities ------------------------------------------------------------------------------------
def test_a_contact_imported_without_an_email_gets_it_from_a_later_file(ok: Run, tmp_path: Path) -> None:
    ok("import", "contacts", str(write(tmp_path, "a.csv", "first name,last name,email,company\nMia,Wong,,Acme\n")))
    res = ok("import", "contacts", str(write(tmp_path, "b.csv", "first name,last name,email,company\n"
                                                                "Mia,Wong,mia@acme.com,Acme\nMia,Wong,mia2@acme.com,Acme\n")))
    assert "2 rows — 1 created, 1 updated" in res.stderr  # (the second Mia, of another address, is another person)
    assert sql(ok, "SELECT id, name, email FROM contacts ORDER BY id") == [
        {"id": 1, "name": "Mia Wong", "email": "mia@acme.com"}, {"id": 2, "name": "Mia Wong", "email": "mia2@acme.com"}]


def test_contacts_of_one_name_stay_apart_or_together_as_their_addresses_say(ok: Run, tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", "name,email,company\nMia Wong,,Acme\n")
    second = write(tmp_path, "b.csv", "name,email,company\nMia Wong,mia@acme.com,Acme\n")
    outcomes = [re.search(r"\d+ created, \d+ updated, \d+ unchanged", ok("import", "contacts", str(f)).stderr)[0]
                for f in (first, second, first, second)]  # type: ignore[index]  # (the first file again: one Mia)
    assert outcomes == ["1 created, 0 updated, 0 unchanged", "0 created, 1 updated, 0 unchanged",
                        "0 created, 0 updated, 1 unchanged", "0 created, 0 updated, 1 unchanged"]
    both = write(tmp_path, "d.csv", "name,email,company\nLi Na,li@acme.com,Acme\nLi Na,,Acme\n")  # (two people)
    assert "2 rows — 2 created" in ok("import", "contacts", str(both)).stderr
    ok("contact", "add", "John Smith", "--company", "Acme")
    ok("contact", "add", "John Smith", "--company", "Acme")
    res = ok("import", "contacts", str(write(tmp_path, "c.csv", "name,email,company\nJohn Smith,js@acme.com,Acme\n")))
    assert "1 created" in res.stderr  # (which John, if either, an address cannot say: a new one, not an error)


def test_a_company_renamed_to_another_ones_name_is_noted(ok: Run, tmp_path: Path) -> None:
    ok("import", "companies", str(write(tmp_path, "a.csv", "name,domain\nAcme Robotics,acme-robotics.io\n"
                                                           "Gamma,gamma.com\n")))
    res = ok("import", "companies", str(write(tmp_path, "b.csv", "name,domain\nGamma,https://www.acme-robotics.io\n")))
    assert res.stderr.splitlines()[1:] == [
        'note: 1 company renamed to "Gamma" (company 1), the name of company 2 too: refer to each by id or domain'
        " from now on",
        "imported b.csv: 1 row — 0 created, 1 updated, 0 unchanged, 0 rejected (batch 2)"]


def test_contacts_and_companies_dedupe(ok: Run, tmp_path: Path) -> None:
    companies = write(tmp_path, "c.csv", "Company name,Website,Industry\nAcme,https://www.acme.io/,Robots\n"
                                         "Globex,,Energy\n")
    ok("import", "companies", str(companies))
    res = ok("import", "companies", write(tmp_path, "c2.csv", "name,domain,industry\nAcme Robotics,acme.io,Robotics\n"
                                                              "globex,,Energy\n").as_posix())
    assert "0 created, 1 updated, 1 unchanged" in res.stderr
    assert [r["name"] for r in sql(ok, "SELECT name FROM companies ORDER BY id")] == ["Acme Robotics", "Globex"]
    people = write(tmp_path, "p.csv", "First Name,Last Name,Email,Company\nAna,Silva,ANA@acme.io,acme.io\n"
                                      "Bo,Chen,,Globex\n")
    ok("import", "contacts", str(people))
    res = ok("import", "contacts", str(people))
    assert "0 created, 0 updated, 2 unchanged" in res.stderr
    rows = sql(ok, "SELECT p.name, p.email, c.name AS company FROM contacts p JOIN companies c"
                   " ON c.id = p.company_id ORDER BY p.id")
    assert rows == [{"name": "Ana Silva", "email": "ana@acme.io", "company": "Acme Robotics"},
                    {"name": "Bo Chen", "email": None, "company": "Globex"}]


def test_a_rejected_activity_row_creates_no_company_contact_or_user(ok: Run, cli: Run, tmp_path: Path,
                                                                     deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    before = sql(ok, "SELECT (SELECT count(*) FROM companies) AS companies, (SELECT count(*) FROM contacts)"
                     " AS contacts, (SELECT count(*) FROM users) AS users")
    path = write(tmp_path, "a.csv", "type,subject,date,deal,company,email,owner,status\n"
                                    "call,Kick-off,2026-11-20,No such deal,Newco,new@newco.io,Zed,\n"
                                    "task,Chase,2026-11-20,,Otherco,x@otherco.io,Yan,someday\n"
                                    "call,Recap,2026-11-21,Acme renewal,Acme Corp,ana@acme.io,,\n")
    res = ok("import", "activities", str(path), "--on-error", "skip")
    assert "3 rows — 1 created, 0 updated, 0 unchanged, 2 rejected" in res.stderr
    assert sql(ok, "SELECT (SELECT count(*) FROM companies) AS companies, (SELECT count(*) FROM contacts)"
                   " AS contacts, (SELECT count(*) FROM users) AS users") == before
    assert [r["name"] for r in sql(ok, "SELECT name FROM companies WHERE name IN ('Newco', 'Otherco')")] == []


def test_an_activity_names_the_deal_of_its_title_at_its_company(ok: Run, cli: Run, tmp_path: Path, db: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "d.csv", "title,company\nRenewal,Acme\nRenewal,Beta\nUpsell,Acme\n"
                                                       "Solo,\n")))
    before = digest(db)
    res = cli("import", "activities", str(write(tmp_path, "a.csv", "type,subject,date,deal,company\n"
                                                                   "call,One,2026-11-20,Renewal,Gamma\n")))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (4, 'Error: a.csv:2: deal "Renewal" is ambiguous: 2 deals'
                                                              " match, none at company Gamma (1 at Acme; 2 at Beta);"
                                                              " give the deal's external id")
    assert digest(db) == before
    # the one deal of a title, at another company than the row's (a CRM may give the contact's): linked, and said
    res = ok("import", "activities", str(write(tmp_path, "b.csv", "type,subject,date,deal,company\n"
                                                                  "call,One,2026-11-20,Renewal,beta\n"
                                                                  "call,Two,2026-11-20,Upsell,Beta\n"
                                                                  "call,Three,2026-11-20,Upsell,Beta\n"
                                                                  "call,Four,2026-11-20,Solo,Beta\n")))
    assert res.stderr.splitlines()[1] == ("note: 2 activity rows name a company other than their deal's: linked by"
                                          ' the deal\'s title (the first, line 3: deal "Upsell" is at Acme, the row'
                                          " says Beta)")
    assert sql(ok, "SELECT deal_id, company_id FROM activities") == [
        {"deal_id": 2, "company_id": 2}, {"deal_id": 3, "company_id": 2}, {"deal_id": 3, "company_id": 2},
        {"deal_id": 4, "company_id": 2}]


def test_a_sheets_done_column_and_pipedrives_organization_columns_are_read(ok: Run, tmp_path: Path) -> None:
    ok("company", "add", "Initech")
    ok("import", "companies", str(write(tmp_path, "c.csv", "Organization - ID,Organization - Name\n103,Globex\n")),
       "--preset", "pipedrive")
    sheet = write(tmp_path, "a.csv", "Type,Subject,Due,Done,Company\ntask,Chase,2026-11-20,Yes,Initech\n"
                                     "task,Call back,2026-11-20,No,Initech\n")
    res = ok("import", "activities", str(sheet))
    assert "kept in extra" not in res.stderr
    assert sql(ok, "SELECT subject, done_at FROM activities") == [{"subject": "Chase", "done_at": "2026-11-20"},
                                                                  {"subject": "Call back", "done_at": None}]
    pipedrive = write(tmp_path, "p.csv", "Organization - ID,Organization - Name,Activity - ID,Activity - Type,"
                                         "Activity - Subject,Activity - Due date,Activity - Done\n"
                                         ",Initech,520,Call,Switchboard,2026-11-21,Done\n"
                                         "103,,521,Call,Globex call,2026-11-21,Done\n")
    ok("import", "activities", str(pipedrive), "--preset", "pipedrive")
    assert sql(ok, "SELECT a.subject, c.name FROM activities a JOIN companies c ON c.id = a.company_id"
                   " WHERE a.external_id IS NOT NULL") == [{"subject": "Switchboard", "name": "Initech"},
                                                          {"subject": "Globex call", "name": "Globex"}]


def test_activities_link_by_external_id_title_and_email(ok: Run, cli: Run, tmp_path: Path,
                                                        deals_csv: Path, db: Path) -> None:
    ok("import", "deals", str(deals_csv))
    path = write(tmp_path, "a.csv", "type,subject,date,deal,company,email,due date,status\n"
                                    "call,Kick-off,2026-11-20,Acme renewal,Acme Corp,ana@acme.io,,\n"
                                    "task,Send quote,2026-11-21,Globex pilot,,,2026-11-30,\n"
                                    "task,Old task,2026-10-01,,Initech,,2026-10-05,done\n")
    ok("import", "activities", str(path))
    rows = sql(ok, "SELECT kind, deal_id, contact_id, company_id, occurred_at, due_date, done_at FROM activities")
    assert rows == [
        {"kind": "call", "deal_id": 1, "contact_id": 1, "company_id": 1, "occurred_at": "2026-11-20",
         "due_date": None, "done_at": None},
        {"kind": "task", "deal_id": 2, "contact_id": 2, "company_id": 2, "occurred_at": "2026-11-21",
         "due_date": "2026-11-30", "done_at": None},  # with the deal's contact, as `task add --deal` links it
        {"kind": "task", "deal_id": None, "contact_id": None, "company_id": 3, "occurred_at": "2026-10-05",
         "due_date": "2026-10-05", "done_at": "2026-10-05"},  # a done task happened on its done day
    ]
    assert sql(ok, "SELECT last_activity_at FROM deals WHERE id = 1") == [{"last_activity_at": "2026-11-20"}]
    assert "0 created, 0 updated, 3 unchanged" in ok("import", "activities", str(path)).stderr
    # an import made before deals lent their contact is the same activity: given the contact, not doubled
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE activities SET contact_id = NULL WHERE deal_id = 2")
    assert "0 created, 1 updated, 2 unchanged" in ok("import", "activities", str(path)).stderr
    assert sql(ok, "SELECT count(*) AS n, max(contact_id) AS c FROM activities WHERE deal_id = 2") == [
        {"n": 1, "c": 2}]
    bad = write(tmp_path, "b.csv", "subject,deal\nX,No such deal\n")
    res = cli("import", "activities", str(bad))
    assert res.exit_code == 4
    assert "deal \"No such deal\" is no deal's title or external id (import the deals first)" in res.stderr
    # a deal column holding a deal's external id (a CRM's Deal ID): that deal, with the note a title gets when the
    # row names another company
    ok("deal", "edit", "2", "--external-id", "D-77")
    ok("import", "activities", str(write(tmp_path, "x.csv", "subject,deal,date\nBy id,D-77,2026-11-28\n")))
    assert sql(ok, "SELECT deal_id FROM activities WHERE subject = 'By id'") == [{"deal_id": 2}]
    res = ok("import", "activities", str(write(tmp_path, "y.csv", "subject,deal,company,date\n"
                                                                 "Elsewhere,D-77,Initech,2026-11-28\n")))
    assert "activity row names a company other than its deal's: linked by the deal's external id" in res.stderr


def test_an_activity_on_one_of_two_deals_of_a_title_is_told_apart_by_its_contact(ok: Run, tmp_path: Path) -> None:
    ok("company", "add", "Acme")
    ok("contact", "add", "Ana", "--email", "ana@acme.io", "--company", "Acme")
    ok("contact", "add", "Bo", "--email", "bo@acme.io", "--company", "Acme")
    ok("deal", "add", "Renewal", "--company", "Acme", "--contact", "ana@acme.io")
    ok("deal", "add", "Renewal", "--company", "Acme", "--contact", "bo@acme.io")
    path = write(tmp_path, "a.csv", "type,subject,date,deal,email\ncall,Terms,2026-11-20,Renewal,bo@acme.io\n")
    ok("import", "activities", str(path))
    assert sql(ok, "SELECT deal_id, contact_id FROM activities") == [{"deal_id": 2, "contact_id": 2}]


def test_activities_dated_after_today_are_noted_and_leave_the_last_activity(ok: Run, tmp_path: Path,
                                                                           deals_csv: Path) -> None:
    ok("import", "deals", str(deals_csv))
    path = write(tmp_path, "a.csv", "type,subject,date,deal\ncall,Planned call,2027-01-15,Acme renewal\n"
                                    "meeting,Demo,2026-11-20,Acme renewal\n")
    res = ok("import", "activities", str(path))  # (--today 2026-11-26)
    assert ("note: 1 activity is dated after today (planned?): imported as it is, without moving the last activity"
            " of its deal, contact or company ahead (check the file's dates, or --today)") in res.stderr
    assert sql(ok, "SELECT last_activity_at FROM deals WHERE id = 1") == [{"last_activity_at": "2026-11-20"}]
    assert sql(ok, "SELECT occurred_at FROM activities ORDER BY id") == [{"occurred_at": "2027-01-15"},
                                                                        {"occurred_at": "2026-11-20"}]
    ok("activity", "rm", "2", "--yes")  # the last one that happened goes: the planned one is not it yet
    assert sql(ok, "SELECT last_activity_at FROM deals WHERE id = 1") == [{"last_activity_at": None}]


def test_activities_the_file_gives_no_date_keep_their_first_day_on_a_reimport(ok: Run, cli: Run,
                                                                                tmp_path: Path) -> None:
    ok("company", "add", "Acme")
    ok("activity", "log", "note", "Quick note", "--company", "Acme", "--date", "2026-11-02")  # (a day of its own)
    ok("import", "activities", str(write(tmp_path, "o.csv", "kind,subject,body,company\nnote,Quick note,other,Acme\n")),
       today="2026-11-20")  # (imported without a date too, with another body)
    path = write(tmp_path, "a.csv", "external_id,kind,subject,due_date,status,company\n"
                                    "T1,task,Send quote,2026-12-10,open,Acme\n,note,Quick note,,,Acme\n"
                                    ",note,Quick note,,,Acme\n,task,Send deck,,done,Acme\n")
    assert "4 created" in ok("import", "activities", str(path)).stderr
    res = cli("import", "activities", str(path), today="2026-11-30")  # (the rows were dated the first import's day)
    assert res.exit_code == 0 and "0 created, 0 updated, 4 unchanged" in res.stderr
    assert sql(ok, "SELECT kind, occurred_at, done_at FROM activities WHERE id > 2 ORDER BY id") == [
        {"kind": "task", "occurred_at": "2026-11-26", "done_at": None},
        {"kind": "note", "occurred_at": "2026-11-26", "done_at": None},
        {"kind": "note", "occurred_at": "2026-11-26", "done_at": None},
        {"kind": "task", "occurred_at": "2026-11-26", "done_at": "2026-11-26"}]
    dated = write(tmp_path, "c.csv", "kind,subject,status,company,created_at\ntask,Send memo,done,Acme,2026-10-01\n")
    ok("import", "activities", str(dated))  # (done, with no due or done day: done on the import day, kept so)
    assert "0 created, 0 updated, 1 unchanged" in ok("import", "activities", str(dated), today="2026-11-30").stderr
    assert sql(ok, "SELECT occurred_at, body FROM activities WHERE id <= 2 ORDER BY id") == [
        {"occurred_at": "2026-11-02", "body": None}, {"occurred_at": "2026-11-20", "body": "other"}]


def test_a_call_not_done_yet_is_a_task_due_on_its_date(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "external_id,kind,subject,due_date,status,company\n"
                                    "C1,call,Follow-up call,2026-12-03,To do,Acme\n"
                                    "C2,meeting,Demo,2026-11-20,done,Acme\n")
    res = ok("import", "activities", str(path))
    assert res.stderr.splitlines()[1] == ('note: 1 call or meeting not done yet is imported as a task due on its date'
                                          ' (line 2: call "Follow-up call"; its kind kept as extra.planned_kind)')
    assert sql(ok, "SELECT kind, occurred_at, due_date, done_at, extra FROM activities ORDER BY id") == [
        {"kind": "task", "occurred_at": "2026-11-26", "due_date": "2026-12-03", "done_at": None,
         "extra": '{"planned_kind": "call"}'},
        {"kind": "meeting", "occurred_at": "2026-11-20", "due_date": None, "done_at": None, "extra": None}]
    assert "Follow-up call" in ok("task", "list").stdout  # (a call logged as done would be in no one's agenda)
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "activities", str(path)).stderr
    # a later export has the call done: the task it stood for becomes that call (no task left open beside it)
    done = write(tmp_path, "b.csv", "kind,subject,due_date,status,company\ncall,Catch-up,2026-12-04,To do,Acme\n")
    ok("import", "activities", str(done))
    done.write_text(done.read_text().replace("To do", "done"))
    res = ok("import", "activities", str(done), today="2026-12-05")
    assert "0 created, 1 updated" in res.stderr and "empty cells" not in res.stderr
    assert sql(ok, "SELECT kind, occurred_at, due_date, extra FROM activities WHERE subject = 'Catch-up'") == [
        {"kind": "call", "occurred_at": "2026-12-04", "due_date": None, "extra": None}]
    assert sql(ok, "SELECT last_activity_at FROM companies") == [{"last_activity_at": "2026-12-04"}]
    done.write_text(done.read_text().replace("done", "To do"))  # (the older file again: the call stays a call)
    res = ok("import", "activities", str(done), today="2026-12-06")
    assert res.stderr.splitlines()[1:] == ["imported b.csv: 1 row — 0 created, 0 updated, 1 unchanged, 0 rejected"]
    assert sql(ok, "SELECT kind FROM activities WHERE subject = 'Catch-up'") == [{"kind": "call"}]


def test_a_planned_call_done_since_is_written_once_and_dated_when_it_was_done(ok: Run, tmp_path: Path) -> None:
    head = "external_id,kind,subject,due_date,status,done_at,company\n"
    planned = write(tmp_path, "a.csv", head + "M1,meeting,On-site demo,2026-12-03,To do,,Acme\n")
    ok("import", "activities", str(planned))
    done = write(tmp_path, "b.csv", head + "M1,meeting,On-site demo,2026-12-03,Done,2026-12-03 12:00:00,Acme\n"
                                           "C1,call,Early call,2026-12-10,Done,2026-12-05 16:00:00,Acme\n")
    assert "1 created, 1 updated, 0 unchanged" in ok("import", "activities", str(done), today="2026-12-06").stderr
    # the same file again changes nothing (its second run wrote the done time the first had dropped)
    res = ok("import", "activities", str(done), today="2026-12-06")
    assert "0 created, 0 updated, 2 unchanged" in res.stderr
    assert sql(ok, "SELECT kind, occurred_at, due_date, done_at, extra FROM activities ORDER BY id") == [
        {"kind": "meeting", "occurred_at": "2026-12-03", "due_date": None, "done_at": "2026-12-03", "extra": None},
        # marked done five days before its due day: it happened then (and counts today, not in the future); its
        # due day kept beside, so an older file planning it finds it
        {"kind": "call", "occurred_at": "2026-12-05", "due_date": "2026-12-10", "done_at": "2026-12-05",
         "extra": None}]
    assert sql(ok, "SELECT last_activity_at FROM companies") == [{"last_activity_at": "2026-12-05"}]


def test_activities_of_a_sweep_done_flags_dates_and_an_older_file_again(ok: Run, tmp_path: Path) -> None:
    # a Done column beside the done time (Pipedrive's plain export), and not-done words of many spellings
    pd = write(tmp_path, "pd.csv", "Subject,Type,Due date,Done,Marked as done time\n"
                                   "Call Ana,Call,2026-11-10,Done,2026-11-10 10:00\n"
                                   "T1,task,2026-11-10,Not done,\nT2,task,2026-11-10,-,\nC1,call,2026-11-10,No,\n")
    ok("import", "activities", str(pd), today="2026-11-20")
    assert sql(ok, "SELECT kind, subject, occurred_at, due_date, done_at FROM activities ORDER BY id") == [
        {"kind": "call", "subject": "Call Ana", "occurred_at": "2026-11-10", "due_date": None,
         "done_at": "2026-11-10"},
        {"kind": "task", "subject": "T1", "occurred_at": "2026-11-20", "due_date": "2026-11-10", "done_at": None},
        {"kind": "task", "subject": "T2", "occurred_at": "2026-11-20", "due_date": "2026-11-10", "done_at": None},
        {"kind": "task", "subject": "C1", "occurred_at": "2026-11-20", "due_date": "2026-11-10", "done_at": None}]
    # a call dated in the past is held then, whatever its due day ahead; one dated ahead is planned
    held = write(tmp_path, "held.csv", "Type,Subject,Date,Due date\ncall,Intro call,2026-11-10,2026-12-05\n"
                                       "call,Next call,2026-12-05,2026-12-05\n")
    ok("import", "activities", str(held), today="2026-11-20")
    assert sql(ok, "SELECT kind, occurred_at FROM activities WHERE subject LIKE '% call' ORDER BY id") == [
        {"kind": "call", "occurred_at": "2026-11-10"}, {"kind": "task", "occurred_at": "2026-12-05"}]
    # a call done while its due day is still ahead was held by now, not in the future
    ahead = write(tmp_path, "ahead.csv", "Type,Subject,Due date,Done\ncall,Early,2026-12-01,yes\n")
    ok("import", "activities", str(ahead), today="2026-11-20")
    assert sql(ok, "SELECT occurred_at, due_date FROM activities WHERE subject = 'Early'") == [
        {"occurred_at": "2026-11-20", "due_date": "2026-12-01"}]
    for day in ("2026-11-20", "2026-11-22", "2026-12-05"):  # (on later days too, its due day come and gone)
        assert "1 unchanged" in ok("import", "activities", str(ahead), today=day).stderr, day
    # a planned call done before its day, then the older file planning it again: the same call, not a new task
    head = "Subject,Type,Due date,Status,Marked as done time\n"
    planned = write(tmp_path, "p1.csv", head + "Call Bo,call,2026-11-25,To do,\n")
    done = write(tmp_path, "p2.csv", head + "Call Bo,call,2026-11-25,Done,2026-11-18 10:00\n")
    for path, outcome in ((planned, "1 created"), (done, "1 updated"), (planned, "1 unchanged"),
                          (done, "1 unchanged")):
        assert outcome in ok("import", "activities", str(path), today="2026-11-20").stderr, (path.name, outcome)
    assert sql(ok, "SELECT kind, occurred_at, due_date FROM activities WHERE subject = 'Call Bo'") == [
        {"kind": "call", "occurred_at": "2026-11-18", "due_date": "2026-11-25"}]


def test_identical_activities_are_kept_and_reimported_once(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "kind,subject,date\ncall,Chat,2026-11-20\ncall,Chat,2026-11-20\n")
    assert "2 created" in ok("import", "activities", str(path)).stderr
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "activities", str(path)).stderr


def test_users_refuse_columns_they_cannot_keep(cli: Run, ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", "sales_agent,manager,regional_office,shoe size\nAna,Bo,West,38\n")
    res = cli("import", "users", str(path))
    assert res.exit_code == 4 and 'users have no extra fields, so columns "shoe size" would be lost' in res.stderr
    ok("import", "users", str(path), "--map", "shoe size=-")
    assert sql(ok, "SELECT name, team, territory FROM users") == [{"name": "Ana", "team": "Bo", "territory": "West"}]


def test_users_import_keeps_one_spelling_per_team_and_notes_a_slip(ok: Run, tmp_path: Path) -> None:
    ok("user", "add", "dana", "--team", "East")
    path = write(tmp_path, "u.csv", "name,team\namy,east\nbo,EAST\ncy,Eest\ndi,West\nel,WEST\n")
    res = ok("import", "users", str(path))
    assert ('note: 1 team "Eest" is a new team, one slip from team East: check the file, or map the value'
            ' (--map-file values: {"team": {"Eest": "East"}})') in res.stderr
    assert sql(ok, "SELECT team, count(*) AS n FROM users GROUP BY team ORDER BY team") == [
        {"team": "East", "n": 3}, {"team": "Eest", "n": 1}, {"team": "West", "n": 2}]
    assert "5 unchanged" in ok("import", "users", str(path)).stderr
    ok("db", "check")  # (two spellings of one team are a problem it lists)


def test_decimal_comma_amounts_from_a_european_spreadsheet(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "eu.csv", 'Titel;Betrag;Stage\nAlpha;"1.234,56";Proposal\nBeta;99,5;Proposal\n'
                                      "Gamma;12;Proposal\n")
    ok("init")
    before = digest(db)
    res = cli("import", "deals", str(path), "--map", "Titel=title", "--map", "Betrag=amount")
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == (
        'Error: eu.csv:2: Betrag "1.234,56" has misplaced thousands separators (use , for thousands and . for'
        " decimals: 12,000.50); amounts like 1.234,56 need --decimal-comma")
    plan = ok("import", "deals", str(path), "--map", "Titel=title", "--map", "Betrag=amount", "--decimal-comma",
              "--dry-run").stdout
    assert "  amounts read with a decimal comma (1.234,56)" in plan.splitlines()
    ok("import", "deals", str(path), "--map", "Titel=title", "--map", "Betrag=amount", "--decimal-comma")
    assert sql(ok, "SELECT title, amount_minor FROM deals ORDER BY id") == [
        {"title": "Alpha", "amount_minor": 123456}, {"title": "Beta", "amount_minor": 9950},
        {"title": "Gamma", "amount_minor": 1200}]
    # a map file says it once for every import of that export
    mapfile = write(tmp_path, "eu.toml", 'decimal_comma = true\ncolumns = { Titel = "title", Betrag = "amount" }\n')
    res = ok("import", "deals", str(path), "--map-file", str(mapfile))
    assert "0 created, 0 updated, 3 unchanged" in res.stderr


def test_a_decimal_comma_refuses_thousands_commas_instead_of_reading_cents(cli: Run, ok: Run, db: Path,
                                                                           tmp_path: Path) -> None:
    path = write(tmp_path, "us.csv", "Deal Name;Amount;Stage\nA;5,000;Qualification\nB;1,234;Qualification\n")
    ok("init")
    before = digest(db)
    res = cli("import", "deals", str(path), "--decimal-comma")
    assert res.exit_code == 4 and digest(db) == before
    assert res.stderr.splitlines()[0] == (
        'Error: us.csv:2: Amount "5,000" is ambiguous: 5000 or 5,00? write 5000 or 5,00')
    res = cli("import", "deals", str(path), "--decimal-comma", "--dry-run")
    assert ('us.csv:3: Amount "1,234" has more decimals than an amount allows (2); the comma is read as the decimal'
            " mark (decimal_comma is on)") in res.stdout


def test_an_unknown_salesforce_lead_id_says_to_import_the_leads_first(cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "subject,who\nCall,00QEc00000BBaeqMAD\nMail,003Ec00000ABCDEFGH\n")
    res = cli("import", "activities", str(path), "--map", "who=contact_external_id", "--dry-run")
    assert res.exit_code == 4
    assert ('t.csv:2: who "00QEc00000BBaeqMAD" is not the external id of any contact: a Salesforce Lead id'
            " (import Lead.csv as contacts first, with --preset salesforce)") in res.stderr
    assert ('  t.csv:3: who "003Ec00000ABCDEFGH" is not the external id of any contact (import the contacts first)\n'
            in res.stdout)  # the plan lists every error


def test_a_task_done_between_two_imports_is_the_same_task(ok: Run, tmp_path: Path) -> None:
    # no external ids: a task is known by subject, links and due day (its day moves to the done day)
    open_row = write(tmp_path, "t1.csv", "kind,subject,date,due date,done_at\ntask,Send quote,2026-11-01,2026-11-05,\n")
    done_row = write(tmp_path, "t2.csv", "kind,subject,date,due date,done_at\n"
                                         "task,Send quote,2026-11-01,2026-11-05,2026-11-04\n")
    ok("import", "activities", str(open_row))
    assert "0 created, 1 updated, 0 unchanged" in ok("import", "activities", str(done_row)).stderr
    assert "0 created, 0 updated, 1 unchanged" in ok("import", "activities", str(done_row)).stderr
    ok("task", "add", "Call back", "--due", "2026-11-30")
    ok("export", "activities", "-o", str(tmp_path / "before.csv"))
    ok("task", "done", "2", today="2026-11-29")  # done after the export was taken
    res = ok("import", "activities", str(tmp_path / "before.csv"), today="2026-11-29")
    assert "0 created, 0 updated, 2 unchanged" in res.stderr
    assert sql(ok, "SELECT id, occurred_at, done_at FROM activities ORDER BY id") == [
        {"id": 1, "occurred_at": "2026-11-04", "done_at": "2026-11-04"},
        {"id": 2, "occurred_at": "2026-11-29", "done_at": "2026-11-29"}]


def test_a_partial_re_import_leaves_what_its_file_does_not_have(ok: Run, tmp_path: Path) -> None:
    full = write(tmp_path, "full.csv", "id,title,stage,amount,currency,close,probability\n"
                                       "X1,Support,Won,5000,GBP,2024-05-10,\nX2,Other,Proposal,700,JPY,2027-01-01,70\n")
    ok("import", "deals", str(full))
    before = sql(ok, "SELECT id, stage_id, status, currency, amount_minor, won_at, probability FROM deals")
    part = write(tmp_path, "part.csv", "id,title,amount\nX1,Support,5000\nX2,Other,800\n")  # no stage, no currency
    assert "0 created, 1 updated, 1 unchanged" in ok("import", "deals", str(part)).stderr
    after = sql(ok, "SELECT id, stage_id, status, currency, amount_minor, won_at, probability FROM deals")
    assert after == [before[0], {**before[1], "amount_minor": 800}]  # 800 JPY: the deal's currency, kept


def test_a_deal_links_its_contact_by_name_when_the_file_has_no_email(ok: Run, tmp_path: Path) -> None:
    people = write(tmp_path, "p.csv", "Person - Name,Person - Email (Work),Person - Organization\n"
                                      "Sepp Huber,,Nordwind\nKlaus Fischer,klaus@nw.de,Nordwind\n")
    ok("import", "contacts", str(people), "--preset", "pipedrive")
    deals = write(tmp_path, "d.csv", "Deal - Title,Deal - Stage,Deal - Status,Organization - Name,Person - Name\n"
                                     "Big,Qualification,Open,Nordwind,Sepp Huber\n"
                                     "New,Qualification,Open,Nordwind,Anna Neu\n")
    res = ok("import", "deals", str(deals), "--preset", "pipedrive")
    assert "also created 1 contact" in res.stderr
    rows = sql(ok, "SELECT d.title, p.name FROM deals d JOIN contacts p ON p.id = d.contact_id ORDER BY d.id")
    assert rows == [{"title": "Big", "name": "Sepp Huber"}, {"title": "New", "name": "Anna Neu"}]


def test_a_pipedrive_person_with_a_home_address_only_gets_it_as_email(ok: Run, tmp_path: Path) -> None:
    people = write(tmp_path, "p.csv", "Person - ID,Person - Name,Person - Email - Work,Person - Email - Home,"
                                      "Person - Organization\n1,Peter Gibbons,,peter@home.net,Initech\n"
                                      "2,Bill L,bill@initech.com,b@home.net,Initech\n")
    ok("import", "contacts", str(people), "--preset", "pipedrive")
    assert sql(ok, "SELECT email FROM contacts ORDER BY id") == [{"email": "peter@home.net"},
                                                                  {"email": "bill@initech.com"}]
    more = write(tmp_path, "q.csv", "Person - ID,Person - Name,Person - Email - Work,Person - Email - Home\n"
                                    "3,Milton,,\"milton@home.net, red@stapler.com\"\n")
    res = ok("import", "contacts", str(more), "--preset", "pipedrive")
    assert "note: 1 row gives several e-mail addresses" in res.stderr
    assert sql(ok, "SELECT email FROM contacts WHERE name = 'Milton'") == [{"email": "milton@home.net"}]


def test_a_cell_of_several_email_addresses_gives_the_first(ok: Run, cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "name,email\nOli Pratt,\"oli@pratt.com, oli2@pratt.com\"\nBad,\"a@x.io; nope\"\n")
    res = cli("import", "contacts", str(path), "--on-error", "skip")
    assert res.stderr.splitlines()[1:3] == [
        "note: 1 row gives several e-mail addresses (a, b): the first is the e-mail, the cell is kept in extra",
        "imported p.csv: 2 rows — 1 created, 0 updated, 0 unchanged, 1 rejected (batch 1)"]
    assert sql(ok, "SELECT email, extra FROM contacts") == [
        {"email": "oli@pratt.com", "extra": '{"email": "oli@pratt.com, oli2@pratt.com"}'}]


def test_a_deals_person_email_cell_of_several_addresses_links_the_first(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Deal - ID,Deal - Title,Deal - Organization,Person - Name,Person - Email\n"
                                    '10,Acme deal,Acme,Ana Silva,"ana@acme.io, ana.silva@gmail.com"\n'
                                    '11,Beta deal,Acme,,"Ben Otto <ben@acme.io>, b@x.io"\n'
                                    "12,Doe deal,Acme,\"Doe, Jane\",\n")
    res = ok("import", "deals", str(path), "--preset", "pipedrive")
    assert ("note: 2 rows give several e-mail addresses (a, b): the first of each is the e-mail, the cell is kept in"
            " extra") in res.stderr
    assert sql(ok, "SELECT d.title, p.name, p.email, d.extra FROM deals d JOIN contacts p ON p.id = d.contact_id"
                   " ORDER BY d.id") == [
        {"title": "Acme deal", "name": "Ana Silva", "email": "ana@acme.io",
         "extra": '{"Person - Email": "ana@acme.io, ana.silva@gmail.com"}'},
        {"title": "Beta deal", "name": "Ben Otto", "email": "ben@acme.io",
         "extra": '{"Person - Email": "Ben Otto <ben@acme.io>, b@x.io"}'},
        {"title": "Doe deal", "name": "Doe, Jane", "email": None, "extra": None}]
    assert "0 created, 0 updated, 3 unchanged" in ok("import", "deals", str(path), "--preset", "pipedrive").stderr


def test_closed_deals_without_a_close_date_are_said_to_be_dated_today(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "title,stage,close\nA,Won,\nB,Lost,2024-01-05\nC,Lost,\n")
    res = ok("import", "deals", str(path))
    assert ('note: 2 won/lost deals have no close date in the file ("close" empty): closed on 2026-11-26, the import'
            " day") in res.stderr
    assert "no close date" not in ok("import", "deals", str(path)).stderr  # a re-import keeps their dates
    res = ok("import", "deals", str(write(tmp_path, "d.csv", "title,stage\nD,Won\n")))  # no closing column at all
    assert ("note: 1 won/lost deal has no close date in the file: closed on 2026-11-26 (the import day; map its"
            ' closing date column, e.g. --map "Won time=won_at")') in res.stderr


def test_an_owner_spelt_in_another_case_is_the_same_user(ok: Run, tmp_path: Path) -> None:
    ok("user", "add", "Dana Kim")
    path = write(tmp_path, "o.csv", "title,owner,company\nA,Dana Kim,\nB,dana kim,\nC,DANA KIM,New Co\n"
                                    "D,Lee,\nE,LEE,\n")
    ok("import", "deals", str(path))
    assert sql(ok, "SELECT owner, count(*) AS n FROM deals GROUP BY owner ORDER BY owner") == [
        {"owner": "Dana Kim", "n": 3}, {"owner": "Lee", "n": 2}]
    assert sql(ok, "SELECT owner FROM companies") == [{"owner": "Dana Kim"}]  # the company a row created
    ok("import", "companies", str(write(tmp_path, "c.csv", "name,owner\nNew Co,LEE\n")))
    assert sql(ok, "SELECT owner FROM companies") == [{"owner": "Lee"}]


def test_an_amount_with_a_thousands_dot_is_not_read_as_cents(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "title,amount,currency\nA,23.400,EUR\n")
    res = cli("import", "deals", str(path))
    assert res.exit_code == 4
    assert res.stderr.startswith('Error: a.csv:2: amount "23.400" is ambiguous: 23400 or 23.40? write 23400 or'
                                 " 23.40; amounts like 1.234,56 need --decimal-comma\n")
    ok("import", "deals", str(path), "--decimal-comma")
    assert sql(ok, "SELECT amount_minor FROM deals") == [{"amount_minor": 2_340_000}]


def test_empty_cells_keep_the_stored_values_and_say_so(ok: Run, tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "d.csv", "title,amount,notes,company\nA,5,hello,Acme\nB,6,,Acme\n")))
    before = sql(ok, "SELECT title, amount_minor, notes, company_id FROM deals ORDER BY id")
    blanked = write(tmp_path, "b.csv", "title,amount,notes,company\nA,,,Acme\nB,6,,Acme\n")  # (B's notes: none)
    res = ok("import", "deals", str(blanked))
    assert ("note: 1 row has empty cells where its deal has a value: the values stay (an import never clears a"
            " field; `salescli deal edit` does)\n") in res.stderr
    assert "0 created, 0 updated, 2 unchanged" in res.stderr
    assert sql(ok, "SELECT title, amount_minor, notes, company_id FROM deals ORDER BY id") == before
    res = ok("import", "companies", str(write(tmp_path, "c.csv", "name,domain\nAcme,\n")))
    assert "note:" not in res.stderr  # (nothing stored to keep)


def test_deals_in_a_currency_without_a_rate_are_noted(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,amount,currency\nA,5,EUR\nB,€6,\nC,7,EUE\nD,1,USD\nE,,GBP\n")
    res = ok("import", "deals", str(path))
    assert ("note: 1 deal is in EUE, which has no exchange rate: totals in USD leave it out (EUE is no ISO 4217"
            " currency (did you mean EUR?); salescli fx set EUE RATE)\nnote: 2 deals are in EUR, which has no exchange"
            " rate: totals in USD leave them out (salescli fx set EUR RATE)\n") in res.stderr
    ok("fx", "set", "EUR", "1.1")
    ok("deal", "add", "Another", "--amount", "1", "--currency", "EUE")
    res = ok("import", "deals", str(path))
    assert "deals are in EUR" not in res.stderr and "note: 1 deal is in EUE" in res.stderr  # (the file's rows)


def test_a_partial_re_import_reads_amounts_in_the_deals_currency_and_keeps_a_fitting_stage(
        cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    full = write(tmp_path, "f.csv", "id,title,stage,amount,currency,close\n"
                                    "K1,Kw,Proposal,1.500,KWD,2027-01-01\nC1,Maple,Negotiation,1000,CAD,2027-01-01\n"
                                    "W1,Won one,Won,50,USD,2026-01-05\n")
    ok("import", "deals", str(full))
    part = write(tmp_path, "p.csv", 'id,title,amount,status\nK1,Kw,2.500,open\nC1,Maple,"$1,200",open\n')
    assert "0 created, 2 updated" in ok("import", "deals", str(part)).stderr
    assert sql(ok, "SELECT currency, amount_minor, stage_id FROM deals ORDER BY id")[:2] == [
        {"currency": "KWD", "amount_minor": 2500, "stage_id": 4}, {"currency": "CAD", "amount_minor": 120000,
                                                                   "stage_id": 5}]
    before = digest(db)
    res = cli("import", "deals", str(write(tmp_path, "c.csv", "id,title,currency\nC1,Maple,JPY\n")))
    assert res.exit_code == 4 and res.stderr.startswith(
        'Error: c.csv:2: currency "JPY" changes the deal\'s currency from CAD but the row has no amount')
    res = cli("import", "deals", str(write(tmp_path, "j.csv", "id,title,amount\nK1,Kw,1500.1234\n")), "--dry-run")
    assert res.exit_code == 4  # a row error naming line and value (it was exit 2, with no line)
    assert 'j.csv:2: amount "1500.1234" has more decimals than KWD allows (3)' in res.stdout
    assert digest(db) == before
    ok("import", "deals", str(write(tmp_path, "w.csv", "id,title,won_at\nW1,Won one,2026-01-06\n")))
    assert sql(ok, "SELECT status, won_at, probability FROM deals WHERE external_id = 'W1'") == [
        {"status": "won", "won_at": "2026-01-06", "probability": 100}]


def test_a_contact_named_without_email_is_looked_for_at_the_deals_company_only(ok: Run, tmp_path: Path) -> None:
    ok("contact", "add", "Ana Silva", "--company", "Acme")
    ok("contact", "add", "Pat Roe", "--company", "Globex")
    ok("contact", "add", "Pat Roe", "--company", "Globex", "--email", "pat2@globex.io")
    path = write(tmp_path, "d.csv", "title,company,contact_name\nA,Brightline,Ana Silva\nB,Globex,Pat Roe\n")
    ok("import", "deals", str(path))  # two Pat Roes at Globex: not refused, left unlinked
    rows = sql(ok, "SELECT d.title, p.name, c.name AS at FROM deals d LEFT JOIN contacts p ON p.id = d.contact_id"
                   " LEFT JOIN companies c ON c.id = p.company_id ORDER BY d.id")
    assert rows == [{"title": "A", "name": "Ana Silva", "at": "Brightline"}, {"title": "B", "name": None, "at": None}]


def test_deals_created_after_today_are_noted(ok: Run, tmp_path: Path) -> None:
    res = ok("import", "deals", str(write(tmp_path, "f.csv", "title,created\nA,2027-06-01\nB,2026-01-01\n")))
    assert ("note: 1 deal has a created date after today (imported as it is: check the file's dates, or --today)"
            in res.stderr)


def test_deals_closed_after_today_are_noted(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "title,stage,won_at,lost_at,lost_reason\nA,Won,2027-01-01,,\nB,Won,2026-01-01,,\n"
                                    "C,Lost,,2026-12-01,price\n")
    res = ok("import", "deals", str(path))  # today is 2026-11-26: a --today slip, or a file from the future
    assert ("note: 2 won/lost deals have a close date after today (imported as they are: check the file's dates,"
            " or --today)\n" in res.stderr)


def test_open_deals_a_file_gives_probability_0_are_noted(ok: Run, tmp_path: Path) -> None:
    # a Salesforce export carries each opportunity's own probability; 0 on an open one weighs nothing
    path = write(tmp_path, "p.csv", "title,stage,amount,probability\nA,Proposal,1000,0\nB,Proposal,1000,60\n"
                                    "C,Lost,1000,0\n")
    note = ("note: 1 open deal comes with a probability of 0 (its stage's is higher): it weighs nothing in the"
            " weighted forecast (deal edit --probability, or drop the file's probability column)")
    assert note in ok("import", "deals", str(path), "--on-error", "skip").stderr
    path.write_text("title,stage,amount,probability\nA,Proposal,2000,0\n")  # a refresh of the same deal
    assert note in ok("import", "deals", str(path)).stderr


def test_an_export_edited_to_a_later_stage_takes_that_stages_probability(ok: Run, tmp_path: Path) -> None:
    ok("deal", "add", "Globex", "--amount", "5000", "--stage", "Needs Analysis")
    ok("deal", "add", "Own odds", "--amount", "5000", "--stage", "Needs Analysis", "--probability", "55")
    exported = tmp_path / "deals.csv"
    ok("export", "deals", "-o", str(exported))
    text = exported.read_text()
    assert text.count(",Needs Analysis,") == 2
    exported.write_text(text.replace(",Needs Analysis,", ",Negotiation,"))  # moved on in the spreadsheet
    ok("import", "deals", str(exported))
    # the same file again changes nothing (its 40 was the earlier stage's, not an edit: it did flip to 40 and back)
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(exported)).stderr
    deals = {d["title"]: d for d in json.loads(ok("deal", "list", "-f", "json").stdout)}
    # probability_set "no": it follows the stage, and the category the probability; a set one stays
    assert (deals["Globex"]["stage"], deals["Globex"]["probability"], deals["Globex"]["forecast_category"]) == (
        "Negotiation", 80, "commit")
    assert (deals["Own odds"]["probability"], deals["Own odds"]["forecast_category"]) == (55, "best_case")
    # a probability or category edited in the file (its _set column left "no") is the deal's own from then on
    ok("export", "deals", "-o", str(exported))
    with exported.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["title"] == "Globex":
            row["probability"], row["forecast_category"] = "70", "best_case"
    write_rows(exported, rows)
    ok("import", "deals", str(exported))
    globex = next(d for d in json.loads(ok("deal", "list", "-f", "json").stdout) if d["title"] == "Globex")
    assert (globex["stage"], globex["probability"], globex["forecast_category"]) == ("Negotiation", 70, "best_case")
    for _ in range(2):  # and stays so when the file is imported again (it flipped back to the stage's, and again)
        assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(exported)).stderr
    # a probability edited alone (its category still Negotiation's commit, as exported): the category follows it
    assert rows[0]["title"] == "Globex"
    rows[0].update(probability="40", probability_set="no", forecast_category="commit", forecast_category_set="no")
    write_rows(exported, rows)
    ok("import", "deals", str(exported))
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(exported)).stderr
    assert sql(ok, "SELECT title, probability, probability_set, forecast_category, forecast_category_set FROM deals"
                   " ORDER BY id") == [
        {"title": "Globex", "probability": 40, "probability_set": 1, "forecast_category": "pipeline",
         "forecast_category_set": 0},
        {"title": "Own odds", "probability": 55, "probability_set": 1, "forecast_category": "best_case",
         "forecast_category_set": 0}]


def test_an_export_cut_down_to_a_few_columns_and_moved_takes_the_new_stages_probability(ok: Run,
                                                                                         tmp_path: Path) -> None:
    """Without its stage_history column the row cannot say which stage it was exported in: the stages the deal has
    been in stand for it, so the old stage's 20 is no edit, on the first import or the next."""
    ok("deal", "add", "Cut", "--stage", "Qualification")
    exported = tmp_path / "deals.csv"
    ok("export", "deals", "-o", str(exported))
    keep = ["title", "stage", "probability", "probability_set", "forecast_category", "forecast_category_set"]
    with exported.open(newline="") as fh:
        rows = [{k: r[k] for k in keep} for r in csv.DictReader(fh)]
    rows[0]["stage"] = "Negotiation"
    write_rows(exported, rows)
    ok("import", "deals", str(exported))
    assert "0 created, 0 updated, 1 unchanged" in ok("import", "deals", str(exported)).stderr
    assert sql(ok, "SELECT probability, probability_set, forecast_category, forecast_category_set FROM deals") == [
        {"probability": 80, "probability_set": 0, "forecast_category": "commit", "forecast_category_set": 0}]
    rows[0]["probability"] = "65"  # an edit: no stage it was in gives 65
    write_rows(exported, rows)
    ok("import", "deals", str(exported))
    assert "0 created, 0 updated, 1 unchanged" in ok("import", "deals", str(exported)).stderr
    assert sql(ok, "SELECT probability, probability_set, forecast_category FROM deals") == [
        {"probability": 65, "probability_set": 1, "forecast_category": "best_case"}]


def test_two_companies_of_one_name_export_and_import_back(ok: Run, cli: Run, tmp_path: Path) -> None:
    ok("company", "add", "Acme Robotics", "--industry", "robots")
    ok("company", "add", "acme robotics", "--industry", "toys")  # a note, not a refusal: both exist
    exported = tmp_path / "companies.csv"
    ok("export", "companies", "-o", str(exported))
    res = ok("import", "companies", str(exported), "-f", "json")  # the same database: each row is its id's
    assert (json.loads(res.stdout)["created"], json.loads(res.stdout)["unchanged"]) == (0, 2)
    fresh = tmp_path / "fresh.db"
    assert json.loads(ok("import", "companies", str(exported), "-f", "json", database=fresh).stdout)["created"] == 2
    again = tmp_path / "again.csv"
    ok("export", "companies", "-o", str(again), database=fresh)
    assert again.read_text() == exported.read_text()


def test_create_stages_is_not_offered_for_a_new_pipeline_the_file_names_no_stages_for(cli: Run, ok: Run, db: Path,
                                                                                     tmp_path: Path) -> None:
    ok("init")
    path = write(tmp_path, "d.csv", "title,company\nD1,Acme\n")
    for extra in ((), ("--create-stages",)):  # (it was offered, then failed with "pipeline Nope has no open stage")
        res = cli("import", "deals", str(path), "--pipeline", "Nope", *extra)
        assert (res.exit_code, res.stderr) == (3, 'Error: --pipeline "Nope" not found (pipelines: Default; or create'
                                                  ' it: salescli pipeline add Nope --stages "…"; the file has no stage'
                                                  " column to make its stages from)\n")
    path = write(tmp_path, "p.csv", "title,pipeline\nD1,Nope\n")
    res = cli("import", "deals", str(path), "--create-stages")
    assert res.exit_code == 4
    assert res.stderr.startswith('Error: p.csv:2: pipeline "Nope" is not a pipeline (pipelines: Default; the file has'
                                 " no stage column to make its stages from)\n")
    assert sql(ok, "SELECT name FROM pipelines") == [{"name": "Default"}]


def test_deals_of_another_pipeline_import_into_a_new_database_with_create_stages(ok: Run, cli: Run,
                                                                                 tmp_path: Path) -> None:
    ok("pipeline", "add", "Renewals", "--stages", "Due:30,Quoted:60,Signed:100:won,Churned:0:lost")
    ok("deal", "add", "R1", "--pipeline", "Renewals", "--stage", "Quoted", "--amount", "100")
    ok("deal", "move", "1", "Due")
    ok("deal", "add", "R2", "--pipeline", "Renewals", "--stage", "Due", "--amount", "200")
    ok("deal", "won", "2")
    exported = tmp_path / "deals.csv"
    ok("export", "deals", "-o", str(exported))
    fresh = tmp_path / "fresh.db"
    res = cli("import", "deals", str(exported), database=fresh)
    assert res.exit_code == 4
    assert 'pipeline "Renewals" is not a pipeline (pipelines: Default; or pass --create-stages)' in res.stderr
    res = ok("import", "deals", str(exported), "--create-stages", database=fresh)
    assert res.stderr.splitlines()[1:6] == [
        "created pipeline Renewals", "created stage Due (open, 30%) in pipeline Renewals",
        "created stage Quoted (open, 30%) in pipeline Renewals", "created stage Signed (won, 100%) in pipeline"
        " Renewals", "created stage Lost (lost, 0%) in pipeline Renewals"]
    again = tmp_path / "again.csv"
    ok("export", "deals", "-o", str(again), database=fresh)
    assert again.read_text() == exported.read_text()  # (stages as rows first name them: here as they were)
    assert ok("import", "undo", "1", "--yes", database=fresh).stderr == (
        "undid import batch 1 (deals from deals.csv): deleted 2 deals, 4 stages, 1 pipeline; restored 0 updated"
        " records\nkept 1 user it added: one is named since, as an owner or in the history\n")  # (dana, acting)
    assert [p["name"] for p in json.loads(ok("pipeline", "list", "-f", "json", database=fresh).stdout)] == [
        "Default"]


def test_create_stages_reads_a_closed_rows_stage_as_other_crms_write_it(ok: Run, tmp_path: Path) -> None:
    # another CRM's lost deal names the open stage it was lost from: Trial stays an open stage
    path = write(tmp_path, "crm.csv", "title,pipeline,stage,status,lost reason\nA,Partners,Trial,lost,price\n"
                                      "B,Partners,Trial,open,\nC,Partners,,won,\n")
    res = ok("import", "deals", str(path), "--create-stages")
    assert [line for line in res.stderr.splitlines() if line.startswith("created")] == [
        "created pipeline Partners", "created stage Trial (open, 10%) in pipeline Partners",
        "created stage Lost (lost, 0%) in pipeline Partners", "created stage Won (won, 100%) in pipeline Partners"]
    deals = {d["title"]: (d["stage"], d["status"]) for d in json.loads(ok("deal", "list", "-f", "json").stdout)}
    assert deals == {"A": ("Lost", "lost"), "B": ("Trial", "open"), "C": ("Won", "won")}
    ok("deal", "add", "D", "--pipeline", "Partners", "--stage", "Trial")  # used since: undo keeps it whole
    res = ok("import", "undo", "1", "--yes", "--force")
    assert res.stderr.splitlines()[-1] == ("kept pipeline Partners and its stages: in use since the import (deals,"
                                          " the default, or a forecast snapshot)")
    assert [s["name"] for s in json.loads(ok("pipeline", "show", "Partners", "-f", "json").stdout)["stages"]] == [
        "Trial", "Lost", "Won"]


def test_two_contacts_of_one_name_export_and_import_back(ok: Run, tmp_path: Path) -> None:
    ok("contact", "add", "Ann Lee", "--title", "CTO")
    ok("contact", "add", "Ann Lee", "--title", "CFO")  # no e-mail: told apart by nothing but their id
    exported = tmp_path / "contacts.csv"
    ok("export", "contacts", "-o", str(exported))
    res = json.loads(ok("import", "contacts", str(exported), "-f", "json").stdout)
    assert (res["created"], res["unchanged"]) == (0, 2)
    fresh = tmp_path / "fresh.db"
    assert json.loads(ok("import", "contacts", str(exported), "-f", "json", database=fresh).stdout)["created"] == 2
    again = tmp_path / "again.csv"
    ok("export", "contacts", "-o", str(again), database=fresh)
    assert again.read_text() == exported.read_text()


def test_pipeline_option_names_a_new_pipeline_with_create_stages(ok: Run, cli: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "title,stage,amount\nA,Intro,100\nB,Demo,200\n")
    ok("init")
    before = digest(db)
    res = cli("import", "deals", str(path), "--pipeline", "Partners")
    assert (res.exit_code, res.stderr) == (3, 'Error: --pipeline "Partners" not found (pipelines: Default; or pass'
                                              " --create-stages)\n")
    assert digest(db) == before
    ok("import", "deals", str(path), "--pipeline", "Partners", "--create-stages")
    assert [(d["title"], d["pipeline"], d["stage"]) for d in json.loads(ok("deal", "list", "-f", "json").stdout)] == [
        ("A", "Partners", "Intro"), ("B", "Partners", "Demo")]


def test_a_new_pipeline_every_row_of_which_was_refused_is_noted(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "title,pipeline,stage,amount\nA,Partners,Intro,abc\nB,,Prospecting,200\n")
    res = ok("import", "deals", str(path), "--create-stages", "--on-error", "skip", "--rejects",
             str(tmp_path / "rejects.csv"))
    assert ("note: 1 new pipeline, Partners, got no deal: every row naming it was refused (import undo removes"
            " it)") in res.stderr.splitlines()
    assert "deleted 1 deal, 3 stages, 1 pipeline" in ok("import", "undo", "1", "--yes").stderr


def test_history_of_an_import_batch_lists_what_it_wrote(ok: Run, tmp_path: Path) -> None:
    ok("import", "companies", str(write(tmp_path, "c.csv", "name,domain\nGlobex,globex.com\nInitech,initech.io\n")))
    rows = json.loads(ok("history", "import", "1", "-f", "json").stdout)
    assert [(r["entity"], r["entity_id"], r["action"]) for r in rows] == [
        ("user", 1, "create"), ("company", 1, "create"), ("company", 2, "create")]  # (its owner, the acting user)


def test_undo_counts_every_record_linked_since_and_asks_about_them(cli: Run, ok: Run, tmp_path: Path) -> None:
    ok("import", "companies", str(write(tmp_path, "c.csv", "name,domain\nGlobex,globex.com\n")))
    for n in range(60):  # (the refusal listed at most 50 before)
        ok("deal", "add", f"D{n}", "--company", "globex.com")
    res = cli("import", "undo", "1", "--yes")
    assert res.stderr.splitlines()[0].endswith("deal 5 (points at a record it made) and 55 more")
    res = cli("import", "undo", "1", "--force")  # (no terminal, no --yes: the question is in the refusal)
    assert ("delete the 1 company and 1 user it created and unlink the 60 records linked to them since without"
            " --yes") in res.stderr


def test_a_file_that_moves_deals_back_or_reopens_them_says_so(ok: Run, tmp_path: Path) -> None:
    older = write(tmp_path, "o.csv", "external_id,title,stage,amount,expected_close\n"
                                     "E1,A,Qualification,1000,2026-12-20\nE2,B,Qualification,1000,2026-12-20\n")
    ok("import", "deals", str(older))
    ok("deal", "won", "1")
    ok("deal", "move", "2", "Proposal")
    res = ok("import", "deals", str(older), "--dry-run")
    assert ("2 existing deals are moved back a stage or reopened by the file (an older export?): `import undo`"
            " takes them back") in res.stdout + res.stderr


def test_a_re_import_that_moves_a_closed_deals_close_date_moves_its_close_day_and_history(
        ok: Run, cli: Run, db: Path, tmp_path: Path) -> None:
    # a HubSpot-like export: the close date of a won deal is the day it was won; a rep corrects it there
    head = "Record ID,Deal Name,Deal Stage,Close Date,Create Date\n"
    path = write(tmp_path, "d.csv", head + "1,Acme,Won,2026-03-15,2026-01-10\n2,Beta,Proposal,2026-04-01,2026-01-10\n")
    ok("import", "deals", str(path))
    ok("deal", "won", "Beta", "--date", "2026-03-28")  # won here, before its (unchanged) close date
    path.write_text(head + "1,Acme,Won,2026-04-02,2026-01-10\n2,Beta,Won,2026-04-01,2026-01-10\n")
    ok("import", "deals", str(path))
    closed = "SELECT id, won_at, stage_entered_at FROM deals ORDER BY id"
    last_entry = ("SELECT h.deal_id, h.changed_at FROM stage_history h WHERE h.id = (SELECT max(id) FROM"
                  " stage_history WHERE deal_id = h.deal_id) ORDER BY h.deal_id")
    assert sql(ok, closed) == [{"id": 1, "won_at": "2026-04-02", "stage_entered_at": "2026-04-02T00:00:00"},
                               {"id": 2, "won_at": "2026-03-28", "stage_entered_at": "2026-03-28T00:00:00"}]
    assert sql(ok, last_entry) == [{"deal_id": 1, "changed_at": "2026-04-02T00:00:00"},
                                   {"deal_id": 2, "changed_at": "2026-03-28T00:00:00"}]
    assert json.loads(ok("report", "performance", "--period", "2026-Q2", "-f", "json").stdout)["summary"]["won"] == 1
    ok("db", "check")
    ok("import", "undo", "2", "--yes")  # the close day and the entry into Won go back
    assert sql(ok, closed)[0] == {"id": 1, "won_at": "2026-03-15", "stage_entered_at": "2026-03-15T00:00:00"}
    assert sql(ok, last_entry)[0] == {"deal_id": 1, "changed_at": "2026-03-15T00:00:00"}
    ok("db", "check")
    before = digest(db)  # a close date before the deal was created: refused, nothing written
    path.write_text(head + "1,Acme,Won,2026-01-05,2026-01-10\n")
    res = cli("import", "deals", str(path))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (4, f'Error: {path.name}:2: Close Date "2026-01-05" is'
                                                              " before deal 1 was created (2026-01-10); stage history"
                                                              " runs forward")
    assert digest(db) == before


def test_a_re_import_that_moves_a_won_time_moves_the_history_and_notes_a_future_one(ok: Run, tmp_path: Path) -> None:
    head = "Deal - ID,Deal - Title,Deal - Stage,Deal - Won time,Deal - Expected close date,Deal - Deal created\n"
    path = write(tmp_path, "p.csv", head + "101,Acme,Won,2026-05-05 11:00:00,,2026-02-01 10:00:00\n"
                                           "102,Beta,Proposal,,2026-12-20,2026-02-01 10:00:00\n")
    ok("import", "deals", str(path), "--preset", "pipedrive")
    path.write_text(head + "101,Acme,Won,2026-04-28 11:00:00,,2026-02-01 10:00:00\n"
                           "102,Beta,Won,2026-12-20 09:00:00,2026-12-20,2026-02-01 10:00:00\n")
    res = ok("import", "deals", str(path), "--preset", "pipedrive")  # today is 2026-11-26: won in December: a slip
    assert ("note: 1 won/lost deal has a close date after today (imported as it is: check the file's dates, or"
            " --today)\n") in res.stderr
    assert sql(ok, "SELECT d.id, d.won_at, d.stage_entered_at, h.changed_at FROM deals d JOIN stage_history h"
                   " ON h.id = (SELECT max(id) FROM stage_history WHERE deal_id = d.id) WHERE d.id = 1") == [
        {"id": 1, "won_at": "2026-04-28", "stage_entered_at": "2026-04-28T00:00:00",
         "changed_at": "2026-04-28T00:00:00"}]
    ok("db", "check")


def test_an_open_deal_the_file_closes_with_a_future_close_date_is_won_today(ok: Run, tmp_path: Path) -> None:
    """A deal marked Won in a spreadsheet keeps the forecast close date it had: won today (as `deal won` dates it),
    said; the file read again the next day changes nothing; a won_at column gives its own day."""
    ok("deal", "add", "Acme", "--amount", "100", "--close", "2027-01-13")
    ok("deal", "add", "Beta", "--amount", "100", "--close", "2027-01-13")
    path = write(tmp_path, "d.csv", "title,stage,close date,won_at\nAcme,Won,2027-01-13,\nBeta,Won,2027-01-13,"
                                    "2026-11-27\n")
    res = ok("import", "deals", str(path), today="2026-11-28")
    assert res.stderr.splitlines()[1:] == [
        "note: 1 open deal the file closes keeps the close date it had, or one after today: won/lost today, as"
        " `deal won` dates it (a won_at/lost_at column, or a new close date, gives another day)",
        "imported d.csv: 2 rows — 0 created, 2 updated, 0 unchanged, 0 rejected (batch 1)"]
    assert sql(ok, "SELECT title, won_at, stage_entered_at, expected_close FROM deals ORDER BY id") == [
        {"title": "Acme", "won_at": "2026-11-28", "stage_entered_at": "2026-11-28T00:00:00",
         "expected_close": "2027-01-13"},
        {"title": "Beta", "won_at": "2026-11-27", "stage_entered_at": "2026-11-27T00:00:00",
         "expected_close": "2027-01-13"}]
    again = ok("import", "deals", str(path), today="2026-11-29")
    assert "0 created, 0 updated, 2 unchanged" in again.stderr
    ok("db", "check")


def test_a_done_task_due_after_today_is_done_today(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "kind,subject,due_date,status\ntask,Send terms,2026-12-01,Completed\n")
    res = ok("import", "activities", str(path))
    assert ("note: 1 done task is due after today: done today, as `task done` dates it (a done_at column gives"
            " another day)") in res.stderr.splitlines()
    assert sql(ok, "SELECT due_date, done_at, occurred_at FROM activities") == [
        {"due_date": "2026-12-01", "done_at": "2026-11-26", "occurred_at": "2026-11-26"}]
    for later in ("2026-11-28", "2026-12-20"):  # (past its due day too: done already, on its day)
        again = ok("import", "activities", str(path), today=later).stderr
        assert "0 created, 0 updated, 1 unchanged" in again and "note:" not in again, later


def test_a_date_format_reads_its_dates_with_a_time_and_names_an_impossible_day(ok: Run, cli: Run,
                                                                               tmp_path: Path) -> None:
    fmt = write(tmp_path, "m.toml", 'date_format = "%d.%m.%Y"\n')
    path = write(tmp_path, "d.csv", "title,stage,created_at,expected_close\n"
                                    "A,Qualification,01.02.2026 14:22,31.12.2026\n"
                                    "B,Qualification,02.02.2026,31.02.2026\n")
    res = cli("import", "deals", str(path), "--map-file", str(fmt))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (4, 'Error: d.csv:3: expected_close "31.02.2026" is not a'
                                                              " valid date")
    path.write_text("title,stage,created_at,expected_close\nA,Qualification,01.02.2026 14:22,31.12.2026 09:30\n")
    ok("import", "deals", str(path), "--map-file", str(fmt))  # (a close date with a time: its day)
    assert sql(ok, "SELECT created_at, expected_close FROM deals") == [
        {"created_at": "2026-02-01T14:22:00", "expected_close": "2026-12-31"}]


def test_contacts_named_from_their_e_mail_are_noted(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "First Name,Last Name,Email\n,,jane.doe@acme.com\nBob,Bee,bob@acme.com\n"
                                    ",,info@acme.com\n")
    res = ok("import", "contacts", str(path))
    assert ("note: 2 new contacts have no name in the file: named from their e-mail addresses (jane.doe@acme.com as"
            " Jane Doe, info@acme.com as Info; contact edit --name)\n") in res.stderr
    assert [c["name"] for c in json.loads(ok("contact", "list", "-f", "json").stdout)] == ["Jane Doe", "Bob Bee",
                                                                                          "Info"]


def test_new_companies_and_owners_a_slip_from_another_in_the_same_file_are_noted(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Deal Name,Company,Deal owner\nA,Acme Corp,Jane Doe\nB,Acme Corp.,Jane Deo\n"
                                    "C,ACME CORP,Jane Doe\n")
    res = ok("import", "deals", str(path), "--dry-run")
    assert res.stderr.count("note: ") == 2
    assert ('note: 1 new owner is one slip from another the file names: Jane Deo beside Jane Doe: if one is a typo,'
            ' map it (--map-file values: {"owner": {"TYPO": "NAME"}})\n') in res.stderr
    note = ('note: 1 company "Acme Corp." is new beside company "Acme Corp" (the same name but for case, spaces or'
            ' punctuation): check the file, or map the value (--map-file values: {"company": {"Acme Corp.":'
            ' "Acme Corp"}})\n')
    assert note in res.stderr
    values = write(tmp_path, "m.json", '{"values": {"company": {"Acme Corp.": "Acme Corp"}}}')
    res = ok("import", "deals", str(path), "--map-file", str(values))
    assert "also created 1 company (line 2: Acme Corp)\n" in res.stderr
    # HubSpot's several associated companies: the first is the company, the cell kept (as several contacts are)
    path.write_text("Deal Name,Associated Company\nD,Hooli; Hooli XYZ\nE,Smith; Jones LLP\n")
    ok("company", "add", "Smith; Jones LLP")  # (unless a company has that name)
    assert ("note: 1 row names several companies (a;b): the first is linked, the cell is kept in extra\n"
            in ok("import", "deals", str(path)).stderr)
    assert sql(ok, "SELECT d.title, c.name, d.extra FROM deals d JOIN companies c ON c.id = d.company_id"
                   " WHERE d.title IN ('D', 'E') ORDER BY d.id") == [
        {"title": "D", "name": "Hooli", "extra": '{"Associated Company": "Hooli; Hooli XYZ"}'},
        {"title": "E", "name": "Smith; Jones LLP", "extra": None}]
    assert "0 created, 0 updated, 2 unchanged" in ok("import", "deals", str(path)).stderr
    # outside HubSpot's associated-companies column a ";" is part of the name
    ok("import", "deals", str(write(tmp_path, "plain.csv", 'title,company\nF,"Lee; Park Partners"\n')))
    assert sql(ok, "SELECT c.name FROM deals d JOIN companies c ON c.id = d.company_id WHERE d.title = 'F'") == [
        {"name": "Lee; Park Partners"}]
    # many: one line a kind (not a line a name); names two slips apart are not one slip
    rows = "".join(f"E{i},A{i}; B{i},Rep Number{i:03d} Smith\n" for i in range(40))
    path.write_text("Deal Name,Associated Company,Deal owner\n" + rows + "F,Mary Chan Co,Mary Chan\n"
                    "G,Mark Chen Co,Mark Chen\n")
    res = ok("import", "deals", str(path), "--dry-run")
    assert res.stderr.count("note: ") == 1
    assert ("note: 40 rows name several companies (a;b): the first of each is linked, the cell is kept in extra\n"
            in res.stderr)


def test_a_new_company_whose_contact_writes_from_another_companys_domain_is_noted(ok: Run, tmp_path: Path) -> None:
    ok("company", "add", "Acme", "--domain", "acme.io")
    path = write(tmp_path, "p.csv", "First Name,Last Name,Email,Company\nAnn,Lee,ann@acme.io,Acme Robotics Inc\n"
                                    "Bo,Chen,bo@other.io,Other\n")
    res = ok("import", "contacts", str(path))
    assert res.stderr.splitlines()[1] == (
        'note: 1 company "Acme Robotics Inc" is new though its contact writes from the domain of company "Acme": if'
        ' one company, map the value (--map-file values: {"company": {"Acme Robotics Inc": "Acme"}}) or merge them'
        " (company merge)")
    assert "also created 2 companies" in res.stderr


def test_a_new_company_named_as_another_but_for_its_legal_form_is_noted(ok: Run, tmp_path: Path) -> None:
    ok("company", "add", "Acme Inc")
    path = write(tmp_path, "c.csv", "Name\nACME\nZeta AB\nZeta AG\nGlobex Corporation\nGlobex\n")
    res = ok("import", "companies", str(path))
    assert res.stderr.splitlines()[1] == (
        'note: 2 companies are new beside others named the same but for a legal form such as Inc: "ACME" beside'
        ' "Acme Inc", "Globex" beside "Globex Corporation": where one company, map the values (--map-file values:'
        ' {"company": {"ACME": "Acme Inc"}}) or merge them (company merge)')  # (Zeta AB and AG: two companies)
    assert "5 rows — 5 created" in res.stderr


def test_a_dollar_amount_is_in_the_base_currency_when_it_has_a_dollar_as_deal_add_reads_it(ok: Run,
                                                                                             tmp_path: Path) -> None:
    ok("config", "set", "base_currency", "CAD")
    path = write(tmp_path, "d.csv", "title,company,amount\nA,Acme,$1200\nB,Acme,1200\nC,Acme,€900\nD,Acme,US$5\n")
    ok("import", "deals", str(path))
    ok("deal", "add", "E", "--amount", "$500")
    assert [(r["title"], r["amount_minor"], r["currency"]) for r in sql(ok, "SELECT * FROM deals ORDER BY id")] == [
        ("A", 120000, "CAD"), ("B", 120000, "CAD"), ("C", 90000, "EUR"), ("D", 500, "USD"), ("E", 50000, "CAD")]


def test_characters_that_show_nothing_are_no_part_of_a_value_or_an_e_mail(ok: Run, cli: Run, tmp_path: Path,
                                                                          db: Path) -> None:
    """A zero-width space pasted after an e-mail made a second contact that looks the same; after an amount, an
    error quoting a value that looked right."""
    path = write(tmp_path, "c.csv", "name,email\nAna,ana@acme.io\nAna Lee,ana@acme.io\u200b\n")
    ok("init")
    before = digest(db)
    res = cli("import", "contacts", str(path))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        4, "Error: c.csv:3: duplicates line 2 (e-mail ana@acme.io); fix one of the two lines")
    assert digest(db) == before
    ok("import", "deals", str(write(tmp_path, "d.csv", "title,amount\nX,\ufeff1200\u200b\n")))
    ok("contact", "add", "Bo", "--email", "b\u200bo@acme.io")
    assert sql(ok, "SELECT email FROM contacts") == [{"email": "bo@acme.io"}]
    assert sql(ok, "SELECT amount_minor FROM deals") == [{"amount_minor": 120000}]


def test_kinds_as_people_write_them_and_errors_quote_the_cell_as_written(ok: Run, cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "kind,subject\nE-mail,Terms\nPhone call,Intro\nTo-do,Send deck\n")
    ok("import", "activities", str(path))
    assert [r["kind"] for r in sql(ok, "SELECT kind FROM activities ORDER BY id")] == ["email", "call", "task"]
    res = cli("import", "activities", str(write(tmp_path, "b.csv", "kind,subject\nVideo  Call,Demo\n")))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        4, 'Error: b.csv:2: kind "Video  Call" is not one of call, email, meeting, note, task (map other values with'
           " a value map)")
    res = cli("import", "deals", str(write(tmp_path, "d.csv", "title,status,stage\nA,Closed Won,Won\n")))
    assert res.stderr.splitlines()[0] == 'Error: d.csv:2: status "Closed Won" is not one of open, won, lost'


def test_an_empty_extra_cell_keeps_the_value_said_and_edit_extra_changes_or_removes_it(ok: Run, cli: Run,
                                                                                       tmp_path: Path) -> None:
    ok("import", "deals", str(write(tmp_path, "a.csv", "title,company,Region\nA,Acme,EMEA\nB,Acme,APAC\n")))
    res = ok("import", "deals", str(write(tmp_path, "b.csv", "title,company,Region\nA,Acme,\nB,Acme,APAC\n")))
    assert res.stderr.splitlines()[1:] == [
        "note: 1 row has empty cells where its deal has a value: the values stay (an import never clears a field;"
        " `salescli deal edit` does)",
        "imported b.csv: 2 rows — 0 created, 0 updated, 2 unchanged, 0 rejected"]
    assert ok("deal", "edit", "1", "--extra", "region=").stderr == (
        "updated deal 1: extra cleared\n")  # (Region: the only key)
    ok("deal", "edit", "2", "--extra", "Partner=Globex", "--extra", "REGION=APJ")
    ok("company", "edit", "Acme", "--extra", "Tier=gold")
    ok("contact", "add", "Ana", "--email", "ana@acme.io")
    ok("contact", "edit", "ana@acme.io", "--extra", "Twitter=@ana")
    assert sql(ok, "SELECT extra FROM deals ORDER BY id") == [{"extra": None},
                                                              {"extra": '{"Region": "APJ", "Partner": "Globex"}'}]
    assert sql(ok, "SELECT extra FROM companies") == [{"extra": '{"Tier": "gold"}'}]
    assert sql(ok, "SELECT extra FROM contacts") == [{"extra": '{"Twitter": "@ana"}'}]
    assert ok("deal", "edit", "2", "--extra", "Partner=Globex").stderr == "deal 2: nothing changed\n"
    res = cli("deal", "edit", "2", "--extra", "Partner")
    assert (res.exit_code, res.stderr) == (2, 'Error: --extra "Partner": write KEY=VALUE (KEY= removes the value)\n')
    history = sql(ok, "SELECT before, after FROM changes WHERE entity = 'deal' AND entity_id = 1 AND action = 'update'")
    assert history == [{"before": '{"extra": "{\\"Region\\": \\"EMEA\\"}"}', "after": '{"extra": null}'}]
    said = [(r["entity_id"], r["summary"]) for r in json.loads(ok("history", "-f", "json").stdout)
            if r["entity"] == "deal" and r["action"] == "update" and r["batch_id"] is None]
    assert said == [(1, "extra.Region: EMEA → ∅"), (2, "extra.Region: APAC → APJ; extra.Partner: ∅ → Globex")]


def test_spreadsheet_text_marks_are_no_part_of_a_value(ok: Run, cli: Run, tmp_path: Path) -> None:
    """'1200 and '2026-12-05 (a spreadsheet's mark for text), ="0123" (Excel's way to keep a leading zero) and a
    JSON list of tags read as the values they carry; a text field keeps an apostrophe a name may have."""
    path = write(tmp_path, "d.csv", "title,amount,close date,tags,Phone\n"
                                    "'Tis the season,'1200,'2026-12-05,\"[\"\"vip\"\", \"\"emea\"\"]\",=\"0123\"\n")
    ok("import", "deals", str(path))
    deal = json.loads(ok("deal", "show", "1", "-f", "json").stdout)
    assert (deal["title"], deal["amount"], deal["expected_close"], deal["tags"], deal["extra"]) == (
        "'Tis the season", 1200, "2026-12-05", ["vip", "emea"], {"Phone": "0123"})
    res = cli("import", "deals", str(write(tmp_path, "n.csv", "title,amount,notes\nY,'-1200,'Tis\n")))
    assert res.stderr.splitlines()[0] == 'Error: n.csv:2: amount "-1200" is negative: amounts must be 0 or more'
    ok("import", "deals", str(write(tmp_path, "t.csv", "title,notes,tags\nZ,'Tis the season,'90s\n")))
    assert sql(ok, "SELECT notes, tags FROM deals WHERE title = 'Z'") == [{"notes": "'Tis the season",
                                                                          "tags": '["\'90s"]'}]


def test_a_completed_column_of_yes_and_no_marks_tasks_done_or_open(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "kind,subject,due date,Completed\ntask,A,2026-11-20,Yes\ntask,B,2026-11-20,No\n"
                                    "task,C,2026-11-20,2026-11-21\n")
    ok("import", "activities", str(path))
    assert sql(ok, "SELECT subject, done_at FROM activities ORDER BY id") == [
        {"subject": "A", "done_at": "2026-11-20"}, {"subject": "B", "done_at": None},
        {"subject": "C", "done_at": "2026-11-21"}]


@pytest.mark.parametrize(("header", "currency"), [("Amount (EUR)", "EUR"), ("Deal value in GBP", "GBP"),
                                                  ("Betrag €", "EUR"), ("Amount (ALL)", "USD")])
def test_an_amount_column_naming_its_currency_gives_it(ok: Run, tmp_path: Path, header: str, currency: str) -> None:
    """Following the hint (--map "Amount (EUR)=amount") stored 1200 USD: the header's currency is the amounts'."""
    path = write(tmp_path, "d.csv", f"title,company,{header}\nA,Acme,1200\n")
    ok("import", "deals", str(path), "--map", f"{header}=amount")
    assert sql(ok, "SELECT amount_minor, currency FROM deals") == [{"amount_minor": 120000, "currency": currency}]


def test_undo_of_a_task_marked_done_gives_its_contact_the_last_activity_it_had(ok: Run, tmp_path: Path) -> None:
    ok("contact", "add", "Cheryl", "--email", "cheryl@x.com")
    open_task = "kind,subject,due date,email,status\ntask,Send terms,2026-11-20,cheryl@x.com,{}\n"
    ok("import", "activities", str(write(tmp_path, "t1.csv", open_task.format("Not started"))))
    ok("import", "activities", str(write(tmp_path, "t2.csv", open_task.format("Completed"))))
    assert sql(ok, "SELECT last_activity_at FROM contacts") == [{"last_activity_at": "2026-11-20"}]
    ok("import", "undo", "2", "--yes")
    assert sql(ok, "SELECT last_activity_at FROM contacts") == [{"last_activity_at": None}]
    assert sql(ok, "SELECT done_at FROM activities") == [{"done_at": None}]


def test_the_importing_user_made_as_the_default_owner_is_said(ok: Run, tmp_path: Path) -> None:
    """`import batches` counted a user the summary never named: the one importing, made as every row's owner."""
    res = ok("import", "companies", str(write(tmp_path, "c.csv", "name\nAcme\nGlobex\n")))
    assert res.stderr.splitlines()[-1] == "added user (first mention): dana"
    batches = json.loads(ok("import", "batches", "-f", "json").stdout)
    assert sql(ok, "SELECT entity, count(*) AS n FROM changes WHERE batch_id = 1 GROUP BY entity") == [
        {"entity": "company", "n": 2}, {"entity": "user", "n": 1}]
    assert len(batches) == 1


@pytest.mark.parametrize("column", ["Is Completed", "IsCompleted?", "Done", "is_done"])
def test_a_done_flag_column_is_read(ok: Run, tmp_path: Path, column: str) -> None:
    """Tasks finished in the CRM imported open without a word: a done column (Yes/No, or the day) went to extra."""
    path = write(tmp_path, "t.csv", f"kind,subject,due date,{column}\ntask,A,2026-11-20,Yes\ntask,B,2026-11-20,No\n"
                                    "task,C,2026-11-20,2026-11-19\ncall,D,2026-11-10,2026-11-09\n")
    assert f"  {column}" in ok("import", "activities", str(path), "--dry-run").stdout
    ok("import", "activities", str(path))
    assert sql(ok, "SELECT kind, subject, occurred_at, done_at FROM activities ORDER BY id") == [
        {"kind": "task", "subject": "A", "occurred_at": "2026-11-20", "done_at": "2026-11-20"},
        {"kind": "task", "subject": "B", "occurred_at": "2026-11-26", "done_at": None},
        {"kind": "task", "subject": "C", "occurred_at": "2026-11-19", "done_at": "2026-11-19"},
        {"kind": "call", "subject": "D", "occurred_at": "2026-11-09", "done_at": "2026-11-09"}]


def test_a_status_column_decides_over_a_done_column(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "Type,Subject,Due date,Status,Done\ntask,A,2026-11-20,Completed,no\n"
                                    "task,B,2026-11-20,Not Started,yes\ntask,C,2026-11-20,,yes\n")
    ok("import", "activities", str(path))
    assert sql(ok, "SELECT subject, done_at FROM activities ORDER BY id") == [
        {"subject": "A", "done_at": "2026-11-20"}, {"subject": "B", "done_at": None},
        {"subject": "C", "done_at": "2026-11-20"}]


def test_a_json_number_with_three_decimals_gets_no_decimal_comma_hint(cli: Run, tmp_path: Path) -> None:
    res = cli("import", "deals", str(write(tmp_path, "a.json", '[{"title": "A", "amount": 12.345}]')))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        4, 'Error: a.json:1: amount "12.345" has more decimals than an amount allows (2)')
    res = cli("import", "deals", str(write(tmp_path, "a.csv", "title,amount\nA,12.345\n")))
    assert res.stderr.splitlines()[0].endswith("; amounts like 1.234,56 need --decimal-comma")


def test_the_dry_runs_mapping_lines_up_headers_in_wide_letters(ok: Run, tmp_path: Path) -> None:
    """A spreadsheet saved in Japanese (会社名, ドメイン): the mapping's columns were padded by letters, each two
    columns wide on a terminal, so the field names did not line up."""
    path = write(tmp_path, "j.csv", "会社名,ドメイン,Notes\nA社,a.jp,x\n")
    res = ok("import", "companies", str(path), "--map", "会社名=name", "--map", "ドメイン=domain", "--dry-run")
    assert res.stdout.split("Mapping:\n")[1].splitlines()[:4] == [
        "  column    field   how",
        "  会社名    name    --map",
        "  ドメイン  domain  --map",
        "  Notes     notes   alias",
    ]
