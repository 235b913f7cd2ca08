"""Crashes during a big import: SIGKILL and SIGTERM mid-transaction leave none or all of the rows."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import salescli_exe

ROWS = 200_000


def big_csv(path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["external_id", "title", "company", "amount", "stage", "close"])
        for i in range(ROWS):
            writer.writerow([f"K{i}", f"Deal {i}", f"Company {i % 500}", i % 9000 + 100, "Qualification",
                             "2027-01-15"])
    return path


def start(db: Path, source: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([salescli_exe(), "--db", str(db), "import", "deals", str(source), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_writing(db: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until the import has written a few MB to its write-ahead log (so it is mid-transaction)."""
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + 90  # (a loaded machine: the first chunk alone took over 20 s once)
    while time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 4_000_000:
            return
        assert proc.poll() is None, "the import ended before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("the import wrote nothing within 90 s")


def state(db: Path) -> tuple[int, str, list[str]]:
    conn = sqlite3.connect(db)
    try:
        deals = conn.execute("SELECT count(*) FROM deals").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                               " AND name LIKE 'deals_search_%' ORDER BY name")]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return deals, integrity, triggers
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_during_a_200k_row_import_leaves_none_or_all(tmp_path: Path) -> None:
    source = big_csv(tmp_path / "deals.csv")
    db = tmp_path / "sales.db"
    subprocess.run([salescli_exe(), "--db", str(db), "init"], check=True, capture_output=True)
    proc = start(db, source)
    wait_until_writing(db, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    deals, integrity, triggers = state(db)
    assert deals in (0, ROWS)
    assert integrity == "ok"
    assert triggers == ["deals_search_ad", "deals_search_ai", "deals_search_au"]


@pytest.mark.slow
def test_sigterm_during_an_import_exits_143_and_saves_nothing(tmp_path: Path) -> None:
    source = big_csv(tmp_path / "deals.csv")
    db = tmp_path / "sales.db"
    subprocess.run([salescli_exe(), "--db", str(db), "init"], check=True, capture_output=True)
    proc = start(db, source)
    wait_until_writing(db, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 143
    assert err.decode().strip().splitlines() == ["Error: terminated; nothing was saved"]
    assert state(db) == (0, "ok", ["deals_search_ad", "deals_search_ai", "deals_search_au"])
