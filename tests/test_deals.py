"""deal add|show|edit|move|won|lost|reopen|park|rm: the life of a deal, its rules and its history."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, digest

Run = Callable[..., Result]

DEAL_KEYS = [
    "id", "title", "company_id", "company", "contact_id", "contact", "pipeline", "stage", "status", "amount",
    "currency", "probability", "weighted_amount", "forecast_category", "expected_close", "owner", "source",
    "next_step", "next_step_date", "recurring", "mrr", "arr", "won_at", "lost_at", "lost_reason", "lost_category",
    "parked_until", "park_reason", "external_id", "tags", "notes", "stage_age_days", "stage_entered_at",
    "created_at", "updated_at", "last_activity_at", "extra",
]


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def history(db: Path, deal_id: int) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT f.name, t.name, h.changed_at, h.changed_by, h.note, h.forced FROM stage_history h"
                    " JOIN stages t ON t.id = h.to_stage_id LEFT JOIN stages f ON f.id = h.from_stage_id"
                    " WHERE h.deal_id = ? ORDER BY h.id", (deal_id,))


def plain(text: str) -> str:
    """Table output without rich's trailing padding (the snapshot is otherwise exact)."""
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def as_json(ok: Run, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(*args, "-f", "json").stdout)
    return data


@pytest.fixture
def crm(ok: Run) -> Run:
    ok("company", "add", "Acme", "--domain", "acme.io")
    ok("contact", "add", "Ana Silva", "--email", "ana@acme.io", "--company", "Acme")
    return ok


# -- add -------------------------------------------------------------------------------------------
def test_add_prints_the_id_and_uses_the_defaults(ok: Run, db: Path) -> None:
    res = ok("deal", "add", "First deal")
    assert res.stdout == "1\n"
    assert res.stderr == "added deal 1 First deal (Prospecting)\n"
    deal = as_json(ok, "deal", "show", "1")
    assert list(deal)[: len(DEAL_KEYS)] == DEAL_KEYS
    assert {k: deal[k] for k in ("pipeline", "stage", "status", "amount", "currency", "probability",
                                 "weighted_amount", "forecast_category", "owner", "recurring", "tags",
                                 "stage_age_days", "created_at")} == {
        "pipeline": "Default", "stage": "Prospecting", "status": "open", "amount": None, "currency": "USD",
        "probability": 10, "weighted_amount": None, "forecast_category": "pipeline", "owner": "dana",
        "recurring": "none", "tags": [], "stage_age_days": 0, "created_at": "2026-11-26T00:00:00",
    }
    assert history(db, 1) == [(None, "Prospecting", "2026-11-26T00:00:00", "dana", None, 0)]


def test_add_json_record_has_exact_money(ok: Run) -> None:
    res = ok("deal", "add", "Acme renewal", "--amount", "12,345.67", "--currency", "eur", "--stage", "qualification",
             "-f", "json")
    assert '"amount": 12345.67, "currency": "EUR", "probability": 20, "weighted_amount": 2469.13' in res.stdout


def test_add_links_company_and_contact(crm: Run) -> None:
    res = crm("deal", "add", "Renewal", "--contact", "ana@acme.io")
    deal = as_json(crm, "deal", "show", res.stdout.strip())
    assert (deal["company_id"], deal["company"], deal["contact_id"], deal["contact"]) == (1, "Acme", 1, "Ana Silva")
    res = crm("deal", "add", "Globex pilot", "--company", "Globex")
    assert res.stderr == "created company 2 Globex\nadded deal 2 Globex pilot (Prospecting)\n"


def test_add_with_unknown_contact_is_not_found_and_writes_nothing(crm: Run, cli: Run, db: Path) -> None:
    before = digest(db)
    res = cli("deal", "add", "X", "--contact", "nobody@acme.io", "--company", "NewCo")
    assert res.exit_code == 3
    assert res.stderr.startswith('Error: --contact "nobody@acme.io" not found')
    assert res.stdout == ""
    assert digest(db) == before  # not even the company


def test_add_into_a_stage_applies_its_rules(ok: Run, cli: Run, db: Path) -> None:
    ok("init")
    before = digest(db)
    res = cli("deal", "add", "Big one", "--stage", "Proposal")
    assert res.exit_code == 1
    assert res.stderr.splitlines()[0] == "Error: a new deal cannot enter stage Proposal: missing amount, expected_close"
    assert digest(db) == before
    res = cli("deal", "add", "Big one", "--stage", "Proposal", "--amount", "10k")
    assert res.exit_code == 1 and "missing expected_close" in res.stderr
    ok("deal", "add", "Big one", "--stage", "Proposal", "--amount", "10k", "--close", "+30d")
    assert history(db, 1) == [(None, "Proposal", "2026-11-26T00:00:00", "dana", None, 0)]


def test_add_forced_past_the_rules_is_recorded(ok: Run, db: Path) -> None:
    res = ok("deal", "add", "Big one", "--stage", "Proposal", "--force")
    assert res.stderr == "added deal 1 Big one (Proposal) — forced past missing fields\n"
    assert history(db, 1)[0][-1] == 1
    res = ok("deal", "add", "Whole", "--stage", "Proposal", "--amount", "5k", "--close", "+9d", "--force")
    assert res.stderr == "added deal 2 Whole (Proposal)\n"  # nothing was missing: nothing forced
    logged = rows(db, "SELECT action, after FROM changes WHERE entity = 'deal' AND action = 'forced'")
    assert logged == [("forced", json.dumps({"stage": "Proposal", "forced": "missing amount, expected_close"}))]


