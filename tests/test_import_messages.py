"""What an import says: the dry run's plan and hints, a refusal's hint, a file that is not UTF-8."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import digest

Run = Callable[..., Any]
AMOUNT = 'amount "abc" is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)'


@pytest.fixture
def base(ok: Run, db: Path) -> Path:
    ok("init")
    return db


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def bad_deals(tmp_path: Path, bad: int) -> Path:
    return write(tmp_path, "d.csv", "title,amount\nGood,5\n" + "".join(f"Bad {i},abc\n" for i in range(bad)))


@pytest.mark.parametrize("values, shown", [
    ({"In_Progress": "Qualification"}, "stage: 1 value mapped (in_progress -> Qualification)"),
    ({"In_Progress": "Qualification", "Closing": "Negotiation"},
     "stage: 2 values mapped (in_progress -> Qualification, closing -> Negotiation)"),
])
def test_the_plan_counts_mapped_values_in_the_singular_and_plural(ok: Run, base: Path, tmp_path: Path,
                                                                  values: dict[str, str], shown: str) -> None:
    map_file = write(tmp_path, "map.json", json.dumps({"values": {"stage": values}}))
    path = write(tmp_path, "d.csv", "title,stage\nAlpha,In_Progress\n")
    res = ok("import", "deals", str(path), "--map-file", str(map_file), "--dry-run")
    assert f"  {shown}\n" in res.stdout


def test_a_dry_run_with_errors_does_not_tell_the_user_to_run_a_dry_run(cli: Run, base: Path,
                                                                       tmp_path: Path) -> None:
    before = digest(base)
    res = cli("import", "deals", str(bad_deals(tmp_path, 3)), "--dry-run")
    assert res.exit_code == 4
    assert res.stdout.splitlines()[-4:] == ["Errors:", f"  d.csv:3: {AMOUNT}", f"  d.csv:4: {AMOUNT}",
                                            f"  d.csv:5: {AMOUNT}"]
    assert res.stderr.splitlines() == [
        f"Error: d.csv:3: {AMOUNT}",
        "Hint: 3 rows would be refused; --on-error skip imports the good rows, and --rejects FILE writes every"
        " bad one with its reason",
    ]
    assert digest(base) == before
    # what the hint says works: the good row is imported, every bad one is in the rejects file
    rejects = tmp_path / "bad.csv"
    res = cli("import", "deals", str(bad_deals(tmp_path, 3)), "--on-error", "skip", "--rejects", str(rejects))
    assert res.exit_code == 0
    assert len(rejects.read_text().splitlines()) == 1 + 3


@pytest.mark.parametrize("bad, see", [(3, "See them all with --dry-run"), (25, "--dry-run lists the first 20")])
def test_a_refused_import_says_how_to_see_the_errors(cli: Run, base: Path, tmp_path: Path, bad: int,
                                                     see: str) -> None:
    res = cli("import", "deals", str(bad_deals(tmp_path, bad)))
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr.splitlines() == [
        f"Error: d.csv:3: {AMOUNT}",
        f"Hint: {bad} rows were refused; nothing was imported. {see}, or import the good rows with --on-error skip"
        " --rejects FILE",
    ]


def test_a_cp1252_file_names_the_line_and_the_byte_and_suggests_its_encoding(cli: Run, ok: Run, base: Path,
                                                                            tmp_path: Path) -> None:
    path = write(tmp_path, "cp.csv", "title,company\nCaf\u00e9 deal,Acme\n".encode("cp1252"))
    res = cli("import", "deals", str(path))
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr.splitlines() == [
        "Error: cp.csv:2: is not UTF-8 (byte 0xE9)",
        "Hint: pass --encoding cp1252 (Excel on Windows) or the file's encoding, e.g. --encoding utf-16",
    ]
    ok("import", "deals", str(path), "--encoding", "cp1252")


def test_latin_1_refuses_a_cp1252_file_it_would_read_into_control_characters(cli: Run, ok: Run, base: Path,
                                                                             tmp_path: Path) -> None:
    # Excel's en dash and curly quotes are 0x96, 0x93, 0x94 in cp1252: latin-1 makes them invisible C1 controls
    path = write(tmp_path, "cp.csv", "title,company\nCaf\u00e9,Acme\nM\u00fcller \u2013 \u201cPilot\u201d,Acme\n"
                 .encode("cp1252"))
    before = digest(base)
    res = cli("import", "deals", str(path), "--encoding", "latin-1")
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr.splitlines() == [
        "Error: cp.csv:3: byte 0x96 is a control character in latin-1: the file is most likely cp1252 (Excel on"
        " Windows)", "Hint: pass --encoding cp1252"]
    assert digest(base) == before
    ok("import", "deals", str(path), "--encoding", "cp1252")
    assert "M\u00fcller \u2013 \u201cPilot\u201d" in ok("deal", "list").stdout


def test_a_cp1252_targets_file_names_the_line_and_the_byte(cli: Run, base: Path, tmp_path: Path) -> None:
    text = "owner,period,value\ndana,2026-Q4,10k\nJos\u00e9,2026-Q4,5k\n"
    path = write(tmp_path, "targets.csv", text.encode("cp1252"))
    res = cli("target", "import", str(path))
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr.splitlines() == ["Error: targets.csv:3: is not UTF-8 (byte 0xE9)", "Hint: save it as CSV UTF-8"]


def test_no_create_is_offered_only_where_a_row_names_a_company_or_contact(cli: Run, ok: Run, base: Path,
                                                                          tmp_path: Path) -> None:
    listed = {entity: "--no-create" in cli("import", entity, "--help").stdout
              for entity in ("companies", "contacts", "deals", "activities", "users")}
    assert listed == {"companies": False, "contacts": True, "deals": True, "activities": True, "users": False}
    # a script passing it to every import still works
    res = ok("import", "companies", str(write(tmp_path, "c.csv", "Name,Domain\nInitrode,initrode.io\n")),
             "--no-create")
    assert "1 created" in res.stderr


def test_the_progress_bar_says_what_runs_once_every_row_is_read(tmp_path: Path) -> None:
    # a bar full for the last third of a big import (indexes, commit) reads as hung: a spinner says what runs
    from rich.progress import TextColumn

    from salescli.commands.io import _progress_bar
    from salescli.importers.apply import FINISHING

    path = write(tmp_path, "big.csv", "title\nA\n")
    with _progress_bar(str(path), True) as tick:
        assert tick is not None
        tick(120_000, 9_000_000, 17_000_000)
        assert [c.text_format for c in tick.__self__.bar.columns if isinstance(c, TextColumn)][0].startswith(
            "importing")
        tick(200_000, FINISHING, 17_000_000)
        texts = [c.text_format for c in tick.__self__.bar.columns if isinstance(c, TextColumn)]
    assert texts == ["big.csv: 200,000 rows read; writing the indexes and saving"]


def test_owners_that_read_as_record_ids_are_noted_with_the_map_that_names_them(ok: Run, base: Path,
                                                                               tmp_path: Path) -> None:
    """A Salesforce export's OwnerId made users named 005Ec000004o8yHIAQ, and nothing said how to name them."""
    path = write(tmp_path, "d.csv", "title,owner\nA,005Ec000004o8yHIAQ\nB,005Ec000004oBPNIA2\nC,lena\n")
    lines = ok("import", "deals", str(path)).stderr.splitlines()
    assert lines[-2:] == [
        "added users (first mention): 005Ec000004o8yHIAQ, 005Ec000004oBPNIA2, lena",
        'note: 2 owners look like record ids, not people: a --map-file value map names them'
        ' (values: {"owner": {"005Ec000004o8yHIAQ": "ana"}})']
    names = write(tmp_path, "d2.csv", "title,owner\nD,lena\nE,Dana Kim\n")
    assert "record id" not in ok("import", "deals", str(names)).stderr
    mapped = write(tmp_path, "map.json", json.dumps({"values": {"owner": {"005Ec000004o8yHIAQ": "ana"}}}))
    again = write(tmp_path, "d3.csv", "title,owner\nF,005Ec000004o8yHIAQ\n")
    assert ok("import", "deals", str(again), "--map-file", str(mapped)).stderr.splitlines()[-1] == (
        "added user (first mention): ana")
