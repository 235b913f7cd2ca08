"""Every example in every --help runs as written on the demo database (`salescli demo`), the way a new
user tries them: a fresh copy of the demo for each, exit 0 (or 6 for a --fail-if that holds)."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result, every_command_help

Run = Callable[..., Result]
# Examples that need what a demo does not have: a file to import, an old database, their own --db.
NEEDS_A_FILE = re.compile(r"import (companies|contacts|deals|activities|users) |target import |--db | demo")
# Examples that need a record the demo does not hold: what makes it first (its first id).
PREPARE = {"salescli forecast rm ": ("forecast", "snapshot")}


def examples(cli: Run) -> list[str]:
    found = []
    for _argv, text in every_command_help(cli):
        body = text.split("Options:")[0]
        if "Example" not in body:
            continue
        for line in ("Example" + body.split("Example", 1)[1]).splitlines():
            m = re.search(r"(?:^|:\s)(salescli .*)$", line.strip())
            if m:
                found.append(m.group(1))
    return list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from salescli.cli import app

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    res = CliRunner().invoke(app, ["--today", "2026-11-26", "demo", "--db", str(path)], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return path


def test_every_help_example_runs_on_the_demo(cli: Run, demo_db: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples write -o files and backups beside them
    lines = examples(cli)
    assert len(lines) > 80
    ran, failed = 0, []
    for i, line in enumerate(lines):
        if NEEDS_A_FILE.search(line) or "$(" in line.replace("$(date +%F)", ""):
            continue
        args = shlex.split(line.replace("$(date +%F)", "2026-11-26").split(" && ")[0])[1:]
        db = tmp_path / f"ex{i}.db"
        shutil.copy(demo_db, db)
        for start, setup in PREPARE.items():
            if line.startswith(start):
                assert cli(*setup, database=db).exit_code == 0
        res = cli(*args, database=db)
        ran += 1
        if res.exit_code not in (0, 6) or (res.exit_code == 6 and "--fail-if" not in line):
            failed.append(f"{line}: exit {res.exit_code}: {res.stderr.strip().splitlines()[:1]}")
    assert failed == []
    assert ran > 70