def test_add_cannot_start_closed(cli: Run) -> None:
    res = cli("deal", "add", "Done", "--stage", "Won")
    assert res.exit_code == 1
    assert "a new deal starts in an open stage, not Won (won)" in res.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "abc"], 'Error: --amount "abc" is not an amount'),
        (["--amount", "-5"], 'Error: --amount "-5" is negative'),
        (["--close", "2026-02-31"], 'Error: --close "2026-02-31"'),
        (["--next-step-date", "someday"], 'Error: --next-step-date "someday"'),
        (["--probability", "150"], 'Error: --probability "150" is not a probability'),
        (["--forecast", "maybe"], 'Error: --forecast "maybe" is not one of'),
        (["--recurring", "weekly"], 'Error: --recurring "weekly" is not one of none, month, year'),
        (["--currency", "euros"], 'Error: --currency "euros" is not a currency code'),
        (["--amount", "€900", "--currency", "USD"], 'Error: --amount "€900" is in EUR'),
        (["--date", "2026-13-01"], 'Error: --date "2026-13-01"'),
    ],
)
def test_values_of_the_wrong_form_are_usage_errors_naming_the_option(
    cli: Run, db: Path, args: list[str], message: str
) -> None:
    res = cli("deal", "add", "X", *args)
    assert res.exit_code == 2, res.stderr
    assert res.stderr.startswith(message), res.stderr
    assert not db.exists()


def test_day_first_setting_reads_slashed_dates(ok: Run, cli: Run) -> None:
    assert cli("deal", "add", "X", "--close", "03/04/2027").exit_code == 2  # unset: ambiguous
    ok("config", "set", "day_first", "true")
    ok("deal", "add", "X", "--close", "03/04/2027")
    assert as_json(ok, "deal", "show", "1")["expected_close"] == "2027-04-03"


# -- moves and rules ---------------------------------------------------------------------------------
def test_move_into_a_stage_with_missing_fields_is_refused_naming_all_and_changes_nothing(
    ok: Run, cli: Run, db: Path
) -> None:
    ok("deal", "add", "X", "--stage", "Qualification")
    before = digest(db)
    res = cli("deal", "move", "1", "Proposal")
    assert res.exit_code == 1
    assert res.stderr == (
        "Error: deal 1 cannot enter stage Proposal: missing amount, expected_close\n"
        "Hint: salescli deal edit 1 --amount … --close …; or --force to override (recorded in the history)\n"
    )
    assert res.stdout == ""
    assert digest(db) == before


def test_move_forced_is_recorded_in_stage_history_and_changes(ok: Run, db: Path) -> None:
    ok("deal", "add", "X", "--amount", "5k")
    res = ok("deal", "move", "1", "negotiation", "--force", "--note", "CEO asked")
    assert res.stderr == "moved deal 1 Prospecting → Negotiation (forced)\n"
    assert history(db, 1)[-1] == ("Prospecting", "Negotiation", "2026-11-26T00:00:00", "dana", "CEO asked", 1)
    after = json.loads(rows(db, "SELECT after FROM changes WHERE entity = 'deal' AND action = 'move'")[0][0])
    assert after["forced"] == "missing expected_close"
    assert after["stage"] == "Negotiation"


def test_stage_history_is_exact_after_a_sequence_of_backdated_moves(ok: Run, db: Path) -> None:
    ok("deal", "add", "Acme", "--amount", "12k", "--close", "2026-12-20", "--date", "2026-09-01")
    ok("deal", "move", "1", "Qualification", "--date", "2026-09-10", "--note", "call went well")
    ok("deal", "move", "1", "needs analysis", "--date", "2026-09-10")
    ok("deal", "move", "1", "Proposal", "--date", "2026-10-01")
    ok("deal", "move", "1", "Qualification", "--note", "back to square two")
    ok("deal", "won", "1", "--date", "2026-11-26")
    assert history(db, 1) == [
        (None, "Prospecting", "2026-09-01T00:00:00", "dana", None, 0),
        ("Prospecting", "Qualification", "2026-09-10T00:00:00", "dana", "call went well", 0),
        ("Qualification", "Needs Analysis", "2026-09-10T00:00:00", "dana", None, 0),
        ("Needs Analysis", "Proposal", "2026-10-01T00:00:00", "dana", None, 0),
        ("Proposal", "Qualification", "2026-11-26T00:00:00", "dana", "back to square two", 0),
        ("Qualification", "Won", "2026-11-26T00:00:00", "dana", None, 0),
    ]  # every stage change a timestamp: a day given with --date is its midnight
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["created_at"], deal["stage_entered_at"], deal["won_at"]) == (
        "2026-09-01T00:00:00", "2026-11-26T00:00:00", "2026-11-26")


