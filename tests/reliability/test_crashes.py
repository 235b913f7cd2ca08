"""Crashes: SIGKILL at many points of a large import, Ctrl-C and SIGTERM: all or nothing, every time.

A reference import into a copy of the same database gives the "all" state; every interrupted import
must leave either exactly that (it had committed) or exactly the state before (nothing), and the
next command must open the file normally.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TODAY, digest
from tests.reliability.conftest import copy_db
from tests.reliability.harness import (
    Sandbox,
    assert_healthy,
    assert_refused,
    finished,
    holds_the_write_lock,
    interrupt_when,
    snapshot,
    write_deals_csv,
)

ROWS = 5000
KILLS = 24
LANES = 2  # kills run two at a time (each on its own copy), to stay within the suite's time budget


@dataclass
class ImportCase:
    box: Sandbox
    csv: Path
    base: Path
    before: dict[str, tuple[int, str]]
    after: dict[str, tuple[int, str]]
    seconds: float


@pytest.fixture(scope="module")
def import_case(tmp_path_factory: pytest.TempPathFactory, crm_template: Path) -> ImportCase:
    folder = tmp_path_factory.mktemp("crash")
    box = Sandbox(folder / "box")
    csv = write_deals_csv(folder / "deals.csv", ROWS)
    base = copy_db(crm_template, folder / "base.db")
    # the faster of two runs: one slow run (a load spike, a cold page cache) spread the kill points past
    # the end of every import, and the test failed for "too few kills landed inside the import"
    runs = []
    for name in ("warm-up.db", "reference.db"):
        reference = copy_db(base, folder / name)
        start = time.monotonic()
        box.ok("import", "deals", str(csv), db=reference)
        runs.append(time.monotonic() - start)
    return ImportCase(box, csv, base, digest(base), digest(reference), min(runs))


IN_PROCESS = threading.Lock()  # CliRunner swaps sys.stdout/stderr: one invocation at a time


def next_command_opens(db: Path) -> str:
    """The first thing to open the crashed file is salescli itself (in-process: cheap), and it works."""
    from salescli.cli import app

    with IN_PROCESS:
        res = CliRunner().invoke(app, ["--db", str(db), "--today", TODAY, "db", "info", "-f", "json"])
    assert res.exit_code == 0 and res.exception is None, res.stderr
    return res.stdout


def test_sigkill_at_many_points_of_an_import_leaves_all_or_nothing(import_case: ImportCase, tmp_path: Path) -> None:
    rng = random.Random(20261126)
    # Seeded points from just after the start to a little past the reference run's end (so that a few
    # land during or after the commit).
    points = [rng.uniform(0.05, import_case.seconds * 1.15) for _ in range(KILLS)]
    outcomes: list[tuple[float, str, int | None]] = []
    errors: list[BaseException] = []

    def lane(index: int) -> None:
        try:
            for n in range(index, KILLS, LANES):
                db = copy_db(import_case.base, tmp_path / f"kill{n}.db")
                proc = import_case.box.popen("import", "deals", str(import_case.csv), db=db)
                time.sleep(points[n])
                proc.kill()
                proc.communicate(timeout=60)
                next_command_opens(db)
                state = digest(db)
                kind = ("none" if state == import_case.before else "all" if state == import_case.after
                        else "MIXED")
                assert_healthy(db)
                outcomes.append((points[n], kind, proc.returncode))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=lane, args=(i,)) for i in range(LANES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    assert len(outcomes) == KILLS
    assert [o for o in outcomes if o[1] == "MIXED"] == [], sorted(outcomes)
    killed_midway = [o for o in outcomes if o[2] == -signal.SIGKILL and o[1] == "none"]
    assert len(killed_midway) >= KILLS // 2, f"too few kills landed inside the import: {sorted(outcomes)}"
    for point, kind, code in outcomes:
        assert kind == "all" or code != 0, f"an import that exited {code} left nothing (at {point:.2f}s)"


@pytest.mark.parametrize("when", ["mid-import", "at-commit"])
@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_during_an_import_roll_back_or_tell_the_truth(
        import_case: ImportCase, tmp_path: Path, sig: int, code: int, word: str, when: str) -> None:
    """Mid-import the transaction rolls back: "nothing was saved". A signal that lands while the COMMIT
    is being written (the WAL grows only then, with the import's big page cache) cannot undo it:
    salescli must then say the changes were saved, not "nothing was saved"."""
    db = copy_db(import_case.base, tmp_path / "sales.db")
    before = snapshot(db)
    wal = Path(f"{db}-wal")
    proc = import_case.box.popen("import", "deals", str(import_case.csv), db=db)
    if when == "mid-import":
        assert interrupt_when(proc, lambda: holds_the_write_lock(db), 0), "the import never took the lock"
        time.sleep(import_case.seconds * 0.1)
        proc.send_signal(sig)
    else:
        assert interrupt_when(proc, lambda: wal.exists() and wal.stat().st_size > 256 * 1024, sig), (
            "the import finished before it could be interrupted")
    out = finished(proc)
    next_command_opens(db)
    if digest(db) == import_case.before:
        assert_refused(out, code, before, says=f"{word}; nothing was saved")
    else:
        assert when == "at-commit", f"a signal in the middle of the import did not roll it back: {out}"
        assert digest(db) == import_case.after, "neither all nor nothing"
        assert (out.code, out.stdout) == (code, "")
        assert out.stderr.splitlines()[-1] == f"Error: {word} after the changes were saved", str(out)
        assert_healthy(db)


def test_a_signal_while_salescli_starts_is_one_line_and_its_exit_code(crm: Sandbox) -> None:
    """SIGTERM in the first tenth of a second (the CLI loading, Click reading the command line) printed a
    traceback and exited 1. Sent at moments across the start: killed before Python runs salescli (-15), else
    143 and one line; never a traceback. The moments are fractions of a whole run timed just before (under a
    loaded machine's full suite a start can take longer than any fixed delay: every signal came too early)."""
    said = []
    for _round in range(3):
        started = time.monotonic()
        full = finished(crm.popen("report", "pipeline"))
        assert full.code == 0 and "Total" in full.stdout, full
        whole = time.monotonic() - started
        for fraction in (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95):
            proc = crm.popen("report", "pipeline")
            time.sleep(whole * fraction)
            proc.send_signal(signal.SIGTERM)
            out = finished(proc)
            if out.code == -signal.SIGTERM:  # before Python ran salescli, or once it was done (its output whole)
                assert (out.stdout, out.stderr) == ("", "") or ("Total" in out.stdout and "Traceback" not in out.stderr
                                                                and "Error" not in out.stderr), out
                continue
            if out.code == 0:  # (done before the signal came; no traceback from Python's shutdown)
                assert "Traceback" not in out.stderr and "Total" in out.stdout, out
                continue
            assert (out.code, out.stderr) == (143, "Error: terminated; nothing was saved\n"), (fraction, whole, out)
            # (a read command: nothing to save; what it printed before the signal is the report's first whole lines)
            assert full.stdout.startswith(out.stdout) and out.stdout[-1:] in ("", "\n"), (fraction, whole, out)
            said.append(fraction)
        if said:
            break
    assert said, "every signal came before salescli started or after it ended, three rounds running"


def test_temporary_files_of_a_killed_export_or_backup_are_swept_by_the_next(crm: Sandbox) -> None:
    """A salescli killed while writing `-o out.csv` or a backup leaves `.out.csv.PID.tmp` (`.b.db.tmpPID`): the
    next run writing that file removes those an hour old whose process is gone; it keeps one a live process (or
    one in another container: touched lately) is writing, and a name it never makes."""
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    alive = str(os.getpid())
    stale = [f".out.csv.{gone}.tmp", f".b.db.tmp{gone}", f".b.db.tmp{gone}-journal"]
    kept = [f".out.csv.{alive}.tmp", f".b.db.tmp{alive}", ".out.csv.99999999999999999999.tmp"]
    hour_ago = time.time() - 3700
    for name in stale + kept:
        (crm.root / name).write_text("half")
        os.utime(crm.root / name, (hour_ago, hour_ago))
    young = f".out.csv.{gone}0.tmp" if len(gone) < 7 else ".out.csv.1.tmp"  # (a writer elsewhere: untouched)
    (crm.root / young).write_text("being written")
    kept.append(young)
    crm.ok("export", "companies", "-o", str(crm.root / "out.csv"))
    crm.ok("db", "backup", str(crm.root / "b.db"))
    left = sorted(p.name for p in crm.root.iterdir() if p.name.startswith((".out.csv", ".b.db")))
    assert left == sorted(kept)


@pytest.mark.parametrize(("late", "code", "said"), [("Interrupted", 130, "interrupted"),
                                                    ("Terminated", 143, "terminated")])
def test_a_signal_after_the_command_returned_says_its_changes_were_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], late: str, code: int,
        said: str) -> None:
    """A signal that lands once the command has returned (Click tidying up, the summary printed) was caught by
    main() and said "nothing was saved" over a committed import: it says what was saved, and a signal before
    any command ran still says nothing was."""
    from salescli import cli

    db = tmp_path / "sales.db"
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("title\nPilot\n")
    plain_invoke = cli.SalesCliGroup.invoke

    def then_a_signal(self: cli.SalesCliGroup, ctx: object) -> object:
        plain_invoke(self, ctx)
        raise getattr(cli, late)()

    monkeypatch.setattr(cli.SalesCliGroup, "invoke", then_a_signal)
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # (main() sets this process's handlers: not here)
    monkeypatch.setattr("sys.argv", ["salescli", "--db", str(db), "--today", TODAY, "import", "deals",
                                     str(csv_file)])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == code
    assert capsys.readouterr().err.splitlines()[-1] == f"Error: {said} after the changes were saved"
    assert digest(db)  # (the import is there)
    monkeypatch.setattr("sys.argv", ["salescli", "--db", str(db), "--today", TODAY, "import", "deals",
                                     str(csv_file), "--dry-run"])  # nothing to save: nothing said saved
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == code
    assert capsys.readouterr().err.splitlines()[-1] == f"Error: {said}; nothing was saved"
