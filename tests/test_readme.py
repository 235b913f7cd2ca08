"""The README's examples, run as written: the tour's commands in order in a new database, and its search
example against the demo database."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Run = Callable[..., Result]

README = Path(__file__).resolve().parent.parent / "README.md"
# The sections a newcomer follows from a new database (imports need files of their own).
TOUR = ("## A tour", "## Deals and pipelines", "## Activities, tasks and your day",
        "## Reports, forecasts and targets")


def tour_commands() -> list[list[str]]:
    """Every `salescli ...` line of the tour's sh blocks, in order, without `salescli` and comments."""
    commands = []
    for section in re.split(r"^(?=## )", README.read_text(encoding="utf-8"), flags=re.M):
        if not section.startswith(TOUR):
            continue
        for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                if line.startswith("salescli "):
                    commands.append(shlex.split(line, comments=True)[1:])
    return commands


def test_the_tour_runs_in_order_in_a_new_database(cli: Run, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # -o contacts.csv, -o week.html
    commands = tour_commands()
    assert len(commands) > 30 and commands[0] == ["init"]
    seen: dict[str, Result] = {}
    for args in commands:
        res = cli(*args)
        assert res.exit_code == 0, f"salescli {shlex.join(args)} exited {res.exit_code}: {res.stderr}"
        seen[" ".join(args[:2])] = res
    # the won deal's follow-up is task 1 and the call 2: the task the tour adds, and then marks done, is 3
    assert seen["task add"].stderr == "added task 3 due 2026-11-27\n"
    assert seen["task done"].stderr == 'done: task 3 "Send the contract" (2026-11-26)\n'
    assert seen["search pricing quest"].stdout.splitlines()[2].split() == [
        "activity", "2", "Pricing", "questions", "[Pricing]", "[questions]"]
    assert (tmp_path / "contacts.csv").is_file() and (tmp_path / "week.html").is_file()


def test_the_search_example_finds_the_pricing_call_in_the_demo(cli: Run, tmp_path: Path) -> None:
    demo = tmp_path / "salescli-demo.db"
    assert cli("demo", "--db", str(demo)).exit_code == 0
    [search] = [args for args in tour_commands() if args[0] == "search"]
    res = cli(*search, database=demo)
    assert res.exit_code == 0, res.stderr
    assert [line.rstrip() for line in res.stdout.splitlines()] == [
        "kind       id   title               snippet",
        "─────────────────────────────────────────────────────────",
        "activity    4   Pricing questions   [Pricing] [questions]",
    ]


def test_the_idle_time_the_readme_defines_is_the_one_reports_use(ok: Run) -> None:
    """The README said idle time counts "from its last activity, else from the day it entered its stage";
    it counts from whichever is later (LAST_TOUCH), as docs/reports.md says."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    [sentence] = re.findall(r"Its idle time counts from [^;]*;", text)
    assert sentence == ("Its idle time counts from its last activity or from the day it entered its stage (else"
                        " its creation), whichever is later: an old call does not make a deal moved on today idle"
                        " (the same in `report stale`, `today` and `insights`);")
    ok("deal", "add", "Moved on", "--date", "2026-09-01")
    ok("activity", "log", "call", "Intro", "--deal", "1", "--date", "2026-10-01")
    ok("deal", "move", "1", "Qualification", "--date", "2026-11-20")
    [deal] = json.loads(ok("report", "stale", "-f", "json").stdout)["deals"]
    assert (deal["last_activity"], deal["idle_since"], deal["stale"]) == ("2026-10-01", "2026-11-20", False)