def test_backdating_before_the_last_change_or_into_the_future_is_refused(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X", "--date", "2026-10-01")
    ok("deal", "move", "1", "Qualification", "--date", "2026-10-20")
    before = digest(db)
    res = cli("deal", "move", "1", "Needs Analysis", "--date", "2026-10-19")
    assert res.exit_code == 1
    assert res.stderr.startswith(
        "Error: --date 2026-10-19 is before deal 1 entered Qualification (2026-10-20); stage history runs forward")
    res = cli("deal", "won", "1", "--date", "2026-11-27")
    assert res.exit_code == 1
    assert res.stderr == "Error: --date 2026-11-27 is in the future (today is 2026-11-26)\n"
    assert digest(db) == before


def test_a_move_dated_today_before_the_last_change_is_refused(ok: Run, cli: Run, db: Path) -> None:
    # a user who pinned a later --today once, then moved again on the real day
    ok("deal", "add", "X", "--stage", "Qualification", "--amount", "5k", "--close", "2026-12-20")
    ok("deal", "move", "1", "Proposal", today="2026-12-03")
    before = digest(db)
    for args in (("move", "1", "Won"), ("won", "1"), ("lost", "1", "--reason", "price")):
        res = cli("deal", *args)
        assert (res.exit_code, res.stdout) == (1, "")
        assert res.stderr == ("Error: deal 1 entered Proposal on 2026-12-03, after today (2026-11-26);"
                              " stage history runs forward\nHint: --force dates the change 2026-12-03 instead\n")
    assert digest(db) == before
    res = ok("deal", "move", "1", "Negotiation", "--force")
    assert res.stderr.startswith("note: dated 2026-12-03, the day deal 1 entered Proposal (after today)")
    assert history(db, 1)[-1][:3] == ("Proposal", "Negotiation", "2026-12-03T00:00:00")
    ok("deal", "won", "1", today="2026-12-03")
    assert history(db, 1)[-1][:3] == ("Negotiation", "Won", "2026-12-03T00:00:00")
    ok("db", "check")


def test_a_change_dated_the_day_of_the_last_one_is_not_before_it(ok: Run, db: Path) -> None:
    """`--date today` on a deal made today (at 21:52, the real clock) stored the move at midnight, before the
    deal was made: `deal show`'s timeline had it enter Prospecting after it was lost."""
    ok("deal", "add", "G2", "--amount", "1k", today=None)
    ok("deal", "move", "1", "Qualification", "--date", "today", today=None)
    ok("deal", "lost", "1", "--reason", "x", "--date", "today", today=None)
    made, moved, lost = (stamp for *_, stamp in [h[:3] for h in history(db, 1)])
    assert made == moved == lost and made > f"{made[:10]}T00:00:00"  # (the time of the first change)
    timeline = json.loads(ok("deal", "show", "1", "-f", "json", today=None).stdout)["timeline"]
    assert [t["summary"] for t in timeline] == ["Qualification → Lost", "Prospecting → Qualification",
                                                "entered Prospecting"]


def test_won_on_a_weekday_or_a_month_day_means_the_last_one(ok: Run, db: Path) -> None:
    ok("deal", "add", "X", "--date", "2026-11-01")
    ok("deal", "won", "1", "--date", "monday")  # today is Thursday 2026-11-26
    assert as_json(ok, "deal", "show", "1")["won_at"] == "2026-11-23"
    ok("deal", "add", "Y", "--date", "Nov 2")
    assert as_json(ok, "deal", "show", "2")["created_at"] == "2026-11-02T00:00:00"


def test_move_to_the_current_stage_changes_nothing(ok: Run, db: Path) -> None:
    ok("deal", "add", "X")
    before = digest(db)
    res = ok("deal", "move", "1", "PROSPECTING")
    assert res.stderr == "deal 1 is already in Prospecting; nothing changed\n"
    assert digest(db) == before


def test_unknown_stage_lists_the_valid_ones(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X")
    before = digest(db)
    res = cli("deal", "move", "1", "Propsal")
    assert res.exit_code == 3
    assert res.stderr == ('Error: stage "Propsal" not found in pipeline Default (stages: Prospecting, '
                          'Qualification, Needs Analysis, Proposal, Negotiation, Won, Lost)\nHint: did you mean'
                          ' "Proposal"?\n')
    assert digest(db) == before


def test_move_into_a_lost_stage_needs_deal_lost(ok: Run, cli: Run) -> None:
    ok("deal", "add", "X")
    res = cli("deal", "move", "1", "lost")
    assert res.exit_code == 1
    assert "Lost is a lost stage: losing a deal needs a reason" in res.stderr


def test_move_into_won_marks_the_deal_won(ok: Run) -> None:
    ok("deal", "add", "X", "--amount", "1000")
    res = ok("deal", "move", "1", "won")
    assert "created task 1" in res.stderr
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["status"], deal["won_at"], deal["probability"], deal["forecast_category"]) == (
        "won", "2026-11-26", 100, "closed")


def test_probability_and_category_follow_the_stage_unless_set(ok: Run) -> None:
    ok("deal", "add", "A", "--amount", "1000", "--close", "+10d")
    ok("deal", "add", "B", "--amount", "1000", "--close", "+10d", "--probability", "35%")
    ok("deal", "add", "C", "--amount", "1000", "--close", "+10d", "--forecast", "Omitted")
    for deal_id in ("1", "2", "3"):
        ok("deal", "move", deal_id, "Negotiation")
    shown = [as_json(ok, "deal", "show", i) for i in ("1", "2", "3")]
    assert [(d["probability"], d["forecast_category"]) for d in shown] == [
        (80, "commit"), (35, "pipeline"), (80, "omitted")]
    ok("deal", "edit", "2", "--probability", "auto")
    ok("deal", "edit", "3", "--forecast", "auto")
    shown = [as_json(ok, "deal", "show", i) for i in ("2", "3")]
    assert [(d["probability"], d["forecast_category"]) for d in shown] == [(80, "commit"), (80, "commit")]


# -- won, lost, reopen ---------------------------------------------------------------------------------
def test_won_sets_date_and_amount_and_fires_the_automation(ok: Run, db: Path) -> None:
    ok("deal", "add", "X", "--amount", "10k", "--currency", "EUR", "--date", "2026-11-01")
    res = ok("deal", "won", "1", "--amount", "9,500", "--date", "2026-11-20")
    assert res.stderr == (
        'created task 1 "Post-sale follow-up" due 2026-11-27 (automation 1)\n'  # 7 days after the win
        "won deal 1 X on 2026-11-20\n"
    )
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["status"], deal["stage"], deal["won_at"], deal["amount"], deal["currency"]) == (
        "won", "Won", "2026-11-20", 9500, "EUR")
    assert history(db, 1)[-1] == ("Prospecting", "Won", "2026-11-20T00:00:00", "dana", None, 0)


