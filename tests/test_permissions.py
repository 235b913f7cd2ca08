"""Permissions (RELIABILITY.md): a read-only database file or folder, and outputs into a read-only folder.

Root ignores file permissions, so as root each command runs without the capabilities that let it
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): root then meets the permissions of its files as any owner does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import TODAY, digest, salescli_exe

Run = Callable[..., subprocess.CompletedProcess[str]]


def _as_a_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:  # util-linux: on every Debian; without it root cannot be made to obey permissions
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """A folder holding a database with one deal; writable again after the test (so tmp can be cleaned)."""
    where = tmp_path / "data"
    where.mkdir()
    yield where
    for path in (where, *where.rglob("*")):
        path.chmod(0o700 if path.is_dir() else 0o600)


@pytest.fixture
def run(folder: Path) -> Run:
    prefix = _as_a_user()
    db = folder / "sales.db"
    subprocess.run([salescli_exe(), "--db", str(db), "deal", "add", "Alpha", "--amount", "100"], check=True,
                   capture_output=True)

    def go(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, salescli_exe(), "--db", str(db), "--today", TODAY, *args],
                              capture_output=True, text=True, timeout=60)

    return go


def test_a_read_only_database_file_reads_and_refuses_writes(run: Run, folder: Path) -> None:
    db = folder / "sales.db"
    db.chmod(0o444)
    before = digest(db)
    res = run("deal", "add", "Beta")
    assert (res.returncode, res.stdout) == (5, "")
    assert res.stderr == (f"Error: database {db} is read-only; nothing changed\n"
                          f"Hint: check the file's permissions (ls -l {db})\n")
    csv_file = folder / "d.csv"
    csv_file.write_text("title,amount\nBeta,5\n", encoding="utf-8")
    res = run("import", "deals", str(csv_file))
    assert res.returncode == 5 and "is read-only; nothing changed" in res.stderr
    assert digest(db) == before
    # reading still works
    res = run("deal", "list", "-f", "csv")
    assert res.returncode == 0 and res.stdout.splitlines()[1].startswith("1,Alpha,")
    assert run("sql", "SELECT count(*) AS n FROM deals", "-f", "csv").stdout == "n\n1\n"


def test_a_read_only_folder_is_a_database_problem(run: Run, folder: Path) -> None:
    db = folder / "sales.db"
    before = digest(db)
    folder.chmod(0o555)
    for args in (("deal", "add", "Beta"), ("deal", "list")):
        res = run(*args)
        assert (res.returncode, res.stdout) == (5, ""), args
        assert res.stderr.startswith(f"Error: database {db} cannot be used: its folder {folder} is not writable")
    folder.chmod(0o700)
    assert digest(db) == before


@pytest.mark.parametrize(("args", "message"), [
    (("export", "deals", "-o", "{out}/deals.csv"),
     "Error: --output {out}/deals.csv: folder {out} is not writable (Permission denied); no file written\n"),
    (("deal", "list", "-o", "{out}/deals.json"),
     "Error: --output {out}/deals.json: folder {out} is not writable (Permission denied); no file written\n"),
    (("db", "backup", "{out}/copy.db"), "Error: cannot write {out}/copy.db (Permission denied); no backup written\n"),
    (("import", "deals", "{csv}", "--on-error", "skip", "--rejects", "{out}/rejects.csv"),
     "Error: --rejects {out}/rejects.csv: folder {out} is not writable (Permission denied); nothing was imported\n"),
])
def test_an_output_into_a_read_only_folder_writes_nothing(run: Run, folder: Path, args: tuple[str, ...],
                                                          message: str) -> None:
    out = folder / "out"
    out.mkdir()
    out.chmod(0o555)
    csv_file = folder / "d.csv"
    csv_file.write_text("title,amount\nBeta,abc\nGamma,5\n", encoding="utf-8")
    before = digest(folder / "sales.db")
    res = run(*(a.format(out=out, csv=csv_file) for a in args))
    assert (res.returncode, res.stdout, res.stderr) == (5, "", message.format(out=out))
    assert list(out.iterdir()) == []
    assert digest(folder / "sales.db") == before
