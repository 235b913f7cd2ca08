"""Startup stays cheap: `--help` and a plain list load no heavy module and build no unused command group."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import every_command_help

Run = Callable[..., Any]

LOADED_AFTER = """
import json, sys
from salescli.cli import main
sys.argv = ["salescli", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_loaded(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", LOADED_AFTER, *args], capture_output=True, text=True, timeout=60)
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_help_imports_no_heavy_module() -> None:
    loaded = modules_loaded("--help")
    assert "salescli.cli" in loaded  # the test can fail: it does look at what was imported
    for heavy in ("sqlite_utils", "rich.table", "rich.console", "dateutil.parser", "pydantic", "salescli.models",
                  "salescli.repository", "salescli.render", "salescli.values"):
        assert heavy not in loaded, f"`salescli --help` imported {heavy}"


def test_a_list_imports_neither_the_models_nor_the_date_parser(ok: Run, db: Path) -> None:
    ok("contact", "add", "Ana", "--company", "Acme")
    loaded = modules_loaded("--db", str(db), "contact", "list")
    assert "salescli.repository" in loaded and "rich.table" in loaded
    for heavy in ("sqlite_utils", "dateutil.parser", "salescli.models", "salescli.importers"):
        assert heavy not in loaded, f"`salescli contact list` imported {heavy}"


def test_a_report_imports_no_model(ok: Run, db: Path) -> None:
    ok("init")
    loaded = modules_loaded("--db", str(db), "report", "lost-reasons", "--by", "owner", "-f", "json")
    assert "salescli.services.reports.lost_reasons" in loaded
    for heavy in ("sqlite_utils", "salescli.models", "salescli.importers", "salescli.services.activities"):
        assert heavy not in loaded, f"`salescli report lost-reasons` imported {heavy}"


def test_only_the_group_that_runs_is_built() -> None:
    import typer.main

    from salescli.cli import PendingGroup, app

    root = typer.main.get_command(app)
    groups = {name: cmd for name, cmd in root.commands.items() if isinstance(cmd, PendingGroup)}  # type: ignore[attr-defined]
    assert {"company", "companies", "contact", "contacts", "db"} <= set(groups)
    assert groups["companies"].hidden and not groups["company"].hidden
    assert groups["company"].get_short_help_str(80) == "Companies (accounts): add, list, show, edit, merge, rm."
    built = groups["contact"].build()
    assert {"add", "list", "show", "edit", "rm", "forget"} <= set(built.commands)


def test_help_lists_groups_and_plural_aliases_work(run_exe: Run, tmp_path: Path) -> None:
    res = run_exe("--help")
    assert res.returncode == 0 and res.stderr == ""
    names = [line.split()[0] for line in res.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert "company" in names and "contact" in names and "db" in names
    assert "companies" not in names and "contacts" not in names
    db = tmp_path / "p.db"
    assert run_exe("--db", str(db), "companies", "add", "Acme").returncode == 0
    res = run_exe("--db", str(db), "contacts", "list", "--help")
    assert res.returncode == 0 and "--company" in res.stdout
    res = run_exe("compnay")
    assert res.returncode == 2 and "Did you mean 'company'" in res.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (("compnay",), "Error: No such command 'compnay'. Did you mean 'company'?"),  # not the hidden 'companies'
    (("reprot",), "Error: No such command 'reprot'. Did you mean 'report'?"),
    (("deal", "lsit"), "Error: No such command 'lsit'. Did you mean 'list'?"),  # not 'lost' too
    (("report", "pipline"), "Error: No such command 'pipline'. Did you mean 'pipeline'?"),  # reports are lazy
    (("report", "forcast"), "Error: No such command 'forcast'. Did you mean 'forecast'?"),
    (("deal", "xyz"), "Error: No such command 'xyz'."),
])
def test_a_mistyped_command_suggests_the_nearest_one(cli: Run, argv: tuple[str, ...], message: str) -> None:
    res = cli(*argv)
    assert (res.exit_code, res.stderr.splitlines()[0]) == (2, message)


def test_the_db_group_summary_names_every_db_command(cli: Run) -> None:
    res = cli("--help")
    [line] = [line for line in res.stdout.splitlines() if line.split()[:1] == ["db"]]
    assert line.split(None, 1)[1] == "The database file: info, check, backup, migrate."
    listed = cli("db", "--help").stdout.split("Commands:")[1]
    assert {row.split()[0] for row in listed.splitlines() if row.strip()} == {"info", "check", "backup", "migrate"}


def test_every_option_says_what_value_to_type(cli: Run) -> None:
    """`--period <period>`, `--owner <name>`, `--fail-if <condition>`: never Typer's `<str>` or `<list[str]>`."""
    import re

    helps = every_command_help(cli)
    assert len(helps) > 100
    shown = {(" ".join(argv), m) for argv, text in helps for m in re.findall(r"<[^>\n]*>", text)}
    python_types = {(cmd, m) for cmd, m in shown if re.fullmatch(r"<(str|int|float|list\[.*\]|.* range)>", m)}
    assert python_types == set()
    placeholders = {m for _, m in shown}
    assert {"<period>", "<name>", "<date>", "<condition>", "<file>", "<format>", "<n>", "<group>"} <= placeholders
    report = dict(helps)[("report", "stale")]
    assert "--fail-if <condition>" in report and "-p, --period <period>" in report
    # arguments by name, as Click writes them (Typer's `{REF}` reads like a set of choices)
    assert dict(helps)[("deal", "show")].startswith("Usage: salescli deal show [OPTIONS] REF\n")
    assert "  REF  " in dict(helps)[("deal", "show")]
    # an overflow bound is not advice
    assert not [argv for argv, text in helps if "1000000000" in text]


def test_every_help_fits_80_columns(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    wide = [(" ".join(argv), line) for argv, text in every_command_help(cli) for line in text.splitlines()
            if len(line) > 80]
    assert wide == []
