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
    assert insights["summary"]["stuck"] == 1 and insights["summary"]["quiet"] == 2  # type: ignore[index]
    # relative dates follow --today: a month later the same sample data is a month later
    later = cli("--today", "2026-12-26", "demo", "--db", str(demo), today=None)
    assert later.exit_code == 0 and later.stdout.startswith("Pipeline by stage — 2026-12-26")