def test_lost_without_a_reason_is_refused_and_changes_nothing(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X")
    before = digest(db)
    for args in ([], ["--reason", "  "]):
        res = cli("deal", "lost", "1", *args)
        assert res.exit_code == 1
        assert res.stderr.startswith("Error: a lost deal needs a reason: --reason TEXT")
    assert digest(db) == before
    res = cli("deal", "lost", "1", "--reason", "price", "--category", "cheap")
    assert res.exit_code == 2
    assert res.stderr.startswith('Error: --category "cheap" is not one of competitor, no_decision')
    assert digest(db) == before


def test_lost_records_reason_category_and_date(ok: Run, db: Path) -> None:
    ok("deal", "add", "X", "--date", "2026-11-02")
    ok("deal", "lost", "1", "--reason", "went with Initech", "--category", "Competitor", "--date", "2026-11-25")
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["status"], deal["lost_at"], deal["lost_reason"], deal["lost_category"], deal["forecast_category"],
            deal["probability"]) == ("lost", "2026-11-25", "went with Initech", "competitor", "closed", 0)


def test_closing_a_deal_names_its_open_tasks(ok: Run) -> None:
    ok("deal", "add", "X")
    ok("task", "add", "Send the proposal", "--deal", "1", "--due", "2026-11-30")
    ok("task", "add", "Old call", "--deal", "1", "--due", "2026-11-20")
    ok("task", "done", "2")
    res = ok("deal", "lost", "1", "--reason", "no budget")
    # left open (closing them is the person's call), but said: they would sit in someone's overdue list
    assert res.stderr == ('note: lost deal 1 still has 1 open task: #1 "Send the proposal" (salescli task done 1,'
                          " or task rm)\nlost deal 1 X on 2026-11-26: no budget\n")
    ok("deal", "add", "Y")
    assert "open task" not in ok("deal", "won", "2").stderr  # none open: nothing said
    ok("deal", "add", "Z")
    ok("task", "add", "Chase", "--deal", "3")
    assert 'note: won deal 3 still has 1 open task: #4 "Chase"' in ok("deal", "move", "3", "Won").stderr


def test_reopen_returns_to_the_stage_before_closing(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X", "--stage", "Needs Analysis", "--probability", "55")
    ok("deal", "lost", "1", "--reason", "no budget")
    res = ok("deal", "reopen", "1")
    assert res.stderr == "reopened deal 1 in Needs Analysis\n"
    deal = as_json(ok, "deal", "show", "1")
    # the probability given by hand before the loss comes back with the deal (not the stage's 40%)
    assert (deal["status"], deal["stage"], deal["lost_at"], deal["lost_reason"], deal["probability"],
            deal["forecast_category"]) == ("open", "Needs Analysis", None, None, 55, "best_case")
    assert history(db, 1)[-2:] == [
        ("Needs Analysis", "Lost", "2026-11-26T00:00:00", "dana", None, 0),
        ("Lost", "Needs Analysis", "2026-11-26T00:00:00", "dana", None, 0),
    ]
    res = cli("deal", "reopen", "1")
    assert res.exit_code == 1
    assert res.stderr == "Error: deal 1 is open (in Needs Analysis); nothing to reopen\n"
    ok("deal", "won", "1")
    ok("deal", "reopen", "1", "--stage", "qualification", "--note", "scope changed")
    assert history(db, 1)[-1] == ("Won", "Qualification", "2026-11-26T00:00:00", "dana", "scope changed", 0)
    ok("deal", "won", "1")
    assert cli("deal", "reopen", "1", "--stage", "Nope").exit_code == 3
    res = cli("deal", "reopen", "1", "--stage", "Lost")
    assert res.exit_code == 1
    assert res.stderr == "Error: --stage Lost is a lost stage; reopen into an open stage\n"


def test_reopen_backdated_lets_the_real_loss_be_recorded_on_its_day(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "Z", "--amount", "1k", "--date", "2026-11-02")
    ok("deal", "won", "1", "--date", "2026-11-02")  # a mistake: it was lost on the 10th
    assert ok("deal", "reopen", "1", "--date", "2026-11-05").stderr.endswith(
        "reopened deal 1 in Prospecting on 2026-11-05\n")
    ok("deal", "lost", "1", "--reason", "budget", "--date", "2026-11-10")
    assert [h[:3] for h in history(db, 1)][-2:] == [("Won", "Prospecting", "2026-11-05T00:00:00"),
                                                    ("Prospecting", "Lost", "2026-11-10T00:00:00")]
    before = digest(db)
    res = cli("deal", "reopen", "1", "--date", "2026-11-01")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        1, "Error: --date 2026-11-01 is before deal 1 entered Lost (2026-11-10); stage history runs forward")
    assert digest(db) == before


def test_reopen_keeps_a_forecast_category_set_by_hand_and_the_stage_probability(ok: Run) -> None:
    ok("deal", "add", "X", "--stage", "Proposal", "--close", "+30d", "--amount", "5k")
    ok("deal", "edit", "1", "--forecast", "commit")
    ok("deal", "won", "1")
    ok("deal", "reopen", "1")
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["stage"], deal["probability"], deal["forecast_category"]) == ("Proposal", 60, "commit")


