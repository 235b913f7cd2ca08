"""The harness's own contract checks catch what they are meant to catch (a check that cannot fail proves
nothing)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.reliability.harness import Outcome, Sandbox, assert_refused, snapshot

GOOD = Outcome(["salescli"], 5, "", "Error: database x is busy; nothing changed\nHint: try again\n")


def test_a_clean_refusal_passes(crm: Sandbox) -> None:
    assert assert_refused(GOOD, 5, snapshot(crm.db), says="busy") == "Error: database x is busy; nothing changed"


@pytest.mark.parametrize(("code", "stdout", "stderr"), [
    (1, "", GOOD.stderr),  # wrong exit code
    (5, "[", GOOD.stderr),  # something on stdout
    (5, "", "Traceback (most recent call last):\n  ...\nError: boom\n"),  # a traceback
    (5, "", "Error: one\nError: two\n"),  # two errors
    (5, "", "Error: x\nHint: y\nmore\n"),  # more than a hint
    (5, "", "warning: x\n"),  # no Error: line
])
def test_a_bad_refusal_is_caught(code: int, stdout: str, stderr: str) -> None:
    with pytest.raises(AssertionError):
        assert_refused(Outcome(["salescli"], code, stdout, stderr), 5)


def test_a_changed_database_or_a_left_over_file_is_caught(crm: Sandbox) -> None:
    before = snapshot(crm.db)
    conn = sqlite3.connect(crm.db)
    conn.execute("UPDATE companies SET name = 'changed' WHERE id = 1")
    conn.commit()
    conn.close()
    with pytest.raises(AssertionError, match="changed"):
        assert_refused(GOOD, 5, before)
    target = crm.root / "out.csv"
    (crm.root / ".out.csv.123.tmp").write_text("half")
    with pytest.raises(AssertionError, match="half-written"):
        assert_refused(GOOD, 5, outputs=[target])


def test_a_world_readable_database_is_caught(crm: Sandbox) -> None:
    before = snapshot(crm.db)
    Path(crm.db).chmod(0o644)
    with pytest.raises(AssertionError, match="0600"):
        assert_refused(GOOD, 5, before)
