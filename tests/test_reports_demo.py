"""salescli demo: the sample data through the import path, relative to --today, then the pipeline and forecast."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Run = Callable[..., Result]


def test_demo_builds_deals_history_activities_and_prints_the_reports(cli: Run, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    demo = tmp_path / "demo.db"
    res = cli("demo", "--db", str(demo))
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "Pipeline by stage — 2026-11-26"
    assert "Total              13  480,460   196,052  163,700   52.8      4" in lines
    assert "Forecast 2026-Q4" in lines and "Forecast categories 2026-Q4 (USD)" in lines
    assert max(len(line) for line in lines) <= 80

    def run(*args: str) -> dict[str, object]:
        out = cli(*args, "-f", "json", database=demo)
        assert out.exit_code == 0, out.stderr
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    performance = run("report", "performance")
    assert performance["summary"]["won"] == 5  # type: ignore[index]
    assert performance["summary"]["target"] == 310000  # type: ignore[index]
    weekly = run("report", "weekly")
    assert weekly["summary"]["new"] == 3 and weekly["summary"]["advanced"] == 3  # type: ignore[index]
    funnel = run("report", "funnel", "--period", "ytd")
    assert funnel["summary"]["won"] == 7  # type: ignore[index]
    insights = run("insights")
    # with the closed deals' stage paths: Summer rollout (Prospecting 120 d), Test data platform (Needs
    # Analysis 80 d) and Document search (Proposal 50 d) are over twice their stage's median stay
    assert insights["summary"]["stuck"] == 3 and insights["summary"]["quiet"] == 2  # type: ignore[index]
    lost = run("report", "lost-reasons", "--period", "2026")
    assert [(r["stage"], r["deals"]) for r in lost["stages"]] == [  # type: ignore[index]
        ("Prospecting", 1), ("Qualification", 1), ("Needs Analysis", 1), ("Proposal", 1)]
    forecast = run("report", "forecast")
    # every stage has closed deals to weigh by: no "uses the configured" note; the EUR deals' rate is named
    assert forecast["notes"] == ["converted at the rates in force on 2026-11-26: 1 EUR = 1.08 USD"]
    assert forecast["rates"] == {"EUR": 1.08}  # type: ignore[comparison-overlap]
    assert run("db", "check") == []  # type: ignore[comparison-overlap]
    # relative dates follow --today: a month later the same sample data is a month later
    later = cli("--today", "2026-12-26", "demo", "--db", str(demo), today=None)
    assert later.exit_code == 0 and later.stdout.startswith("Pipeline by stage — 2026-12-26")


def test_groups_by_segment_count_each_activity_under_its_company_else_its_deals(cli: Run, tmp_path: Path) -> None:
    """Checked against the database directly: an activity's segment is its company's, else its deal's
    company's; a deal's is its company's."""
    import sqlite3
    from collections import Counter

    demo = tmp_path / "demo.db"
    assert cli("demo", "--db", str(demo)).exit_code == 0
    conn = sqlite3.connect(demo)
    with conn:  # as an import leaves them: activities on a deal with no company of their own
        conn.execute("UPDATE activities SET company_id = NULL WHERE deal_id IS NOT NULL AND id % 2 = 0")
    expected = Counter(dict(conn.execute(
        "SELECT coalesce(c.segment, '(none)'), count(*) FROM activities a LEFT JOIN deals d ON d.id = a.deal_id"
        " LEFT JOIN companies c ON c.id = coalesce(a.company_id, d.company_id)"
        " WHERE a.kind <> 'task' AND a.occurred_at >= '2026-01-01' AND a.occurred_at < '2027-01-01'"
        " GROUP BY 1").fetchall()))
    deal_only = conn.execute("SELECT count(*) FROM activities WHERE kind <> 'task' AND company_id IS NULL"
                             " AND deal_id IS NOT NULL").fetchone()[0]
    assert deal_only > 0
    out = cli("report", "activity", "--period", "2026", "--by", "segment", "-f", "json", database=demo)
    rows = json.loads(out.stdout)["rows"]
    assert Counter({r["segment"]: r["total"] - r["task"] for r in rows if r["total"] - r["task"]}) == expected
    lost = json.loads(cli("report", "lost-reasons", "--period", "2026", "--by", "segment", "-f", "json",
                          database=demo).stdout)
    assert Counter({r["segment"]: r["deals"] for r in lost["by_segment"]}) == Counter(dict(conn.execute(
        "SELECT coalesce(c.segment, '(none)'), count(*) FROM deals d LEFT JOIN companies c ON c.id = d.company_id"
        " WHERE d.status = 'lost' AND d.lost_at >= '2026-01-01' AND d.lost_at < '2027-01-01' GROUP BY 1")))


def test_demo_says_it_leaves_salescli_db_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from salescli.cli import app

    monkeypatch.chdir(tmp_path)
    real = tmp_path / "real.db"
    monkeypatch.setenv("SALESCLI_DB", str(real))
    res = CliRunner().invoke(app, ["--today", "2026-11-26", "demo"], catch_exceptions=False)
    assert res.exit_code == 0
    assert res.stderr.splitlines()[0] == (f"note: the demo leaves $SALESCLI_DB ({real}) alone and builds"
                                          " salescli-demo.db; pass --db PATH to build it elsewhere")
    assert (tmp_path / "salescli-demo.db").exists() and not real.exists()


def test_fail_if_takes_every_number_of_every_reports_summary(cli: Run, tmp_path: Path) -> None:
    """A cron alert can watch any figure the report's JSON summary shows (`listed`, `without_amount`…)."""
    from decimal import Decimal

    demo = tmp_path / "demo.db"
    assert cli("demo", "--db", str(demo)).exit_code == 0
    for name in ("pipeline", "forecast", "performance", "velocity", "funnel", "activity", "stale", "lost-reasons",
                 "weekly", "forecast-accuracy"):
        summary = json.loads(cli("report", name, "-f", "json", database=demo).stdout, parse_float=Decimal)["summary"]
        numbers = {k: v for k, v in summary.items() if isinstance(v, int | Decimal) and not isinstance(v, bool)}
        for key, value in numbers.items():
            res = cli("report", name, "--fail-if", f"{key}>999999999", "-f", "json", database=demo)
            assert res.exit_code == 0, (name, key, res.stderr)  # a metric of the report
            if value >= 0:  # and one that is watched: a condition that holds exits 6
                res = cli("report", name, "--fail-if", f"{key}>=0", "-f", "json", database=demo)
                assert res.exit_code == 6, (name, key, res.stderr)
