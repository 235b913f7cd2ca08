"""Reports on the Maven CRM data set imported with its preset, against plain Python over the CSV.

Runs when SALESCLI_MAVEN_DIR points at the data set (accounts.csv, sales_teams.csv, sales_pipeline.csv),
or the workplace's shared copy is beside the checkout (tests/conftest.py: dataset).
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MAVEN_DIR, Result

Run = Callable[..., Result]
pytestmark = pytest.mark.skipif(MAVEN_DIR is None, reason="no Maven data set: set SALESCLI_MAVEN_DIR")


def by_agent(pipeline: Path) -> dict[str, dict[str, Any]]:
    """Per sales agent: won count and amount, lost count, win rate, median days engage -> close of won deals."""
    agents: dict[str, dict[str, Any]] = defaultdict(lambda: {"won": 0, "won_amount": D(0), "lost": 0, "cycles": []})
    with open(pipeline, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            a = agents[row["sales_agent"]]
            if row["deal_stage"] == "Won":
                a["won"] += 1
                a["won_amount"] += D(row["close_value"] or "0")
                a["cycles"].append((date.fromisoformat(row["close_date"])
                                    - date.fromisoformat(row["engage_date"])).days)
            elif row["deal_stage"] == "Lost":
                a["lost"] += 1
    out = {}
    for name, a in agents.items():
        closed = a["won"] + a["lost"]
        out[name] = {
            "won": a["won"], "won_amount": a["won_amount"].quantize(D("0.01")), "lost": a["lost"],
            "win_rate": (D(a["won"]) / closed).quantize(D("0.0001")) if closed else None,
            "median_cycle_days": D(str(statistics.median(a["cycles"]))).quantize(D("0.1")) if a["cycles"] else None,
        }
    return out


def test_maven_win_rates_and_won_amounts_per_agent(ok: Run) -> None:
    assert MAVEN_DIR is not None
    folder = MAVEN_DIR
    ok("import", "companies", str(folder / "accounts.csv"), "--preset", "maven")
    ok("import", "users", str(folder / "sales_teams.csv"), "--preset", "maven")
    ok("import", "deals", str(folder / "sales_pipeline.csv"), "--preset", "maven")
    expected = by_agent(folder / "sales_pipeline.csv")
    data = json.loads(ok("report", "performance", "--period", "all", "-f", "json").stdout, parse_float=D)
    got = {r["owner"]: {k: r[k] for k in ("won", "won_amount", "lost", "win_rate", "median_cycle_days")}
           for r in data["rows"]}
    assert got == expected
    total_won = sum(a["won"] for a in expected.values())
    total_lost = sum(a["lost"] for a in expected.values())
    assert (data["summary"]["won"], data["summary"]["lost"]) == (total_won, total_lost) == (4238, 2473)
    assert data["summary"]["won_amount"] == sum((a["won_amount"] for a in expected.values()), D(0))
    assert data["summary"]["win_rate"] == (D(total_won) / (total_won + total_lost)).quantize(D("0.0001"))
    # managers are the teams: a team's figures are its agents' summed
    teams: dict[str, str] = {}
    with open(folder / "sales_teams.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            teams[row["sales_agent"]] = row["manager"]
    team_rows = {r["team"]: r for r in json.loads(
        ok("report", "performance", "--period", "all", "--by", "team", "-f", "json").stdout, parse_float=D)["rows"]}
    for team in set(teams.values()):
        members = [a for a, t in teams.items() if t == team and a in expected]
        assert team_rows[team]["won_amount"] == sum((expected[a]["won_amount"] for a in members), D(0))
        assert team_rows[team]["won"] == sum(expected[a]["won"] for a in members)
    # a quarter of 2017: win rate of deals closed in it, from the close dates
    q = json.loads(ok("report", "performance", "--period", "2017-Q2", "-f", "json").stdout, parse_float=D)
    won = lost = 0
    with open(folder / "sales_pipeline.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["close_date"] and "2017-04-01" <= row["close_date"] < "2017-07-01":
                won += row["deal_stage"] == "Won"
                lost += row["deal_stage"] == "Lost"
    assert (q["summary"]["won"], q["summary"]["lost"]) == (won, lost)