def test_winning_makes_the_contact_a_customer_and_reopening_takes_it_back(crm: Run, db: Path) -> None:
    ok = crm
    ok("contact", "add", "Ben", "--email", "ben@acme.io", "--company", "Acme", "--status", "prospect")
    ok("deal", "add", "X", "--contact", "ana@acme.io")
    ok("deal", "add", "Y", "--contact", "ana@acme.io")
    ok("deal", "add", "Z", "--contact", "ben@acme.io")
    status = "SELECT name, status FROM contacts ORDER BY id"
    res = ok("deal", "won", "1")
    assert res.stderr.startswith("contact Ana Silva (#1) is now a customer (was lead)\n")
    assert rows(db, status) == [("Ana Silva", "customer"), ("Ben", "prospect")]
    assert "contact" not in ok("deal", "won", "2").stderr  # a customer already: nothing said, nothing logged
    assert ok("history", "contact", "1", "-f", "csv").stdout.splitlines()[2] == (
        '8,2026-11-26T00:00:00,dana,contact,1,deal 1 won,,status: lead → customer,"{""status"": ""lead""}",'
        '"{""status"": ""customer""}"')
    # Ana has another won deal: reopening one leaves her a customer
    assert "contact" not in ok("deal", "reopen", "1").stderr
    assert "contact Ana Silva (#1) is a lead again" in ok("deal", "reopen", "2").stderr
    # won by a move into a won stage too; a status set by hand since is left alone on reopen
    ok("deal", "move", "3", "Won")
    ok("contact", "edit", "ben@acme.io", "--status", "churned")
    assert "contact" not in ok("deal", "reopen", "3").stderr
    assert rows(db, status) == [("Ana Silva", "lead"), ("Ben", "churned")]
    ok("deal", "won", "3")  # a churned customer buying again
    assert "contact Ben (#2) is churned again" in ok("deal", "reopen", "3").stderr
    ok("deal", "won", "3")
    res = ok("deal", "edit", "3", "--contact", "ana@acme.io")  # the buyer was Ana, not Ben
    assert res.stderr.startswith("contact Ben (#2) is churned again\ncontact Ana Silva (#1) is now a customer"
                                 " (was lead)\n")


def test_won_with_an_amount_in_another_currency_says_the_currency_changed(ok: Run) -> None:
    ok("deal", "add", "X", "--amount", "7500", "--currency", "GBP")
    res = ok("deal", "won", "1", "--amount", "€8k")
    assert res.stderr.startswith("currency GBP → EUR: the deal is now 8,000.00 EUR (was 7,500.00 GBP)\n")
    assert "amount: 7,500.00 GBP → 8,000.00 EUR; currency: GBP → EUR" in ok("history", "deal", "1", "-f", "csv").stdout
    assert "currency" not in ok("deal", "add", "Y", "--amount", "1k").stderr + ok("deal", "won", "2", "--amount",
                                                                                   "2k").stderr


def test_a_stage_typed_with_dashes_is_found_and_edit_points_to_move(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X")
    assert ok("deal", "move", "1", "needs-analysis").stderr == "moved deal 1 Prospecting → Needs Analysis\n"
    before = digest(db)
    res = cli("deal", "edit", "1", "--stage", "Proposal")
    assert (res.exit_code, res.stderr) == (2, "Error: deal edit does not change the stage\n"
                                              'Hint: salescli deal move 1 "Proposal" (or deal won / deal lost /'
                                              " deal reopen)\n")
    assert digest(db) == before


def test_closed_deals_cannot_be_moved_or_closed_again(ok: Run, cli: Run) -> None:
    ok("deal", "add", "X")
    ok("deal", "won", "1")
    res = cli("deal", "move", "1", "Qualification")
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: deal 1 is won; reopen it to move it")
    assert res.stderr.endswith('Hint: salescli deal reopen 1 --stage "Qualification"\n')
    # reopening into a lost stage is refused: the hint says the two steps
    assert cli("deal", "move", "1", "Lost").stderr == (
        "Error: deal 1 is won; reopen it to move it\n"
        'Hint: salescli deal reopen 1, then salescli deal lost 1 --reason "…"\n')
    assert cli("deal", "won", "1").stderr == "Error: deal 1 is already won\n"
    assert cli("deal", "lost", "1", "--reason", "x").stderr == (
        "Error: deal 1 is won; reopen it first: salescli deal reopen 1\n")


def test_a_failing_command_creates_no_task(ok: Run, cli: Run, db: Path) -> None:
    ok("automation", "add", "--on", "stage:Proposal", "--task", "Send the proposal", "--due", "+2d")
    ok("deal", "add", "X")
    before = digest(db)
    assert cli("deal", "move", "1", "Proposal").exit_code == 1
    assert digest(db) == before
    ok("deal", "edit", "1", "--amount", "5k", "--close", "+20d")
    res = ok("deal", "move", "1", "Proposal")
    assert res.stderr == ('created task 1 "Send the proposal" due 2026-11-28 (automation 2)\n'
                          "moved deal 1 Prospecting → Proposal\n")
    assert rows(db, "SELECT subject, deal_id, owner, due_date FROM activities") == [
        ("Send the proposal", 1, "dana", "2026-11-28")]


# -- park ------------------------------------------------------------------------------------------
def test_park_and_clear(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X", "--close", "2027-02-01")
    res = ok("deal", "park", "1", "--until", "2027-01-15", "--reason", "budget freeze")
    assert res.stderr == "parked deal 1 until 2027-01-15: budget freeze\n"
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["parked_until"], deal["park_reason"]) == ("2027-01-15", "budget freeze")
    before = digest(db)
    assert cli("deal", "park", "1", "--until", "2027-01-15").exit_code == 1  # no reason
    assert cli("deal", "park", "1", "--until", "2026-11-26", "--reason", "x").exit_code == 1  # not after today
    assert cli("deal", "park", "1", "--until", "2027-02-30", "--reason", "x").exit_code == 2
    res = cli("deal", "park", "1", "--clear", "--until", "2027-03-01")  # (not a silent unpark)
    assert (res.exit_code, res.stderr) == (2, "Error: --clear unparks the deal: it takes no --until\n")
    assert digest(db) == before
    assert ok("deal", "park", "1", "--clear").stderr == "unparked deal 1\n"
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["parked_until"], deal["park_reason"]) == (None, None)
    before = digest(db)
    assert ok("deal", "park", "1", "--clear").stderr == "deal 1 is not parked; nothing changed\n"
    assert digest(db) == before


