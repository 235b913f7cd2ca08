"""target set|list|import|rm, user add|list|edit, and how a report's period finds its target."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, digest

Run = Callable[..., Result]


def targets(ok: Run, *args: str, **kwargs: Any) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(ok("target", "list", *args, "-f", "json", **kwargs).stdout,
                                            parse_float=D)
    return data


# -- target set --------------------------------------------------------------------------------------
def test_set_prints_the_id_and_replaces_the_same_target(ok: Run) -> None:
    res = ok("target", "set", "ana", "2026-Q4", "50k")
    assert res.stdout == "1\n"
    assert res.stderr == "new user ana (first mention)\nset target 1: ana 2026-Q4 won_amount 50,000.00 USD\n"
    res = ok("target", "set", "ANA", "this-quarter", "$60,000")
    assert res.stdout == "1\n"
    assert res.stderr == "updated target 1: ana 2026-Q4 won_amount 60,000.00 USD\n"
    rows = targets(ok)
    assert rows == [{"id": 1, "owner": "ana", "team": None, "period": "2026-Q4", "period_start": "2026-10-01",
                     "period_end": "2026-12-31", "metric": "won_amount", "value": D("60000.00"), "currency": "USD",
                     "actual": D("0.00"), "attainment": D("0.0000"), "missing_rates": []}]
    history = json.loads(ok("history", "target", "1", "-f", "json").stdout)
    assert [h["action"] for h in history] == ["create", "update"]
    # (money as a decimal beside its currency, as target list gives it; stored in minor units)
    assert history[1]["before"] == {"value": 50000, "currency": "USD"}
    assert history[1]["after"] == {"value": 60000, "currency": "USD"}


def test_team_targets_and_count_metrics(ok: Run) -> None:
    ok("user", "add", "ana", "--team", "East")
    res = ok("target", "set", "team:East", "2026", "40", "--metric", "deals_won")
    assert res.stderr == "set target 1: team:East 2026 deals_won 40\n"
    res = ok("target", "set", "team:Nobody", "2026", "100", "--metric", "activities")
    assert "no user is in team Nobody yet" in res.stderr
    rows = targets(ok, "--team", "east")
    assert [(r["team"], r["metric"], r["value"], r["currency"]) for r in rows] == [("East", "deals_won", 40, None)]


@pytest.mark.parametrize("args, message", [
    (("ana", "2026-Q5", "50k"), 'PERIOD "2026-Q5"'),
    (("ana", "2026-Q4", "fifty"), 'VALUE "fifty"'),
    (("--", "ana", "2026-Q4", "-5k"), 'VALUE "-5k" is negative'),
    (("ana", "2026-Q4", "€50k"), 'VALUE "€50k" is in EUR'),
    (("ana", "2026-Q4", "12.5", "--metric", "deals_won"), 'VALUE "12.5" is not a count: deals_won counts deals, a'
                                                          " whole number such as 12 (an amount is --metric"
                                                          " won_amount)"),
    (("ana", "2026-Q4", "12k", "--metric", "activities"), 'VALUE "12k" is not a count: activities counts'
                                                          " activities, a whole number such as 12 (an amount is"
                                                          " --metric won_amount)"),
    (("ana", "2026-Q4", "5", "--metric", "revenue"), '--metric "revenue" is not one of won_amount, deals_won'),
    (("team:", "2026-Q4", "5k"), 'OWNER "team:" names no team'),
])
def test_bad_values_are_usage_errors_and_change_nothing(ok: Run, cli: Run, db: Path, args: tuple[str, ...],
                                                         message: str) -> None:
    ok("init")
    before = digest(db)
    res = cli("target", "set", *args)
    assert res.exit_code == 2, res.stderr
    assert message in res.stderr and res.stdout == ""
    assert digest(db) == before


def test_a_count_target_s_part_of_a_longer_one_keeps_its_fraction(ok: Run) -> None:
    ok("target", "set", "dana", "2026", "3", "--metric", "deals_won")
    ok("target", "set", "sam", "2026", "1", "--metric", "deals_won")
    for n in (1, 2):
        ok("deal", "add", f"W{n}", "--owner", "dana", "--date", "2026-10-02")
        ok("deal", "won", str(n), "--date", "2026-10-10")
    data = json.loads(ok("report", "performance", "--by", "owner", "-f", "json").stdout, parse_float=D)
    assert [(r["owner"], r["deals_won_target"], r["deals_won_attainment"]) for r in data["rows"]] == [
        ("dana", D("0.75"), D("2.6667")), ("sam", D("0.25"), D("0"))]  # (Q4 of a yearly 1: 0.25, not none)
    assert data["summary"]["deals_won_target"] == 1
    months = [json.loads(ok("report", "performance", "--period", month, "-f", "json").stdout, parse_float=D)[
        "summary"]["deals_won_target"] for month in ("2026-02", "2026-03")]
    assert months == [D("0.33"), D("0.33")]  # (a month is a 12th of the year, short or long)
    # the attainment divides by the exact part (2 / (3/12) = 8), not by the 0.25 shown... nor by a rounded 0.33:
    october = json.loads(ok("report", "performance", "--owner", "dana", "--period", "2026-10", "-f", "json").stdout,
                         parse_float=D)["summary"]
    assert (october["deals_won_target"], october["deals_won_attainment"]) == (D("0.25"), D("8"))
    ok("target", "set", "dana", "2026", "4", "--metric", "deals_won")  # a month of 4 a year: 0.33 shown, 1/3 meant
    october = json.loads(ok("report", "performance", "--owner", "dana", "--period", "2026-10", "-f", "json").stdout,
                         parse_float=D)["summary"]
    assert (october["deals_won_target"], october["deals_won_attainment"]) == (D("0.33"), D("6"))  # (was 6.0606)


def test_list_shows_actual_and_attainment(ok: Run) -> None:
    ok("deal", "add", "A", "--owner", "ana", "--amount", "10k", "--date", "2026-10-02")
    ok("deal", "won", "1", "--date", "2026-10-20")
    ok("deal", "add", "B", "--owner", "ana", "--amount", "4k", "--date", "2026-09-01")
    ok("deal", "won", "2", "--date", "2026-09-30")  # before the period
    ok("activity", "log", "call", "hi", "--owner", "ana", "--date", "2026-11-01")
    ok("target", "set", "ana", "2026-Q4", "40k")
    ok("target", "set", "ana", "2026-Q4", "4", "--metric", "deals_won")
    ok("target", "set", "ana", "2026-11", "10", "--metric", "activities")
    rows = {r["metric"]: r for r in targets(ok, "--period", "2026-Q4")}
    assert (rows["won_amount"]["actual"], rows["won_amount"]["attainment"]) == (D("10000.00"), D("0.2500"))
    assert (rows["deals_won"]["actual"], rows["deals_won"]["attainment"]) == (1, D("0.2500"))
    assert (rows["activities"]["actual"], rows["activities"]["attainment"]) == (1, D("0.1000"))
    assert [r["metric"] for r in targets(ok, "--period", "2026-12")] == ["deals_won", "won_amount"]
    table = ok("target", "list").stdout
    assert "ana" in table and "40,000" in table and "25%" in table


def test_a_total_target_set_for_some_owners_says_whose_figures_it_counts(ok: Run) -> None:
    ok("user", "add", "ben", "--team", "East")
    for owner in ("ana", "ana", "ben", "cai", "cai", "cai"):
        ok("activity", "log", "call", "hi", "--owner", owner, "--date", "2026-11-02")
    ok("target", "set", "ana", "2026-Q4", "10", "--metric", "activities")
    data = json.loads(ok("report", "performance", "-f", "json").stdout)
    assert (data["summary"]["activities"], data["summary"]["activities_target"]) == (6, 10)  # the documented roll-up
    assert data["notes"] == ["ben and cai have no activities target, yet 4 of the 6 activities are theirs and count"
                             " against the total's target"]
    ok("target", "set", "team:East", "2026-Q4", "5", "--metric", "activities")  # ben's team has one now
    assert json.loads(ok("report", "performance", "-f", "json").stdout)["notes"] == [
        "cai has no activities target, yet 3 of the 6 activities are theirs and count against the total's target"]
    assert json.loads(ok("report", "performance", "--owner", "ana", "-f", "json").stdout)["notes"] == []
    out = ok("report", "performance").stdout.splitlines()  # piped: a note is prose, kept to 80 columns
    notes = out[next(i for i, line in enumerate(out) if line.startswith("note: ")):]
    assert notes == ["note: cai has no activities target, yet 3 of the 6 activities are theirs and",
                     "  count against the total's target"]


def test_user_rm_hands_what_they_own_to_another_or_refuses(ok: Run, cli: Run, db: Path) -> None:
    for name in ("cai", "caj2", "dee"):
        ok("user", "add", name)
    ok("deal", "add", "X", "--owner", "caj2")
    ok("task", "add", "Call", "--due", "friday", "--owner", "caj2")
    ok("company", "add", "Acme", "--owner", "caj2")
    ok("target", "set", "caj2", "2026-Q4", "10k")
    ok("target", "set", "dee", "2026-Q4", "5k")
    before = digest(db)
    res = cli("user", "rm", "caj2", "--yes")
    assert (res.exit_code, res.stderr) == (1, "Error: user caj2 owns 1 deal, 1 task, 1 company and 1 target\n"
                                              "Hint: hand them to someone: salescli user rm caj2 --to NAME\n")
    assert cli("user", "rm", "caj2").stderr.startswith("Error: user caj2 owns")  # said before asking
    assert cli("user", "rm", "caj2", "--to", "nobody", "--yes").exit_code == 3
    assert cli("user", "rm", "caj2", "--to", "cai").exit_code == 1  # no terminal, no --yes
    assert digest(db) == before
    res = ok("user", "rm", "caj2", "--to", "cai", "--yes")
    assert res.stderr == "removed user caj2; gave 1 deal, 1 task, 1 company and 1 target to cai\n"
    owners = json.loads(ok("sql", "SELECT (SELECT owner FROM deals) AS deal, (SELECT owner FROM activities) AS task,"
                                  " (SELECT owner FROM companies) AS company,"
                                  " (SELECT name FROM targets WHERE id = 1) AS target", "-f", "json").stdout)
    assert owners == [{"deal": "cai", "task": "cai", "company": "cai", "target": "cai"}]
    assert [u["name"] for u in json.loads(ok("user", "list", "-f", "json").stdout)] == ["cai", "dee"]
    res = ok("user", "rm", "DEE", "--to", " CAI ", "--yes")  # both have a Q4 won amount target: cai's grows
    assert res.stderr == ("cai's won_amount target for 2026-Q4 is now 15,000.00 USD (10,000.00 USD + dee's"
                          " 5,000.00 USD)\nremoved user dee; gave 1 target to cai\n")
    assert [(t["owner"], t["value"]) for t in json.loads(ok("target", "list", "-f", "json").stdout)] == [
        ("cai", D("15000.00"))]
    ok("user", "add", "eve")
    assert ok("user", "rm", "eve", "--yes").stderr == "removed user eve\n"  # owning nothing: no --to needed


def test_user_rm_says_when_the_heir_gets_a_target_beside_one_of_a_longer_period(ok: Run) -> None:
    ok("target", "set", "ana", "2026-Q4", "30k")
    ok("target", "set", "lee", "2026-11", "6k")
    res = ok("user", "rm", "lee", "--to", "ana", "--yes")
    assert res.stderr == ("note: ana now has lee's won_amount target for 2026-11 beside their own for 2026-Q4: a period"
                          " reads the target set for it (not the two added); set the total with `salescli target set"
                          " ana 2026-11 ...`\nremoved user lee; gave 1 target to ana\n")


def test_user_rm_refuses_what_it_cannot_hand_over_before_asking(ok: Run, cli: Run, db: Path) -> None:
    ok("user", "add", "lee")
    ok("user", "add", "dana")
    res = cli("user", "rm", "nobody")  # no terminal, no --yes: an unknown user is still not found (3), not 1
    assert (res.exit_code, res.stderr.splitlines()[0]) == (3, 'Error: no user named "nobody"')
    res = cli("user", "rm", "dana", "--yes")  # the acting user would come back with their next change
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        1, "Error: user dana is the one acting (--user / SALESCLI_USER / the login): they would come back with the"
           " next change")
    ok("target", "set", "lee", "2026-Q4", "40k")  # USD
    ok("target", "set", "dana", "2026-Q4", "30k")
    conn = sqlite3.connect(db)  # a target kept in another currency (an older salescli changed the base alone)
    conn.execute("UPDATE targets SET currency = 'EUR' WHERE name = 'dana'")
    conn.commit()
    conn.close()
    ok("automation", "add", "--on", "won", "--task", "Thank you", "--owner", "lee")
    ok("automation", "add", "--on", "won", "--task", "Thank you", "--owner", "dana")
    before = digest(db)
    res = cli("user", "rm", "lee", "--to", "dana", "--yes")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        1, "Error: dana's won_amount target for 2026-Q4 is in EUR, lee's in USD: they cannot be added up")
    assert digest(db) == before
    ok("target", "rm", "2", "--yes")
    res = ok("user", "rm", "lee", "--to", "dana", "--yes")  # dana's thank-you rule: not a second one
    assert res.stderr == ("automation 2 of lee removed: dana has the same one\n"
                          "removed user lee; gave 1 automation and 1 target to dana\n")
    assert [(a["id"], a["owner"]) for a in json.loads(ok("automation", "list", "-f", "json").stdout)
            if a["task"] == "Thank you"] == [(3, "dana")]


def test_amounts_without_a_rate_are_named_in_every_format(ok: Run) -> None:
    ok("deal", "add", "A", "--owner", "ana", "--amount", "10k", "--date", "2026-10-02")
    ok("deal", "won", "1", "--date", "2026-10-20")
    ok("deal", "add", "B", "--owner", "ana", "--amount", "50k", "--currency", "SEK", "--date", "2026-10-02")
    ok("deal", "won", "2", "--date", "2026-10-21")
    ok("target", "set", "ana", "2026-Q4", "40k")
    note = "note: SEK amounts left out of the actuals: no exchange rate (salescli fx set SEK RATE)\n"
    assert ok("target", "list").stderr == note  # the table has no missing_rates column
    res = ok("report", "performance", "-f", "csv")  # rows only: the note goes to stderr, never silently
    assert res.stderr == "note: SEK amounts left out: no exchange rate (salescli fx set SEK RATE)\n"
    assert "SEK" not in res.stdout


def test_forecast_and_weekly_say_whose_wins_a_partial_target_counts(ok: Run) -> None:
    for owner, amount in (("ana", "3k"), ("ben", "5k")):
        ok("deal", "add", f"{owner}'s", "--owner", owner, "--amount", amount, "--date", "2026-10-02")
    ok("deal", "won", "1", "--date", "2026-11-20")
    ok("deal", "won", "2", "--date", "2026-11-20")
    ok("target", "set", "ana", "2026-Q4", "10k")
    said = ("ben has no won amount target, yet 5,000.00 USD of the 8,000.00 USD won amount are theirs and count"
            " against the total's target")
    for report in ("forecast", "weekly", "performance"):
        data = json.loads(ok("report", report, "-f", "json").stdout)
        assert said in data["notes"], report
    ok("target", "set", "ben", "2026-Q4", "10k")
    assert not any("no won amount target" in n for n in json.loads(ok("report", "forecast", "-f", "json").stdout)
                   ["notes"])


def test_a_new_fiscal_year_start_relabels_the_targets_keeping_their_days(ok: Run) -> None:
    ok("config", "set", "fiscal_year_start_month", "April")
    for period, value in (("2026-Q1", "10k"), ("2026", "40k"), ("2026-05", "3k"), ("2026-W48", "1k")):
        ok("target", "set", "ana", period, value)
    labels = [t["period"] for t in json.loads(ok("target", "list", "-f", "json").stdout)]
    assert labels == ["FY2026-Q1", "FY2026", "2026-05", "2026-W48"]
    ok("config", "set", "fiscal_year_start_month", "1")  # FY2026-Q1 (April..June) is no longer 2026-Q1
    labels = [t["period"] for t in json.loads(ok("target", "list", "-f", "json").stdout)]
    assert labels == ["2026-Q2", "2026-04-01..2027-03-31", "2026-05", "2026-W48"]


def test_a_team_target_in_other_months_does_not_hide_a_members_own(ok: Run) -> None:
    ok("user", "add", "dana", "--team", "Enterprise")
    ok("target", "set", "team:Enterprise", "2026-Q1", "50k")
    ok("target", "set", "dana", "2026-11", "7k")
    months = {g["month"]: g["target"] for g in json.loads(ok("report", "forecast", "--period", "2026", "--by",
                                                            "month", "-f", "json").stdout, parse_float=D)["groups"]}
    assert (months["2026-02"], months["2026-11"]) == (D("16666.67"), D("7000.00"))
    assert json.loads(ok("report", "forecast", "--period", "2026-11", "-f", "json").stdout,
                      parse_float=D)["summary"]["target"] == D("7000.00")


def test_a_team_target_for_part_of_a_period_leaves_the_rest_to_its_members_targets(ok: Run) -> None:
    # West's Q2 is a team target; the rest of the year is its members' (dan's Q2 30k is inside the team's)
    ok("user", "add", "dan", "--team", "West")
    ok("user", "add", "cara", "--team", "West")
    ok("user", "add", "ana", "--team", "East")
    ok("target", "set", "team:West", "2026-Q2", "70k")
    ok("target", "set", "dan", "2026-Q2", "30k")
    ok("target", "set", "cara", "2026", "120k")
    ok("target", "set", "team:East", "2026-Q2", "100k")

    def target(*args: str) -> D:
        return json.loads(ok("report", "performance", *args, "-f", "json").stdout,  # type: ignore[no-any-return]
                          parse_float=D)["summary"]["target"]

    quarters = [target("--period", f"2026-Q{q}", "--team", "West") for q in (1, 2, 3, 4)]
    assert quarters == [D("30000.00"), D("70000.00"), D("30000.00"), D("30000.00")]
    assert target("--period", "2026", "--team", "West") == sum(quarters) == D("160000.00")  # (it was 70,000)
    assert target("--period", "2026-01-01..2026-06-30", "--team", "West") == D("100000.00")
    assert target("--period", "2026") == D("260000.00")  # West's 160k and East's Q2
    assert target("--period", "2026-Q2") == D("170000.00")


def test_moving_a_user_with_closed_deals_to_another_team_says_past_team_figures_move(ok: Run) -> None:
    ok("user", "add", "dan", "--team", "West")
    ok("deal", "add", "D1", "--owner", "dan", "--amount", "18000")
    assert "note:" not in ok("user", "edit", "dan", "--team", "East").stderr  # (nothing closed yet)
    ok("deal", "won", "D1")
    res = ok("user", "edit", "dan", "--team", "West")
    assert res.stderr == ("note: reports by team now count dan's deals, activities and targets under West, not East,"
                          " closed periods included\nupdated user dan: team West\n")


def test_a_team_named_in_another_case_of_another_script_is_the_same_team_everywhere(ok: Run) -> None:
    ok("user", "add", "Zoë", "--team", "Équipe Nord")
    ok("user", "add", "Ömer", "--team", "équipe nord")  # (joins Équipe Nord)
    ok("deal", "add", "Nordic", "--owner", "Ömer", "--amount", "5k", "--close", "2026-12-10")
    res = ok("target", "set", "team:équipe nord", "2026-Q4", "1000")
    assert "no user is in team" not in res.stderr and "team:Équipe Nord" in res.stderr
    data = json.loads(ok("report", "forecast", "--team", "équipe NORD", "-f", "json").stdout, parse_float=D)
    assert (data["filters"]["team"], data["summary"]["open"], data["summary"]["target"]) == (
        "Équipe Nord", D("5000.00"), D("1000.00"))


def test_a_month_with_its_own_target_inside_a_yearly_one_notes_why_the_months_add_up_to_more(ok: Run) -> None:
    ok("target", "set", "dana", "2026", "120k")
    ok("target", "set", "dana", "2026-11", "12k")  # (nested in the year: the year's target stays 120k)
    data = json.loads(ok("report", "forecast", "--period", "2026", "--by", "month", "-f", "json").stdout,
                      parse_float=D)
    months = {g["month"]: g["target"] for g in data["groups"]}
    assert (months["2026-10"], months["2026-11"], data["summary"]["target"]) == (D("10000.00"), D("12000.00"),
                                                                               D("120000.00"))
    assert data["notes"][0] == ("the total's target, 120,000.00 USD, is the period's own (a longer target holds the"
                                " shorter ones inside it); the months count their own targets where one is set and"
                                " add up to 122,000.00")


# -- target import -----------------------------------------------------------------------------------
def test_import(ok: Run, tmp_path: Path) -> None:
    f = tmp_path / "quotas.csv"
    f.write_text("\ufeffowner,period,value,metric\nana,2026-Q4,50k,\nteam:East,2026,120,deals_won\n"
                 "bob,2026-Q4,\"30,000\",won_amount\n", encoding="utf-8")
    res = ok("target", "import", str(f))
    assert res.stderr == ("new user ana (first mention)\nnew user bob (first mention)\n"
                          "imported 3 targets (3 new, 0 updated, 0 unchanged)\n")
    f.write_text("owner,period,value\nana,2026-Q4,55k\n")
    assert ok("target", "import", str(f)).stderr == "imported 1 target (0 new, 1 updated, 0 unchanged)\n"
    changes = len(ok("history", "-f", "json").stdout.splitlines())
    assert ok("target", "import", str(f)).stderr == "imported 1 target (0 new, 0 updated, 1 unchanged)\n"
    assert len(ok("history", "-f", "json").stdout.splitlines()) == changes  # nothing written
    assert ok("target", "set", "ana", "2026-Q4", "55k").stderr.startswith("unchanged: target ")
    assert [(r["owner"] or r["team"], r["value"]) for r in targets(ok)] == [
        ("East", 120), ("ana", D("55000.00")), ("bob", D("30000.00"))]


@pytest.mark.parametrize("content, message", [
    ("owner,period,value\nana,2026-Q4,50k\nbob,2026-Q9,10k\n", 'quotas.csv:3: period "2026-Q9"'),
    ("owner,period,value\nana,2026-Q4,50k\nANA,2026-Q4,60k\n", "quotas.csv:3: repeats the target of line 2"),
    ("owner,period\nana,2026-Q4\n", "quotas.csv: has no value column"),
    ("owner,period,value,colour\nana,2026-Q4,5k,red\n", "quotas.csv: unknown column colour"),
    ("owner,period,value\nana,2026-Q4\n", "quotas.csv:2: has 2 fields, the header has 3"),
    ("owner,period,value,metric\nana,2026-Q4,5k,revenue\n", 'quotas.csv:2: metric "revenue" is not one of'),
    ("", "quotas.csv: is empty"),
])
def test_a_bad_file_is_rejected_whole(ok: Run, cli: Run, db: Path, tmp_path: Path, content: str,
                                      message: str) -> None:
    ok("target", "set", "zoe", "2026", "1k")
    before = digest(db)
    f = tmp_path / "quotas.csv"
    f.write_text(content)
    res = cli("target", "import", str(f))
    assert res.exit_code == 4, res.stderr
    assert message in res.stderr
    assert digest(db) == before


def test_binary_file_is_rejected(cli: Run, tmp_path: Path) -> None:
    f = tmp_path / "quotas.csv"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    res = cli("target", "import", str(f))
    assert res.exit_code == 4 and "is a binary file" in res.stderr


def test_rm(ok: Run, cli: Run) -> None:
    ok("target", "set", "ana", "2026", "1k")
    assert cli("target", "rm", "1").exit_code == 1  # no terminal, no --yes
    ok("target", "rm", "1", "--yes")
    assert targets(ok) == []
    assert cli("target", "rm", "1", "--yes").exit_code == 3


# -- users -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("known", "again"), [("Zoë Ünal", "ZOË ÜNAL"), ("Straße Guy", "STRASSE GUY"),
                                             ("Dana Kim", "Dana  Kim"), ("Ana Silva", "ana\tsilva")])
def test_a_user_in_another_case_or_spacing_is_the_same_user(ok: Run, cli: Run, known: str, again: str) -> None:
    ok("user", "add", known)
    res = cli("user", "add", again)
    assert (res.exit_code, res.stderr.splitlines()[0]) == (1, f"Error: user {known} already exists")
    ok("deal", "add", "A", "--owner", again)
    assert ok("user", "edit", again, "--team", "East").stderr == f"updated user {known}: team East\n"
    assert [(u["name"], u["open_deals"]) for u in json.loads(ok("user", "list", "-f", "json").stdout)] == [
        (known, 1)]


@pytest.mark.parametrize("verb", ["add", "edit", "rm"])
def test_an_empty_user_name_is_a_usage_error_naming_the_argument(cli: Run, ok: Run, verb: str) -> None:
    ok("init")
    res = cli("user", verb, " ", *(["--team", "East"] if verb == "edit" else []))
    assert (res.exit_code, res.stderr) == (2, 'Error: NAME " " is empty: give a user name\n')


def test_users_add_list_edit(ok: Run, cli: Run) -> None:
    assert ok("user", "add", "ana", "--email", "Ana@Example.com", "--team", "East", "--territory", "EMEA").stdout \
        == "1\n"
    ok("deal", "add", "A", "--owner", "bob")  # bob is created on first mention
    res = cli("user", "add", "ANA")
    assert res.exit_code == 1 and "user ana already exists" in res.stderr
    assert cli("user", "add", "x", "--email", "nope").exit_code == 2
    res = ok("user", "edit", "bob", "--team", "East")
    assert res.stderr == "updated user bob: team East\n"
    users = json.loads(ok("user", "list", "-f", "json").stdout)
    assert [(u["name"], u["email"], u["team"], u["territory"], u["open_deals"]) for u in users] == [
        ("ana", "ana@example.com", "East", "EMEA", 0), ("bob", None, "East", None, 1)]
    ok("user", "edit", "ana", "--team", "")
    assert [u["name"] for u in json.loads(ok("user", "list", "--team", "east", "-f", "json").stdout)] == ["bob"]
    assert cli("user", "edit", "zed", "--team", "x").exit_code == 3
    history = json.loads(ok("history", "user", "-f", "json").stdout)
    assert [h["action"] for h in history] == ["create", "update", "update"]


# -- how a period finds its target -------------------------------------------------------------------
def _row(scope: str, name: str, start: str, end: str, value: int, metric: str = "won_amount") -> dict[str, Any]:
    return {"scope": scope, "name": name, "period_start": start, "period_end": end, "value": value, "metric": metric}


Q4 = ("2026-10-01", "2027-01-01")


@pytest.mark.parametrize("rows, expected", [
    ([_row("owner", "ana", *Q4, 900)], 900),  # exact
    ([_row("owner", "ana", "2026-10-01", "2026-11-01", 100), _row("owner", "ana", "2026-11-01", "2026-12-01", 200)],
     300),  # months inside the quarter are summed
    ([_row("owner", "ana", "2026-01-01", "2027-01-01", 3650)], 912),  # a year, pro-rated: 3 of its 12 months
    ([_row("owner", "ana", "2026-11-15", "2026-12-15", 300)], 300),  # (inside)
    ([_row("owner", "ana", "2026-12-16", "2027-01-16", 310)], 160),  # 16 of December's 31 days, 1 of 31: 16/31
    ([_row("owner", "ana", *Q4, 900), _row("owner", "ana", "2026-01-01", "2027-01-01", 3650)], 900),
    ([_row("owner", "ana", "2026-10-01", "2026-11-01", 100)], 100),
])
def test_resolution_rules(rows: list[dict[str, Any]], expected: int) -> None:
    from salescli.services.targets import Scope, resolve_target
    from salescli.values import Period

    q4 = Period(date(2026, 10, 1), date(2027, 1, 1), "2026-Q4")
    assert resolve_target(None, "won_amount", q4, Scope(owner="ana"), rows, {"ana": None}) == D(expected)  # type: ignore[arg-type]


def test_resolution_in_a_year_keeps_the_outermost_nested_targets() -> None:
    from salescli.services.targets import Scope, resolve_target
    from salescli.values import Period

    year = Period(date(2026, 1, 1), date(2027, 1, 1), "2026")
    rows = [_row("owner", "ana", *Q4, 900), _row("owner", "ana", "2026-10-01", "2026-11-01", 100),
            _row("owner", "ana", "2026-07-01", "2026-10-01", 800)]
    assert resolve_target(None, "won_amount", year, Scope(owner="ana"), rows, {}) == D(1700)  # type: ignore[arg-type]


def test_team_and_everyone_roll_up() -> None:
    from salescli.services.targets import Scope, resolve_target
    from salescli.values import Period

    q4 = Period(date(2026, 10, 1), date(2027, 1, 1), "2026-Q4")
    teams = {"ana": "East", "bob": "East", "cy": "West", "dee": None}
    rows = [_row("owner", "ana", *Q4, 100), _row("owner", "bob", *Q4, 200), _row("owner", "cy", *Q4, 300),
            _row("team", "West", *Q4, 1000), _row("owner", "dee", *Q4, 7)]
    assert resolve_target(None, "won_amount", q4, Scope(team="east"), rows, teams) == D(300)  # type: ignore[arg-type]
    assert resolve_target(None, "won_amount", q4, Scope(team="West"), rows, teams) == D(1000)  # type: ignore[arg-type]
    # everyone: West's own target (not cy's), East's members, dee without a team
    assert resolve_target(None, "won_amount", q4, Scope(), rows, teams) == D(1307)  # type: ignore[arg-type]
    assert resolve_target(None, "deals_won", q4, Scope(), rows, teams) is None  # type: ignore[arg-type]


def test_import_of_a_missing_file_says_it_cannot_be_read(cli: Run, tmp_path: Path) -> None:
    res = cli("target", "import", str(tmp_path / "quotas.csv"))
    assert (res.exit_code, res.stderr) == (4, f"Error: {tmp_path / 'quotas.csv'}: cannot be read"
                                              " (No such file or directory)\n")


def test_a_new_owner_is_announced_and_one_a_slip_from_a_user_refused(ok: Run, cli: Run, db: Path,
                                                                    tmp_path: Path) -> None:
    ok("user", "add", "sam")
    ok("user", "add", "rep1")
    before = digest(db)
    for command in (("target", "set", "smm", "2026-Q4", "10k"), ("deal", "add", "X", "--owner", "sma"),
                    ("task", "add", "Call", "--due", "friday", "--owner", "samm")):
        res = cli(*command)  # a typo would be a new user, and its target would add to the company's
        typed = command[-3] if command[0] == "target" else command[-1]
        assert (res.exit_code, res.stderr) == (3, f'Error: no user named "{typed}"; did you mean sam?\n'
                                                  f"Hint: to add a user named {typed}, add it first: salescli user"
                                                  f" add {typed}\n")
    quotas = tmp_path / "q.csv"
    quotas.write_text("owner,period,value\nrep1,2026-Q4,5k\nsan,2026-Q4,5k\n")
    res = cli("target", "import", str(quotas))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (4, 'Error: q.csv:3: no user named "san"; did you mean sam?')
    assert digest(db) == before
    assert "new user rep10 (first mention)" in ok("target", "set", "rep10", "2026-Q4", "1k").stderr  # not rep1
    res = ok("target", "set", "nobody", "2026-Q4", "10k")
    assert res.stderr.splitlines()[0] == "new user nobody (first mention)"
    assert "new user" not in ok("target", "set", "nobody", "2026-Q4", "12k").stderr  # known now


def test_an_acting_user_a_slip_from_a_known_one_is_noted_with_the_way_back(ok: Run, cli: Run) -> None:
    ok("user", "add", "sam")
    res = ok("--user", "sma", "task", "add", "Call", "--due", "friday")  # $SALESCLI_USER=sma in a profile
    assert res.stderr.splitlines()[0] == ("new user sma (the acting user), one slip from user sam: if a typo,"
                                          " salescli user rm sma --to sam")
    assert "slip" not in ok("--user", "sma", "task", "add", "Call again", "--due", "friday").stderr  # known now
    assert "slip" not in ok("--user", "samuel", "task", "add", "Call", "--due", "friday").stderr


def test_a_team_target_takes_the_teams_spelling_and_a_slip_is_refused(ok: Run, cli: Run, db: Path) -> None:
    ok("user", "add", "ana", "--team", "East")
    assert ok("target", "set", "team:east", "2026-Q4", "10k").stderr == (
        "set target 1: team:East 2026-Q4 won_amount 10,000.00 USD\n")  # one team, not East and east
    before = digest(db)
    res = cli("target", "set", "team:Eats", "2026-Q4", "10k")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (3, 'Error: no team named "Eats"; did you mean East?')
    assert digest(db) == before
    res = cli("target", "set", "east", "2026-Q4", "10k")  # a team named as if an owner
    assert (res.exit_code, res.stderr.splitlines()[0]) == (3, 'Error: no user named "east"; did you mean team:East?')
    assert digest(db) == before
    assert ok("target", "set", "team:West", "2026-Q4", "5k").stderr.startswith(  # a team staffed later: said
        "no user is in team West yet (salescli user edit NAME --team West)\n")


def test_a_file_of_new_owners_names_ten_then_says_there_are_more(ok: Run, tmp_path: Path) -> None:
    f = tmp_path / "quotas.csv"
    f.write_text("owner,period,value\n" + "".join(f"rep{i},2026-Q4,10k\n" for i in range(1, 31)))
    lines = ok("target", "import", str(f)).stderr.splitlines()
    assert lines[:2] == ["new user rep1 (first mention)", "new user rep2 (first mention)"]
    assert lines[10:] == ["more new users (see salescli user list)",
                          "imported 30 targets (30 new, 0 updated, 0 unchanged)"]


def test_target_list_csv_imports_back(ok: Run, tmp_path: Path) -> None:
    ok("target", "set", "ana", "2026-Q4", "50k")
    ok("target", "set", "team:East", "2026", "1m")
    ok("target", "set", "bo", "2026-11", "20", "--metric", "activities")
    listed = tmp_path / "targets.csv"
    ok("target", "list", "-o", str(listed))
    copy = tmp_path / "copy.db"
    res = ok("target", "import", str(listed), database=copy)
    assert res.stderr.endswith("imported 3 targets (3 new, 0 updated, 0 unchanged)\n")
    keep = ("owner", "team", "period", "period_start", "period_end", "metric", "value", "currency")
    assert [{k: r[k] for k in keep} for r in targets(ok, database=copy)] == [
        {k: r[k] for k in keep} for r in targets(ok)]


def test_a_target_list_from_a_database_with_another_base_or_fiscal_year_is_refused(ok: Run, cli: Run,
                                                                                   tmp_path: Path) -> None:
    ok("target", "set", "ana", "2026-Q4", "50k")
    listed = tmp_path / "targets.csv"
    ok("target", "list", "-o", str(listed))
    eur = tmp_path / "eur.db"
    ok("config", "set", "base_currency", "EUR", database=eur)
    res = cli("target", "import", str(listed), database=eur)
    assert res.exit_code == 4
    assert res.stderr.startswith('Error: targets.csv:2: currency "USD" is not the base currency (EUR)')
    fiscal = tmp_path / "fiscal.db"
    ok("config", "set", "fiscal_year_start_month", "4", database=fiscal)
    res = cli("target", "import", str(listed), database=fiscal)
    assert res.exit_code == 4
    assert res.stderr.startswith('Error: targets.csv:2: period "2026-Q4" is 2027-01-01..2027-03-31 here, not'
                                 " 2026-10-01..2026-12-31")


def test_a_user_named_in_another_case_of_any_script_is_that_user(ok: Run) -> None:
    ok("user", "add", "Zoë")
    res = ok("deal", "add", "T", "--owner", "ZOË")
    assert "new user" not in res.stderr
    assert [u["name"] for u in json.loads(ok("user", "list", "-f", "json").stdout)] == ["Zoë"]
    assert json.loads(ok("deal", "show", "1", "-f", "json").stdout)["owner"] == "Zoë"


def test_a_period_ending_inside_a_target_takes_its_part_so_far(ok: Run) -> None:
    # year to date: Q1-Q3's targets and the part of Q4's up to today; a custom range: the parts of both months
    for q in (1, 2, 3, 4):
        ok("target", "set", "ana", f"2026-Q{q}", "40k")
    for m in (10, 11, 12):
        ok("target", "set", "bob", f"2026-{m}", "10k")

    def target(owner: str, period: str) -> Any:
        return json.loads(ok("report", "performance", "--owner", owner, "--period", period, "-f", "json").stdout,
                          parse_float=D)["summary"]["target"]

    assert target("ana", "ytd") == D("144888.89")  # 120,000 + 40,000 x (1 + 26/30) / 3
    assert target("bob", "qtd") == D("18666.67")  # October, and 26 of November's 30 days
    assert target("bob", "2026-10-15..2026-11-14") == D("10150.54")  # 17/31 of October, 14/30 of November


def test_a_report_of_one_pipeline_shows_no_target(ok: Run) -> None:
    ok("target", "set", "dana", "2026-Q4", "10k")
    ok("pipeline", "add", "Renewals", "--stages", "Due:50,Won:100:won,Lost:0:lost")
    ok("deal", "add", "Ren", "--amount", "1000", "--pipeline", "Renewals", "--close", "2026-12-01")
    note = "no target shown for pipeline Renewals: targets are an owner's or a team's, over every pipeline"
    for report in ("forecast", "performance"):
        data = json.loads(ok("report", report, "--pipeline", "Renewals", "-f", "json").stdout)
        assert (data["summary"]["target"], note in data["notes"]) == (None, True), report
    assert json.loads(ok("report", "forecast", "-f", "json").stdout)["summary"]["target"] == 10000


def test_the_no_team_row_has_the_targets_of_owners_in_no_team(ok: Run) -> None:
    ok("user", "add", "dana", "--team", "East")
    ok("target", "set", "dana", "2026-Q4", "30k")
    ok("target", "set", "kim", "2026-Q4", "10k")  # (kim: in no team, no deals)
    for report in ("forecast", "performance"):
        data = json.loads(ok("report", report, "--by", "team", "-f", "json").stdout)
        rows = data["groups"] if "groups" in data else data["rows"]
        assert sorted((r["team"], r["target"]) for r in rows) == [("(no team)", 10000), ("East", 30000)], report
        assert data["summary"]["target"] == 40000


def test_list_for_an_unknown_owner_or_team_is_not_found(ok: Run, cli: Run) -> None:
    ok("user", "add", "dana", "--team", "Enterprise")
    ok("target", "set", "dana", "2026-Q4", "10k")
    for args, message in ((("--owner", "dnaa"), 'Error: no user named "dnaa"; did you mean dana?'),
                          (("--team", "Enterprse"), 'Error: no team named "Enterprse"; did you mean Enterprise?')):
        res = cli("target", "list", *args)
        assert (res.exit_code, res.stderr.splitlines()[0]) == (3, message)
    assert len(json.loads(ok("target", "list", "--team", "enterprise", "-f", "json").stdout)) == 0  # (dana's own)


def test_set_notes_a_target_it_overlaps_without_nesting(ok: Run) -> None:
    ok("target", "set", "dana", "2026-Q4", "120k")
    assert "overlaps" not in ok("target", "set", "dana", "2026-11", "40k").stderr  # (inside Q4: nested)
    res = ok("target", "set", "dana", "2026-11-15..2026-12-15", "7k")
    assert "note: it overlaps target 2 (2026-11) without one holding the other: where both cover a" \
           " day, reports count the shorter one\n" in res.stderr


def test_import_dry_run_checks_and_counts_and_writes_nothing(ok: Run, cli: Run, db: Path, tmp_path: Path) -> None:
    ok("target", "set", "dana", "2026-Q4", "50k")
    f = tmp_path / "quotas.csv"
    f.write_text("owner,period,value\nzed,2026-Q4,50k\ndana,2026-Q4,50k\n", encoding="utf-8")
    before = digest(db)
    res = ok("target", "import", str(f), "--dry-run", "-f", "json")
    assert json.loads(res.stdout) == {"rows": 2, "created": 1, "updated": 0, "unchanged": 1, "dry_run": True}
    assert res.stderr == "would import 2 targets (1 new, 0 updated, 1 unchanged)\n"  # (no "new user zed")
    assert digest(db) == before
    elsewhere = tmp_path / "none.db"  # no database yet: planned on a fresh one, none left behind
    assert ok("target", "import", str(f), "--dry-run", database=elsewhere).stderr == (
        "would import 2 targets (2 new, 0 updated, 0 unchanged)\n")
    assert not elsewhere.exists()
    f.write_text("owner,period,value\nzed,2026-QQ,5\nzed,2026-Q4,abc\nzed,2026-Q4,1k\n", encoding="utf-8")
    res = cli("target", "import", str(f), "--dry-run", "-f", "json")  # every refused row, not the first alone
    assert res.exit_code == 4 and [e["line"] for e in json.loads(res.stdout)["errors"]] == [2, 3]
    assert res.stderr.splitlines()[1] == "Hint: 2 rows were refused (lines 2, 3); nothing was imported"
    f.write_text("owner,period,value\nzed,2026-Q4,50k\nzed,2026-Q4,60k\n", encoding="utf-8")
    res = cli("target", "import", str(f), "--dry-run")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (4, "Error: quotas.csv:3: repeats the target of line 2"
                                                              " (zed 2026-Q4 won_amount)")
    assert digest(db) == before


def test_import_reads_a_semicolon_file_and_stdin(ok: Run, tmp_path: Path) -> None:
    semi = tmp_path / "q.csv"
    semi.write_text("owner;period;value\ndana;2027-Q1;50000\n", encoding="utf-8")
    ok("target", "import", str(semi))
    ok("target", "import", "-", input="owner,period,value\ndana,2027-Q2,40000\n")
    assert [(t["period"], t["value"]) for t in json.loads(ok("target", "list", "-f", "json").stdout)] == [
        ("2027-Q1", 50000), ("2027-Q2", 40000)]


def test_targets_inside_a_period_that_overlap_count_each_day_once(ok: Run) -> None:
    ok("target", "set", "ana", "2026-10-01..2026-11-15", "100")
    ok("target", "set", "ana", "2026-11", "100")

    def target(period: str) -> Any:
        return json.loads(ok("report", "performance", "--owner", "ana", "--period", period, "-f", "json").stdout,
                          parse_float=D)["summary"]["target"]

    # November is November's; October is the range's October (1 of its 1.5 months): the two add up
    assert (target("2026-10"), target("2026-11"), target("2026-10-01..2026-11-30")) == (
        D("66.67"), 100, D("166.67"))


def test_target_list_table_shows_whose_target_in_one_column(ok: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """An owner's target or team:NAME in one `for` column (two columns, one always empty, cut both at 60
    columns); json/csv keep owner and team apart."""
    ok("target", "set", "ana", "2026-Q4", "50k")
    ok("target", "set", "team:East", "2026-Q4", "12", "--metric", "deals_won")
    monkeypatch.setenv("COLUMNS", "80")
    assert [line.rstrip() for line in ok("target", "list").stdout.splitlines()] == [
        "id   for         period    metric       target   actual   attain.",
        "─────────────────────────────────────────────────────────────────",
        " 1   ana         2026-Q4   won_amount   50,000        0        0%",
        " 2   team:East   2026-Q4   deals_won        12        0        0%",
    ]
    assert [(r["owner"], r["team"]) for r in targets(ok)] == [("ana", None), (None, "East")]
