"""salescli insights: each rule on a history where the numbers behind it are known."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from tests.test_reports import hist, history_db  # noqa: F401  (fixtures)

Run = Callable[..., Result]


def insights(ok: Run, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok("insights", *args, "-f", "json").stdout, parse_float=D)
    return data


def test_deal_rules_on_the_history(hist: Run) -> None:  # noqa: F811
    data = insights(hist)
    assert data["summary"] == {"insights": 3, "stuck": 1, "pushed": 1, "quiet": 1, "rep_win_rate": 0,
                               "rep_activity": 0, "stage_probability": 0}
    found = {rule: data[rule][0] for rule in ("stuck", "pushed", "quiet")}
    # Mu has been in Qualification since 08-01 (117 days); stays there ended after 8, 17, 19, 22 and 106 days.
    stuck = found["stuck"]
    assert (stuck["deal_id"], stuck["owner"]) == (10, "ana")
    assert stuck["numbers"] == {"days_in_stage": D("117.0"), "median_days": D("19.0"), "stays": 5, "factor": 2}
    assert stuck["message"] == ("in Qualification for 117 days; deals usually leave it after 19 days"
                                " (the median of 5 stays)")
    # Gamma's close date went 11-30 -> 12-05 -> 12-15.
    pushed = found["pushed"]
    assert (pushed["deal_id"], pushed["numbers"]) == (3, {"pushes": 2, "first_close": "2026-11-30",
                                                          "expected_close": "2026-12-15"})
    # Open amounts in USD: 4k, 9k, 20k, 33k (30k EUR): median 14,500, twice that 29,000; Epsilon has had no
    # activity since it was created on 10-01.
    quiet = found["quiet"]
    assert (quiet["deal_id"], quiet["amount"], quiet["currency"]) == (5, D("30000.00"), "EUR")
    assert quiet["numbers"] == {"days_without_activity": 56, "last_activity": None, "idle_since": "2026-10-01",
                                "median_open_amount": D("14500.00"), "threshold": D("29000.00")}


def test_a_push_made_after_the_reports_day_is_not_counted(hist: Run) -> None:  # noqa: F811
    hist("deal", "edit", "3", "--close", "2027-01-20", today="2026-11-28")  # (after the pinned 11-26)
    pushed = insights(hist)["pushed"][0]
    assert (pushed["numbers"]["pushes"], pushed["message"]) == (
        2, "close date pushed 2 times (from 2026-11-30 to 2026-12-15)")
    later = json.loads(hist("insights", "-f", "json", today="2026-11-28").stdout)["pushed"][0]
    assert later["message"] == "close date pushed 3 times (from 2026-11-30 to 2027-01-20)"
    hist("deal", "edit", "3", "--close", "2026-12-20", today="2026-11-29")  # pulled in: the date it has then
    pulled = json.loads(hist("insights", "-f", "json", today="2026-11-29").stdout)["pushed"][0]
    assert pulled["message"] == "close date pushed 3 times (from 2026-11-30 to 2026-12-20)"


def test_a_call_made_after_the_reports_day_does_not_count_on_it(hist: Run) -> None:  # noqa: F811
    hist("activity", "log", "call", "Terms", "--deal", "5", "--owner", "cy", "--date", "2026-11-20")  # Epsilon
    assert insights(hist)["summary"]["quiet"] == 0  # called 6 days ago
    quiet = json.loads(hist("insights", "-f", "json", today="2026-11-19").stdout)["quiet"]
    assert [(q["deal_id"], q["numbers"]["last_activity"], q["numbers"]["idle_since"], q["message"])
            for q in quiet] == [(5, None, "2026-10-01", "30,000.00 EUR (over 2x the median open deal) and idle for"
                                                        " 49 days")]


def test_a_parked_deal_is_neither_stuck_nor_quiet_until_its_date(hist: Run) -> None:  # noqa: F811
    hist("deal", "park", "10", "--until", "2027-01-15", "--reason", "budget freeze")
    hist("deal", "park", "5", "--until", "2026-12-01", "--reason", "waiting for the board")
    summary = insights(hist)["summary"]
    assert (summary["stuck"], summary["quiet"], summary["pushed"]) == (0, 0, 1)
    later = json.loads(hist("insights", "-f", "json", today="2026-12-01").stdout)
    assert [r["deal_id"] for r in later["quiet"]] == [5]
    assert later["stuck"] == []


def test_owner_filter(hist: Run) -> None:  # noqa: F811
    data = insights(hist, "--owner", "bob")
    assert (data["summary"]["insights"], [r["rule"] for r in data["pushed"]]) == (1, ["pushed"])
    table = hist("insights", "--owner", "ana").stdout
    assert "stuck" in table and "deal 10 Mu" in table


def test_rep_and_stage_rules(ok: Run) -> None:
    for name in ("ana", "bob", "cy", "dee"):
        ok("user", "add", name, "--team", "East")
    n = 0
    # closed in the last 90 days: ana and bob win 4 of 5, cy 1 of 5 (team median 80%)
    for owner, wins in (("ana", 4), ("bob", 4), ("cy", 1)):
        for i in range(5):
            n += 1
            ok("deal", "add", f"{owner}-{i}", "--owner", owner, "--amount", "1k", "--date", "2026-10-01")
            if i < wins:
                ok("deal", "won", str(n), "--date", "2026-11-01")
            else:
                ok("deal", "lost", str(n), "--reason", "price", "--date", "2026-11-01")
    # activities: 3 each, dee 1 (team median 3)
    for owner, count in (("ana", 3), ("bob", 3), ("cy", 3), ("dee", 1)):
        for i in range(count):
            ok("activity", "log", "call", f"c{i}", "--owner", owner, "--date", "2026-11-10")
    data = insights(ok)
    found = {(r["rule"], r["owner"]): r for r in data["rep_win_rate"] + data["rep_activity"]}
    rate = found[("rep_win_rate", "cy")]
    assert rate["numbers"] == {"win_rate": D("0.2000"), "won": 1, "closed": 5, "median": D("0.8000"), "peers": 3}
    assert rate["message"] == "win rate 20% (1 of 5) vs team East median 80%"
    acts = found[("rep_activity", "dee")]
    assert acts["numbers"] == {"activities": 1, "median": 3, "peers": 4}
    # all 15 deals entered Prospecting (10%) and 9 were won: 60%
    [stage] = data["stage_probability"]
    assert stage["subject"] == "Prospecting (Default)"
    assert stage["numbers"] == {"probability": D("0.1000"), "win_rate": D("0.6000"), "closed": 15, "won": 9}
    assert data["summary"]["insights"] == 3


def test_fail_if(hist: Run, cli: Run) -> None:  # noqa: F811
    res = cli("insights", "--fail-if", "quiet>0")
    assert res.exit_code == 6 and "quiet>0 (quiet = 1)" in res.stderr
    assert cli("insights", "--fail-if", "nonsense>0").exit_code == 2


def test_quiet_counts_idle_days_as_report_stale_does(hist: Run) -> None:  # noqa: F811
    # Epsilon moves to Proposal on 11-06 (no activity logged): idle since then for both commands, not since
    # its creation on 10-01 for one and its stage entry for the other
    hist("deal", "move", "5", "Proposal", "--date", "2026-11-06", "--force")
    quiet = insights(hist)["quiet"][0]
    assert (quiet["deal_id"], quiet["numbers"]["days_without_activity"], quiet["numbers"]["idle_since"]) == (
        5, 20, "2026-11-06")
    stale = json.loads(hist("report", "stale", "-f", "json").stdout)
    epsilon = next(d for d in stale["deals"] if d["id"] == 5)
    assert epsilon["idle_since"] == "2026-11-06"


def test_quiet_compares_amounts_in_other_currencies_exactly(ok: Run) -> None:
    """The median open deal and the 2x threshold went through float factors: 1,000 GBP at 1.15 was worth
    1,149.99 EUR, so a deal of 2,299.99 EUR was flagged as over twice a median of 1,149.99."""
    ok("config", "set", "base_currency", "EUR", today="2026-10-01")
    ok("fx", "set", "GBP", "1.15", today="2026-10-01")
    for title, amount, currency in (("s1", "100", "EUR"), ("s2", "200", "EUR"), ("mid", "1000", "GBP"),
                                    ("near", "2299.99", "EUR"), ("big", "2300", "EUR")):
        ok("deal", "add", title, "--amount", amount, "--currency", currency, today="2026-10-01")
    quiet = insights(ok)["quiet"]
    assert [(q["subject"], q["numbers"]["median_open_amount"], q["numbers"]["threshold"]) for q in quiet] == [
        ("deal 5 big", D("1150.00"), D("2300.00"))]


def test_a_rate_of_zero_written_by_hand_leaves_its_deals_out_of_the_quiet_rule(ok: Run, db: Path) -> None:
    ok("fx", "set", "JPY", "0.0067", today="2026-10-01")
    for n in range(6):
        ok("deal", "add", f"d{n}", "--amount", f"{n + 1}k", today="2026-10-01")
    ok("deal", "add", "yen", "--amount", "¥9000000", today="2026-10-01")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE fx_rates SET rate = '0'")  # (salescli refuses a rate of 0: a traceback here before)
    conn.commit()
    conn.close()
    assert [q["subject"] for q in insights(ok)["quiet"]] == ["deal 6 d5"]


def test_nothing_standing_out_is_said_in_words(ok: Run) -> None:
    ok("deal", "add", "Fresh", "--amount", "5k")
    res = ok("insights")
    assert "note: nothing stands out in the period: no deal stuck, pushed or gone quiet" in " ".join(
        res.stdout.split())
    notes = insights(ok)["notes"]
    # (a new database has no stays to learn a stage's usual time from: said, so "no deal stuck" is not misread)
    assert notes[0].startswith("stuck deals: no stage has 3 stays that began in the last year and have ended")
    assert notes[1].startswith("nothing stands out in the period")


def test_history_older_than_a_year_is_said_to_teach_no_usual_stay(ok: Run) -> None:
    """An import of 2017's pipeline: deals sat in Qualification for years, yet `stuck 0` and no word why."""
    for n in range(1, 5):
        ok("deal", "add", f"Old {n}", "--amount", "1k", "--date", "2024-01-01")
        ok("deal", "move", str(n), "Qualification", "--date", "2024-02-01")
    data = insights(ok)
    assert data["summary"]["stuck"] == 0
    assert "stuck deals: no stage has 3 stays" in data["notes"][0]
    ok("deal", "add", "Recent", "--amount", "1k", "--date", "2026-03-01")  # (a year's stays: the note goes)
    for n in range(5, 9):
        ok("deal", "add", f"New {n}", "--amount", "1k", "--date", "2026-06-01")
        ok("deal", "move", str(n + 1), "Qualification", "--date", "2026-06-11")
    data = insights(ok)
    assert not any(n.startswith("stuck deals") for n in data["notes"])
    assert data["summary"]["stuck"] == 1  # Recent, in Prospecting since March against a usual 10 days


def test_the_reason_wraps_on_80_columns_instead_of_being_cut(hist: Run,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = hist("insights").stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    reasons = [m["message"] for m in json.loads(hist("insights", "-f", "json").stdout)["stuck"]]
    last_words = [r.split()[-1] for r in reasons]
    assert reasons and all(word in out for word in last_words) and "…" not in out  # every reason to its end