# -- edit ------------------------------------------------------------------------------------------
def test_edit_says_the_values_it_read(ok: Run) -> None:
    ok("deal", "add", "X", "--amount", "2k", "--owner", "dana", "--next-step-date", "+2d")
    res = ok("deal", "edit", "1", "--close", "next friday", "--owner", "", "--next-step-date", "", "--currency", "eur")
    assert res.stderr == ("note: no exchange rate for EUR: totals in USD leave this deal's amount out (salescli fx"
                          " set EUR RATE)\n"
                          "updated deal 1: owner cleared, currency EUR (amount 2,000.00 EUR, not converted),"
                          " close 2026-11-27, next-step-date cleared\n")


def test_edit_changes_and_clears_fields_and_logs_them(crm: Run, cli: Run, db: Path) -> None:
    crm("deal", "add", "X", "--amount", "1000", "--source", "web", "--tag", "a,b")
    res = crm("deal", "edit", "1", "--title", "Bigger X", "--amount", "2k", "--source", "", "--add-tag", "c",
              "--remove-tag", "a", "--contact", "Ana Silva", "--next-step", "demo", "--next-step-date", "+2d",
              "--recurring", "year")
    assert res.stderr == ("updated deal 1: title, source cleared, next-step, amount 2,000.00 USD,"
                          " next-step-date 2026-11-28, recurring year, tags, company Acme, contact Ana Silva\n")
    deal = as_json(crm, "deal", "show", "1")
    assert (deal["title"], deal["amount"], deal["source"], deal["tags"], deal["contact"], deal["company"],
            deal["next_step"], deal["next_step_date"], deal["arr"], deal["mrr"]) == (
        "Bigger X", 2000, None, ["b", "c"], "Ana Silva", "Acme", "demo", "2026-11-28", 2000, 166.67)
    logged = json.loads(rows(db, "SELECT after FROM changes WHERE entity = 'deal' AND action = 'update'")[0][0])
    assert logged["amount_minor"] == 200000 and logged["title"] == "Bigger X"
    assert crm("deal", "edit", "1").stderr == "deal 1: nothing changed\n"


def test_edit_currency_keeps_the_amount_figure(ok: Run) -> None:
    ok("deal", "add", "X", "--amount", "12,000")
    ok("deal", "edit", "1", "--currency", "JPY")
    deal = as_json(ok, "deal", "show", "1")
    assert (deal["amount"], deal["currency"]) == (12000, "JPY")


def test_edit_cannot_clear_what_the_stage_requires_without_force(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X", "--stage", "Proposal", "--amount", "5k", "--close", "+5d")
    before = digest(db)
    res = cli("deal", "edit", "1", "--amount", "")
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: deal 1 is in stage Proposal, which requires amount")
    assert digest(db) == before
    ok("deal", "edit", "1", "--amount", "", "--force")
    assert as_json(ok, "deal", "show", "1")["amount"] is None


def test_mrr_and_arr(ok: Run) -> None:
    ok("deal", "add", "Monthly", "--amount", "1,000", "--recurring", "monthly")
    ok("deal", "add", "Yearly", "--amount", "1,000", "--recurring", "annual")
    monthly, yearly = as_json(ok, "deal", "show", "1"), as_json(ok, "deal", "show", "2")
    assert (monthly["mrr"], monthly["arr"]) == (1000, 12000)
    assert (yearly["mrr"], yearly["arr"]) == (83.33, 1000)
    out = ok("deal", "show", "2").stdout
    assert "\nMRR                83.33 USD" in out and "\nARR                1,000.00 USD" in out


# -- rm and unknown ids ------------------------------------------------------------------------------
def test_rm_needs_yes_without_a_terminal(ok: Run, cli: Run, db: Path) -> None:
    ok("deal", "add", "X")
    before = digest(db)
    res = cli("deal", "rm", "1")
    assert res.exit_code == 1
    assert "without --yes (no terminal to ask)" in res.stderr
    assert digest(db) == before
    res = ok("deal", "rm", "1", "--yes")
    assert res.stderr == "deleted deal 1 X\n"
    assert rows(db, "SELECT count(*) FROM deals") == [(0,)]
    assert rows(db, "SELECT count(*) FROM stage_history") == [(0,)]
    assert rows(db, "SELECT action FROM changes WHERE entity = 'deal' ORDER BY id")[-1] == ("delete",)


def test_rm_names_the_open_tasks_left_unlinked(ok: Run, db: Path) -> None:
    ok("deal", "add", "X")
    ok("task", "add", "Send the contract", "--deal", "1", "--due", "+2d")
    ok("task", "add", "Done already", "--deal", "1")
    ok("task", "done", "2")
    res = ok("deal", "rm", "1", "--yes")
    assert res.stderr == ('deleted deal 1 X\nnote: 1 open task of deal 1 stays, no longer linked to it: #1 "Send the'
                          ' contract" (salescli task rm 1 if it no longer applies)\n')
    assert rows(db, "SELECT id, deal_id FROM activities ORDER BY id") == [(1, None), (2, None)]


@pytest.mark.parametrize(
    "args",
    [["show", "99"], ["move", "99", "Proposal"], ["won", "99"], ["lost", "99", "--reason", "x"],
     ["reopen", "99"], ["edit", "99", "--title", "Y"], ["rm", "99", "--yes"],
     ["park", "99", "--until", "+1m", "--reason", "x"]],
)
def test_unknown_deal_is_not_found(ok: Run, cli: Run, args: list[str]) -> None:
    ok("deal", "add", "X")
    res = cli("deal", *args)
    assert res.exit_code == 3
    assert res.stderr.startswith("Error: deal 99 not found")


def test_deals_are_found_by_unique_title(ok: Run, cli: Run) -> None:
    ok("deal", "add", "Acme renewal")
    ok("deal", "add", "Twin", "--company", "Acme")
    res = ok("deal", "add", "twin", "--company", "Acme")  # the same deal added twice? said
    assert res.stderr.splitlines()[0] == ("note: open deal 2 at Acme is also titled twin: if a duplicate, salescli"
                                          " deal rm 3; else refer to each by id")
    ok("deal", "add", "Twin", "--company", "Globex")  # another company's: not said
    assert as_json(ok, "deal", "show", "ACME RENEWAL")["id"] == 1
    res = cli("deal", "show", "Twin")
    assert res.exit_code == 1
    assert res.stderr.startswith('Error: deal "Twin" is ambiguous: 3 match (2 Twin (Acme, Prospecting); 3 twin'
                                 " (Acme, Prospecting); 4 Twin (Globex, Prospecting))")


def test_a_title_of_many_deals_says_more_than_20_match_and_lists_ten(ok: Run, cli: Run) -> None:
    """It said "20 match" of a title 231 deals of an imported file share, and listed all 20."""
    for _ in range(21):
        ok("deal", "add", "MG Advanced")
    res = cli("deal", "show", "mg advanced")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (1, 'Error: deal "mg advanced" is ambiguous: more than 20'
                                                           " match (" + "; ".join(f"{i} MG Advanced (Prospecting)"
                                                                                  for i in range(1, 11)) + "; …)")


def test_deals_are_found_by_the_external_id_an_import_gave_them(ok: Run, cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("Id,Name,StageName\n006Ec00000AieKFIAZ,Big one,Prospecting\nD-7,Other,Prospecting\n",
                    encoding="utf-8")
    ok("import", "deals", str(path), "--preset", "salesforce")
    assert as_json(ok, "deal", "show", "006Ec00000AieKFIAZ")["title"] == "Big one"
    ok("deal", "move", "D-7", "Qualification")
    assert as_json(ok, "deal", "show", "2")["stage"] == "Qualification"
    res = cli("deal", "show", "006ec00000aiekfiaz")  # Salesforce ids are case-sensitive: exact match only
    assert (res.exit_code, res.stderr.splitlines()[0]) == (3, 'Error: deal "006ec00000aiekfiaz" not found')
    # a deal titled as another's external id: neither is guessed (a script's `deal won D-7` must not win it)
    ok("deal", "add", "D-7")
    res = cli("deal", "won", "D-7")
    assert (res.exit_code, res.stderr) == (1, 'Error: deal "D-7" is ambiguous: the title of deal 3 and the external'
                                              " id of deal 2\nHint: use the deal id\n")
    assert as_json(ok, "deal", "show", "3")["status"] == "open"


def test_unknown_pipeline_is_not_found(ok: Run, cli: Run) -> None:
    res = cli("deal", "add", "X", "--pipeline", "Renewals")
    assert res.exit_code == 3
    assert res.stderr.startswith('Error: --pipeline "Renewals" not found (pipelines: Default)')


# -- show ------------------------------------------------------------------------------------------
SHOW_SNAPSHOT = """\
Deal 1
id                 1
title              Acme renewal
company            Acme (#1)
contact            Ana Silva (#1)
pipeline           Default
stage              Negotiation
status             open
amount             12,000.00 EUR
probability        80%
weighted           9,600.00 EUR
forecast           commit
expected close     2026-12-20
owner              dana
next step          send contract
next step date     2026-11-30
tags               renewal
days in stage      16
stage entered at   2026-11-10
created at         2026-10-01
updated at         2026-11-26
days idle          16

stage history
when         from            to              by     note         forced
───────────────────────────────────────────────────────────────────────
2026-10-01                   Qualification   dana
2026-10-15   Qualification   Proposal        dana   sent quote
2026-11-10   Proposal        Negotiation     dana                forced

timeline
date         kind    summary                                who
────────────────────────────────────────────────────────────────
2026-11-10   stage   Proposal → Negotiation (forced)        dana
2026-10-15   stage   Qualification → Proposal: sent quote   dana
2026-10-01   stage   entered Qualification                  dana
"""


def test_deal_show_tells_the_story(crm: Run, db: Path) -> None:
    crm("deal", "add", "Acme renewal", "--amount", "12k", "--currency", "EUR", "--contact", "ana@acme.io",
        "--stage", "Qualification", "--close", "2026-12-20", "--tag", "renewal", "--date", "2026-10-01")
    crm("deal", "move", "1", "proposal", "--date", "2026-10-15", "--note", "sent quote")
    crm("deal", "edit", "1", "--close", "", "--force")
    crm("deal", "move", "1", "Negotiation", "--date", "2026-11-10", "--force")
    crm("deal", "edit", "1", "--close", "2026-12-20", "--next-step", "send contract", "--next-step-date",
        "2026-11-30")
    assert plain(crm("deal", "show", "1").stdout) == SHOW_SNAPSHOT


def test_deal_show_in_every_format(crm: Run) -> None:
    crm("deal", "add", "Acme renewal", "--amount", "12k", "--contact", "ana@acme.io", "--recurring", "month")
    md = crm("deal", "show", "1", "-f", "markdown").stdout
    assert md.startswith("## Deal 1\n\n| field | value |\n|---|---|\n| id | 1 |\n| title | Acme renewal |\n")
    assert "| amount | 12,000.00 USD |" in md and "| MRR | 12,000.00 USD |" in md and "### stage history" in md
    csv_out = crm("deal", "show", "1", "-f", "csv").stdout.splitlines()
    assert csv_out[0].split(",")[: len(DEAL_KEYS)] == DEAL_KEYS
    assert csv_out[1].startswith("1,Acme renewal,1,Acme,1,Ana Silva,Default,Prospecting,open,12000.00,USD,10,1200.00,")
    data = as_json(crm, "deal", "show", "1")
    assert data["stage_history"] == [{"changed_at": "2026-11-26T00:00:00", "from_stage": None,
                                      "to_stage": "Prospecting", "changed_by": "dana", "note": None, "forced": False}]
    assert data["timeline"][0]["summary"] == "entered Prospecting"


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Pacific/Kiritimati"])  # UTC-12 and UTC+14
def test_timestamps_and_today_share_the_local_clock(run_exe: Any, tmp_path: Path, zone: str) -> None:
    """Without --today, "today" is the local date: the created and stage-entered timestamps are local too,
    so a new deal is 0 days in its stage wherever the machine is (they were UTC: -1 days at 8 pm in LA).
    One of the two zones is on another date than UTC at any hour."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    db = tmp_path / f"{zone.replace('/', '-')}.db"
    env = {"TZ": zone}
    assert run_exe("--db", str(db), "deal", "add", "Night deal", "--close", "+30d", env=env).returncode == 0
    [deal] = json.loads(run_exe("--db", str(db), "deal", "list", "-f", "json", env=env).stdout)
    local_today = datetime.now(ZoneInfo(zone)).date().isoformat()
    assert deal["created_at"][:10] == deal["stage_entered_at"][:10] == local_today
    assert deal["stage_age_days"] == 0


def test_a_close_date_in_the_past_is_said_at_once(ok: Run) -> None:
    res = ok("deal", "add", "Old", "--close", "13/01/2026")  # typed day-first, ten months back
    assert res.stderr.splitlines()[-1] == (
        "note: deal 1's close date 2026-01-13 is in the past: the deal counts as stale until it is won, lost or"
        " given a later date (salescli deal edit 1 --close DATE)")
    assert "note:" not in ok("deal", "edit", "1", "--close", "2026-12-20").stderr
    assert "note:" not in ok("deal", "add", "New", "--close", "+30d").stderr
    assert "in the past" in ok("deal", "edit", "2", "--close", "2026-11-01").stderr


def test_a_contact_at_another_company_than_the_deals_is_noted(ok: Run) -> None:
    ok("contact", "add", "Ana", "--email", "ana@hooli.com", "--company", "Hooli")
    ok("company", "add", "Globex")
    res = ok("deal", "add", "M", "--company", "Globex", "--contact", "ana@hooli.com")
    assert res.stderr == ("note: contact 1 Ana is at Hooli, not at this deal's company\n"
                          "added deal 1 M (Prospecting)\n")
    assert ok("deal", "add", "N", "--contact", "ana@hooli.com").stderr == "added deal 2 N (Prospecting)\n"
    assert "not at this deal's company" in ok("deal", "edit", "2", "--company", "Globex").stderr


def test_ids_are_never_given_again_after_a_delete_or_an_import_undo(ok: Run, tmp_path: Path) -> None:
    # a script that kept "deal 2", or reads history by id, must not meet another deal under it
    ok("deal", "add", "A")
    ok("deal", "add", "B")
    ok("deal", "rm", "2", "--yes")
    assert ok("deal", "add", "C").stdout == "3\n"
    path = tmp_path / "d.csv"
    path.write_text("title\nD\n", encoding="utf-8")
    ok("import", "deals", str(path))  # deal 4, batch 1
    ok("import", "undo", "1", "--yes")
    assert ok("deal", "add", "E").stdout == "5\n"
    path.write_text("title\nF\n", encoding="utf-8")
    ok("import", "deals", str(path))
    assert [d["id"] for d in json.loads(ok("deal", "list", "-f", "json").stdout)] == [1, 3, 5, 6]
    assert [h["action"] for h in json.loads(ok("history", "deal", "5", "-f", "json").stdout)] == ["create"]
    ok("activity", "log", "call", "x")
    ok("activity", "rm", "1", "--yes")
    assert ok("task", "add", "y").stdout == "2\n"  # activities and tasks share the ids


def test_a_stage_an_import_creates_does_not_take_a_deleted_stages_id(ok: Run, tmp_path: Path) -> None:
    ok("pipeline", "stage-add", "Default", "Demo", "--after", "Qualification", "--probability", "20")
    ok("pipeline", "stage-rm", "Default", "Demo")
    path = tmp_path / "d.csv"
    path.write_text("title,stage\nX,Trial\n", encoding="utf-8")
    ok("import", "deals", str(path), "--create-stages")
    history = json.loads(ok("history", "stage", "8", "-f", "json").stdout)
    assert [h["action"] for h in history] == ["create", "delete"]  # Demo's, and only Demo's
    assert json.loads(ok("deal", "show", "1", "-f", "json").stdout)["stage"] == "Trial"


def test_a_refused_delete_names_a_title_with_a_question_mark_whole(cli: Run, ok: Run) -> None:
    ok("deal", "add", "Q? big")
    res = cli("deal", "rm", "1")
    assert res.stderr == "Error: refusing to delete deal 1 Q? big without --yes (no terminal to ask)\n"


def test_rm_logs_the_activities_it_unlinks(ok: Run) -> None:
    ok("deal", "add", "Gone")
    ok("activity", "log", "call", "Talked", "--deal", "1")
    ok("task", "add", "Follow up", "--deal", "1")
    ok("deal", "rm", "1", "--yes")
    for kind, ref in (("activity", "1"), ("task", "2")):
        last = json.loads(ok("history", kind, ref, "-f", "json").stdout)[-1]
        assert (last["action"], last["before"], last["after"]) == ("update", {"deal_id": 1}, {"deal_id": None})


def test_show_says_days_idle_and_what_needs_attention_as_today_does(ok: Run) -> None:
    ok("deal", "add", "Quiet", "--amount", "1k", "--close", "2026-11-20", "--date", "2026-09-01")
    ok("deal", "add", "Tasked", "--next-step-date", "2026-12-01")
    ok("task", "add", "Send deck", "--deal", "2")
    quiet = as_json(ok, "deal", "show", "1")
    assert (quiet["days_idle"], quiet["attention"]) == (
        86, ["idle 86d (limit 30d)", "close date passed 2026-11-20", "no next step"])
    assert as_json(ok, "deal", "show", "2")["attention"] == []  # (its open task is the next step)
    ok("deal", "won", "1", "--force")
    assert "attention" not in as_json(ok, "deal", "show", "1")
